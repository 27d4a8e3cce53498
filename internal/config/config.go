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
)

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
		if !workspaceIDPattern.MatchString(ws.ID) {
			return fmt.Errorf("%s.id: %q must be 1-64 letters, digits, '.', '_' or '-'", where, ws.ID)
		}
		if ids[ws.ID] {
			return fmt.Errorf("%s.id: %q is used twice", where, ws.ID)
		}
		ids[ws.ID] = true
		for _, k := range ws.Whippy.APIKeys {
			if k == "" {
				return fmt.Errorf("%s.whippy.api_keys: empty key", where)
			}
			if prev, dup := keys["whippy:"+k]; dup {
				return fmt.Errorf("%s.whippy.api_keys: %q is also used by workspace %s", where, k, prev)
			}
			keys["whippy:"+k] = ws.ID
		}
		for _, k := range ws.Whereby.APIKeys {
			if prev, dup := keys["whereby:"+k]; dup {
				return fmt.Errorf("%s.whereby.api_keys: %q is also used by workspace %s", where, k, prev)
			}
			keys["whereby:"+k] = ws.ID
		}
		if err := ws.Whippy.validate(where + ".whippy"); err != nil {
			return err
		}
		for j, a := range ws.Zipwhip.Accounts {
			if a.Username == "" || a.Line == "" {
				return fmt.Errorf("%s.zipwhip.accounts[%d]: username and line are required", where, j)
			}
			if !e164Pattern.MatchString(a.Line) {
				return fmt.Errorf("%s.zipwhip.accounts[%d].line: %q is not an E.164 number", where, j, a.Line)
			}
		}
		for j, h := range ws.Webhooks {
			if err := h.validate(fmt.Sprintf("%s.webhooks[%d]", where, j)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s WhippySeed) validate(where string) error {
	for j, ch := range s.Channels {
		switch ch.Type {
		case "", "phone", "fax", "whatsapp":
			if ch.Phone == "" || !e164Pattern.MatchString(ch.Phone) {
				return fmt.Errorf("%s.channels[%d].phone: %q is not an E.164 number", where, j, ch.Phone)
			}
		case "email":
			if !strings.Contains(ch.Email, "@") {
				return fmt.Errorf("%s.channels[%d].email: %q is not an email address", where, j, ch.Email)
			}
		default:
			return fmt.Errorf("%s.channels[%d].type: %q is not one of phone, email, fax, whatsapp", where, j, ch.Type)
		}
	}
	for j, u := range s.Users {
		switch u.Role {
		case "", "admin", "user":
		default:
			return fmt.Errorf("%s.users[%d].role: %q is not one of admin, user", where, j, u.Role)
		}
	}
	for j, c := range s.Contacts {
		if !e164Pattern.MatchString(c.Phone) {
			return fmt.Errorf("%s.contacts[%d].phone: %q is not an E.164 number", where, j, c.Phone)
		}
	}
	for j, a := range s.Applications {
		if a.Name == "" {
			return fmt.Errorf("%s.applications[%d].name: required", where, j)
		}
		for k, e := range a.Endpoints {
			if err := validURL(e.URL); err != nil {
				return fmt.Errorf("%s.applications[%d].endpoints[%d].url: %v", where, j, k, err)
			}
		}
	}
	return nil
}

func (h WebhookConfig) validate(where string) error {
	switch h.Vendor {
	case "whippy", "zipwhip", "whereby":
	default:
		return fmt.Errorf("%s.vendor: %q is not one of whippy, zipwhip, whereby", where, h.Vendor)
	}
	if err := validURL(h.URL); err != nil {
		return fmt.Errorf("%s.url: %v", where, err)
	}
	switch strings.ToUpper(h.Method) {
	case "", "POST", "PUT", "GET":
	default:
		return fmt.Errorf("%s.method: %q is not one of POST, PUT, GET", where, h.Method)
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
