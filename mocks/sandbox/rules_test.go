package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/specs"
)

// fieldError checks the control API's error shape and returns its field
// and message.
func fieldError(tb testing.TB, r *apptest.Response, status int) (field, message string) {
	tb.Helper()
	e := decodeError(tb, r, status)
	return e.Field, e.Message
}

func TestWorkspaces_DefinitionRules(t *testing.T) {
	s := apptest.New(t)
	sb := s.Sandbox(nil)
	const uuid1, uuid2 = "0b6f4a3e-9c1d-4e2f-8a7b-6c5d4e3f2a1b", "5e09c7cc-27e8-4d91-89ee-4ea5bafaaa15"
	phone := func(n int) M { return M{"phone": fmt.Sprintf("+1206555%04d", 2000+n)} }
	withID := func(m M, id any) M { m["id"] = id; return m }
	before := listWorkspaces(t, s)

	tests := []struct {
		name  string
		def   M
		field string // the error's field, which its message must start with
	}{
		{"DuplicateUserIDs", M{"id": "dupusers", "whippy": M{"users": []M{{"id": 7}, {"id": 7}}}}, "whippy.users[1].id"},
		{"UserIDOfAnUnnumberedUser", M{"id": "dupusers2", "whippy": M{"users": []M{{"name": "no id"}, {"id": 1}}}}, "whippy.users[1].id"},
		{"DuplicateChannelIDs", M{"id": "dupch", "whippy": M{"channels": []M{withID(phone(1), uuid1), withID(phone(2), uuid2), withID(phone(3), uuid1)}}}, "whippy.channels[2].id"},
		{"OrganizationIDNotUUID", M{"id": "org", "whippy": M{"organization": M{"id": "not-a-uuid"}}}, "whippy.organization.id"},
		{"OrganizationIDUpperCase", M{"id": "org2", "whippy": M{"organization": M{"id": strings.ToUpper(uuid1)}}}, "whippy.organization.id"},
		{"ChannelIDNotUUID", M{"id": "chid", "whippy": M{"channels": []M{withID(phone(1), "bad-id")}}}, "whippy.channels[0].id"},
		{"NegativeUserID", M{"id": "neg", "whippy": M{"users": []M{{"id": -5}}}}, "whippy.users[0].id"},
		{"ZeroUserID", M{"id": "zero", "whippy": M{"users": []M{{"name": "a"}, {"id": 0}}}}, "whippy.users[1].id"},
		{"EmptyWhippyKey", M{"id": "wk", "whippy": M{"api_keys": []string{"ok", ""}}}, "whippy.api_keys[1]"},
		{"EmptyWherebyKey", M{"id": "wbk", "whereby": M{"api_keys": []string{""}}}, "whereby.api_keys[0]"},
		{"DuplicateWherebyKeys", M{"id": "wbk2", "whereby": M{"api_keys": []string{"same", "same"}}}, "whereby.api_keys[1]"},
		{"UnknownTopLevelKey", M{"id": "unk", "colour": "red"}, "colour"},
		{"UnknownNestedKey", M{"id": "unk2", "whippy": M{"users": []M{{"name": "a", "nick": "b"}}}}, "whippy.users[0].nick"},
		{"UnknownWherebyKey", M{"id": "unk3", "whereby": M{"subdomian": "x"}}, "whereby.subdomian"},
		{"BadID", M{"id": "a/b"}, "id"},
		{"NoEventTypes", M{"id": "ev", "whippy": M{"applications": []M{{"name": "app", "endpoints": []M{{"url": "http://hooks.example/a", "event_types": []string{}}}}}}},
			"whippy.applications[0].endpoints[0].event_types"},
		{"EndpointURL", M{"id": "ev2", "whippy": M{"applications": []M{{"name": "app", "endpoints": []M{{"url": "ftp://x", "event_types": []string{"message.created"}}}}}}},
			"whippy.applications[0].endpoints[0].url"},
		{"ZipwhipLine", M{"id": "zw", "zipwhip": M{"accounts": []M{{"username": "u", "line": "555"}}}}, "zipwhip.accounts[0].line"},
		{"DuplicateZipwhipUsernames", M{"id": "zw2", "zipwhip": M{"accounts": []M{{"username": "u", "line": "+12065552001"}, {"username": "u", "line": "+12065552002"}}}}, "zipwhip.accounts[1].username"},
		{"WebhookMethod", M{"id": "wh", "webhooks": []M{{"vendor": "whereby", "url": "http://hooks.example/w", "method": "PATCH"}}}, "webhooks[0].method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field, msg := fieldError(t, sb.Post(t, "/workspaces", tt.def), http.StatusUnprocessableEntity)
			if field != tt.field {
				t.Errorf("field %q, want %q (message %q)", field, tt.field, msg)
			}
			if !strings.HasPrefix(msg, tt.field) || strings.Contains(msg, "workspaces[") {
				t.Errorf("message %q does not start with the key %q within the definition", msg, tt.field)
			}
			apptest.Want(t, sb.Get(t, "/workspaces/"+tt.def["id"].(string)), http.StatusNotFound)
		})
	}
	if got := listWorkspaces(t, s); len(got) != len(before) {
		t.Errorf("refused definitions left workspaces behind: %v", got)
	}

	// Ids as Whippy has them are accepted and are the ids Whippy answers
	// with; users without one are numbered around the explicit ones.
	def := M{"id": "explicit", "whippy": M{
		"api_keys":     []string{"explicit-key"},
		"organization": M{"id": uuid2, "name": "Org"},
		"channels":     []M{withID(phone(1), uuid1), phone(2)},
		"users":        []M{{"id": 42, "name": "Explicit"}, {"name": "Numbered"}},
	}}
	apptest.Want(t, sb.Post(t, "/workspaces", def), http.StatusCreated)
	c := s.Whippy("explicit-key")
	var org struct{ Data M }
	apptest.Want(t, c.Get(t, "/organization"), http.StatusOK).JSON(t, &org)
	if got := field(org.Data, "id"); got != uuid2 {
		t.Errorf("organization id %q, want %q", got, uuid2)
	}
	apptest.Want(t, c.Get(t, "/channels/"+uuid1), http.StatusOK)
	users := map[string]any{}
	for _, u := range listOf(t, c.Get(t, "/users")) {
		users[field(u, "name")] = u["id"]
	}
	if users["Explicit"] != float64(42) || users["Numbered"] != float64(1) {
		t.Errorf("user ids %v, want Explicit 42 and Numbered 1", users)
	}

	// 409 is kept for what is really taken.
	if _, msg := fieldError(t, sb.Post(t, "/workspaces", M{"id": "explicit"}), http.StatusConflict); !strings.Contains(msg, "already exists") {
		t.Errorf("existing id: %q", msg)
	}
	if _, msg := fieldError(t, sb.Post(t, "/workspaces", M{"id": "other", "whippy": M{"api_keys": []string{"explicit-key"}}}), http.StatusConflict); !strings.Contains(msg, "explicit-key") {
		t.Errorf("taken key: %q", msg)
	}
}

