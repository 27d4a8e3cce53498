package whippy

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vendorsim/vendorsim/internal/config"
)

// Config is the whippy: section of the configuration: Whippy behaviour that
// is configurable because the facts behind it are inferred.
type Config struct {
	// InitialStatus is the delivery_status of a newly sent message.
	InitialStatus string `yaml:"initial_status"`
	// BodyMaxLength caps SMS, note and campaign bodies.
	BodyMaxLength int                `yaml:"body_max_length"`
	RateLimit     RateLimit          `yaml:"rate_limit"`
	Signature     config.Signature   `yaml:"signature"`
	Retry         config.RetryPolicy `yaml:"retry"`

	// CampaignMaxRecipients caps the recipients ("to") of one campaign
	// send; Whippy documents no limit, so this one is vendorsim's.
	CampaignMaxRecipients int `yaml:"campaign_max_recipients"`
	// SequenceMaxContacts caps the recipients ("to") of one addition of
	// contacts to a sequence (Whippy's 4000 is inferred).
	SequenceMaxContacts int `yaml:"sequence_max_contacts"`
	// BearerAuth also takes the API key as "Authorization: Bearer <key>"
	// when X-WHIPPY-KEY is absent (inferred: OAuth tokens are said to be
	// accepted). Off, a client that sends only the bearer header gets the
	// 401 a Whippy key would require.
	BearerAuth bool `yaml:"bearer_auth"`
	// MethodNotAllowed is the status for a known path with a method it
	// lacks: 404 in Whippy's error shape, as Phoenix's router answers
	// (inferred from Whippy running on Phoenix), or 405 with Allow.
	MethodNotAllowed int `yaml:"method_not_allowed"`
	// OptedOutSend is what a send to a contact opted out of the channel
	// does (inferred): "fail" stores the message as failed, with its
	// message.updated event, as a carrier-side refusal; "deliver" ignores
	// the opt-out.
	OptedOutSend string `yaml:"opted_out_send"`
	// UnknownEventTypes is what an endpoint subscribing to an event type
	// Whippy does not send does (inferred: Whippy's rule is unknown):
	// "refuse" answers a 422 naming event_types and the value; "accept"
	// stores the subscription, which then receives nothing for it.
	UnknownEventTypes string `yaml:"unknown_event_types"`
}

// RateLimit mirrors Whippy's documented limits. Off unless Enabled.
type RateLimit struct {
	Enabled bool `yaml:"enabled"`
	// StandardPerSecond applies to every endpoint not listed below.
	StandardPerSecond int `yaml:"standard_per_second"`
	// SlowWritesPerMinute applies to writes on campaigns, contact lists and sequences.
	SlowWritesPerMinute int `yaml:"slow_writes_per_minute"`
	// OrganizationReadsPerSecond and OrganizationWritesPerSecond apply to /organization.
	OrganizationReadsPerSecond  int `yaml:"organization_reads_per_second"`
	OrganizationWritesPerSecond int `yaml:"organization_writes_per_second"`
}

// DefaultConfig returns Whippy's default settings.
func DefaultConfig() *Config {
	return &Config{
		BearerAuth:    true,
		InitialStatus: "queued",
		BodyMaxLength: 1000,
		RateLimit: RateLimit{
			StandardPerSecond:           25,
			SlowWritesPerMinute:         10,
			OrganizationReadsPerSecond:  50,
			OrganizationWritesPerSecond: 35,
		},
		Signature: config.Signature{
			Header:        "X-Whippy-Signature",
			TimestampKey:  "t",
			SignatureKey:  "v1",
			Encoding:      "base64-unpadded",
			TimestampUnit: "s",
		},
		Retry: config.RetryPolicy{
			MaxRetries:     3,
			InitialBackoff: 5 * time.Second,
			MaxBackoff:     5 * time.Minute,
			Multiplier:     4,
			Jitter:         0.1,
			Timeout:        10 * time.Second,
			RetryOn:        "non-2xx",
		},
		CampaignMaxRecipients: 10000,
		SequenceMaxContacts:   4000,
		MethodNotAllowed:      404,
		OptedOutSend:          "fail",
		UnknownEventTypes:     "refuse",
	}
}

// Settings returns the Whippy settings of c (tests change them through it).
func Settings(c *config.Config) *Config { return config.Settings(c, Vendor, DefaultConfig) }

func (c *Config) validate() error {
	if c.BodyMaxLength <= 0 {
		return config.KeyErrorf("body_max_length", "must be positive")
	}
	if c.CampaignMaxRecipients <= 0 {
		return config.KeyErrorf("campaign_max_recipients", "must be positive")
	}
	if c.SequenceMaxContacts <= 0 {
		return config.KeyErrorf("sequence_max_contacts", "must be positive")
	}
	if c.MethodNotAllowed != 404 && c.MethodNotAllowed != 405 {
		return config.KeyErrorf("method_not_allowed", "%d is not one of 404, 405", c.MethodNotAllowed)
	}
	if c.OptedOutSend != "fail" && c.OptedOutSend != "deliver" {
		return config.KeyErrorf("opted_out_send", "%q is not one of fail, deliver", c.OptedOutSend)
	}
	if c.UnknownEventTypes != "refuse" && c.UnknownEventTypes != "accept" {
		return config.KeyErrorf("unknown_event_types", "%q is not one of refuse, accept", c.UnknownEventTypes)
	}
	if err := c.Signature.Validate("signature"); err != nil {
		return err
	}
	return c.Retry.Validate("retry")
}

