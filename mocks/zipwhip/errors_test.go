package zipwhip_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/zipwhip"
)

func TestBadInput(t *testing.T) {
	s := manual(t, apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = append(c.Workspaces, config.Workspace{ID: "zw-bad", Vendors: map[string]config.VendorWorkspace{
			"zipwhip": &zipwhip.WorkspaceConfig{Accounts: []zipwhip.Account{{Username: "2065557400", Password: "right"}}},
		}})
	}))
	sess := login(t, s, "2065557401")
	long := strings.Repeat("a", 601)
	tests := []struct {
		name, path string
		params     []string
		// header overrides the form Content-Type; raw replaces the body.
		contentType, raw string
		// want is in the message, which names the parameter.
		want string
	}{
		{name: "no session", path: "message/send", params: []string{"contacts", "2065557402", "body", "x"}, want: "session is required"},
		{name: "bad session", path: "message/send", params: []string{"session", "nope", "contacts", "2065557402", "body", "x"}, want: "session is not a valid"},
		{name: "unknown session", path: "message/list", params: []string{"session", "3d0f1dde-aaff-4ce8-b61a-af212a860abc:1"}, want: "session"},
		{name: "missing contacts", path: "message/send", params: []string{"session", sess, "body", "x"}, want: "contacts"},
		{name: "empty contacts", path: "message/send", params: []string{"session", sess, "contacts", " ", "body", "x"}, want: "contacts is required"},
		{name: "bad number", path: "message/send", params: []string{"session", sess, "contacts", "12345", "body", "x"}, want: `contacts entry "12345"`},
		{name: "bad number in a list", path: "message/send", params: []string{"session", sess, "contacts", "2065557402,,2065557403", "body", "x"}, want: "contacts has an empty entry"},
		{name: "missing body", path: "message/send", params: []string{"session", sess, "contacts", "2065557402"}, want: "body"},
		{name: "overlong body", path: "message/send", params: []string{"session", sess, "contacts", "2065557402", "body", long}, want: "-394 Invalid Parameter Length: body is 601"},
		{name: "bad scheduledDate", path: "message/send", params: []string{"session", sess, "contacts", "2065557402", "body", "x", "scheduledDate", "tomorrow"}, want: "scheduledDate"},
		{name: "parameter twice", path: "message/send", params: []string{"session", sess, "contacts", "2065557402", "contacts", "2065557403", "body", "x"}, want: "parameter contacts is given 2 times"},
		{name: "session twice", path: "message/list", params: []string{"session", sess, "session", sess}, want: "parameter session is given 2 times"},
		{name: "JSON body", path: "message/send", contentType: "application/json", raw: `{"session":"` + sess + `","contacts":"2065557402","body":"x"}`, want: "application/x-www-form-urlencoded"},
		{name: "broken form", path: "message/list", raw: "session=%zz", want: "%-encoded"},
		{name: "unknown webhookId", path: "webhook/delete", params: []string{"session", sess, "webhookId", "999"}, want: "webhookId 999"},
		{name: "non-numeric webhookId", path: "webhook/update", params: []string{"session", sess, "webhookId", "abc"}, want: "webhookId"},
		{name: "bad type", path: "webhook/install", params: []string{"session", sess, "type", "sms", "event", "receive", "url", "https://example.com/"}, want: `type "sms"`},
		{name: "bad event", path: "webhook/install", params: []string{"session", sess, "type", "message", "event", "change", "url", "https://example.com/"}, want: `event "change"`},
		{name: "bad method", path: "webhook/install", params: []string{"session", sess, "type", "message", "event", "send", "url", "https://example.com/", "method", "PATCH"}, want: `method "PATCH"`},
		{name: "bad url", path: "webhook/add", params: []string{"session", sess, "type", "message", "event", "send", "url", "ftp://example.com/"}, want: "url"},
		{name: "missing url", path: "webhook/install", params: []string{"session", sess, "type", "message", "event", "send"}, want: "url"},
		{name: "unknown message", path: "message/get", params: []string{"session", sess, "message", "1300000000000009999"}, want: "message 1300000000000009999"},
		{name: "non-numeric message", path: "message/read", params: []string{"session", sess, "messages", "12,x"}, want: "messages"},
		{name: "negative limit", path: "message/list", params: []string{"session", sess, "limit", "-1"}, want: "limit"},
		{name: "limit not a number", path: "conversation/list", params: []string{"session", sess, "limit", "ten"}, want: "limit"},
		{name: "unknown conversation", path: "conversation/get", params: []string{"session", sess, "fingerprint", "42"}, want: "fingerprint 42"},
		{name: "unknown contact", path: "contact/get", params: []string{"session", sess, "contact", "77"}, want: "contact 77"},
		{name: "bad address", path: "contact/save", params: []string{"session", sess, "address", "ptn:/x"}, want: "address"},
		{name: "wrong password", path: "user/login", params: []string{"username", "+12065557400", "password", "wrong"}, want: "username or password"},
		{name: "missing password", path: "user/login", params: []string{"username", "2065557400"}, want: "password"},
		{name: "unknown storageKey", path: "hostedContent/get", params: []string{"session", sess, "storageKey", "k"}, want: "storageKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.raw
			if body == "" {
				body = form(tt.params...).Encode()
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/" + tt.path, Body: body, Header: http.Header{"Content-Type": {ct}}})
			m := decodeNumbers(t, r.Body)
			msg, _ := m["response"].(string)
			if r.Status != http.StatusOK || m["success"] != false || len(m) != 2 || !strings.Contains(msg, tt.want) {
				t.Fatalf("%d %s; want 200 {success:false, response: ...%s...}", r.Status, r.Body, tt.want)
			}
		})
	}
	// Paths and methods Zipwhip does not have keep their HTTP status.
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/message/frobnicate"})
	if m := decodeNumbers(t, r.Body); r.Status != 404 || m["success"] != false {
		t.Errorf("unknown call: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, apptest.Request{Method: http.MethodDelete, Path: "/zipwhip/message/list"})
	if r.Status != 405 {
		t.Errorf("DELETE message/list: %d %s", r.Status, r.Body)
	}
}

func TestBadInput_ConfiguredStatuses(t *testing.T) {
	s := manual(t, apptest.WithConfig(func(c *config.Config) {
		z := zipwhip.Settings(c)
		z.ErrorStatus = 400
		z.ErrorStatuses = map[string]int{"unauthenticated": 401, "not_found": 404}
	}))
	sess := login(t, s, "2065557410")
	for _, tt := range []struct {
		path   string
		params []string
		want   int
	}{
		{"message/send", []string{"session", sess, "contacts", "x", "body", "x"}, 400},
		{"message/list", []string{"session", "nope"}, 401},
		{"webhook/delete", []string{"session", sess, "webhookId", "5"}, 404},
	} {
		status, m := call(t, s, tt.path, form(tt.params...))
		if status != tt.want || m["success"] != false {
			t.Errorf("%s: %d %v; want %d with the failure envelope", tt.path, status, m, tt.want)
		}
	}
}

func TestConfig_Validation(t *testing.T) {
	m := zipwhip.New()
	for _, tt := range []struct {
		name string
		fn   func(*zipwhip.Config)
		want string
	}{
		{"body limit", func(c *zipwhip.Config) { c.BodyMaxLength = 0 }, "body_max_length"},
		{"field limit", func(c *zipwhip.Config) { c.BodyFieldLength = -1 }, "body_field_length"},
		{"status", func(c *zipwhip.Config) { c.ErrorStatus = 99 }, "error_status"},
		{"unknown code", func(c *zipwhip.Config) { c.ErrorStatuses = map[string]int{"teapot": 418} }, "error_statuses.teapot"},
		{"empty keyword", func(c *zipwhip.Config) { c.OptOutWords = []string{" "} }, "opt_out_words"},
	} {
		c := zipwhip.DefaultConfig()
		tt.fn(c)
		if err := m.ValidateSettings(c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error naming %s", tt.name, err, tt.want)
		}
	}
	if err := m.ValidateSettings(zipwhip.DefaultConfig()); err != nil {
		t.Errorf("defaults: %v", err)
	}
	for _, ws := range []zipwhip.WorkspaceConfig{
		{Accounts: []zipwhip.Account{{Username: "ops"}}},
		{Accounts: []zipwhip.Account{{Username: "2065557420"}, {Username: "+12065557420"}}},
		{Accounts: []zipwhip.Account{{Username: "2065557421", Session: "abc"}}},
		{Accounts: []zipwhip.Account{{Username: "ops", Line: "206"}}},
	} {
		if err := ws.Validate(); err == nil {
			t.Errorf("workspace %+v validated", ws)
		}
	}
}
