// Package vendorsimtest starts vendorsim inside a Go test: an in-memory
// store on a free port, closed when the test ends, logging to t.Log, with
// the control API as typed methods.
//
//	func TestSignup(t *testing.T) {
//		sb := vendorsimtest.Start(t)
//		key := sb.NewKey()
//		app := myapp.New(sb.WhippyURL(), key) // the app under test
//		...
//		sb.Expect(t, vendorsimtest.WhippyKey(key), vendorsimtest.Exactly(1), "operation_id=sendSms", "body.to=+12065550123")
//	}
//
// Matchers are written as for the command line (vendorsim requests
// expect --match): PART[.NAME]=VALUE, *=VALUE (contains), ~=REGEX, or
// PART.NAME! (absent), where PART is method, path, operation_id, vendor,
// status, query, header or body.
package vendorsimtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/cli"
)

// Sandbox is a vendorsim running for one test.
type Sandbox struct {
	srv    *httptest.Server
	app    *app.App
	client *cli.Client
}

type options struct {
	yaml   string
	manual bool
	level  slog.Level
	token  string
}

// Option configures Start.
type Option func(*options)

// Config applies a vendorsim configuration file's content (YAML): vendor
// settings, configured workspaces, scenarios.
func Config(yaml string) Option { return func(o *options) { o.yaml = yaml } }

// Manual stops all background work: scenario steps and webhooks run only
// when the test flushes, waits for a delivery or advances the clock.
func Manual() Option { return func(o *options) { o.manual = true } }

// Verbose logs every request (debug level) to t.Log.
func Verbose() Option { return func(o *options) { o.level = slog.LevelDebug } }

// ControlToken protects the control API with a token (the Sandbox's own
// methods send it).
func ControlToken(token string) Option { return func(o *options) { o.token = token } }

// Start runs vendorsim until the test ends.
func Start(t testing.TB, opts ...Option) *Sandbox {
	t.Helper()
	o := options{level: slog.LevelInfo}
	for _, fn := range opts {
		fn(&o)
	}
	cfg := app.DefaultConfig()
	if o.yaml != "" {
		var err error
		if cfg, err = app.ParseConfig([]byte(o.yaml)); err != nil {
			t.Fatalf("vendorsimtest: config: %v", err)
		}
	}
	cfg.Server.DB = ":memory:"
	cfg.Server.ControlAddr = ""
	if o.manual {
		cfg.Scenarios.Manual = true
	}
	if o.token != "" {
		cfg.Server.ControlToken = o.token
	}
	h := &tbHandler{t: t, level: o.level, stopped: &atomic.Bool{}}
	a := app.New(app.Options{Config: cfg, Version: "vendorsimtest", Logger: slog.New(h)})
	if err := a.Open(context.Background()); err != nil {
		t.Fatalf("vendorsimtest: start: %v", err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		h.stopped.Store(true) // t.Log must not be called after the test
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Close(ctx)
	})
	return &Sandbox{srv: srv, app: a, client: &cli.Client{URL: srv.URL, Token: cfg.Server.ControlToken, HTTP: srv.Client()}}
}

// URL is the server's base URL.
func (s *Sandbox) URL() string { return s.srv.URL }

// WhippyURL is the base URL of the Whippy API (https://api.whippy.co/v1).
func (s *Sandbox) WhippyURL() string { return s.srv.URL + "/whippy/v1" }

// ZipwhipURL is the base URL of the Zipwhip API (https://api.zipwhip.com).
func (s *Sandbox) ZipwhipURL() string { return s.srv.URL + "/zipwhip" }

// WherebyURL is the base URL of the Whereby API (https://api.whereby.dev/v1).
func (s *Sandbox) WherebyURL() string { return s.srv.URL + "/whereby/v1" }

// ControlURL is the base URL of the control API.
func (s *Sandbox) ControlURL() string { return s.srv.URL + "/_sandbox" }

// Client is an HTTP client for the server.
func (s *Sandbox) Client() *http.Client { return s.srv.Client() }

// NewKey returns a credential no workspace has yet: its first use creates
// a fresh, empty workspace, so tests using their own keys never see each
// other's data.
func (s *Sandbox) NewKey() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "vst-" + hex.EncodeToString(b)
}

// Workspace selects the workspace a control call acts on, as the control
// API reads it: a vendor credential carried as the vendor carries it (a
// header, or Zipwhip's session parameter), or a workspace id. The zero
// Workspace (All) selects none.
type Workspace struct {
	header http.Header
	query  url.Values
}

