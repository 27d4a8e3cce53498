package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

// Owner decodes and validates the sections of a configuration that belong
// to one vendor: its top-level section (whippy:) and its section of a
// workspace definition. Vendor packages implement it, so that this package
// names no vendor.
type Owner interface {
	// Name is the key of the vendor's sections.
	Name() string
	// DecodeSettings decodes the top-level section over the vendor's
	// defaults (a nil section gives the defaults) and validates it. Errors
	// name the key within the section (a *KeyError), or are plain.
	DecodeSettings(s *Section) (any, error)
	// ValidateSettings checks settings that DecodeSettings returned, maybe
	// changed since.
	ValidateSettings(settings any) error
	// DecodeWorkspace decodes and validates the vendor's section of a
	// workspace definition (nil: the section is absent).
	DecodeWorkspace(s *Section) (VendorWorkspace, error)
}

// WorkspaceValidator is implemented by an Owner whose workspace sections
// follow rules that depend on its settings (which event types an endpoint
// may name): Config.Validate checks each workspace's section of the owner
// with the owner's settings, after the section's own Validate. Errors name
// the key within the section, as Validate's do.
type WorkspaceValidator interface {
	ValidateWorkspace(settings any, section VendorWorkspace) error
}

// VendorWorkspace is one vendor's part of a workspace definition, as its
// owner decoded it. It is also written to JSON (the definition is stored
// with the workspace and replayed on reset) and must decode back.
type VendorWorkspace interface {
	// Credentials lists the credentials the section maps to the workspace,
	// each with its key within the section.
	Credentials() []Credential
	// WebhookSecret is the secret of the vendor's configured webhooks that
	// name none, or "" for a generated one.
	WebhookSecret() string
	// Validate checks the section (a *KeyError names the key within it).
	Validate() error
}

// Credential is a value that maps to one workspace only: an API key, a
// login, a session.
type Credential struct {
	// Vendor is the vendor whose credential it is.
	Vendor string
	// Kind tells apart the vendor's kinds of credential ("" for its API
	// credential; for example "login" for a username).
	Kind  string
	Value string
	// Key is where the definition gives it (api_keys[0]).
	Key string
}

// Section is a vendor's section of a configuration, kept undecoded for its
// owner.
type Section struct {
	node *yaml.Node
}

// Decode decodes the section into v, a pointer to the vendor's type,
// refusing keys the type does not have. Errors are *KeyError naming the
// key within the section. An absent section leaves v as it is.
func (s *Section) Decode(v any) error {
	if s == nil || isNull(s.node) {
		return nil
	}
	if s.node.Kind != yaml.MappingNode {
		return &KeyError{Message: fmt.Sprintf("line %d: must be a mapping", s.node.Line)}
	}
	if err := checkKnown(s.node, reflect.TypeOf(v).Elem(), ""); err != nil {
		return err
	}
	if err := s.node.Decode(v); err != nil {
		return &KeyError{Message: yamlError(err).Error()}
	}
	return nil
}

// Node returns the section's YAML (nil when absent), for checks that need
// what Decode forgets (a key written with a zero value).
func (s *Section) Node() *yaml.Node {
	if s == nil || isNull(s.node) {
		return nil
	}
	return s.node
}

// Workspace is a tenant seeded at start or created through the control API.
// Data of different workspaces never mix.
type Workspace struct {
	ID       string
	Name     string
	Webhooks []WebhookConfig
	// Snapshot is the path of a snapshot file (GET
	// /_sandbox/workspaces/{id}/snapshot) the workspace is created from,
	// and reset to; its vendor sections then add credentials only.
	Snapshot string
	// Vendors holds each vendor's section by vendor name.
	Vendors map[string]VendorWorkspace
}

// Section returns the vendor's section of the workspace, or nil.
func (ws Workspace) Section(vendor string) VendorWorkspace { return ws.Vendors[vendor] }

// ParseWorkspace decodes one workspace definition (YAML or JSON, which is
// YAML) with the sections of owners.
func ParseWorkspace(b []byte, owners ...Owner) (Workspace, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Workspace{}, yamlError(err)
	}
	if len(doc.Content) == 0 {
		return Workspace{}, &KeyError{Key: "id", Message: "required"}
	}
	return decodeWorkspace(doc.Content[0], owners)
}