// DecodeSettings implements config.Owner.
func (m *Mock) DecodeSettings(s *config.Section) (any, error) {
	return config.DecodeSettings(s, DefaultConfig(), (*Config).validate)
}

// ValidateSettings implements config.Owner.
func (m *Mock) ValidateSettings(v any) error {
	_, err := config.SettingsAs(v, DefaultConfig, (*Config).validate)
	return err
}

// DecodeWorkspace implements config.Owner.
func (m *Mock) DecodeWorkspace(s *config.Section) (config.VendorWorkspace, error) {
	ws := &WorkspaceConfig{}
	if err := s.Decode(ws); err != nil {
		return nil, err
	}
	if err := explicitZeroIDs(s.Node()); err != nil {
		return nil, err
	}
	return ws, ws.Validate()
}

// ValidateWorkspace implements config.WorkspaceValidator: with
// whippy.unknown_event_types: refuse (the default), a seeded endpoint may
// name only the event types POST /developers/endpoints takes, so that a
// configuration that names another fails at start, naming its key.
func (m *Mock) ValidateWorkspace(settings any, section config.VendorWorkspace) error {
	cfg, err := config.SettingsAs(settings, DefaultConfig, (*Config).validate)
	if err != nil {
		return err
	}
	s, ok := section.(*WorkspaceConfig)
	if !ok || cfg.UnknownEventTypes == "accept" {
		return nil
	}
	for j, a := range s.Applications {
		for k, e := range a.Endpoints {
			if i := unknownEventType(e.EventTypes); i >= 0 {
				return config.KeyErrorf(fmt.Sprintf("applications[%d].endpoints[%d].event_types[%d]", j, k, i),
					"%s; whippy.unknown_event_types: accept lets it through", unknownEventMessage(e.EventTypes[i]))
			}
		}
	}
	return nil
}

// WorkspaceConfig is a workspace's whippy: section: its organization.
type WorkspaceConfig struct {
	APIKeys      []string          `yaml:"api_keys" json:"api_keys,omitempty"`
	Organization *OrganizationSeed `yaml:"organization" json:"organization,omitempty"`
	Channels     []ChannelSeed     `yaml:"channels" json:"channels,omitempty"`
	Users        []UserSeed        `yaml:"users" json:"users,omitempty"`
	Contacts     []ContactSeed     `yaml:"contacts" json:"contacts,omitempty"`
	Applications []AppSeed         `yaml:"applications" json:"applications,omitempty"`
}

// OrganizationSeed is the workspace's Whippy organization.
type OrganizationSeed struct {
	ID   string `yaml:"id" json:"id,omitempty"`
	Name string `yaml:"name" json:"name,omitempty"`
}

// ChannelSeed is a Whippy channel (a phone number or email address).
type ChannelSeed struct {
	ID       string `yaml:"id" json:"id,omitempty"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Type     string `yaml:"type" json:"type,omitempty"`
	Phone    string `yaml:"phone" json:"phone,omitempty"`
	Email    string `yaml:"email" json:"email,omitempty"`
	Timezone string `yaml:"timezone" json:"timezone,omitempty"`
	Address  string `yaml:"address" json:"address,omitempty"`
}

// UserSeed is a Whippy user.
type UserSeed struct {
	ID    int64  `yaml:"id" json:"id,omitempty"`
	Name  string `yaml:"name" json:"name,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
	Phone string `yaml:"phone" json:"phone,omitempty"`
	Role  string `yaml:"role" json:"role,omitempty"`
}

