package zipwhip

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
)

// Config is the zipwhip: section of the configuration: Zipwhip behaviour
// that is configurable because the facts behind it are inferred.
type Config struct {
	Retry config.RetryPolicy `yaml:"retry"`
	// Signature signs deliveries when Disabled is false (Zipwhip itself
	// does not sign).
	Signature config.Signature `yaml:"signature"`
	// BodyMaxLength caps message/send's body, counted in UTF-16 code units
	// as Zipwhip's Java servers count a string; over it the call fails with
	// -394 (Invalid Parameter Length). One source says 600 bytes, an older
	// one 160.
	BodyMaxLength int `yaml:"body_max_length"`
	// BodyFieldLength is the size of a message's body field: a longer text
	// keeps only its start in body, sets hasAttachment and is stored whole
	// as a .txt attachment (messageAttachment/list, hostedContent/get).
	BodyFieldLength int `yaml:"body_field_length"`
	// ErrorStatus is the HTTP status of a failure envelope (unknown at the
	// vendor: Zipwhip's own clients read only "success"), for every code
	// not in ErrorStatuses.
	ErrorStatus int `yaml:"error_status"`
	// ErrorStatuses sets the status of failures of one code (invalid,
	// not_found, unauthenticated, forbidden, conflict, unsupported,
	// too_large, rate_limited, unavailable, method, cancelled).
	ErrorStatuses map[string]int `yaml:"error_statuses"`
	// OptOutWords and OptInWords are the keywords (matched whole, in any
	// case, around spaces) of an inbound message that opt its sender out
	// of the line or back in.
	OptOutWords []string `yaml:"opt_out_words"`
	OptInWords  []string `yaml:"opt_in_words"`
	// MessageStatus is the messageStatus of message objects (its meaning is
	// not documented; the vendor's 2020 example has 1003).
	MessageStatus int `yaml:"message_status"`
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
		BodyMaxLength:   600,
		BodyFieldLength: 160,
		ErrorStatus:     http.StatusOK,
		OptOutWords:     []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"},
		OptInWords:      []string{"UNSTOP", "START"},
		MessageStatus:   1003,
	}
}

// Settings returns the Zipwhip settings of c (tests change them through it).
func Settings(c *config.Config) *Config { return config.Settings(c, Vendor, DefaultConfig) }

// errorCodes are the codes whose status error_statuses may set, and the
// status each has unless configured: error_status for what the vendor
// answers in its envelope, the transport's own status for the rest.
var errorCodes = map[mocks.Code]int{
	mocks.EINVALID: 0, mocks.ENOTFOUND: 0, mocks.EUNAUTHENTICATED: 0, mocks.EFORBIDDEN: 0,
	mocks.ECONFLICT: 0, mocks.EUNSUPPORTED: 0,
	mocks.ETOOLARGE: http.StatusRequestEntityTooLarge, mocks.ERATELIMITED: http.StatusTooManyRequests,
	mocks.EUNAVAILABLE: http.StatusServiceUnavailable, mocks.EMETHOD: http.StatusMethodNotAllowed,
	mocks.ECANCELLED: 499,
}

func (c *Config) validate() error {
	if c.BodyMaxLength <= 0 {
		return config.KeyErrorf("body_max_length", "must be positive")
	}
	if c.BodyFieldLength <= 0 {
		return config.KeyErrorf("body_field_length", "must be positive")
	}
	if c.ErrorStatus < 200 || c.ErrorStatus > 599 {
		return config.KeyErrorf("error_status", "%d is not an HTTP status", c.ErrorStatus)
	}
	for k, v := range c.ErrorStatuses {
		if _, ok := errorCodes[mocks.Code(k)]; !ok {
			names := make([]string, 0, len(errorCodes))
			for c := range errorCodes {
				names = append(names, string(c))
			}
			sort.Strings(names)
			return config.KeyErrorf("error_statuses."+k, "not one of %s", strings.Join(names, ", "))
		}
		if v < 200 || v > 599 {
			return config.KeyErrorf("error_statuses."+k, "%d is not an HTTP status", v)
		}
	}
	for _, w := range append(append([]string(nil), c.OptOutWords...), c.OptInWords...) {
		if strings.TrimSpace(w) == "" {
			return config.KeyErrorf("opt_out_words", "keywords must not be empty")
		}
	}
	if err := c.Signature.Validate("signature"); err != nil {
		return err
	}
	return c.Retry.Validate("retry")
}

// statuses returns the status of each code under c.
func (c *Config) statuses() map[mocks.Code]int {
	out := make(map[mocks.Code]int, len(errorCodes))
	for code, s := range errorCodes {
		if s == 0 {
			s = c.ErrorStatus
		}
		if v, ok := c.ErrorStatuses[string(code)]; ok {
			s = v
		}
		out[code] = s
	}
	return out
}

// WorkspaceConfig is a workspace's zipwhip: section: its accounts.
type WorkspaceConfig struct {
	Accounts []Account `yaml:"accounts" json:"accounts,omitempty"`
}

// Account is a Zipwhip line with its login.
type Account struct {
	// Username is the line's number (10-digit or E.164), or a name.
	Username string `yaml:"username" json:"username"`
	// Password, when set, must match at login; empty accepts any.
	Password string `yaml:"password" json:"password"`
	// Line is the account's number in E.164; it defaults to the username
	// when that is a phone number.
	Line string `yaml:"line" json:"line"`
	// Session, when set, is a session key that works without a login.
	Session   string `yaml:"session" json:"session,omitempty"`
	FirstName string `yaml:"first_name" json:"first_name,omitempty"`
	LastName  string `yaml:"last_name" json:"last_name,omitempty"`
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
	seen := map[string]bool{}
	for j, a := range s.Accounts {
		where := fmt.Sprintf("accounts[%d]", j)
		if a.Username == "" {
			return config.KeyErrorf(where+".username", "required")
		}
		line := a.lineOrUsername()
		if line == "" {
			return config.KeyErrorf(where+".line", "required when the username is not a phone number")
		}
		if !config.IsE164(line) {
			return config.KeyErrorf(where+".line", "%q is not an E.164 number", line)
		}
		if seen[line] {
			return config.KeyErrorf(where+".line", "%s is the line of another account", line)
		}
		seen[line] = true
		if a.Session != "" && !validSession(a.Session) {
			return config.KeyErrorf(where+".session", "%q is not a session key <uuid>:<deviceId>", a.Session)
		}
	}
	return nil
}

// lineOrUsername is the account's line, else its username read as a phone
// number, else "".
func (a Account) lineOrUsername() string {
	if a.Line != "" {
		return a.Line
	}
	if n, ok := phone.Normalize(a.Username); ok {
		return n
	}
	return ""
}