func decodeWorkspace(n *yaml.Node, owners []Owner) (Workspace, error) {
	var ws Workspace
	if n.Kind != yaml.MappingNode {
		return ws, fmt.Errorf("line %d: a workspace must be a mapping", n.Line)
	}
	err := eachKey(n, "", func(key string, line int, v *yaml.Node) error {
		switch key {
		case "id":
			return decodeKnown(v, "id", &ws.ID)
		case "name":
			return decodeKnown(v, "name", &ws.Name)
		case "webhooks":
			return decodeKnown(v, "webhooks", &ws.Webhooks)
		case "snapshot":
			return decodeKnown(v, "snapshot", &ws.Snapshot)
		}
		o := owner(owners, key)
		if o == nil {
			return keyErrorf(key, "line %d: unknown key (a workspace has id, name, webhooks, snapshot%s)", line, ownerList(owners))
		}
		sec, err := o.DecodeWorkspace(&Section{node: v})
		if err != nil {
			return prefixKey(key, err)
		}
		if ws.Vendors == nil {
			ws.Vendors = map[string]VendorWorkspace{}
		}
		ws.Vendors[key] = sec
		return nil
	})
	if err != nil {
		return ws, err
	}
	return ws, ws.Validate(owners...)
}

// Credentials lists the credentials of every section, with keys within the
// definition (whippy.api_keys[0]).
func (ws Workspace) Credentials() []Credential {
	var out []Credential
	for _, name := range sortedKeys(ws.Vendors) {
		for _, c := range ws.Vendors[name].Credentials() {
			c.Vendor = name
			c.Key = name + "." + c.Key
			out = append(out, c)
		}
	}
	return out
}

// Validate reports the first defect of one workspace definition as a
// *KeyError naming the key within it (id, whippy.users[1].id), so that
// the same rules hold for the config file and for definitions posted to
// the control API. With owners, webhooks must name one of them.
func (ws Workspace) Validate(owners ...Owner) error {
	if !workspaceIDPattern.MatchString(ws.ID) {
		return keyErrorf("id", "%q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", ws.ID)
	}
	for _, name := range sortedKeys(ws.Vendors) {
		if err := ws.Vendors[name].Validate(); err != nil {
			return prefixKey(name, err)
		}
	}
	seen := map[string]string{}
	for _, c := range ws.Credentials() {
		k := c.Vendor + "\x00" + c.Kind + "\x00" + c.Value
		if prev, dup := seen[k]; dup {
			return keyErrorf(c.Key, "%q is used twice (also %s)", c.Value, prev)
		}
		seen[k] = c.Key
	}
	known := func(v string) bool {
		if len(owners) == 0 {
			return v != ""
		}
		return owner(owners, v) != nil
	}
	for j, h := range ws.Webhooks {
		if err := h.validate(fmt.Sprintf("webhooks[%d]", j), ws.Vendors, known); err != nil {
			return err
		}
	}
	return nil
}

// MarshalJSON writes the definition as the control API takes it: id,
// name, webhooks and each vendor's section under its name.
func (ws Workspace) MarshalJSON() ([]byte, error) {
	m := map[string]any{"id": ws.ID}
	if ws.Name != "" {
		m["name"] = ws.Name
	}
	if len(ws.Webhooks) > 0 {
		m["webhooks"] = ws.Webhooks
	}
	if ws.Snapshot != "" {
		m["snapshot"] = ws.Snapshot
	}
	for name, s := range ws.Vendors {
		m[name] = s
	}
	return json.Marshal(m)
}

// KeyError is a defect of one configuration key, named by its path: from
// Config.Validate the path within the file (workspaces[0].whippy.users[1].id),
// from Workspace.Validate the path within the workspace definition
// (whippy.users[1].id), from an owner the path within its section.
type KeyError struct {
	Key     string
	Message string
}

func (e *KeyError) Error() string {
	if e.Key == "" {
		return e.Message
	}
	return e.Key + ": " + e.Message
}

func keyErrorf(key, format string, args ...any) *KeyError {
	return &KeyError{Key: key, Message: fmt.Sprintf(format, args...)}
}