// TestWorkspaces_DefinitionSchemaMatchesConfig keeps the spec's
// WorkspaceDefinition, which refuses unknown keys, in step with the config
// file's workspace type: a key added to one must be added to the other.
func TestWorkspaces_DefinitionSchemaMatchesConfig(t *testing.T) {
	doc, err := specs.Load(context.Background(), "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(path string, schema *openapi3.Schema, typ reflect.Type)
	walk = func(path string, schema *openapi3.Schema, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			if typ.Kind() == reflect.Slice {
				if schema.Items == nil {
					t.Errorf("%s: an array in config, not in the spec", path)
					return
				}
				schema = schema.Items.Value
				path += "[]"
			}
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		if ap := schema.AdditionalProperties; ap.Has == nil || *ap.Has {
			t.Errorf("%s: the spec does not refuse unknown keys", path)
		}
		var keys []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if yk, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); yk != key {
				t.Errorf("%s.%s: yaml key %q, json key %q", path, f.Name, yk, key)
			}
			keys = append(keys, key)
			prop := schema.Properties[key]
			if prop == nil {
				t.Errorf("%s.%s: in config, not in the spec", path, key)
				continue
			}
			walk(path+"."+key, prop.Value, f.Type)
		}
		for key := range schema.Properties {
			if !slices.Contains(keys, key) {
				t.Errorf("%s.%s: in the spec, not in config", path, key)
			}
		}
	}
	// A definition is id, name, webhooks and each vendor's section.
	def := doc.Components.Schemas["WorkspaceDefinition"].Value
	keys := []string{"id", "name", "webhooks", "snapshot"}
	walk("WorkspaceDefinition.webhooks", def.Properties["webhooks"].Value, reflect.TypeOf([]config.WebhookConfig{}))
	for _, v := range app.Vendors() {
		sec, err := v.DecodeWorkspace(nil)
		if err != nil {
			t.Fatalf("%s: empty section: %v", v.Name(), err)
		}
		keys = append(keys, v.Name())
		prop := def.Properties[v.Name()]
		if prop == nil {
			t.Errorf("WorkspaceDefinition.%s: a vendor, not in the spec", v.Name())
			continue
		}
		walk("WorkspaceDefinition."+v.Name(), prop.Value, reflect.TypeOf(sec))
	}
	for key := range def.Properties {
		if !slices.Contains(keys, key) {
			t.Errorf("WorkspaceDefinition.%s: in the spec, not in config", key)
		}
	}
}

