package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// Vendor sections are decoded by their owners, and every error names the
// full key, whoever found it.
func TestParse_ErrorsNameTheKey(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"UnknownSection", "slack:\n  x: 1\n", "slack: line 1: unknown key"},
		{"UnknownServerKey", "server:\n  colour: red\n", "server.colour"},
		{"UnknownVendorKey", "whippy:\n  body_max_lenght: 5\n", "whippy.body_max_lenght"},
		{"VendorValue", "whippy:\n  body_max_length: 0\n", "whippy.body_max_length: must be positive"},
		{"NestedVendorValue", "whippy:\n  signature:\n    encoding: rot13\n", "whippy.signature.encoding"},
		{"VendorType", "zipwhip:\n  retry:\n    max_retries: lots\n", "zipwhip"},
		{"WorkspaceVendorKey", "workspaces:\n  - id: a\n    whippy:\n      channels:\n        - {phone: \"555\"}\n", "workspaces[0].whippy.channels[0].phone"},
		{"WorkspaceUnknownKey", "workspaces:\n  - id: a\n    slack: {}\n", "workspaces[0].slack"},
		{"WorkspaceZeroUserID", "workspaces:\n  - id: a\n    whippy:\n      users:\n        - {id: 0}\n", "workspaces[0].whippy.users[0].id"},
		{"ZipwhipLine", "workspaces:\n  - id: a\n    zipwhip:\n      accounts:\n        - {username: u, line: \"12\"}\n", "workspaces[0].zipwhip.accounts[0].line"},
		{"SharedCredential", "workspaces:\n  - id: a\n    whippy: {api_keys: [k]}\n  - id: b\n    whippy: {api_keys: [k]}\n", "workspaces[1].whippy.api_keys[0]"},
		{"HostsOfNoVendor", "server:\n  hosts:\n    slack: [x]\n", "server.hosts.slack"},
		{"WebhookVendor", "workspaces:\n  - id: a\n    webhooks:\n      - {vendor: slack, url: \"http://x\"}\n", "workspaces[0].webhooks[0].vendor"},
		{"KeyTwice", "whippy:\n  body_max_length: 5\n  body_max_length: 6\n", "whippy.body_max_length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.ParseConfig([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// A vendor's settings are its own typed values, defaults under what the
// file says.
func TestParse_VendorSettings(t *testing.T) {
	cfg, err := app.ParseConfig([]byte("whippy:\n  body_max_length: 1600\nserver:\n  hosts:\n    whippy: [whippy.internal]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := whippy.Settings(&cfg)
	if w.BodyMaxLength != 1600 || w.InitialStatus != "queued" {
		t.Errorf("whippy settings %+v; want body_max_length 1600 over the defaults", w)
	}
	if got := cfg.Server.Hosts["whippy"]; len(got) != 1 || got[0] != "whippy.internal" {
		t.Errorf("hosts %v", cfg.Server.Hosts)
	}
	if _, ok := cfg.Vendors["zipwhip"]; !ok {
		t.Error("an absent section has no defaults")
	}
}

// A workspace definition is written as JSON (stored with the workspace)
// and read back as it was.
func TestWorkspace_JSONRoundTrip(t *testing.T) {
	cfg, err := app.ParseConfig([]byte(`
workspaces:
  - id: demo
    name: Demo
    whippy:
      api_keys: [demo-key]
      channels: [{name: Main, phone: "+12065550000"}]
    zipwhip:
      accounts: [{username: "2065550000", password: pw, line: "+12065550000"}]
    whereby:
      api_keys: [wb-key]
    webhooks:
      - {vendor: whereby, url: "http://app/hook", secret: s}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cfg.Workspaces[0])
	if err != nil {
		t.Fatal(err)
	}
	back, err := config.ParseWorkspace(b, app.Owners()...)
	if err != nil {
		t.Fatalf("read back %s: %v", b, err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) {
		t.Errorf("round trip changed the definition:\n%s\n%s", b, b2)
	}
	var creds []string
	for _, c := range back.Credentials() {
		creds = append(creds, c.Vendor+"/"+c.Kind+"="+c.Value+"@"+c.Key)
	}
	want := "whereby/=wb-key@whereby.api_keys[0] whippy/=demo-key@whippy.api_keys[0] zipwhip/login=2065550000@zipwhip.accounts[0].username"
	if strings.Join(creds, " ") != want {
		t.Errorf("credentials %v\nwant %s", creds, want)
	}
}

// FuzzParse: any document is a configuration or a one-line error, never a
// panic; a workspace definition that parses writes itself back.
func FuzzParse(f *testing.F) {
	f.Add([]byte("whippy:\n  body_max_length: 5\n"))
	f.Add([]byte("workspaces:\n  - id: a\n    whippy: {api_keys: [k], users: [{id: 0}]}\n"))
	f.Add([]byte("server: [\n"))
	f.Add([]byte("{\"workspaces\":[{\"id\":\"j\",\"zipwhip\":{\"accounts\":[{\"username\":\"u\",\"line\":\"+12065550000\"}]}}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := app.ParseConfig(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		for _, ws := range cfg.Workspaces {
			js, err := json.Marshal(ws)
			if err != nil {
				t.Fatalf("marshal %+v: %v", ws, err)
			}
			if _, err := config.ParseWorkspace(js, app.Owners()...); err != nil {
				t.Errorf("workspace %s does not read back: %v", js, err)
			}
		}
	})
}
