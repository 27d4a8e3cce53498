// Package config defines vendorsim's configuration: server settings, vendor
// behaviour that the research could only infer (so it must be adjustable), and
// the workspaces seeded at start.
//
// A configuration is read from one YAML file. Every field is optional; Default
// returns the values used when a field is absent. Flags and environment
// variables override the server section (see cmd/vendorsim).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration.
type Config struct {
	Server     Server      `yaml:"server"`
	Whippy     Whippy      `yaml:"whippy"`
	Zipwhip    Zipwhip     `yaml:"zipwhip"`
	Whereby    Whereby     `yaml:"whereby"`
	Scenarios  Scenarios   `yaml:"scenarios"`
	Workspaces []Workspace `yaml:"workspaces"`
}

// Server holds process-level settings. Flags and VENDORSIM_* variables
// override them.
type Server struct {
	Addr         string        `yaml:"addr"`
	DB           string        `yaml:"db"`
	StrictAuth   bool          `yaml:"strict_auth"`
	LogLevel     string        `yaml:"log_level"`
	LogFormat    string        `yaml:"log_format"`
	Seed         int64         `yaml:"seed"`
	MaxBodyBytes int64         `yaml:"max_body_bytes"`
	Journal      Journal       `yaml:"journal"`
	Hosts        Hosts         `yaml:"hosts"`
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
}

// Journal controls the request journal.
type Journal struct {
	// Retention is how many entries are kept; older ones are pruned.
	Retention int `yaml:"retention"`
	// MaxAge prunes entries older than this; 0 keeps them until Retention.
	MaxAge time.Duration `yaml:"max_age"`
	// BodyLimit caps the bytes of each request body stored.
	BodyLimit int `yaml:"body_limit"`
	// ResponseBodyLimit caps the bytes of each response body stored.
	ResponseBodyLimit int `yaml:"response_body_limit"`
	// Disabled turns the journal off.
	Disabled bool `yaml:"disabled"`
}

// Hosts lists the Host header values routed to each vendor, so that a docker
// network alias such as api.whippy.co reaches vendorsim with the vendor's own
// paths.
type Hosts struct {
	Whippy  []string `yaml:"whippy"`
	Zipwhip []string `yaml:"zipwhip"`
	Whereby []string `yaml:"whereby"`
}

