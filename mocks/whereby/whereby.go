// Package whereby emulates the Whereby REST API (api.whereby.dev/v1):
// meetings, recordings, transcriptions, summaries, room themes and
// insights, with signed webhooks from simulated room sessions.
//
// This file holds the vendor's configuration and delivery policy; the API
// itself arrives with specs/whereby.yaml.
package whereby

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
const Vendor = "whereby"

// Config is the whereby: section of the configuration.
type Config struct {
	Retry config.RetryPolicy `yaml:"retry"`
	// Subdomain is used in room URLs when a workspace names none.
	Subdomain string `yaml:"subdomain"`
}

// DefaultConfig returns Whereby's default settings.
func DefaultConfig() *Config {
	return &Config{
		Retry: config.RetryPolicy{
			MaxRetries:     2,
			InitialBackoff: 2 * time.Second,
			MaxBackoff:     30 * time.Second,
			Multiplier:     3,
			Jitter:         0.1,
			Timeout:        5 * time.Second,
			RetryOn:        "5xx",
		},
		Subdomain: "vendorsim",
	}
}

// Settings returns the Whereby settings of c (tests change them through it).
func Settings(c *config.Config) *Config { return config.Settings(c, Vendor, DefaultConfig) }

func (c *Config) validate() error { return c.Retry.Validate("retry") }

// WorkspaceConfig is a workspace's whereby: section.
type WorkspaceConfig struct {
	APIKeys   []string `yaml:"api_keys" json:"api_keys,omitempty"`
	Subdomain string   `yaml:"subdomain" json:"subdomain,omitempty"`
}

// Credentials implements config.VendorWorkspace: the API keys.
func (s *WorkspaceConfig) Credentials() []config.Credential {
	var out []config.Credential
	for j, k := range s.APIKeys {
		out = append(out, config.Credential{Value: k, Key: fmt.Sprintf("api_keys[%d]", j)})
	}
	return out
}

// WebhookSecret implements config.VendorWorkspace: Whereby's endpoints
// name their own secret.
func (s *WorkspaceConfig) WebhookSecret() string { return "" }

// Validate implements config.VendorWorkspace.
func (s *WorkspaceConfig) Validate() error {
	for j, k := range s.APIKeys {
		if k == "" {
			return config.KeyErrorf(fmt.Sprintf("api_keys[%d]", j), "empty key")
		}
	}
	return nil
}

// Mock is the Whereby emulation. It implements mocks.Vendor.
type Mock struct {
	cfg *Config
}

var _ mocks.Vendor = (*Mock)(nil)

// New returns the Whereby mock.
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
		return fmt.Errorf("settings of type %T, want *whereby.Config", v)
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
			return fmt.Errorf("whereby: settings of type %T", d.Settings)
		}
		if err := cfg.validate(); err != nil {
			return err
		}
		m.cfg = cfg
	}
	return nil
}

// API implements mocks.Vendor.
func (m *Mock) API(doc *openapi3.T) *mocks.API { return nil }

// Credentials implements mocks.Vendor: "Authorization: Bearer <key>".
func (m *Mock) Credentials() []mocks.CredentialSource {
	return []mocks.CredentialSource{{Header: "Authorization", Scheme: "Bearer"}}
}

// AutoWorkspace implements mocks.Vendor: the key is the workspace's.
func (m *Mock) AutoWorkspace(_, credential string) config.VendorWorkspace {
	return &WorkspaceConfig{APIKeys: []string{credential}}
}

// Seed implements mocks.Vendor.
func (m *Mock) Seed(tx *store.Tx, ws config.Workspace) error { return nil }

// Actions implements mocks.Vendor.
func (m *Mock) Actions() map[string]mocks.ActionSpec { return nil }

// MagicNumbers implements mocks.Vendor.
func (m *Mock) MagicNumbers() []mocks.MagicNumber { return nil }

// signature is Whereby's documented scheme: Whereby-Signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
var signature = config.Signature{Header: "Whereby-Signature", TimestampKey: "t", SignatureKey: "v1", Encoding: "hex", TimestampUnit: "s"}

// Delivery implements mocks.Vendor.
func (m *Mock) Delivery() mocks.DeliveryPolicy {
	return mocks.DeliveryPolicy{
		Retry:  m.cfg.Retry,
		Signer: mocks.NewSigner(signature),
		Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Whereby-Webhooks/1.0"}},
	}
}

// EventTypes implements mocks.Vendor: the eleven documented event types.
func (m *Mock) EventTypes() []string {
	return []string{
		"room.client.joined", "room.client.left", "room.client.knocked", "room.client.knockCancelled",
		"room.session.started", "room.session.ended",
		"recording.finished", "transcription.started", "transcription.finished", "transcription.failed",
		"assistant.requested",
	}
}

// Simulators implements mocks.Vendor.
func (m *Mock) Simulators() map[string]mocks.Handler { return nil }
