package sandbox_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

func manual(c *config.Config) { c.Scenarios.Manual = true }

// reads are the answers a test compares before and after a snapshot
// round trip.
func reads(tb testing.TB, s *apptest.Server, key string, conv string) map[string]any {
	tb.Helper()
	w := s.Whippy(key)
	sb := s.Sandbox(whippyKey(key))
	out := map[string]any{}
	for _, p := range []string{"/contacts", "/channels", "/conversations", "/conversations/" + conv, "/users", "/organization"} {
		out[p] = apptest.Want(tb, w.Get(tb, p), http.StatusOK).Map(tb)
	}
	hooks := apptest.Want(tb, sb.Get(tb, "/webhooks"), http.StatusOK).Map(tb)
	out["webhooks"] = hooks
	clock := apptest.Want(tb, sb.Get(tb, "/clock"), http.StatusOK).Map(tb)
	out["clock.offset"] = clock["offset_seconds"]
	out["clock.workspace"] = clock["workspace_id"]
	return out
}

type snapshotSetup struct {
	key, ws, conv string
	snapshot      []byte
}

// setupSnapshot fills a workspace (contacts, a message with its timeline
// pending, a webhook, a clock moved ahead) and exports it.
func setupSnapshot(t *testing.T, s *apptest.Server, key string) snapshotSetup {
	t.Helper()
	w := s.Whippy(key)
	sb := s.Sandbox(whippyKey(key))
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550151", "name": "Ann <ann@example.com>"}), http.StatusCreated)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550152", "name": "Bob"}), http.StatusCreated)
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "1h"}), http.StatusOK)
	ch := listOf(t, w.Get(t, "/channels"))[0]["phone"].(string)
	sent := apptest.Want(t, w.Post(t, "/messaging/sms", M{"to": "+12065550153", "from": ch, "body": "hello & welcome"}), http.StatusCreated).Map(t)
	conv := sent["data"].(map[string]any)["conversation_id"].(string)
	apptest.Want(t, sb.Post(t, "/webhooks", M{"vendor": "whippy", "url": "http://127.0.0.1:9/hook", "secret": "shh"}), http.StatusCreated)
	ws := apptest.Want(t, sb.Get(t, "/clock"), http.StatusOK).Map(t)["workspace_id"].(string)
	r := apptest.Want(t, s.Sandbox(nil).Get(t, "/workspaces/"+ws+"/snapshot"), http.StatusOK)
	return snapshotSetup{key: key, ws: ws, conv: conv, snapshot: r.Body}
}