type clock struct {
	Now           string  `json:"now"`
	OffsetSeconds float64 `json:"offset_seconds"`
}

func TestClock_AdvanceBounds(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	sb := s.Sandbox(whippyKey("clock-key"))
	get := func(tb testing.TB) clock {
		tb.Helper()
		var c clock
		apptest.Want(tb, sb.Get(tb, "/clock"), http.StatusOK).JSON(tb, &c)
		return c
	}
	advance := func(tb testing.TB, by time.Duration) clock {
		tb.Helper()
		var c clock
		apptest.Want(tb, sb.Post(tb, "/clock/advance", M{"by": by.String()}), http.StatusOK).JSON(tb, &c)
		return c
	}
	refused := func(tb testing.TB, by, wants string) {
		tb.Helper()
		was := get(tb).OffsetSeconds
		f, msg := fieldError(tb, sb.Post(tb, "/clock/advance", M{"by": by}), http.StatusUnprocessableEntity)
		if f != "by" || !strings.Contains(msg, wants) {
			tb.Errorf("by %s: field %q message %q; want by and %q", by, f, msg, wants)
		}
		if now := get(tb).OffsetSeconds; now != was {
			tb.Errorf("refused advance by %s moved the clock from %vs to %vs", by, was, now)
		}
	}

	// 0s is allowed (it runs what is due now); negatives are refused with a
	// message that says so.
	if c := advance(t, 0); c.OffsetSeconds != 0 {
		t.Errorf("advance by 0s: offset %v, want 0", c.OffsetSeconds)
	}
	refused(t, "-1s", "not negative")

	// An advance past the horizon is refused, and does not saturate the
	// clock: later advances still move it.
	horizon := scenarios.Horizon
	refused(t, (horizon + time.Hour).String(), "years")
	refused(t, "2562047h", "years")
	first := advance(t, time.Hour)
	if first.OffsetSeconds < 3599 || first.OffsetSeconds > 3601 {
		t.Errorf("offset after 1h: %vs", first.OffsetSeconds)
	}
	near := advance(t, horizon-2*time.Hour)
	if d := near.OffsetSeconds - first.OffsetSeconds; d < (horizon-2*time.Hour).Seconds()-1 {
		t.Errorf("advance by %s moved the clock %vs", horizon-2*time.Hour, d)
	}
	refused(t, "2h", "years")
	last := advance(t, 30*time.Minute)
	if d := last.OffsetSeconds - near.OffsetSeconds; d < 1799 || d > 1801 {
		t.Errorf("advance by 30m near the horizon moved the clock %vs", d)
	}
	if _, err := time.Parse(time.RFC3339, last.Now); err != nil {
		t.Errorf("now %q near the horizon: %v", last.Now, err)
	}
}