// Whippy holds Whippy behaviour that is configurable because the facts behind
// it are inferred.
type Whippy struct {
	// InitialStatus is the delivery_status of a newly sent message.
	InitialStatus string `yaml:"initial_status"`
	// BodyMaxLength caps SMS, note and campaign bodies.
	BodyMaxLength int         `yaml:"body_max_length"`
	RateLimit     RateLimit   `yaml:"rate_limit"`
	Signature     Signature   `yaml:"signature"`
	Retry         RetryPolicy `yaml:"retry"`

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

// Signature describes a "t=...,v1=..." style HMAC-SHA256 signature header.
type Signature struct {
	// Disabled sends deliveries unsigned.
	Disabled bool `yaml:"disabled"`
	// Header is the header name.
	Header string `yaml:"header"`
	// TimestampKey and SignatureKey name the two parts of the header value.
	TimestampKey string `yaml:"timestamp_key"`
	SignatureKey string `yaml:"signature_key"`
	// Encoding of the digest: base64-unpadded, base64, base64url-unpadded or hex.
	Encoding string `yaml:"encoding"`
	// TimestampUnit is s or ms.
	TimestampUnit string `yaml:"timestamp_unit"`
}

// RetryPolicy is a vendor's webhook retry behaviour, as data.
type RetryPolicy struct {
	// MaxRetries is how many retries follow the first attempt; -1 means no
	// limit other than GiveUpAfter.
	MaxRetries int `yaml:"max_retries"`
	// InitialBackoff is the delay before the first retry; each later delay is
	// multiplied by Multiplier, capped at MaxBackoff.
	InitialBackoff time.Duration `yaml:"initial_backoff"`
	MaxBackoff     time.Duration `yaml:"max_backoff"`
	Multiplier     float64       `yaml:"multiplier"`
	// Jitter is the fraction (0..1) by which each delay is randomised.
	Jitter float64 `yaml:"jitter"`
	// GiveUpAfter stops retrying once this much time has passed since the
	// first attempt; 0 means no limit other than MaxRetries.
	GiveUpAfter time.Duration `yaml:"give_up_after"`
	// Timeout is the per-attempt request timeout; a timeout counts as a failure.
	Timeout time.Duration `yaml:"timeout"`
	// RetryOn is "non-2xx" (any non-2xx answer or network error is retried) or
	// "5xx" (only 5xx answers and network errors are retried; 4xx are final).
	RetryOn string `yaml:"retry_on"`
}

// Zipwhip holds Zipwhip behaviour.
type Zipwhip struct {
	Retry RetryPolicy `yaml:"retry"`
	// Signature signs deliveries when Disabled is false (Zipwhip itself does
	// not sign).
	Signature Signature `yaml:"signature"`
}

// Whereby holds Whereby behaviour.
type Whereby struct {
	Retry RetryPolicy `yaml:"retry"`
	// Subdomain is used in room URLs when a workspace names none.
	Subdomain string `yaml:"subdomain"`
}

// Scenarios holds scenario engine settings.
type Scenarios struct {
	// Speed divides real-time scenario delays: 2 runs timelines twice as fast;
	// 0 means 1.
	Speed float64 `yaml:"speed"`
	// Dir is a directory of extra scenario YAML files.
	Dir string `yaml:"dir"`
	// Manual stops background work: scenario steps and webhook deliveries
	// run only on POST /_sandbox/deliveries/flush and /_sandbox/clock/advance.
	Manual bool `yaml:"manual"`
	// Retention is how long finished deliveries and scenario steps are
	// kept for inspection; 0 keeps them forever.
	Retention time.Duration `yaml:"retention"`
	// Dispatcher settings.
	Concurrency  int           `yaml:"concurrency"`
	PollInterval time.Duration `yaml:"poll_interval"`
}

// Workspace is a tenant seeded at start. Data of different workspaces never
// mix.
type Workspace struct {
	ID       string          `yaml:"id" json:"id"`
	Name     string          `yaml:"name" json:"name,omitempty"`
	Whippy   WhippySeed      `yaml:"whippy" json:"whippy"`
	Zipwhip  ZipwhipSeed     `yaml:"zipwhip" json:"zipwhip"`
	Whereby  WherebySeed     `yaml:"whereby" json:"whereby"`
	Webhooks []WebhookConfig `yaml:"webhooks" json:"webhooks,omitempty"`
}

// WhippySeed seeds a workspace's Whippy organization.
type WhippySeed struct {
	APIKeys      []string      `yaml:"api_keys" json:"api_keys,omitempty"`
	Organization *Organization `yaml:"organization" json:"organization,omitempty"`
	Channels     []Channel     `yaml:"channels" json:"channels,omitempty"`
	Users        []User        `yaml:"users" json:"users,omitempty"`
	Contacts     []ContactSeed `yaml:"contacts" json:"contacts,omitempty"`
	Applications []AppSeed     `yaml:"applications" json:"applications,omitempty"`
}

// Organization is a Whippy organization.
type Organization struct {
	ID   string `yaml:"id" json:"id,omitempty"`
	Name string `yaml:"name" json:"name,omitempty"`
}

// Channel is a Whippy channel (a phone number or email address).
type Channel struct {
	ID       string `yaml:"id" json:"id,omitempty"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Type     string `yaml:"type" json:"type,omitempty"`
	Phone    string `yaml:"phone" json:"phone,omitempty"`
	Email    string `yaml:"email" json:"email,omitempty"`
	Timezone string `yaml:"timezone" json:"timezone,omitempty"`
	Address  string `yaml:"address" json:"address,omitempty"`
}

// User is a Whippy user.
type User struct {
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

// ZipwhipSeed seeds Zipwhip accounts.
type ZipwhipSeed struct {
	Accounts []ZipwhipAccount `yaml:"accounts" json:"accounts,omitempty"`
}

// ZipwhipAccount is a Zipwhip line with its login.
type ZipwhipAccount struct {
	Username string `yaml:"username" json:"username"`
	Password string `yaml:"password" json:"password"`
	Line     string `yaml:"line" json:"line"`
	Session  string `yaml:"session" json:"session,omitempty"`
}

// WherebySeed seeds Whereby API keys.
type WherebySeed struct {
	APIKeys   []string `yaml:"api_keys" json:"api_keys,omitempty"`
	Subdomain string   `yaml:"subdomain" json:"subdomain,omitempty"`
}

// WebhookConfig is a webhook endpoint registered outside the vendor's API
// (Whereby has no webhook API; any vendor's endpoints may be seeded here).
type WebhookConfig struct {
	Vendor string   `yaml:"vendor" json:"vendor"`
	URL    string   `yaml:"url" json:"url"`
	Events []string `yaml:"events" json:"events,omitempty"`
	Secret string   `yaml:"secret" json:"secret,omitempty"`
	Method string   `yaml:"method" json:"method,omitempty"`
}

// Default returns the configuration used when nothing is configured.
func Default() Config {
	return Config{
		Server: Server{
			Addr:         ":8080",
			DB:           "vendorsim.db",
			LogLevel:     "info",
			LogFormat:    "text",
			Seed:         1,
			MaxBodyBytes: 1 << 20,
			Journal:      Journal{Retention: 10000, BodyLimit: 4096, ResponseBodyLimit: 1024},
			Hosts: Hosts{
				Whippy:  []string{"api.whippy.co"},
				Zipwhip: []string{"api.zipwhip.com"},
				Whereby: []string{"api.whereby.dev"},
			},
			ReadTimeout:  30 * time.Second,
			WriteTimeout: 60 * time.Second,
		},
		Whippy: Whippy{
			BearerAuth:    true,
			InitialStatus: "queued",
			BodyMaxLength: 1000,
			RateLimit: RateLimit{
				StandardPerSecond:           25,
				SlowWritesPerMinute:         10,
				OrganizationReadsPerSecond:  50,
				OrganizationWritesPerSecond: 35,
			},
			Signature: Signature{
				Header:        "X-Whippy-Signature",
				TimestampKey:  "t",
				SignatureKey:  "v1",
				Encoding:      "base64-unpadded",
				TimestampUnit: "s",
			},
			Retry: RetryPolicy{
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
		},
		Zipwhip: Zipwhip{
			Retry: RetryPolicy{
				MaxRetries:     -1,
				InitialBackoff: 10 * time.Second,
				MaxBackoff:     2 * time.Hour,
				Multiplier:     2,
				Jitter:         0.1,
				GiveUpAfter:    72 * time.Hour,
				Timeout:        7 * time.Second,
				RetryOn:        "non-2xx",
			},
			Signature: Signature{
				Disabled:      true,
				Header:        "X-Zipwhip-Signature",
				TimestampKey:  "t",
				SignatureKey:  "v1",
				Encoding:      "hex",
				TimestampUnit: "s",
			},
		},
		Whereby: Whereby{
			Retry: RetryPolicy{
				MaxRetries:     2,
				InitialBackoff: 2 * time.Second,
				MaxBackoff:     30 * time.Second,
				Multiplier:     3,
				Jitter:         0.1,
				Timeout:        5 * time.Second,
				RetryOn:        "5xx",
			},
			Subdomain: "vendorsim",
		},
		Scenarios: Scenarios{
			Speed:        1,
			Retention:    24 * time.Hour,
			Concurrency:  8,
			PollInterval: 250 * time.Millisecond,
		},
	}
}

// Load reads the YAML file at path over the defaults. Unknown keys are
// errors, so that a typo does not silently fall back to a default.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML over the defaults and validates the result.
func Parse(b []byte) (Config, error) {
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, yamlError(err)
	}
	if err := explicitZeroIDs(b); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// yamlError shortens the YAML library's messages to one line.
func yamlError(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:; ")
	return errors.New(strings.TrimSpace(msg))
}

var (
	workspaceIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	e164Pattern        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	// uuidPattern is an RFC 4122 UUID in lower case, as Whippy writes its
	// ids (a path id in another case is read as the lower-case one).
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// KeyError is a defect of one configuration key, named by its path: from
// Config.Validate the path within the file (workspaces[0].whippy.users[1].id),
// from Workspace.Validate the path within the workspace definition
// (whippy.users[1].id).
type KeyError struct {
	Key     string
	Message string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Message }

func keyErrorf(key, format string, args ...any) *KeyError {
	return &KeyError{Key: key, Message: fmt.Sprintf(format, args...)}
}

// Validate reports the first defect, naming the offending key.
func (c *Config) Validate() error {
	switch c.Server.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("server.log_level: %q is not one of debug, info, warn, error", c.Server.LogLevel)
	}
	switch c.Server.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("server.log_format: %q is not one of text, json", c.Server.LogFormat)
	}
	if c.Server.MaxBodyBytes <= 0 {
		return fmt.Errorf("server.max_body_bytes: must be positive")
	}
	if c.Server.Journal.Retention < 0 || c.Server.Journal.BodyLimit < 0 || c.Server.Journal.ResponseBodyLimit < 0 {
		return fmt.Errorf("server.journal: retention and body limits must not be negative")
	}
	if c.Scenarios.Speed < 0 {
		return fmt.Errorf("scenarios.speed: must not be negative")
	}
	if c.Scenarios.Retention < 0 {
		return fmt.Errorf("scenarios.retention: must not be negative")
	}
	if c.Scenarios.Concurrency < 0 {
		return fmt.Errorf("scenarios.concurrency: must not be negative")
	}
	if c.Whippy.BodyMaxLength <= 0 {
		return fmt.Errorf("whippy.body_max_length: must be positive")
	}
	if c.Whippy.CampaignMaxRecipients <= 0 {
		return fmt.Errorf("whippy.campaign_max_recipients: must be positive")
	}
	if c.Whippy.SequenceMaxContacts <= 0 {
		return fmt.Errorf("whippy.sequence_max_contacts: must be positive")
	}
	if c.Whippy.MethodNotAllowed != 404 && c.Whippy.MethodNotAllowed != 405 {
		return fmt.Errorf("whippy.method_not_allowed: %d is not one of 404, 405", c.Whippy.MethodNotAllowed)
	}
	if c.Whippy.OptedOutSend != "fail" && c.Whippy.OptedOutSend != "deliver" {
		return fmt.Errorf("whippy.opted_out_send: %q is not one of fail, deliver", c.Whippy.OptedOutSend)
	}
	for name, s := range map[string]Signature{"whippy.signature": c.Whippy.Signature, "zipwhip.signature": c.Zipwhip.Signature} {
		if err := s.validate(name); err != nil {
			return err
		}
	}
	for name, p := range map[string]RetryPolicy{"whippy.retry": c.Whippy.Retry, "zipwhip.retry": c.Zipwhip.Retry, "whereby.retry": c.Whereby.Retry} {
		if err := p.validate(name); err != nil {
			return err
		}
	}
	ids := map[string]bool{}
	keys := map[string]string{}
	for i, ws := range c.Workspaces {
		where := fmt.Sprintf("workspaces[%d]", i)
		if err := ws.Validate(); err != nil {
			var ke *KeyError
			if errors.As(err, &ke) {
				return keyErrorf(where+"."+ke.Key, "%s", ke.Message)
			}
			return fmt.Errorf("%s: %w", where, err)
		}
		if ids[ws.ID] {
			return keyErrorf(where+".id", "%q is used twice", ws.ID)
		}
		ids[ws.ID] = true
		creds := ws.credentials()
		for _, c := range creds {
			if prev, dup := keys[c.kind+"\x00"+c.value]; dup {
				return keyErrorf(where+"."+c.key, "%q is also used by workspace %s", c.value, prev)
			}
		}
		for _, c := range creds {
			keys[c.kind+"\x00"+c.value] = ws.ID
		}
	}
	return nil
}

// credential is a value that maps to one workspace only, with its key.
type credential struct {
	kind, value, key string
}

// credentials lists ws's API keys, Zipwhip usernames and sessions.
func (ws Workspace) credentials() []credential {
	var out []credential
	for j, k := range ws.Whippy.APIKeys {
		out = append(out, credential{"whippy", k, fmt.Sprintf("whippy.api_keys[%d]", j)})
	}
	for j, k := range ws.Whereby.APIKeys {
		out = append(out, credential{"whereby", k, fmt.Sprintf("whereby.api_keys[%d]", j)})
	}
	for j, a := range ws.Zipwhip.Accounts {
		out = append(out, credential{"zipwhip-login", a.Username, fmt.Sprintf("zipwhip.accounts[%d].username", j)})
		if a.Session != "" {
			out = append(out, credential{"zipwhip", a.Session, fmt.Sprintf("zipwhip.accounts[%d].session", j)})
		}
	}
	return out
}

// Validate reports the first defect of one workspace definition as a
// *KeyError naming the key within it (id, whippy.users[1].id), so that
// the same rules hold for the config file and for definitions posted to
// the control API.
func (ws Workspace) Validate() error {
	if !workspaceIDPattern.MatchString(ws.ID) {
		return keyErrorf("id", "%q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", ws.ID)
	}
	for _, c := range ws.credentials() {
		if c.value == "" && c.kind != "zipwhip-login" {
			return keyErrorf(c.key, "empty key")
		}
	}
	if err := ws.Whippy.validate("whippy"); err != nil {
		return err
	}
	for j, a := range ws.Zipwhip.Accounts {
		where := fmt.Sprintf("zipwhip.accounts[%d]", j)
		if a.Username == "" {
			return keyErrorf(where+".username", "required")
		}
		if a.Line == "" {
			return keyErrorf(where+".line", "required")
		}
		if !e164Pattern.MatchString(a.Line) {
			return keyErrorf(where+".line", "%q is not an E.164 number", a.Line)
		}
	}
	seen := map[string]string{}
	for _, c := range ws.credentials() {
		if prev, dup := seen[c.kind+"\x00"+c.value]; dup {
			return keyErrorf(c.key, "%q is used twice (also %s)", c.value, prev)
		}
		seen[c.kind+"\x00"+c.value] = c.key
	}
	for j, h := range ws.Webhooks {
		if err := h.validate(fmt.Sprintf("webhooks[%d]", j)); err != nil {
			return err
		}
	}
	return nil
}

func (s WhippySeed) validate(where string) error {
	if s.Organization != nil && s.Organization.ID != "" && !uuidPattern.MatchString(s.Organization.ID) {
		return keyErrorf(where+".organization.id", "%q is not a UUID in lower case", s.Organization.ID)
	}
	channelIDs := map[string]int{}
	for j, ch := range s.Channels {
		key := fmt.Sprintf("%s.channels[%d]", where, j)
		if ch.ID != "" {
			if !uuidPattern.MatchString(ch.ID) {
				return keyErrorf(key+".id", "%q is not a UUID in lower case", ch.ID)
			}
			if prev, dup := channelIDs[ch.ID]; dup {
				return keyErrorf(key+".id", "%q is also the id of channels[%d]", ch.ID, prev)
			}
			channelIDs[ch.ID] = j
		}
		switch ch.Type {
		case "", "phone", "fax", "whatsapp":
			if ch.Phone == "" || !e164Pattern.MatchString(ch.Phone) {
				return keyErrorf(key+".phone", "%q is not an E.164 number", ch.Phone)
			}
		case "email":
			if !strings.Contains(ch.Email, "@") {
				return keyErrorf(key+".email", "%q is not an email address", ch.Email)
			}
		default:
			return keyErrorf(key+".type", "%q is not one of phone, email, fax, whatsapp", ch.Type)
		}
	}
	if err := s.validateUsers(where); err != nil {
		return err
	}
	for j, c := range s.Contacts {
		if !e164Pattern.MatchString(c.Phone) {
			return keyErrorf(fmt.Sprintf("%s.contacts[%d].phone", where, j), "%q is not an E.164 number", c.Phone)
		}
	}
	for j, a := range s.Applications {
		key := fmt.Sprintf("%s.applications[%d]", where, j)
		if a.Name == "" {
			return keyErrorf(key+".name", "required")
		}
		for k, e := range a.Endpoints {
			ekey := fmt.Sprintf("%s.endpoints[%d]", key, k)
			if err := validURL(e.URL); err != nil {
				return keyErrorf(ekey+".url", "%v", err)
			}
			if len(e.EventTypes) == 0 {
				return keyErrorf(ekey+".event_types", "must name at least one event")
			}
		}
	}
	return nil
}

// validateUsers checks user ids as Whippy has them: positive integers, each
// once. Users without an id are numbered 1, 2, ... in order when the
// workspace is seeded, so an explicit id must not be one of those numbers.
func (s WhippySeed) validateUsers(where string) error {
	explicit := map[int64]int{}
	var unnumbered []int // indexes of the users without an id, in order
	for j, u := range s.Users {
		key := fmt.Sprintf("%s.users[%d]", where, j)
		switch {
		case u.ID < 0:
			return keyErrorf(key+".id", "%d is not a positive integer", u.ID)
		case u.ID == 0:
			unnumbered = append(unnumbered, j)
		default:
			if prev, dup := explicit[u.ID]; dup {
				return keyErrorf(key+".id", "%d is also the id of users[%d]", u.ID, prev)
			}
			explicit[u.ID] = j
		}
		switch u.Role {
		case "", "admin", "user":
		default:
			return keyErrorf(key+".role", "%q is not one of admin, user", u.Role)
		}
	}
	for n, j := range unnumbered {
		if prev, clash := explicit[int64(n+1)]; clash {
			return keyErrorf(fmt.Sprintf("%s.users[%d].id", where, prev),
				"%d is also the id users[%d] gets (users without an id are numbered 1, 2, ... in order); give every user an id, or none of these", n+1, j)
		}
	}
	return nil
}

// explicitZeroIDs finds a user id written as 0 in a YAML document: it
// decodes like an absent id, which gets a number, yet means to be one.
func explicitZeroIDs(b []byte) error {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return nil // Decode reports the broken document
	}
	for i, ws := range items(value(doc.Content[0], "workspaces")) {
		for j, u := range items(value(value(ws, "whippy"), "users")) {
			if id := value(u, "id"); id != nil && id.Kind == yaml.ScalarNode {
				var n int64
				if id.Decode(&n) == nil && n == 0 {
					return keyErrorf(fmt.Sprintf("workspaces[%d].whippy.users[%d].id", i, j), "0 is not a positive integer (leave the id out to have one assigned)")
				}
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

func (h WebhookConfig) validate(where string) error {
	switch h.Vendor {
	case "whippy", "zipwhip", "whereby":
	default:
		return keyErrorf(where+".vendor", "%q is not one of whippy, zipwhip, whereby", h.Vendor)
	}
	if err := validURL(h.URL); err != nil {
		return keyErrorf(where+".url", "%v", err)
	}
	switch strings.ToUpper(h.Method) {
	case "", "POST", "PUT", "GET":
	default:
		return keyErrorf(where+".method", "%q is not one of POST, PUT, GET", h.Method)
	}
	return nil
}

func (s Signature) validate(where string) error {
	if s.Disabled {
		return nil
	}
	if s.Header == "" {
		return fmt.Errorf("%s.header: required", where)
	}
	switch s.Encoding {
	case "base64-unpadded", "base64", "base64url-unpadded", "hex":
	default:
		return fmt.Errorf("%s.encoding: %q is not one of base64-unpadded, base64, base64url-unpadded, hex", where, s.Encoding)
	}
	switch s.TimestampUnit {
	case "s", "ms":
	default:
		return fmt.Errorf("%s.timestamp_unit: %q is not one of s, ms", where, s.TimestampUnit)
	}
	return nil
}

func (p RetryPolicy) validate(where string) error {
	switch p.RetryOn {
	case "non-2xx", "5xx":
	default:
		return fmt.Errorf("%s.retry_on: %q is not one of non-2xx, 5xx", where, p.RetryOn)
	}
	if p.MaxRetries < -1 {
		return fmt.Errorf("%s.max_retries: must be -1 (unlimited) or more", where)
	}
	if p.MaxRetries == -1 && p.GiveUpAfter <= 0 {
		return fmt.Errorf("%s: unlimited max_retries needs give_up_after", where)
	}
	if p.InitialBackoff < 0 || p.MaxBackoff < 0 || p.Timeout <= 0 {
		return fmt.Errorf("%s: backoffs must not be negative and timeout must be positive", where)
	}
	if p.Multiplier < 1 {
		return fmt.Errorf("%s.multiplier: must be at least 1", where)
	}
	if p.Jitter < 0 || p.Jitter > 1 {
		return fmt.Errorf("%s.jitter: must be between 0 and 1", where)
	}
	return nil
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}