func messageStatus(tb testing.TB, s *apptest.Server, key, conv string) any {
	tb.Helper()
	m := apptest.Want(tb, s.Whippy(key).Get(tb, "/conversations/"+conv), http.StatusOK).Map(tb)
	return m["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)["delivery_status"]
}

func TestSnapshot_ExportResetImportAnswersTheSame(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(manual))
	st := setupSnapshot(t, s, "snapshot-roundtrip-key")
	before := reads(t, s, st.key, st.conv)
	if before["clock.offset"].(float64) < 3600 {
		t.Fatalf("clock offset %v, want the hour advanced", before["clock.offset"])
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	if ws := listWorkspaces(t, s); len(ws) != 0 {
		t.Fatalf("after reset: %v", ws)
	}
	var doc any
	json.Unmarshal(st.snapshot, &doc)
	created := apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": st.ws, "snapshot": doc}), http.StatusCreated).Map(t)
	if created["id"] != st.ws {
		t.Fatalf("created %v", created)
	}
	after := reads(t, s, st.key, st.conv)
	if !reflect.DeepEqual(before, after) {
		for k := range before {
			if !reflect.DeepEqual(before[k], after[k]) {
				t.Errorf("%s differs after the round trip:\nbefore %v\nafter  %v", k, before[k], after[k])
			}
		}
	}
	// The same state exports again.
	again := apptest.Want(t, s.Sandbox(nil).Get(t, "/workspaces/"+st.ws+"/snapshot"), http.StatusOK).Map(t)
	if !reflect.DeepEqual(again["state"], doc.(map[string]any)["state"]) {
		t.Errorf("the state exported after import differs:\n%v\n%v", again["state"], doc.(map[string]any)["state"])
	}
	// The message's pending timeline came along and runs on the clock.
	if got := messageStatus(t, s, st.key, st.conv); got != "queued" {
		t.Fatalf("status %v before the timeline, want queued", got)
	}
	apptest.Want(t, s.Sandbox(whippyKey(st.key)).Post(t, "/clock/advance", M{"by": "10s"}), http.StatusOK)
	if got := messageStatus(t, s, st.key, st.conv); got != "delivered" {
		t.Errorf("status %v after the timeline's time, want delivered", got)
	}
}

func TestSnapshot_TamperedOrFutureRefusedWithoutChange(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(manual))
	st := setupSnapshot(t, s, "snapshot-tamper-key")
	before := reads(t, s, st.key, st.conv)
	workspaces := listWorkspaces(t, s)

	tampered := strings.Replace(string(st.snapshot), `"Bob"`, `"Rob"`, 1)
	if tampered == string(st.snapshot) {
		t.Fatal("nothing to tamper with")
	}
	future := strings.Replace(string(st.snapshot), `"version": 1,`, `"version": 2,`, 1)
	if future == string(st.snapshot) {
		t.Fatal("no version to change")
	}
	for _, tc := range []struct {
		name, doc, query, want string
	}{
		{"tampered", tampered, "", "checksum"},
		{"tampered over the existing", tampered, "?replace=true", "checksum"},
		{"future", future, "", "newer"},
		{"future over the existing", future, "?replace=true", "version 2"},
		{"not a snapshot", `{"format":"other"}`, "", "format"},
	} {
		var doc any
		json.Unmarshal([]byte(tc.doc), &doc)
		for _, id := range []string{"restored", st.ws} {
			e := decodeError(t, s.Sandbox(nil).Do(t, "POST", "/workspaces"+tc.query, M{"id": id, "snapshot": doc}), http.StatusUnprocessableEntity)
			if e.Field != "snapshot" || !strings.Contains(e.Message, tc.want) {
				t.Errorf("%s as %s: %+v, want a refusal on snapshot saying %q", tc.name, id, e, tc.want)
			}
		}
	}
	// Loading over the existing workspace without replace, or as another
	// workspace while this one holds the credentials: a conflict.
	var doc any
	json.Unmarshal(st.snapshot, &doc)
	sandboxError(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": st.ws, "snapshot": doc}), http.StatusConflict, "conflict")
	if msg := sandboxError(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": "copy", "snapshot": doc}), http.StatusConflict, "conflict"); !strings.Contains(msg, "credential") {
		t.Errorf("copy: %q", msg)
	}
	// A path is for the config file only; nothing else goes beside a snapshot.
	decodeError(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": "x", "snapshot": "/etc/passwd"}), http.StatusUnprocessableEntity)
	if e := decodeError(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": "x", "name": "n", "snapshot": doc}), http.StatusUnprocessableEntity); e.Field != "name" {
		t.Errorf("name beside a snapshot: %+v", e)
	}

	if got := listWorkspaces(t, s); !reflect.DeepEqual(got, workspaces) {
		t.Errorf("workspaces changed: %v, were %v", got, workspaces)
	}
	if after := reads(t, s, st.key, st.conv); !reflect.DeepEqual(before, after) {
		t.Errorf("the workspace changed:\n%v\n%v", before, after)
	}
	// The pending timeline was not cancelled by a refused replace.
	apptest.Want(t, s.Sandbox(whippyKey(st.key)).Post(t, "/clock/advance", M{"by": "10s"}), http.StatusOK)
	if got := messageStatus(t, s, st.key, st.conv); got != "delivered" {
		t.Errorf("status %v, want delivered: a refused import cancelled the timeline", got)
	}
	// replace=true with the real snapshot puts the state back.
	apptest.Want(t, s.Sandbox(nil).Do(t, "POST", "/workspaces?replace=true", M{"id": st.ws, "snapshot": doc}), http.StatusCreated)
	if got := messageStatus(t, s, st.key, st.conv); got != "queued" {
		t.Errorf("status %v after replacing with the snapshot, want queued", got)
	}
	if after := reads(t, s, st.key, st.conv); !reflect.DeepEqual(before, after) {
		t.Errorf("replace did not restore the state:\n%v\n%v", before, after)
	}
}

// A snapshot file in the config creates the workspace, and a reset goes
// back to it.
func TestSnapshot_ConfigFile(t *testing.T) {
	src := apptest.New(t, apptest.WithConfig(manual))
	st := setupSnapshot(t, src, "snapshot-config-key")
	before := reads(t, src, st.key, st.conv)
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, st.snapshot, 0o600); err != nil {
		t.Fatal(err)
	}
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		manual(c)
		c.Workspaces = []config.Workspace{{ID: st.ws, Snapshot: path}}
	}))
	if after := reads(t, s, st.key, st.conv); !reflect.DeepEqual(before, after) {
		t.Errorf("loaded from the config:\n%v\n%v", before, after)
	}
	apptest.Want(t, s.Whippy(st.key).Post(t, "/contacts", M{"phone": "+12065550159"}), http.StatusCreated)
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	if after := reads(t, s, st.key, st.conv); !reflect.DeepEqual(before, after) {
		t.Errorf("after a reset:\n%v\n%v", before, after)
	}
}