// WhippyKey selects the workspace of a Whippy API key.
func WhippyKey(key string) Workspace {
	return Workspace{header: http.Header{"X-Whippy-Key": {key}}}
}

// Bearer selects the workspace of a bearer token of vendor (Whereby's
// API key, Whippy's bearer form).
func Bearer(vendor, token string) Workspace {
	return Workspace{header: http.Header{"Authorization": {"Bearer " + token}, "X-Sandbox-Vendor": {vendor}}}
}

// ZipwhipSession selects the workspace of a Zipwhip session key (the
// answer of user/login), sent as the session query parameter.
func ZipwhipSession(session string) Workspace {
	return Workspace{query: url.Values{"session": {session}}}
}

// WorkspaceID selects a workspace by its id.
func WorkspaceID(id string) Workspace {
	return Workspace{header: http.Header{"X-Sandbox-Workspace": {id}}}
}

// All acts on every workspace (where the call allows it).
var All Workspace

// APIError is an answer of the control API that is not a success, the
// error of Do (use errors.As).
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Code, Message and Field are the answer's error object.
	Code, Message, Field string
}

func (e *APIError) Error() string {
	return (&cli.APIError{Status: e.Status, Code: e.Code, Message: e.Message, Field: e.Field}).Error()
}

// Do calls the control API (path under /_sandbox) for ws and decodes the
// answer into out; an error answer is an *APIError.
func (s *Sandbox) Do(ctx context.Context, ws Workspace, method, path string, body, out any) error {
	c := *s.client
	c.Header, c.Query = ws.header, ws.query
	err := c.Do(ctx, method, path, body, out)
	var ae *cli.APIError
	if errors.As(err, &ae) {
		return &APIError{Status: ae.Status, Code: ae.Code, Message: ae.Message, Field: ae.Field}
	}
	return err
}

func (s *Sandbox) must(t testing.TB, ws Workspace, method, path string, body, out any) {
	t.Helper()
	if err := s.Do(context.Background(), ws, method, path, body, out); err != nil {
		t.Fatalf("vendorsimtest: %s /_sandbox%s: %v", method, path, err)
	}
}

// Count is an expected number of requests.
type Count struct{ lo, hi int }

// Exactly n requests.
func Exactly(n int) Count { return Count{n, n} }

// AtLeast n requests.
func AtLeast(n int) Count { return Count{n, -1} }

// AtMost n requests.
func AtMost(n int) Count { return Count{0, n} }

// Between lo and hi requests.
func Between(lo, hi int) Count { return Count{lo, hi} }

// Expect fails the test unless the workspace's journal has count requests
// passing every matcher; the failure lists the nearest misses and why each
// missed.
func (s *Sandbox) Expect(t testing.TB, ws Workspace, count Count, matchers ...string) {
	t.Helper()
	ms := []map[string]string{}
	for _, m := range matchers {
		mt, err := cli.ParseMatcher(m)
		if err != nil {
			t.Fatalf("vendorsimtest: %v", err)
		}
		ms = append(ms, mt)
	}
	body := map[string]any{"match": ms, "at_least": count.lo}
	if count.hi >= 0 {
		body["at_most"] = count.hi
	}
	var out struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}
	s.must(t, ws, http.MethodPost, "/requests/expect", body, &out)
	if !out.OK {
		t.Errorf("vendorsimtest: %s", out.Message)
	}
}

// Count returns how many of the workspace's requests pass the matchers.
func (s *Sandbox) Count(t testing.TB, ws Workspace, matchers ...string) int {
	t.Helper()
	ms := []map[string]string{}
	for _, m := range matchers {
		mt, err := cli.ParseMatcher(m)
		if err != nil {
			t.Fatalf("vendorsimtest: %v", err)
		}
		ms = append(ms, mt)
	}
	var out struct {
		Total int `json:"total"`
	}
	s.must(t, ws, http.MethodPost, "/requests/search", map[string]any{"match": ms, "limit": 1}, &out)
	return out.Total
}

