// Package zipwhip emulates the Zipwhip API (api.zipwhip.com): session
// login, messages with their status progressions, webhooks, contacts and
// conversations.
//
// This file holds the vendor's configuration and delivery policy; the API
// itself arrives with specs/zipwhip.yaml.
package zipwhip

import (
	"fmt"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"vendorsim/internal/config"
	"vendorsim/mocks"
	"vendorsim/store"
)

// Vendor is the vendor's name.
const Vendor = "zipwhip"

// Config is the zipwhip: section of the configuration.
type Config struct {
	Retry config.RetryPolicy `yaml:"retry"`
	// Signature signs deliveries when Disabled is false (Zipwhip itself
	// does not sign).
	Signature config.Signature `yaml:"signature"`
}

// DefaultConfig returns Zipwhip's default settings.
func DefaultConfig() *Config {
	return &Config{
		Retry: config.RetryPolicy{
			MaxRetries:     -1,
			InitialBackoff: 10 * time.Second,
			MaxBackoff:     2 * time.Hour,
			Multiplier:     2,
			Jitter:         0.1,
			GiveUpAfter:    72 * time.Hour,
			Timeout:        7 * time.Second,
			RetryOn:        "non-2xx",
		},
		Signature: config.Signature{
			Disabled:      true,
			Header:        "X-Zipwhip-Signature",
			TimestampKey:  "t",
			SignatureKey:  "v1",
			Encoding:      "hex",
			TimestampUnit: "s",
		},
	}
}

// Settings returns the Zipwhip settings of c (tests change them through it).
func Settings(c *config.Config) *Config { return config.Settings(c, Vendor, DefaultConfig) }

func (c *Config) validate() error {
	if err := c.Signature.Validate("signature"); err != nil {
		return err
	}
	return c.Retry.Validate("retry")
}

// WorkspaceConfig is a workspace's zipwhip: section: its accounts.
type WorkspaceConfig struct {
	Accounts []Account `yaml:"accounts" json:"accounts,omitempty"`
}

// Account is a Zipwhip line with its login.
type Account struct {
	Username string `yaml:"username" json:"username"`
	Password string `yaml:"password" json:"password"`
	Line     string `yaml:"line" json:"line"`
	Session  string `yaml:"session" json:"session,omitempty"`
}

// Credential kinds: a login (username) and a session key.
const kindLogin = "login"

// Credentials implements config.VendorWorkspace: each account's username
// (a login) and session, when configured.
func (s *WorkspaceConfig) Credentials() []config.Credential {
	var out []config.Credential
	for j, a := range s.Accounts {
		out = append(out, config.Credential{Kind: kindLogin, Value: a.Username, Key: fmt.Sprintf("accounts[%d].username", j)})
		if a.Session != "" {
			out = append(out, config.Credential{Value: a.Session, Key: fmt.Sprintf("accounts[%d].session", j)})
		}
	}
	return out
}

// WebhookSecret implements config.VendorWorkspace: Zipwhip does not sign.
func (s *WorkspaceConfig) WebhookSecret() string { return "" }

// Validate implements config.VendorWorkspace.
func (s *WorkspaceConfig) Validate() error {
	for j, a := range s.Accounts {
		where := fmt.Sprintf("accounts[%d]", j)
		if a.Username == "" {
			return config.KeyErrorf(where+".username", "required")
		}
		if a.Line == "" {
			return config.KeyErrorf(where+".line", "required")
		}
		if !config.IsE164(a.Line) {
			return config.KeyErrorf(where+".line", "%q is not an E.164 number", a.Line)
		}
	}
	return nil
}

// Mock is the Zipwhip emulation. It implements mocks.Vendor.
type Mock struct {
	cfg *Config
	ws  *mocks.Workspaces
}

var _ mocks.Vendor = (*Mock)(nil)

// New returns the Zipwhip mock.
func New() *Mock { return &Mock{cfg: DefaultConfig()} }

// Name implements mocks.Vendor.
func (m *Mock) Name() string { return Vendor }

// DecodeSettings implements config.Owner.
func (m *Mock) DecodeSettings(s *config.Section) (any, error) {
	return config.DecodeSettings(s, DefaultConfig(), (*Config).validate)
}

// ValidateSettings implements config.Owner.
func (m *Mock) ValidateSettings(v any) error {
	if v == nil {
		return nil // absent: the defaults
	}
	c, ok := v.(*Config)
	if !ok {
		return fmt.Errorf("settings of type %T, want *zipwhip.Config", v)
	}
	return c.validate()
}

// DecodeWorkspace implements config.Owner.
func (m *Mock) DecodeWorkspace(s *config.Section) (config.VendorWorkspace, error) {
	ws := &WorkspaceConfig{}
	if err := s.Decode(ws); err != nil {
		return nil, err
	}
	return ws, ws.Validate()
}

// Open implements mocks.Vendor.
func (m *Mock) Open(d mocks.Deps) error {
	if d.Settings != nil {
		cfg, ok := d.Settings.(*Config)
		if !ok {
			return fmt.Errorf("zipwhip: settings of type %T", d.Settings)
		}
		if err := cfg.validate(); err != nil {
			return err
		}
		m.cfg = cfg
	}
	m.ws = d.Workspaces
	return nil
}

// API implements mocks.Vendor.
func (m *Mock) API(doc *openapi3.T) *mocks.API { return nil }

// Credentials implements mocks.Vendor: the session parameter a login
// handed out, in the query string or the form body.
func (m *Mock) Credentials() []mocks.CredentialSource {
	return []mocks.CredentialSource{{Param: "session", Existing: true}}
}

// AutoWorkspace implements mocks.Vendor: an unknown username logs in to a
// workspace of its own.
func (m *Mock) AutoWorkspace(kind, credential string) config.VendorWorkspace {
	if kind != kindLogin {
		return &WorkspaceConfig{}
	}
	return &WorkspaceConfig{Accounts: []Account{{Username: credential}}}
}

// Seed implements mocks.Vendor.
func (m *Mock) Seed(tx *store.Tx, ws config.Workspace) error { return nil }

// Actions implements mocks.Vendor.
func (m *Mock) Actions() map[string]mocks.ActionSpec { return nil }

// MagicNumbers implements mocks.Vendor.
func (m *Mock) MagicNumbers() []mocks.MagicNumber { return nil }

// Delivery implements mocks.Vendor: unsigned by default, as Zipwhip
// delivers, from a Java HTTP client.
func (m *Mock) Delivery() mocks.DeliveryPolicy {
	return mocks.DeliveryPolicy{
		Retry:  m.cfg.Retry,
		Signer: mocks.NewSigner(m.cfg.Signature),
		Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}, "User-Agent": {"Apache-HttpClient/4.5.7 (Java/1.8.0_201)"}},
	}
}

// EventTypes implements mocks.Vendor: webhook types and their events.
func (m *Mock) EventTypes() []string {
	return []string{"message.receive", "message.send", "message.progress", "message.read", "message.delete", "optout.change"}
}

// Simulators implements mocks.Vendor.
func (m *Mock) Simulators() map[string]mocks.Handler { return nil }