// ContactSeed is a contact created at seed time.
type ContactSeed struct {
	Phone string `yaml:"phone" json:"phone"`
	Name  string `yaml:"name" json:"name,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
}

// AppSeed is a Whippy developer application with its webhook endpoints.
type AppSeed struct {
	Name      string         `yaml:"name" json:"name"`
	APIKey    string         `yaml:"api_key" json:"api_key,omitempty"`
	Endpoints []EndpointSeed `yaml:"endpoints" json:"endpoints,omitempty"`
}

// EndpointSeed is a Whippy webhook endpoint.
type EndpointSeed struct {
	URL        string   `yaml:"url" json:"url"`
	EventTypes []string `yaml:"event_types" json:"event_types"`
}

// Credentials implements config.VendorWorkspace: the API keys.
func (s *WorkspaceConfig) Credentials() []config.Credential {
	var out []config.Credential
	for j, k := range s.APIKeys {
		out = append(out, config.Credential{Value: k, Key: fmt.Sprintf("api_keys[%d]", j)})
	}
	return out
}

// WebhookSecret implements config.VendorWorkspace: Whippy signs with an
// API key.
func (s *WorkspaceConfig) WebhookSecret() string {
	if len(s.APIKeys) > 0 {
		return s.APIKeys[0]
	}
	return ""
}

// uuidPattern is an RFC 4122 UUID in lower case, as Whippy writes its ids
// (a path id in another case is read as the lower-case one).
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Validate implements config.VendorWorkspace.
func (s *WorkspaceConfig) Validate() error {
	for j, k := range s.APIKeys {
		if k == "" {
			return config.KeyErrorf(fmt.Sprintf("api_keys[%d]", j), "empty key")
		}
	}
	if s.Organization != nil && s.Organization.ID != "" && !uuidPattern.MatchString(s.Organization.ID) {
		return config.KeyErrorf("organization.id", "%q is not a UUID in lower case", s.Organization.ID)
	}
	channelIDs := map[string]int{}
	for j, ch := range s.Channels {
		key := fmt.Sprintf("channels[%d]", j)
		if ch.ID != "" {
			if !uuidPattern.MatchString(ch.ID) {
				return config.KeyErrorf(key+".id", "%q is not a UUID in lower case", ch.ID)
			}
			if prev, dup := channelIDs[ch.ID]; dup {
				return config.KeyErrorf(key+".id", "%q is also the id of channels[%d]", ch.ID, prev)
			}
			channelIDs[ch.ID] = j
		}
		switch ch.Type {
		case "", "phone", "fax", "whatsapp":
			if !config.IsE164(ch.Phone) {
				return config.KeyErrorf(key+".phone", "%q is not an E.164 number", ch.Phone)
			}
		case "email":
			if !strings.Contains(ch.Email, "@") {
				return config.KeyErrorf(key+".email", "%q is not an email address", ch.Email)
			}
		default:
			return config.KeyErrorf(key+".type", "%q is not one of phone, email, fax, whatsapp", ch.Type)
		}
	}
	if err := s.validateUsers(); err != nil {
		return err
	}
	for j, c := range s.Contacts {
		if !config.IsE164(c.Phone) {
			return config.KeyErrorf(fmt.Sprintf("contacts[%d].phone", j), "%q is not an E.164 number", c.Phone)
		}
	}
	for j, a := range s.Applications {
		key := fmt.Sprintf("applications[%d]", j)
		if a.Name == "" {
			return config.KeyErrorf(key+".name", "required")
		}
		for k, e := range a.Endpoints {
			ekey := fmt.Sprintf("%s.endpoints[%d]", key, k)
			if err := config.ValidURL(e.URL); err != nil {
				return config.KeyErrorf(ekey+".url", "%v", err)
			}
			if len(e.EventTypes) == 0 {
				return config.KeyErrorf(ekey+".event_types", "must name at least one event")
			}
		}
	}
	return nil
}

// validateUsers checks user ids as Whippy has them: positive integers, each
// once. Users without an id are numbered 1, 2, ... in order when the
// workspace is seeded, so an explicit id must not be one of those numbers.
func (s *WorkspaceConfig) validateUsers() error {
	explicit := map[int64]int{}
	var unnumbered []int // indexes of the users without an id, in order
	for j, u := range s.Users {
		key := fmt.Sprintf("users[%d]", j)
		switch {
		case u.ID < 0:
			return config.KeyErrorf(key+".id", "%d is not a positive integer", u.ID)
		case u.ID == 0:
			unnumbered = append(unnumbered, j)
		default:
			if prev, dup := explicit[u.ID]; dup {
				return config.KeyErrorf(key+".id", "%d is also the id of users[%d]", u.ID, prev)
			}
			explicit[u.ID] = j
		}
		switch u.Role {
		case "", "admin", "user":
		default:
			return config.KeyErrorf(key+".role", "%q is not one of admin, user", u.Role)
		}
	}
	for n, j := range unnumbered {
		if prev, clash := explicit[int64(n+1)]; clash {
			return config.KeyErrorf(fmt.Sprintf("users[%d].id", prev),
				"%d is also the id users[%d] gets (users without an id are numbered 1, 2, ... in order); give every user an id, or none of these", n+1, j)
		}
	}
	return nil
}

// explicitZeroIDs finds a user id written as 0 in the section: it decodes
// like an absent id, which gets a number, yet means to be one.
func explicitZeroIDs(n *yaml.Node) error {
	for j, u := range items(value(n, "users")) {
		if id := value(u, "id"); id != nil && id.Kind == yaml.ScalarNode {
			var v int64
			if id.Decode(&v) == nil && v == 0 {
				return config.KeyErrorf(fmt.Sprintf("users[%d].id", j), "0 is not a positive integer (leave the id out to have one assigned)")
			}
		}
	}
	return nil
}

// value returns the value of key in a YAML mapping, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// items returns the items of a YAML sequence, or nil.
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// Workspace returns a workspace definition with s as its Whippy section.
func Workspace(id string, s *WorkspaceConfig) config.Workspace {
	return config.Workspace{ID: id, Vendors: map[string]config.VendorWorkspace{Vendor: s}}
}