// Delivery is a webhook delivery.
type Delivery struct {
	ID          int64  `json:"id"`
	EventID     string `json:"event_id"`
	WorkspaceID string `json:"workspace_id"`
	Vendor      string `json:"vendor"`
	EventType   string `json:"event_type"`
	WebhookID   string `json:"webhook_id"`
	URL         string `json:"url"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	LastStatus  int    `json:"last_status"`
	Body        string `json:"body"`
}

// Decode decodes the delivery's JSON body into v.
func (d *Delivery) Decode(v any) error { return json.Unmarshal([]byte(d.Body), v) }

// DeliveryFilter narrows the deliveries WaitDelivery looks at; zero fields
// do not filter.
type DeliveryFilter struct {
	Vendor    string
	EventType string
	// Endpoint is a webhook id or URL.
	Endpoint string
	// State is pending, sending, delivered, dead or cancelled.
	State string
	// Timeout bounds the wait (default 30s).
	Timeout time.Duration
}

// WaitDelivery waits for the first delivery of the workspace passing f and
// match (nil matches any), and fails the test when none comes within the
// timeout. It never sleeps: the server answers as soon as one exists (in
// manual mode it flushes first).
func (s *Sandbox) WaitDelivery(t testing.TB, ws Workspace, f DeliveryFilter, match func(Delivery) bool) Delivery {
	t.Helper()
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	var after int64
	for {
		left := time.Until(deadline)
		if left < 0 {
			left = 0
		}
		var out struct {
			TimedOut bool      `json:"timed_out"`
			Delivery *Delivery `json:"delivery"`
		}
		body := map[string]any{"vendor": f.Vendor, "event_type": f.EventType, "endpoint": f.Endpoint, "after": after, "timeout": left.String()}
		if f.State != "" {
			body["state"] = f.State
		}
		s.must(t, ws, http.MethodPost, "/deliveries/wait", body, &out)
		if out.TimedOut || out.Delivery == nil {
			t.Fatalf("vendorsimtest: no delivery matching %+v within %s", f, timeout)
		}
		if match == nil || match(*out.Delivery) {
			return *out.Delivery
		}
		after = out.Delivery.ID
	}
}

// Flush runs every scenario step and delivery due now, and returns when
// they are done.
func (s *Sandbox) Flush(t testing.TB, ws Workspace) {
	t.Helper()
	s.must(t, ws, http.MethodPost, "/deliveries/flush", nil, nil)
}

// Advance moves the workspace's clock forward by d, running what falls due
// on the way.
func (s *Sandbox) Advance(t testing.TB, ws Workspace, d time.Duration) {
	t.Helper()
	s.must(t, ws, http.MethodPost, "/clock/advance", map[string]string{"by": d.String()}, nil)
}

// Now is the workspace's virtual time.
func (s *Sandbox) Now(t testing.TB, ws Workspace) time.Time {
	t.Helper()
	var out struct {
		Now time.Time `json:"now"`
	}
	s.must(t, ws, http.MethodGet, "/clock", nil, &out)
	return out.Now
}

// RunScenario starts a scenario in the workspace and returns the run's id.
func (s *Sandbox) RunScenario(t testing.TB, ws Workspace, name string, params map[string]string) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	if params == nil {
		params = map[string]string{}
	}
	s.must(t, ws, http.MethodPost, "/scenarios/"+url.PathEscape(name)+"/run", map[string]any{"params": params}, &out)
	return out.ID
}

// AddWebhook subscribes url to the workspace's events of vendor (all of
// them without events) and returns the webhook's id.
func (s *Sandbox) AddWebhook(t testing.TB, ws Workspace, vendor, url, secret string, events ...string) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]any{"vendor": vendor, "url": url, "events": events}
	if events == nil {
		body["events"] = []string{}
	}
	if secret != "" {
		body["secret"] = secret
	}
	s.must(t, ws, http.MethodPost, "/webhooks", body, &out)
	return out.ID
}

// AddFault adds a fault rule (POST /_sandbox/faults, see
// docs/scenarios.md for its shape) and returns the rule as stored.
func (s *Sandbox) AddFault(t testing.TB, ws Workspace, rule any) map[string]any {
	t.Helper()
	var out map[string]any
	s.must(t, ws, http.MethodPost, "/faults", rule, &out)
	return out
}

// Reset empties the workspace and replays its seed (All: every workspace).
func (s *Sandbox) Reset(t testing.TB, ws Workspace) {
	t.Helper()
	s.must(t, ws, http.MethodPost, "/reset", nil, nil)
}

// tbHandler writes log records to t.Log until the test ends.
type tbHandler struct {
	t       testing.TB
	level   slog.Level
	attrs   []slog.Attr
	group   string
	stopped *atomic.Bool
}

func (h *tbHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *tbHandler) Handle(_ context.Context, r slog.Record) error {
	if h.stopped.Load() {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vendorsim %s %s", r.Level, r.Message)
	write := func(a slog.Attr) {
		if h.group != "" {
			a.Key = h.group + "." + a.Key
		}
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(func(a slog.Attr) bool { write(a); return true })
	h.t.Log(b.String())
	return nil
}

func (h *tbHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *tbHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