func TestScenarios_RunChecksUpFront(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	key, otherKey := "run-key", "run-other-key"
	sb := s.Sandbox(whippyKey(key))
	from := field(listOf(t, s.Whippy(key).Get(t, "/channels"))[0], "phone")
	var sent struct{ Data M }
	apptest.Want(t, s.Whippy(key).Post(t, "/messaging/sms", M{"from": from, "to": "+13125557000", "body": "x"}), http.StatusCreated).JSON(t, &sent)
	msgID := field(sent.Data, "id")
	otherFrom := field(listOf(t, s.Whippy(otherKey).Get(t, "/channels"))[0], "phone")
	var other struct{ Data M }
	apptest.Want(t, s.Whippy(otherKey).Post(t, "/messaging/sms", M{"from": otherFrom, "to": "+13125557001", "body": "y"}), http.StatusCreated).JSON(t, &other)

	run := "/scenarios/whippy.sms.delivered/run"
	refused := func(tb testing.TB, body M, wantField, wants string) {
		tb.Helper()
		f, msg := fieldError(tb, sb.Post(tb, run, body), http.StatusUnprocessableEntity)
		if f != wantField || !strings.HasPrefix(msg, wantField) || !strings.Contains(msg, wants) {
			tb.Errorf("%v: field %q message %q; want %s and %q", body, f, msg, wantField, wants)
		}
	}
	refused(t, M{"params": M{"message_id": "nope"}}, "params.message_id", `"nope"`)
	refused(t, M{"params": M{"message_id": field(other.Data, "id")}}, "params.message_id", field(other.Data, "id"))
	refused(t, M{}, "params.message_id", "missing")
	refused(t, M{"params": M{"message_id": msgID}, "start_at": "9999-12-31T23:59:59Z"}, "start_at", "years")
	// The reply action looks the message up too.
	f, _ := fieldError(t, sb.Post(t, "/scenarios/whippy.sms.reply/run", M{"params": M{"message_id": "nope"}}), http.StatusUnprocessableEntity)
	if f != "params.message_id" {
		t.Errorf("reply scenario with an unknown message: field %q", f)
	}
	fieldError(t, sb.Post(t, "/scenarios/nope/run", M{}), http.StatusNotFound)
	// Nothing refused was scheduled: the only steps that run are those of
	// the send's own timeline.
	var lib struct {
		Data []struct {
			Name  string `json:"name"`
			Steps []M    `json:"steps"`
		}
	}
	apptest.Want(t, sb.Get(t, "/scenarios"), http.StatusOK).JSON(t, &lib)
	own := -1
	for _, sc := range lib.Data {
		if sc.Name == "whippy.sms.delivered" {
			own = len(sc.Steps)
		}
	}
	var adv struct {
		clock
		Ran scenarios.Summary `json:"ran"`
	}
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "10m"}), http.StatusOK).JSON(t, &adv)
	if adv.Ran.Jobs != own {
		t.Errorf("%d steps ran, want the %d of the send's timeline only", adv.Ran.Jobs, own)
	}
	c := adv.clock

	// Within the horizon, a run starts when asked and its times are RFC 3339.
	now, err := time.Parse(time.RFC3339Nano, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	start := now.Add(scenarios.Horizon - 24*time.Hour).UTC().Truncate(time.Second)
	var got struct {
		State string
		Steps []struct {
			Action string `json:"action"`
			DueAt  string `json:"due_at"`
		}
	}
	apptest.Want(t, sb.Post(t, run, M{"params": M{"message_id": msgID}, "start_at": start.Format(time.RFC3339)}), http.StatusAccepted).JSON(t, &got)
	if len(got.Steps) != 1 {
		t.Fatalf("steps %+v, want the first one scheduled", got.Steps)
	}
	due, err := time.Parse(time.RFC3339, got.Steps[0].DueAt)
	if err != nil || due.Before(start) {
		t.Errorf("first step due %q (%v), want RFC 3339 at or after %s", got.Steps[0].DueAt, err, start)
	}
}

func TestDeliveries_FlushIsPostOnly(t *testing.T) {
	s := apptest.New(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		r := s.Sandbox(nil).Do(t, method, "/deliveries/flush", nil)
		sandboxError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := r.Header.Get("Allow"); got != http.MethodPost {
			t.Errorf("%s /deliveries/flush: Allow %q, want POST", method, got)
		}
	}
	// A delivery id that is not a number is still refused as such.
	sandboxError(t, s.Sandbox(nil).Get(t, "/deliveries/abc"), http.StatusUnprocessableEntity, "invalid")
}
