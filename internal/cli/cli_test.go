package cli_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/cli"
	"github.com/vendorsim/vendorsim/internal/config"
)

type M = map[string]any

// vs runs the command line against url and returns its output.
func vs(tb testing.TB, url string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "VENDORSIM_URL" {
			return url
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = cli.Run(ctx, args, getenv, &out, &errb)
	return out.String(), errb.String(), err
}

// ok runs a command that must succeed.
func ok(tb testing.TB, url string, args ...string) string {
	tb.Helper()
	out, _, err := vs(tb, url, args...)
	if err != nil {
		tb.Fatalf("vendorsim %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// fails runs a command that must fail with an error containing want.
func fails(tb testing.TB, url, want string, args ...string) {
	tb.Helper()
	out, _, err := vs(tb, url, args...)
	if err == nil {
		tb.Fatalf("vendorsim %s succeeded, want an error with %q:\n%s", strings.Join(args, " "), want, out)
	}
	if !strings.Contains(err.Error(), want) {
		tb.Errorf("vendorsim %s: error %q, want it to contain %q", strings.Join(args, " "), err, want)
	}
}

const key = "cli-test-key"

var keyHeader = "X-Whippy-Key: " + key

func seed(t *testing.T, s *apptest.Server, hook string) (conv, msg string) {
	t.Helper()
	w := s.Whippy(key)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550161", "name": "Ann"}), http.StatusCreated)
	apptest.Want(t, s.Sandbox(http.Header{"X-Whippy-Key": {key}}).Post(t, "/webhooks", M{"vendor": "whippy", "url": hook, "events": []string{"contact.created", "message.created"}}), http.StatusCreated)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550162", "name": "Bob"}), http.StatusCreated)
	chs := apptest.Want(t, w.Get(t, "/channels"), http.StatusOK).Map(t)
	ch := chs["data"].([]any)[0].(map[string]any)["phone"].(string)
	sent := apptest.Want(t, w.Post(t, "/messaging/sms", M{"to": "+12065550163", "from": ch, "body": "hi"}), http.StatusCreated).Map(t)
	d := sent["data"].(map[string]any)
	return d["conversation_id"].(string), d["id"].(string)
}

func receiver(t *testing.T) *httptest.Server {
	t.Helper()
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	t.Cleanup(h.Close)
	return h
}

func TestCommands_AgainstARealServer(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	hook := receiver(t)
	_, msg := seed(t, s, hook.URL)
	u := s.URL
	sel := []string{"--header", keyHeader}
	with := func(args ...string) []string { return append(args, sel...) }

	// requests
	out := ok(t, u, with("requests", "list", "--match", "method=POST")...)
	if !strings.Contains(out, "POST /whippy/v1/contacts 201 createContact") || !strings.Contains(out, "3 of 3 requests") {
		t.Errorf("requests list:\n%s", out)
	}
	if out := ok(t, u, with("requests", "count", "--match", "path*=/contacts", "--match", "body.name~=^(Ann|Bob)$")...); strings.TrimSpace(out) != "2" {
		t.Errorf("requests count = %q, want 2", out)
	}
	if out := ok(t, u, with("requests", "count", "--match", "query.limit!")...); strings.TrimSpace(out) != "4" {
		t.Errorf("requests count absent = %q, want 4", out)
	}
	out = ok(t, u, with("requests", "expect", "--match", "operation_id=createContact", "--count", "2")...)
	if !strings.HasPrefix(out, "ok: 2 requests") {
		t.Errorf("requests expect: %q", out)
	}
	fails(t, u, `body name is "Bob", not "Cy"`, with("requests", "expect", "--match", "operation_id=createContact", "--match", "body.name=Cy", "--count", "1")...)
	var exp struct {
		OK     bool `json:"ok"`
		Misses []any
	}
	out, _, err := vs(t, u, with("requests", "expect", "--json", "--match", "body.name=Cy")...)
	if err == nil || json.Unmarshal([]byte(out), &exp) != nil || exp.OK || len(exp.Misses) == 0 {
		t.Errorf("requests expect --json: %v\n%s", err, out)
	}
	out = ok(t, u, with("requests", "list", "--har", "--method", "POST")...)
	var har struct {
		Log struct {
			Version string
			Entries []any
		}
	}
	if json.Unmarshal([]byte(out), &har) != nil || har.Log.Version != "1.2" || len(har.Log.Entries) != 3 {
		t.Errorf("requests list --har:\n%s", out)
	}

	// deliveries: nothing is sent in manual mode until a flush or a wait.
	out = ok(t, u, with("deliveries", "list", "--state", "pending")...)
	if !strings.Contains(out, "pending whippy contact.created -> "+hook.URL) {
		t.Errorf("deliveries list:\n%s", out)
	}
	out = ok(t, u, with("deliveries", "wait", "--event-type", "contact.created", "--state", "delivered", "--match", "body.data.name=Bob", "--timeout", "30s")...)
	if !strings.Contains(out, "delivered whippy contact.created") {
		t.Errorf("deliveries wait: %q", out)
	}
	id := strings.TrimPrefix(strings.Fields(out)[0], "#")
	// The vendor and endpoint filters: the webhook's id or URL matches,
	// another vendor or endpoint waits in vain.
	var hooks struct {
		Data []struct{ ID string } `json:"data"`
	}
	apptest.Want(t, s.Sandbox(http.Header{"X-Whippy-Key": {key}}).Get(t, "/webhooks"), http.StatusOK).JSON(t, &hooks)
	if len(hooks.Data) != 1 {
		t.Fatalf("webhooks %+v", hooks)
	}
	for _, f := range [][]string{{"--vendor", "whippy"}, {"--endpoint", hook.URL}, {"--endpoint", hooks.Data[0].ID}, {"--vendor", "whippy", "--endpoint", hook.URL}} {
		out := ok(t, u, with(append([]string{"deliveries", "wait", "--event-type", "contact.created", "--timeout", "30s"}, f...)...)...)
		if !strings.Contains(out, "whippy contact.created -> "+hook.URL) {
			t.Errorf("deliveries wait %v: %q", f, out)
		}
	}
	for _, f := range [][]string{{"--vendor", "whereby"}, {"--endpoint", "http://127.0.0.1:1/elsewhere"}} {
		fails(t, u, "no matching delivery within 100ms", with(append([]string{"deliveries", "wait", "--event-type", "contact.created", "--timeout", "100ms"}, f...)...)...)
	}
	fails(t, u, "no matching delivery within 100ms", with("deliveries", "wait", "--event-type", "lead.new", "--timeout", "100ms")...)
	out = ok(t, u, with("deliveries", "flush")...)
	if !strings.Contains(out, "delivered") {
		t.Errorf("deliveries flush: %q", out)
	}
	if out := ok(t, u, with("deliveries", "replay", id)...); !strings.Contains(out, "(a replay of #"+id+")") {
		t.Errorf("deliveries replay: %q", out)
	}
	fails(t, u, "no delivery 999999", with("deliveries", "replay", "999999")...)
	fails(t, u, "not a delivery id", with("deliveries", "replay", "x")...)

	// clock
	if out := ok(t, u, with("clock", "show")...); !strings.Contains(out, "(+0s from real time)") {
		t.Errorf("clock show: %q", out)
	}
	out = ok(t, u, with("clock", "advance", "2h")...)
	if !strings.Contains(out, "(+7200s from real time)") || !strings.Contains(out, "ran ") {
		t.Errorf("clock advance: %q", out)
	}
	fails(t, u, "not a duration", with("clock", "advance", "soon")...)

	// run: a scenario on the message.
	out = ok(t, u, with("run", "whippy.sms.failed", "--param", "message_id="+msg)...)
	if !strings.Contains(out, "of whippy.sms.failed: running") {
		t.Errorf("run: %q", out)
	}
	fails(t, u, `no scenario "nope"`, with("run", "nope")...)
	fails(t, u, "params.message_id", with("run", "whippy.sms.failed")...)

	// snapshot: export, reset, import.
	var clock struct {
		WorkspaceID string `json:"workspace_id"`
	}
	json.Unmarshal([]byte(ok(t, u, with("clock", "show", "--json")...)), &clock)
	file := filepath.Join(t.TempDir(), "ws.json")
	if out := ok(t, u, "snapshot", "export", clock.WorkspaceID, "-o", file); !strings.Contains(out, "wrote the snapshot") {
		t.Errorf("snapshot export: %q", out)
	}
	if out := ok(t, u, "reset"); strings.TrimSpace(out) != "reset all" {
		t.Errorf("reset: %q", out)
	}
	if out := ok(t, u, "snapshot", "import", file); !strings.Contains(out, "as workspace "+clock.WorkspaceID) {
		t.Errorf("snapshot import: %q", out)
	}
	fails(t, u, "already exists", "snapshot", "import", file)
	ok(t, u, "snapshot", "import", file, "--replace")
	if out := ok(t, u, with("clock", "show")...); !strings.Contains(out, "(+7200s from real time)") {
		t.Errorf("clock after the snapshot round trip: %q", out)
	}
	if out := ok(t, u, with("reset")...); strings.TrimSpace(out) != "reset "+clock.WorkspaceID {
		t.Errorf("reset one: %q", out)
	}
	fails(t, u, `no workspace "nope"`, "snapshot", "export", "nope")
	fails(t, u, "no such file", "snapshot", "import", filepath.Join(t.TempDir(), "missing.json"))
}

// clockState is what clock show --json says of the frozen state.
type clockState struct {
	Now           time.Time `json:"now"`
	OffsetSeconds float64   `json:"offset_seconds"`
	Frozen        bool      `json:"frozen"`
}

func clockOf(t *testing.T, u string, args ...string) clockState {
	t.Helper()
	var c clockState
	out := ok(t, u, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("%v --json: %v\n%s", args, err, out)
	}
	return c
}

// clock freeze stops the workspace's virtual time (advance still moves
// it), clock resume lets it run again.
func TestCommands_ClockFreezeAndResume(t *testing.T) {
	s := apptest.New(t)
	sel := []string{"--header", keyHeader}
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	out := ok(t, s.URL, append([]string{"clock", "freeze"}, sel...)...)
	if !strings.Contains(out, ", frozen)") {
		t.Errorf("clock freeze: %q", out)
	}
	first := clockOf(t, s.URL, append([]string{"clock", "show"}, sel...)...)
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK) // real time passes
	second := clockOf(t, s.URL, append([]string{"clock", "show"}, sel...)...)
	if !first.Frozen || !second.Now.Equal(first.Now) {
		t.Errorf("frozen clock: %+v then %+v, want frozen and the same time", first, second)
	}
	moved := clockOf(t, s.URL, append([]string{"clock", "advance", "1h"}, sel...)...)
	if !moved.Frozen || moved.Now.Sub(first.Now) != time.Hour {
		t.Errorf("advance while frozen: %+v, want %s and still frozen", moved, first.Now.Add(time.Hour))
	}
	resumed := clockOf(t, s.URL, append([]string{"clock", "resume"}, sel...)...)
	if resumed.Frozen {
		t.Errorf("clock resume: %+v, want running", resumed)
	}
	if out := ok(t, s.URL, append([]string{"clock", "show"}, sel...)...); strings.Contains(out, "frozen") {
		t.Errorf("clock show after resume: %q", out)
	}
	fails(t, s.URL, "no arguments", "clock", "freeze", "now")
}

// rawStatus GETs u with the test's key, without the spec check (a fault
// answers a status the vendor's spec does not list).
func rawStatus(t *testing.T, u string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-Whippy-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// faults list is a table; faults clear removes the selected workspace's
// rules (every rule without a selection), and the calls answer again.
func TestCommands_FaultsAddListClear(t *testing.T) {
	s := apptest.New(t)
	sel := []string{"--header", keyHeader}
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	if out := ok(t, s.URL, append([]string{"faults", "add", `{"vendor":"whippy","operation_id":"listContacts","status":503}`}, sel...)...); !strings.Contains(out, "added fault f1") {
		t.Fatalf("faults add: %q", out)
	}
	if out := ok(t, s.URL, "faults", "add", `{"path":"/whippy/v1/channels","effect":"latency","latency":{"fixed":"1ms"}}`); !strings.Contains(out, "added fault f2") {
		t.Fatalf("faults add: %q", out)
	}
	if st := rawStatus(t, s.URL+"/whippy/v1/contacts"); st != http.StatusServiceUnavailable {
		t.Errorf("with the fault: %d, want 503", st)
	}
	out := ok(t, s.URL, "faults", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "ID WORKSPACE MATCHES EFFECT MATCHED APPLIED" ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "f1 auto-") || !strings.HasSuffix(strings.Join(strings.Fields(lines[1]), " "), "vendor=whippy operation=listContacts status 503 1 1") ||
		strings.Join(strings.Fields(lines[2]), " ") != "f2 (all) path=/whippy/v1/channels latency +1ms 0 0" || lines[3] != "2 faults" || strings.Contains(out, "{") {
		t.Errorf("faults list:\n%s", out)
	}
	if out := ok(t, s.URL, append([]string{"faults", "clear"}, sel...)...); strings.TrimSpace(out) != "removed 1 faults" {
		t.Errorf("faults clear of the workspace: %q", out)
	}
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	if out := ok(t, s.URL, "faults", "list"); !strings.Contains(out, "f2 ") || strings.Contains(out, "f1 ") || !strings.HasSuffix(out, "1 faults\n") {
		t.Errorf("faults list after clearing the workspace's:\n%s", out)
	}
	if out := ok(t, s.URL, "faults", "clear"); strings.TrimSpace(out) != "removed 1 faults" {
		t.Errorf("faults clear: %q", out)
	}
	if out := ok(t, s.URL, "faults", "list"); out != "0 faults\n" {
		t.Errorf("faults list after clear:\n%s", out)
	}
	var rules struct{ Data []any }
	if err := json.Unmarshal([]byte(ok(t, s.URL, "faults", "list", "--json")), &rules); err != nil || len(rules.Data) != 0 {
		t.Errorf("faults list --json: %v %v", err, rules)
	}
	fails(t, s.URL, "not JSON", "faults", "add", "{")
}

func deadURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestCommands_Errors(t *testing.T) {
	dead := deadURL(t)
	dir := t.TempDir()
	snap, upload := filepath.Join(dir, "ws.json"), filepath.Join(dir, "qa.yaml")
	if err := os.WriteFile(snap, []byte(`{"format":"vendorsim-snapshot","version":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(upload, []byte("name: qa.x\nvendor: whippy\nsteps: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "whippy.sms.delivered"},
		{"requests", "list"}, {"requests", "count"}, {"requests", "expect"}, {"requests", "list", "--har"},
		{"deliveries", "list"}, {"deliveries", "wait"}, {"deliveries", "replay", "1"}, {"deliveries", "flush"},
		{"clock", "show"}, {"clock", "advance", "1s"}, {"clock", "freeze"},
		{"faults", "add", "{}"}, {"faults", "list"}, {"faults", "clear"},
		{"clock", "resume"},
		{"reset"}, {"snapshot", "export", "x"}, {"snapshot", "import", snap},
		{"scenarios", "list"}, {"scenarios", "delete", "x"}, {"scenarios", "show", "x"},
		{"scenarios", "upload", upload}, {"scenarios", "cancel", "x"},
	} {
		fails(t, dead, "cannot reach vendorsim at "+dead, args...)
		bad := append(append([]string{}, args...), "--no-such-flag")
		fails(t, dead, "flag provided but not defined: -no-such-flag", bad...)
	}
	// invoke talks to a receiver, not to vendorsim.
	inv := []string{"invoke", "--vendor", "whippy", "--event", "message.created", "--to", dead + "/hooks"}
	fails(t, dead, "cannot reach the receiver at "+dead+"/hooks", inv...)
	fails(t, dead, "flag provided but not defined: -no-such-flag", append(inv, "--no-such-flag")...)
	fails(t, dead, "unknown subcommand \"nope\"", "requests", "nope")
	fails(t, dead, "name one of list, count, expect", "requests")
	fails(t, dead, `matcher "method"`, "requests", "count", "--match", "method")
	fails(t, dead, "is not an http(s) URL", "reset", "--url", "ftp://x")
	fails(t, dead, "is not NAME: VALUE", "reset", "--header", "nocolon")
	fails(t, dead, "want the scenario's name", "run")
	// -h prints the usage and succeeds.
	if out := ok(t, dead, "requests", "expect", "-h"); !strings.Contains(out, "Usage: vendorsim requests") || !strings.Contains(out, "-match") {
		t.Errorf("-h: %q", out)
	}
	if out := ok(t, dead, "deliveries", "-h"); !strings.Contains(out, "Usage: vendorsim deliveries") {
		t.Errorf("deliveries -h: %q", out)
	}
}

// The token comes from --token or VENDORSIM_CONTROL_TOKEN.
func TestCommands_ControlToken(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Server.ControlToken = "cli-token-0123456789" }))
	fails(t, s.URL, "needs its token", "reset")
	fails(t, s.URL, "wrong X-Sandbox-Token (HTTP 401)", "reset", "--token", "nope")
	ok(t, s.URL, "reset", "--token", "cli-token-0123456789")
	var out bytes.Buffer
	getenv := func(k string) string {
		return map[string]string{"VENDORSIM_URL": s.URL, "VENDORSIM_CONTROL_TOKEN": "cli-token-0123456789"}[k]
	}
	if err := cli.Run(context.Background(), []string{"reset"}, getenv, &out, io.Discard); err != nil {
		t.Errorf("with VENDORSIM_CONTROL_TOKEN: %v", err)
	}
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

func capture(t *testing.T, status int) (*httptest.Server, chan received) {
	t.Helper()
	got := make(chan received, 10)
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), b}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h, got
}

// verify checks a "t=<unix s>,v1=<digest>" header with HMAC-SHA256 over
// t + "." + body, written here independently of the signer.
func verify(t *testing.T, header string, body []byte, secret string, encode func([]byte) string) {
	t.Helper()
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		t.Fatalf("timestamp %q in %q", ts, header)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	if want := encode(mac.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
		t.Errorf("signature %q, want %q", sig, want)
	}
}

func TestInvoke_EachVendorVerifiedAtAReceiver(t *testing.T) {
	dead := deadURL(t) // invoke talks to no vendorsim
	h, got := capture(t, http.StatusOK)

	// Whippy: its example payload, X-Whippy-Signature in unpadded base64.
	out := ok(t, dead, "invoke", "--vendor", "whippy", "--event", "message.created", "--to", h.URL+"/hooks/whippy", "--secret", "whsec")
	if !strings.Contains(out, "POST "+h.URL+"/hooks/whippy -> 200 OK") {
		t.Errorf("invoke whippy: %q", out)
	}
	r := <-got
	var env struct {
		Event     string         `json:"event"`
		RequestID string         `json:"request_id"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || env.Event != "message.created" || env.RequestID == "" || env.Data["id"] == nil {
		t.Errorf("whippy body %s (%v)", r.body, err)
	}
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("User-Agent") != "Whippy-Webhooks/1.0" {
		t.Errorf("whippy headers %v", r.header)
	}
	verify(t, r.header.Get("X-Whippy-Signature"), r.body, "whsec", base64.RawStdEncoding.EncodeToString)

	// Whereby: a given body, Whereby-Signature in hex.
	body := `{"type":"room.client.joined","data":{"roomName":"/demo"}}`
	ok(t, dead, "invoke", "--vendor", "whereby", "--event", "room.client.joined", "--to", h.URL, "--secret", "wbsec", "--body", body)
	r = <-got
	if string(r.body) != body {
		t.Errorf("whereby body %s", r.body)
	}
	verify(t, r.header.Get("Whereby-Signature"), r.body, "wbsec", hex.EncodeToString)

	// Zipwhip: unsigned by default; signed when its config says so.
	file := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(file, []byte(`{"messageId":1}`), 0o600)
	_, stderr, err := vs(t, dead, "invoke", "--vendor", "zipwhip", "--event", "message.receive", "--to", h.URL, "--secret", "zsec", "--body", "@"+file)
	if err != nil || !strings.Contains(stderr, "zipwhip does not sign") {
		t.Errorf("invoke zipwhip: %v %q", err, stderr)
	}
	r = <-got
	if r.header.Get("X-Zipwhip-Signature") != "" || string(r.body) != `{"messageId":1}` || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("zipwhip unsigned: %v %s", r.header, r.body)
	}
	cfg := filepath.Join(t.TempDir(), "vendorsim.yaml")
	os.WriteFile(cfg, []byte("zipwhip:\n  signature:\n    disabled: false\n"), 0o600)
	ok(t, dead, "invoke", "--vendor", "zipwhip", "--event", "message.receive", "--to", h.URL, "--secret", "zsec", "--body", "@"+file, "--config", cfg)
	r = <-got
	verify(t, r.header.Get("X-Zipwhip-Signature"), r.body, "zsec", hex.EncodeToString)

	// --json describes what was sent.
	out = ok(t, dead, "invoke", "--json", "--vendor", "whippy", "--event", "contact.created", "--to", h.URL, "--secret", "s")
	<-got
	var sent struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	if json.Unmarshal([]byte(out), &sent) != nil || sent.Status != 200 || !strings.Contains(sent.Body, `"event":"contact.created"`) {
		t.Errorf("invoke --json: %s", out)
	}

	// Errors.
	fails(t, dead, "--vendor must be one of whippy, zipwhip, whereby", "invoke", "--vendor", "x", "--event", "e", "--to", h.URL)
	fails(t, dead, "--event must be one of whippy's event types", "invoke", "--vendor", "whippy", "--event", "nope", "--to", h.URL)
	fails(t, dead, "--to must be an http(s) URL", "invoke", "--vendor", "whippy", "--event", "message.created")
	fails(t, dead, "cannot reach the receiver at "+dead, "invoke", "--vendor", "whippy", "--event", "message.created", "--to", dead)
	bad, gotBad := capture(t, http.StatusInternalServerError)
	fails(t, dead, "the receiver answered 500", "invoke", "--vendor", "whippy", "--event", "message.created", "--to", bad.URL, "--secret", "s")
	<-gotBad
}

// keys returns the sorted keys of a JSON object, and of its object
// members as "member.key".
func keys(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %s", b)
	}
	var out []string
	for k, v := range m {
		out = append(out, k)
		if o, ok := v.(map[string]any); ok {
			for k2 := range o {
				out = append(out, k+"."+k2)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Zipwhip and Whereby have an example payload for every event type: sent
// signed to a receiver and checked there with each vendor's verifier.
func TestInvoke_ExamplePayloadsOfEveryEventType(t *testing.T) {
	dead := deadURL(t)
	h, got := capture(t, http.StatusOK)
	cfg := filepath.Join(t.TempDir(), "vendorsim.yaml")
	if err := os.WriteFile(cfg, []byte("zipwhip:\n  signature:\n    disabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vendor, header string
		events         []string
		check          func(event string, body []byte) error
	}{
		{"zipwhip", "X-Zipwhip-Signature", []string{"message.receive", "message.send", "message.progress", "message.read", "message.delete", "optout.change"},
			func(event string, body []byte) error {
				var p struct {
					ID          json.Number `json:"id"`
					MessageType string      `json:"messageType"`
					Body        string      `json:"body"`
					StatusCode  int         `json:"statusCode"`
					Read        bool        `json:"read"`
					Deleted     bool        `json:"deleted"`
					Type        string      `json:"type"`
					MessageID   string      `json:"messageId"`
					Line        string      `json:"line"`
				}
				if err := json.Unmarshal(body, &p); err != nil {
					return err
				}
				ok := map[string]bool{
					"message.send":     p.MessageType == "MT" && p.StatusCode == 1 && p.Body != "",
					"message.progress": p.MessageType == "MT" && p.StatusCode == 4 && strings.Contains(string(body), `"dateDelivered":"20`),
					"message.receive":  p.MessageType == "MO" && p.ID != "",
					"message.read":     p.MessageType == "MO" && p.Read,
					"message.delete":   p.MessageType == "MO" && p.Deleted && strings.Contains(string(body), `"visible":false`),
					"optout.change":    p.Type == "STOP" && p.MessageID != "" && p.Line != "",
				}[event]
				if !ok {
					return fmt.Errorf("not a %s payload", event)
				}
				return nil
			}},
		{"whereby", "Whereby-Signature", []string{"room.client.joined", "room.client.left", "room.client.knocked", "room.client.knockCancelled",
			"room.session.started", "room.session.ended", "recording.finished", "transcription.started", "transcription.finished", "transcription.failed", "assistant.requested"},
			func(event string, body []byte) error {
				var e struct {
					ID, APIVersion, CreatedAt, Type string
					Data                            map[string]any
				}
				if err := json.Unmarshal(body, &e); err != nil {
					return err
				}
				if len(e.ID) != 64 || e.APIVersion != "1.0" || e.CreatedAt == "" || e.Type != event || !strings.HasPrefix(fmt.Sprint(e.Data["roomName"]), "/") {
					return fmt.Errorf("not a %s envelope", event)
				}
				return nil
			}},
	} {
		for _, ev := range c.events {
			ok(t, dead, "invoke", "--vendor", c.vendor, "--event", ev, "--to", h.URL+"/"+ev, "--secret", "sec", "--config", cfg)
			r := <-got
			verify(t, r.header.Get(c.header), r.body, "sec", hex.EncodeToString)
			if err := c.check(ev, r.body); err != nil {
				t.Errorf("%s %s: %v: %s", c.vendor, ev, err, r.body)
			}
		}
	}
}

// The example payloads have the shape of the events the server sends:
// the same fields as a real message.send and room.client.joined.
func TestInvoke_ExamplesAreShapedAsRealEvents(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	h, got := capture(t, http.StatusOK)
	formH := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	var login struct{ Response string }
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/user/login", Header: formH, Body: "username=2065550195&password=pw"}), http.StatusOK).JSON(t, &login)
	sess := http.Header{"Content-Type": formH["Content-Type"]}
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/webhook/add", Header: sess,
		Body: "session=" + login.Response + "&type=message&event=send&url=" + h.URL}), http.StatusOK)
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/message/send", Header: sess,
		Body: "session=" + login.Response + "&contacts=%2B12065550196&body=hi"}), http.StatusOK)
	apptest.Want(t, s.Sandbox(nil).Post(t, "/deliveries/flush", nil), http.StatusOK)
	realSend := (<-got).body

	wb := http.Header{"Authorization": {"Bearer cli-example-wb"}, "Content-Type": {"application/json"}}
	mt := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whereby/v1/meetings", Header: wb, Body: M{"endDate": "2099-01-01T00:00:00Z"}}), http.StatusCreated).Map(t)
	sel := http.Header{"Authorization": wb["Authorization"], "X-Sandbox-Vendor": {"whereby"}}
	apptest.Want(t, s.Sandbox(sel).Post(t, "/webhooks", M{"vendor": "whereby", "url": h.URL, "events": []string{"room.client.joined"}}), http.StatusCreated)
	apptest.Want(t, s.Sandbox(sel).Post(t, "/whereby/meetings/"+mt["meetingId"].(string)+"/participants", M{"displayName": "Ann", "roleName": "host", "externalId": "u-1"}), http.StatusCreated)
	apptest.Want(t, s.Sandbox(nil).Post(t, "/deliveries/flush", nil), http.StatusOK)
	realJoined := (<-got).body

	dead := deadURL(t)
	for _, c := range []struct {
		vendor, event string
		real          []byte
	}{{"zipwhip", "message.send", realSend}, {"whereby", "room.client.joined", realJoined}} {
		ok(t, dead, "invoke", "--vendor", c.vendor, "--event", c.event, "--to", h.URL)
		example := (<-got).body
		if a, b := strings.Join(keys(t, example), " "), strings.Join(keys(t, c.real), " "); a != b {
			t.Errorf("%s %s example fields\n  %s\nreal event\n  %s", c.vendor, c.event, a, b)
		}
	}
}

// scenarios: upload a file, see it listed, run it, show and cancel the
// run, delete it; a bad file is refused with its line named.
func TestCommands_Scenarios(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	hook := receiver(t)
	_, msg := seed(t, s, hook.URL)
	u := s.URL
	dir := t.TempDir()
	good := filepath.Join(dir, "qa.yaml")
	if err := os.WriteFile(good, []byte(`name: qa.cli.slow
vendor: whippy
description: A slow delivery.
params: [message_id]
emits: [message.updated, message.updated]
steps:
  - {after: 1h, action: whippy.message.status, with: {status: sent}}
  - {after: 1h, action: whippy.message.status, with: {status: delivered}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: qa.cli.bad\nvendor: whippy\nsteps:\n  - {after: soon, action: whippy.message.status}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	if out := ok(t, u, "scenarios", "upload", good); !strings.Contains(out, "loaded qa.cli.slow (whippy)") {
		t.Errorf("upload:\n%s", out)
	}
	fails(t, u, "bad.yaml", "scenarios", "upload", bad)
	fails(t, u, "line 4", "scenarios", "upload", bad)

	out := ok(t, u, "scenarios", "list", "--vendor", "whippy")
	if !strings.Contains(out, "qa.cli.slow") || !strings.Contains(out, "upload:qa.yaml") || !strings.Contains(out, "emits 2 events") || strings.Contains(out, "zipwhip.") {
		t.Errorf("list --vendor whippy:\n%s", out)
	}
	if strings.Contains(out, "qa.cli.bad") {
		t.Errorf("the refused file was loaded:\n%s", out)
	}
	internal := ok(t, u, "scenarios", "list", "--vendor", "whereby")
	everything := ok(t, u, "scenarios", "list", "--vendor", "whereby", "--all")
	if strings.Contains(internal, "whereby.meetings.sweep") || !strings.Contains(everything, "whereby.meetings.sweep") {
		t.Errorf("internal timelines: without --all\n%s\nwith --all\n%s", internal, everything)
	}

	out = ok(t, u, "run", "qa.cli.slow", "--param", "message_id="+msg, "--header", keyHeader)
	id := strings.Fields(out)[1]
	out = ok(t, u, "scenarios", "show", id, "--header", keyHeader)
	if !strings.Contains(out, "of qa.cli.slow: running") || !strings.Contains(out, "pending    whippy.message.status") {
		t.Errorf("show:\n%s", out)
	}
	if out := ok(t, u, "scenarios", "cancel", id, "--header", keyHeader); !strings.Contains(out, ": cancelled") {
		t.Errorf("cancel:\n%s", out)
	}
	if out := ok(t, u, "scenarios", "delete", "qa.cli.slow"); !strings.Contains(out, "deleted qa.cli.slow, 0 runs cancelled") {
		t.Errorf("delete:\n%s", out)
	}
	if out := ok(t, u, "scenarios", "list"); strings.Contains(out, "qa.cli.slow") {
		t.Errorf("still listed after delete:\n%s", out)
	}
	fails(t, u, "HTTP 404", "scenarios", "delete", "qa.cli.slow")
	fails(t, u, "HTTP 409", "scenarios", "delete", "whippy.sms.delivered")
	fails(t, u, "want the run's id", "scenarios", "show")
	fails(t, u, "name one of list, upload, delete, show, cancel", "scenarios")
}

// --session selects the workspace of a Zipwhip session key (the control
// API reads it from the query).
func TestCommands_ZipwhipSession(t *testing.T) {
	s := apptest.New(t)
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/user/login",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: "username=2065550194&password=pw"})
	var login struct{ Response string }
	apptest.Want(t, r, http.StatusOK).JSON(t, &login)
	apptest.Want(t, s.Whippy("cli-session-other").Get(t, "/contacts"), http.StatusOK)
	if out := ok(t, s.URL, "requests", "count", "--session", login.Response); strings.TrimSpace(out) != "1" {
		t.Errorf("requests count --session = %q, want the login only", out)
	}
	if out := ok(t, s.URL, "requests", "count"); strings.TrimSpace(out) != "2" {
		t.Errorf("requests count of every workspace = %q, want 2", out)
	}
	fails(t, s.URL, "no workspace has that zipwhip credential", "clock", "show", "--session", "nope:1")
}