// KeyErrorf returns a *KeyError for key with a formatted message.
func KeyErrorf(key, format string, args ...any) error { return keyErrorf(key, format, args...) }

// prefixKey puts prefix before the key an error names.
func prefixKey(prefix string, err error) error {
	var ke *KeyError
	if errors.As(err, &ke) {
		key := prefix
		switch {
		case ke.Key == "":
		case ke.Key[0] == '[':
			key = prefix + ke.Key
		default:
			key = prefix + "." + ke.Key
		}
		return &KeyError{Key: key, Message: ke.Message}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// ValidURL reports a string that is not an http(s) URL.
func ValidURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
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

// Validate reports a defect, naming the key below key.
func (s Signature) Validate(key string) error {
	if s.Disabled {
		return nil
	}
	if s.Header == "" {
		return keyErrorf(key+".header", "required")
	}
	switch s.Encoding {
	case "base64-unpadded", "base64", "base64url-unpadded", "hex":
	default:
		return keyErrorf(key+".encoding", "%q is not one of base64-unpadded, base64, base64url-unpadded, hex", s.Encoding)
	}
	switch s.TimestampUnit {
	case "s", "ms":
	default:
		return keyErrorf(key+".timestamp_unit", "%q is not one of s, ms", s.TimestampUnit)
	}
	return nil
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

// Validate reports a defect, naming the key below key.
func (p RetryPolicy) Validate(key string) error {
	switch p.RetryOn {
	case "non-2xx", "5xx":
	default:
		return keyErrorf(key+".retry_on", "%q is not one of non-2xx, 5xx", p.RetryOn)
	}
	if p.MaxRetries < -1 {
		return keyErrorf(key+".max_retries", "must be -1 (unlimited) or more")
	}
	if p.MaxRetries == -1 && p.GiveUpAfter <= 0 {
		return keyErrorf(key, "unlimited max_retries needs give_up_after")
	}
	if p.InitialBackoff < 0 || p.MaxBackoff < 0 || p.Timeout <= 0 {
		return keyErrorf(key, "backoffs must not be negative and timeout must be positive")
	}
	if p.Multiplier < 1 {
		return keyErrorf(key+".multiplier", "must be at least 1")
	}
	if p.Jitter < 0 || p.Jitter > 1 {
		return keyErrorf(key+".jitter", "must be between 0 and 1")
	}
	return nil
}

// DecodeSettings is the usual body of Owner.DecodeSettings: it decodes s
// over def (a pointer to the vendor's defaults) and runs validate.
func DecodeSettings[T any](s *Section, def *T, validate func(*T) error) (any, error) {
	if err := s.Decode(def); err != nil {
		return nil, err
	}
	if err := validate(def); err != nil {
		return nil, err
	}
	return def, nil
}

// Settings returns the vendor's settings in c as its type *T, adding the
// defaults def() when c has none (a configuration built in code). Tests
// change settings through it.
func Settings[T any](c *Config, vendor string, def func() *T) *T {
	if c.Vendors == nil {
		c.Vendors = map[string]any{}
	}
	if s, ok := c.Vendors[vendor].(*T); ok {
		return s
	}
	s := def()
	c.Vendors[vendor] = s
	return s
}

// SettingsAs returns an owner's settings v (what its DecodeSettings
// returned, maybe changed since) as *T, validated; nil means the defaults
// def().
func SettingsAs[T any](v any, def func() *T, validate func(*T) error) (*T, error) {
	if v == nil {
		v = def()
	}
	s, ok := v.(*T)
	if !ok {
		return nil, fmt.Errorf("settings of type %T, want %T", v, s)
	}
	if err := validate(s); err != nil {
		return nil, err
	}
	return s, nil
}

// DecodeWorkspaceAs is the usual body of Owner.DecodeWorkspace: it decodes
// s into a new section of type T and validates it.
func DecodeWorkspaceAs[T any, P interface {
	*T
	VendorWorkspace
}](s *Section) (VendorWorkspace, error) {
	ws := P(new(T))
	if err := s.Decode(ws); err != nil {
		return nil, err
	}
	return ws, ws.Validate()
}
