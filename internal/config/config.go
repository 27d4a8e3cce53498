// Package config defines vendorsim's configuration: server settings, the
// scenario engine's settings and the workspaces seeded at start. Each
// vendor's section (whippy:, zipwhip:, whereby:, and a workspace's section
// of the same name) belongs to the vendor package that emulates it: this
// package reads the file, hands every vendor section to its Owner to decode
// and validate, and knows no vendor itself.
//
// A configuration is read from one YAML file. Every field is optional; Default
// returns the values used when a field is absent. Flags and environment
// variables override the server section (see cmd/vendorsim).
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration.
type Config struct {
	Server     Server      `yaml:"server"`
	Scenarios  Scenarios   `yaml:"scenarios"`
	Workspaces []Workspace `yaml:"workspaces"`
	// Vendors holds each vendor's settings by vendor name, as its Owner
	// decoded them (Default and Parse fill it). Vendor packages give typed
	// access to their own.
	Vendors map[string]any `yaml:"-"`
}

// Server holds process-level settings. Flags and VENDORSIM_* variables
// override them.
type Server struct {
	Addr         string  `yaml:"addr"`
	DB           string  `yaml:"db"`
	StrictAuth   bool    `yaml:"strict_auth"`
	LogLevel     string  `yaml:"log_level"`
	LogFormat    string  `yaml:"log_format"`
	Seed         int64   `yaml:"seed"`
	MaxBodyBytes int64   `yaml:"max_body_bytes"`
	Journal      Journal `yaml:"journal"`
	// Hosts lists, by vendor name, the Host header values routed to that
	// vendor with its own paths, so that a docker network alias such as
	// api.whippy.co reaches vendorsim. A vendor absent here keeps the
	// hosts it names itself.
	Hosts        map[string][]string `yaml:"hosts"`
	ReadTimeout  time.Duration       `yaml:"read_timeout"`
	WriteTimeout time.Duration       `yaml:"write_timeout"`
	// ControlToken, when set, must be sent as X-Sandbox-Token by every
	// call of the control API except its health check.
	ControlToken string `yaml:"control_token"`
	// ControlAddr, when set, serves the control API on a listener of its
	// own (loopback only, say), and no longer on Addr (but its health).
	ControlAddr string `yaml:"control_addr"`
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

// Default returns the configuration used when nothing is configured, with
// each owner's default settings.
func Default(owners ...Owner) Config {
	cfg := Config{
		Server: Server{
			Addr:         ":8080",
			DB:           "vendorsim.db",
			LogLevel:     "info",
			LogFormat:    "text",
			Seed:         1,
			MaxBodyBytes: 1 << 20,
			Journal:      Journal{Retention: 10000, BodyLimit: 4096, ResponseBodyLimit: 1024},
			ReadTimeout:  30 * time.Second,
			WriteTimeout: 60 * time.Second,
		},
		Scenarios: Scenarios{
			Speed:        1,
			Retention:    24 * time.Hour,
			Concurrency:  8,
			PollInterval: 250 * time.Millisecond,
		},
		Vendors: map[string]any{},
	}
	for _, o := range owners {
		// Owners decode a nil section as their defaults, which must be valid.
		s, err := o.DecodeSettings(nil)
		if err != nil {
			panic(fmt.Sprintf("config: defaults of %s: %v", o.Name(), err))
		}
		cfg.Vendors[o.Name()] = s
	}
	return cfg
}

// Load reads the YAML file at path over the defaults. Unknown keys are
// errors, so that a typo does not silently fall back to a default.
func Load(path string, owners ...Owner) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(b, owners...)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML over the defaults, hands each vendor section to its
// owner, and validates the result.
func Parse(b []byte, owners ...Owner) (Config, error) {
	cfg := Default(owners...)
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Config{}, yamlError(err)
	}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode && !isNull(root) {
			return Config{}, fmt.Errorf("line %d: the configuration must be a mapping of sections", root.Line)
		}
		err := eachKey(root, "", func(key string, line int, n *yaml.Node) error {
			switch key {
			case "server":
				return decodeKnown(n, "server", &cfg.Server)
			case "scenarios":
				return decodeKnown(n, "scenarios", &cfg.Scenarios)
			case "workspaces":
				if isNull(n) {
					return nil
				}
				if n.Kind != yaml.SequenceNode {
					return keyErrorf("workspaces", "line %d: must be a list of workspaces", n.Line)
				}
				cfg.Workspaces = nil
				for i, item := range n.Content {
					ws, err := decodeWorkspace(item, owners)
					if err != nil {
						return prefixKey(fmt.Sprintf("workspaces[%d]", i), err)
					}
					cfg.Workspaces = append(cfg.Workspaces, ws)
				}
				return nil
			}
			o := owner(owners, key)
			if o == nil {
				return keyErrorf(key, "line %d: unknown key (sections are server, scenarios, workspaces%s)", line, ownerList(owners))
			}
			s, err := o.DecodeSettings(&Section{node: n})
			if err != nil {
				return prefixKey(key, err)
			}
			cfg.Vendors[key] = s
			return nil
		})
		if err != nil {
			return Config{}, err
		}
	}
	if err := cfg.Validate(owners...); err != nil {
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

// IsE164 reports whether s is a phone number in E.164 form (+ and 7 to 15
// digits).
func IsE164(s string) bool { return e164Pattern.MatchString(s) }

// Validate reports the first defect, naming the offending key. Owners check
// the settings they decoded again (a test may have changed them since).
func (c *Config) Validate(owners ...Owner) error {
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
	for _, name := range sortedKeys(c.Server.Hosts) {
		if owners != nil && owner(owners, name) == nil {
			return keyErrorf("server.hosts."+name, "unknown vendor (one of%s)", strings.TrimPrefix(ownerList(owners), ","))
		}
	}
	if c.Scenarios.Speed <= 0 {
		// 0 would divide every delay by zero: timelines would never move.
		return fmt.Errorf("scenarios.speed: must be positive, not negative or zero (got %g)", c.Scenarios.Speed)
	}
	if d := c.Scenarios.Dir; d != "" {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return fmt.Errorf("scenarios.dir: %q is not a directory", d)
		}
	}
	if c.Scenarios.Retention < 0 {
		return fmt.Errorf("scenarios.retention: must not be negative")
	}
	if c.Scenarios.Concurrency < 0 {
		return fmt.Errorf("scenarios.concurrency: must not be negative")
	}
	for _, o := range owners {
		if err := o.ValidateSettings(c.Vendors[o.Name()]); err != nil {
			return prefixKey(o.Name(), err)
		}
	}
	ids := map[string]bool{}
	keys := map[string]string{}
	for i, ws := range c.Workspaces {
		where := fmt.Sprintf("workspaces[%d]", i)
		if err := ws.Validate(); err != nil {
			return prefixKey(where, err)
		}
		for _, o := range owners {
			wv, ok := o.(WorkspaceValidator)
			if sec := ws.Section(o.Name()); ok && sec != nil {
				if err := wv.ValidateWorkspace(c.Vendors[o.Name()], sec); err != nil {
					return prefixKey(where+"."+o.Name(), err)
				}
			}
		}
		if ids[ws.ID] {
			return keyErrorf(where+".id", "%q is used twice", ws.ID)
		}
		ids[ws.ID] = true
		creds := ws.Credentials()
		for _, c := range creds {
			if prev, dup := keys[c.Vendor+"\x00"+c.Value]; dup {
				return keyErrorf(where+"."+c.Key, "%q is also used by workspace %s", c.Value, prev)
			}
		}
		for _, c := range creds {
			keys[c.Vendor+"\x00"+c.Value] = ws.ID
		}
	}
	return nil
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

func (h WebhookConfig) validate(where string, vendors map[string]VendorWorkspace, known func(string) bool) error {
	if !known(h.Vendor) {
		return keyErrorf(where+".vendor", "%q is not a vendor vendorsim emulates", h.Vendor)
	}
	if err := ValidURL(h.URL); err != nil {
		return keyErrorf(where+".url", "%v", err)
	}
	switch strings.ToUpper(h.Method) {
	case "", "POST", "PUT", "GET":
	default:
		return keyErrorf(where+".method", "%q is not one of POST, PUT, GET", h.Method)
	}
	return nil
}

// decodeKnown decodes n into v (a pointer to a struct), refusing keys that
// v's type does not have; errors name the key below prefix.
func decodeKnown(n *yaml.Node, prefix string, v any) error {
	if isNull(n) {
		return nil
	}
	if err := checkKnown(n, reflect.TypeOf(v).Elem(), prefix); err != nil {
		return err
	}
	if err := n.Decode(v); err != nil {
		return keyErrorf(prefix, "%v", yamlError(err))
	}
	return nil
}

// checkKnown reports the first key of n (and of the mappings within it)
// that type t does not have, naming its full key.
func checkKnown(n *yaml.Node, t reflect.Type, prefix string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.AliasNode:
		return checkKnown(n.Alias, t, prefix)
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return nil // Decode reports the type mismatch
		}
		for i, item := range n.Content {
			if err := checkKnown(item, t.Elem(), fmt.Sprintf("%s[%d]", prefix, i)); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Map:
			return eachKey(n, prefix, func(key string, line int, v *yaml.Node) error {
				return checkKnown(v, t.Elem(), join(prefix, key))
			})
		case reflect.Struct:
			if t == reflect.TypeOf(time.Time{}) {
				return nil
			}
			fields := yamlFields(t)
			return eachKey(n, prefix, func(key string, line int, v *yaml.Node) error {
				ft, ok := fields[key]
				if !ok {
					return keyErrorf(join(prefix, key), "line %d: unknown key", line)
				}
				return checkKnown(v, ft, join(prefix, key))
			})
		}
	}
	return nil
}

// yamlFields maps the YAML keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// eachKey calls fn for every key of mapping n, in order; a key given twice
// is an error.
func eachKey(n *yaml.Node, prefix string, fn func(key string, line int, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if seen[k] {
			return keyErrorf(join(prefix, k), "line %d: given twice", n.Content[i].Line)
		}
		seen[k] = true
		if err := fn(k, n.Content[i].Line, n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") || n.Kind == 0
}

func owner(owners []Owner, name string) Owner {
	for _, o := range owners {
		if o.Name() == name {
			return o
		}
	}
	return nil
}

func ownerList(owners []Owner) string {
	var b strings.Builder
	for _, o := range owners {
		b.WriteString(", " + o.Name())
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
