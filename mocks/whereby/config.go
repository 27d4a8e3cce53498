package whereby

import (
	"fmt"
	"regexp"
	"time"

	"github.com/vendorsim/vendorsim/internal/config"
)

// Config is the whereby: section of the configuration. The facts the
// vendor's notes mark as inferred (how long a room waits before it calls a
// session over, how long recordings and transcriptions take, the rate
// limit's budget) are settings here.
type Config struct {
	Retry config.RetryPolicy `yaml:"retry"`
	// Subdomain is used in room URLs when a workspace names none.
	Subdomain string `yaml:"subdomain"`
	// SessionEndDelay is how long a room must hold fewer than two
	// participants before its session ends (room.session.ended).
	SessionEndDelay time.Duration `yaml:"session_end_delay"`
	// RecordingDelay is how long after a recording stops it is ready
	// (recording.finished).
	RecordingDelay time.Duration `yaml:"recording_delay"`
	// TranscriptionDelay is how long after a transcription's source ends
	// it is ready (transcription.finished).
	TranscriptionDelay time.Duration `yaml:"transcription_delay"`
	// ExpiryGrace is how long past its endDate a meeting lives.
	ExpiryGrace time.Duration `yaml:"expiry_grace"`
	RateLimit   RateLimit     `yaml:"rate_limit"`
}

// RateLimit is Whereby's points budget per organization (workspace) and
// minute. Off unless PointsPerMinute is set.
type RateLimit struct {
	// PointsPerMinute is the budget (the Build plan has 100, Grow and
	// Enterprise 1000); 0 turns the limit off.
	PointsPerMinute int `yaml:"points_per_minute"`
	// ReadPoints, WritePoints and DeletePoints are what a request costs.
	ReadPoints   int `yaml:"read_points"`
	WritePoints  int `yaml:"write_points"`
	DeletePoints int `yaml:"delete_points"`
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
		Subdomain:          "vendorsim",
		SessionEndDelay:    30 * time.Second,
		RecordingDelay:     30 * time.Second,
		TranscriptionDelay: time.Minute,
		ExpiryGrace:        time.Hour,
		RateLimit:          RateLimit{ReadPoints: 1, WritePoints: 3, DeletePoints: 2},
	}
}

// Settings returns the Whereby settings of c (tests change them through it).
func Settings(c *config.Config) *Config { return config.Settings(c, Vendor, DefaultConfig) }

// subdomainPattern is a DNS label.
var subdomainPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func (c *Config) validate() error {
	if err := c.Retry.Validate("retry"); err != nil {
		return err
	}
	if !subdomainPattern.MatchString(c.Subdomain) {
		return config.KeyErrorf("subdomain", "%q is not a DNS label", c.Subdomain)
	}
	for key, d := range map[string]time.Duration{
		"session_end_delay": c.SessionEndDelay, "recording_delay": c.RecordingDelay,
		"transcription_delay": c.TranscriptionDelay, "expiry_grace": c.ExpiryGrace,
	} {
		if d < 0 {
			return config.KeyErrorf(key, "must not be negative")
		}
	}
	rl := c.RateLimit
	if rl.PointsPerMinute < 0 || rl.ReadPoints < 0 || rl.WritePoints < 0 || rl.DeletePoints < 0 {
		return config.KeyErrorf("rate_limit", "points must not be negative")
	}
	return nil
}

// WorkspaceConfig is a workspace's whereby: section.
type WorkspaceConfig struct {
	APIKeys []string `yaml:"api_keys" json:"api_keys,omitempty"`
	// Subdomain is the organization's subdomain of whereby.com in room
	// URLs (whereby.subdomain when empty).
	Subdomain string `yaml:"subdomain" json:"subdomain,omitempty"`
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
	if s.Subdomain != "" && !subdomainPattern.MatchString(s.Subdomain) {
		return config.KeyErrorf("subdomain", "%q is not a DNS label", s.Subdomain)
	}
	return nil
}
