package scenarios_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a webhook endpoint whose answers a test scripts.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int) (status int, header http.Header, delay time.Duration)
}

func newReceiver(tb testing.TB, answer func(n int) (int, http.Header, time.Duration)) *receiver {
	tb.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: b, at: time.Now()})
		n := len(rc.got)
		rc.mu.Unlock()
		status, h, delay := http.StatusOK, http.Header(nil), time.Duration(0)
		if rc.answer != nil {
			status, h, delay = rc.answer(n)
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", n)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// fixture is an engine over an in-memory store with two workspaces.
type fixture struct {
	db     *store.DB
	engine *scenarios.Engine
	wall   *wallClock
}

// wallClock is a settable signature clock.
type wallClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *wallClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *wallClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var whippySig = config.Signature{Header: "X-Whippy-Signature", TimestampKey: "t", SignatureKey: "v1", Encoding: "base64-unpadded", TimestampUnit: "s"}
var wherebySig = config.Signature{Header: "Whereby-Signature", TimestampKey: "t", SignatureKey: "v1", Encoding: "hex", TimestampUnit: "s"}

// newFixture returns an engine in manual mode: work runs only when a test
// flushes or advances, so every test sees the whole story.
func newFixture(tb testing.TB, change func(map[string]scenarios.VendorPolicy)) *fixture {
	return newFixtureMode(tb, true, change)
}

func newFixtureMode(tb testing.TB, manual bool, change func(map[string]scenarios.VendorPolicy), setup ...func(*scenarios.Engine)) *fixture {
	tb.Helper()
	db := store.New(":memory:")
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	for _, ws := range []string{"a", "b"} {
		if err := db.CreateWorkspace(context.Background(), store.Workspace{ID: ws}, nil); err != nil {
			tb.Fatal(err)
		}
	}
	policies := map[string]scenarios.VendorPolicy{
		"whippy":  {Retry: defaultRetry("whippy"), Signer: mocks.NewSigner(whippySig)},
		"zipwhip": {Retry: defaultRetry("zipwhip")},
		"whereby": {Retry: defaultRetry("whereby"), Signer: mocks.NewSigner(wherebySig)},
	}
	if change != nil {
		change(policies)
	}
	wall := &wallClock{}
	e := &scenarios.Engine{DB: db, Vendors: policies, WallNow: wall.Now, PollInterval: 10 * time.Millisecond, Manual: manual}
	for _, fn := range setup {
		fn(e)
	}
	if err := e.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close(context.Background()) })
	return &fixture{db: db, engine: e, wall: wall}
}

// enqueue emits one event of vendor in workspace ws to url.
func (f *fixture) enqueue(tb testing.TB, ws, vendor, url, eventID, body string) {
	tb.Helper()
	err := f.db.Update(context.Background(), ws, func(tx *store.Tx) error {
		h := store.Webhook{ID: "hook-" + vendor, Vendor: vendor, URL: url, Secret: "secret-" + ws, Active: true, Source: store.WebhookFromSandbox}
		if err := tx.PutWebhook(&h); err != nil {
			return err
		}
		return tx.Enqueue(store.Event{ID: eventID, Vendor: vendor, Type: "test.event", Body: []byte(body)}, []store.Webhook{h})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func (f *fixture) deliveries(tb testing.TB, ws string) []store.Delivery {
	tb.Helper()
	ds, _, err := f.db.Deliveries(context.Background(), store.DeliveryFilter{WorkspaceID: ws, Limit: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

func (f *fixture) flush(tb testing.TB, ws string) scenarios.Summary {
	tb.Helper()
	sum, err := f.engine.Flush(context.Background(), ws)
	if err != nil {
		tb.Fatal(err)
	}
	return sum
}

func (f *fixture) advance(tb testing.TB, ws string, d time.Duration) scenarios.Summary {
	tb.Helper()
	sum, err := f.engine.Advance(context.Background(), ws, d)
	if err != nil {
		tb.Fatal(err)
	}
	return sum
}

// verifySignature checks "t=<unix>,v1=<digest>" independently of the
// signer: HMAC-SHA256(secret, t + "." + body), decoded per encoding.
func verifySignature(tb testing.TB, header, secret string, body []byte, encoding string) int64 {
	tb.Helper()
	parts := strings.Split(header, ",")
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") || !strings.HasPrefix(parts[1], "v1=") {
		tb.Fatalf("signature header %q is not t=...,v1=...", header)
	}
	t := strings.TrimPrefix(parts[0], "t=")
	got := strings.TrimPrefix(parts[1], "v1=")
	var sig []byte
	var err error
	switch encoding {
	case "hex":
		sig, err = hex.DecodeString(got)
	default:
		sig, err = base64.RawStdEncoding.DecodeString(got)
	}
	if err != nil {
		tb.Fatalf("signature %q does not decode as %s: %v", got, encoding, err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "." + string(body)))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		tb.Fatalf("signature %q does not verify for body %s", header, body)
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

func TestDispatcher_RetriesOn5xxThenDelivers(t *testing.T) {
	rc := newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			return http.StatusInternalServerError, nil, 0
		}
		return http.StatusOK, nil, 0
	})
	f := newFixture(t, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{"event":"x"}`)

	sum := f.flush(t, "a")
	if sum.Attempts != 1 || sum.Failed != 1 || sum.Pending != 1 {
		t.Fatalf("first flush = %+v; want 1 failed attempt, 1 pending", sum)
	}
	d := f.deliveries(t, "a")[0]
	if d.State != store.DeliveryPending || d.LastStatus != 500 || len(d.AttemptLog) != 1 {
		t.Fatalf("after 500: state %s, last status %d, %d attempts", d.State, d.LastStatus, len(d.AttemptLog))
	}
	first := d.AttemptLog[0].VirtualAt
	if gap := d.DueAt.Sub(first); gap < 4*time.Second || gap > 6*time.Second {
		t.Errorf("retry due %v after the first attempt; want about 5s (the first Whippy backoff)", gap)
	}
	// Nothing is due now: a flush does not retry early.
	if sum := f.flush(t, "a"); sum.Attempts != 0 {
		t.Errorf("early flush made %d attempts; want 0", sum.Attempts)
	}
	sum = f.advance(t, "a", 10*time.Second)
	if sum.Delivered != 1 {
		t.Fatalf("advance = %+v; want the retry delivered", sum)
	}
	d = f.deliveries(t, "a")[0]
	if d.State != store.DeliveryDelivered || len(d.AttemptLog) != 2 || d.AttemptLog[1].Status != 200 {
		t.Fatalf("after retry: state %s, attempts %+v", d.State, d.AttemptLog)
	}
	got := rc.requests()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	for _, r := range got {
		verifySignature(t, r.header.Get("X-Whippy-Signature"), "secret-a", r.body, "base64")
		if string(r.body) != `{"event":"x"}` {
			t.Errorf("body %s, want the event body unchanged", r.body)
		}
	}
}

func TestDispatcher_WhippyGivesUpAfterThreeRetries(t *testing.T) {
	rc := newReceiver(t, func(int) (int, http.Header, time.Duration) { return http.StatusBadRequest, nil, 0 })
	f := newFixture(t, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{}`)
	f.flush(t, "a")
	f.advance(t, "a", 24*time.Hour)
	d := f.deliveries(t, "a")[0]
	if d.State != store.DeliveryDead || len(d.AttemptLog) != 4 {
		t.Fatalf("state %s with %d attempts; want dead after 4 (1 + 3 retries on any non-2xx)", d.State, len(d.AttemptLog))
	}
	if !strings.Contains(d.LastError, "gave up after 4 attempts") {
		t.Errorf("last error %q; want it to say it gave up", d.LastError)
	}
	for i := 2; i < len(d.AttemptLog); i++ {
		prev := d.AttemptLog[i-1].VirtualAt.Sub(d.AttemptLog[i-2].VirtualAt)
		cur := d.AttemptLog[i].VirtualAt.Sub(d.AttemptLog[i-1].VirtualAt)
		if cur <= prev {
			t.Errorf("gap before attempt %d is %v, not longer than the previous %v (exponential backoff)", i+1, cur, prev)
		}
	}
}

func TestDispatcher_WhereByRetriesOnlyServerErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		attempts int
	}{
		{"4xx is final", http.StatusNotFound, 1},
		{"422 is final", http.StatusUnprocessableEntity, 1},
		{"5xx retried twice", http.StatusServiceUnavailable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(int) (int, http.Header, time.Duration) { return tt.status, nil, 0 })
			f := newFixture(t, nil)
			f.enqueue(t, "a", "whereby", rc.URL, "ev-1", `{"type":"room.client.joined"}`)
			f.flush(t, "a")
			f.advance(t, "a", time.Hour)
			d := f.deliveries(t, "a")[0]
			if d.State != store.DeliveryDead || len(d.AttemptLog) != tt.attempts {
				t.Fatalf("state %s after %d attempts; want dead after %d", d.State, len(d.AttemptLog), tt.attempts)
			}
			for _, r := range rc.requests() {
				verifySignature(t, r.header.Get("Whereby-Signature"), "secret-a", r.body, "hex")
			}
		})
	}
}

func TestDispatcher_TimeoutFollowsPolicy(t *testing.T) {
	rc := newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			return http.StatusOK, nil, 2 * time.Second
		}
		return http.StatusOK, nil, 0
	})
	f := newFixture(t, func(p map[string]scenarios.VendorPolicy) {
		w := p["whereby"]
		w.Retry.Timeout = 100 * time.Millisecond
		p["whereby"] = w
	})
	f.enqueue(t, "a", "whereby", rc.URL, "ev-1", `{}`)
	f.flush(t, "a")
	d := f.deliveries(t, "a")[0]
	if d.State != store.DeliveryPending || d.AttemptLog[0].Status != 0 || !strings.Contains(d.AttemptLog[0].Error, "no answer within 100ms") {
		t.Fatalf("after a slow answer: state %s, attempt %+v; want a timeout scheduled for retry", d.State, d.AttemptLog[0])
	}
	f.advance(t, "a", time.Minute)
	d = f.deliveries(t, "a")[0]
	if d.State != store.DeliveryDelivered || len(d.AttemptLog) != 2 {
		t.Fatalf("state %s after %d attempts; want delivered on the retry", d.State, len(d.AttemptLog))
	}
}

func TestDispatcher_HonoursRetryAfter(t *testing.T) {
	rc := newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}, 0
		}
		return http.StatusOK, nil, 0
	})
	f := newFixture(t, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{}`)
	f.flush(t, "a")
	d := f.deliveries(t, "a")[0]
	if gap := d.DueAt.Sub(d.AttemptLog[0].VirtualAt); gap != 120*time.Second {
		t.Errorf("retry due after %v; want the 120s the receiver asked for", gap)
	}
	if sum := f.advance(t, "a", 119*time.Second); sum.Attempts != 0 {
		t.Errorf("advance 119s made %d attempts; want none before Retry-After", sum.Attempts)
	}
	if sum := f.advance(t, "a", 2*time.Second); sum.Delivered != 1 {
		t.Errorf("advance past Retry-After = %+v; want delivered", sum)
	}
}

func TestAdvance_ZipwhipScheduleRunsInVirtualTime(t *testing.T) {
	rc := newReceiver(t, func(int) (int, http.Header, time.Duration) { return http.StatusInternalServerError, nil, 0 })
	f := newFixture(t, nil)
	f.enqueue(t, "a", "zipwhip", rc.URL, "ev-a", `{"body":"hi"}`)
	f.enqueue(t, "b", "zipwhip", rc.URL, "ev-b", `{"body":"other"}`)
	before := f.db.WorkspaceNow("a")
	start := time.Now()
	sum := f.advance(t, "a", 73*time.Hour)
	t.Logf("advanced 73h in %v of real time: %+v", time.Since(start), sum)

	d := f.deliveries(t, "a")[0]
	if d.State != store.DeliveryDead {
		t.Fatalf("state %s; want dead once 72h of retries have passed", d.State)
	}
	n := len(d.AttemptLog)
	if n < 10 || sum.Attempts != n {
		t.Fatalf("%d attempts logged, %d reported; want the whole exponential schedule (≥10)", n, sum.Attempts)
	}
	span := d.AttemptLog[n-1].VirtualAt.Sub(d.AttemptLog[0].VirtualAt)
	if span < 70*time.Hour || span > 72*time.Hour {
		t.Errorf("retries span %v of virtual time; want just under 72h", span)
	}
	for i := 1; i < n; i++ {
		if !d.AttemptLog[i].VirtualAt.After(d.AttemptLog[i-1].VirtualAt) {
			t.Fatalf("attempt %d at %v is not after attempt %d", i+1, d.AttemptLog[i].VirtualAt, i)
		}
	}
	if now := f.db.WorkspaceNow("a"); now.Sub(before) < 73*time.Hour {
		t.Errorf("workspace a moved %v; want 73h", now.Sub(before))
	}
	if off := f.db.ClockOffset("b"); off != 0 {
		t.Errorf("workspace b's clock moved by %v; want untouched", off)
	}
	// b's delivery was due in b's own time, so the background loop may
	// have tried it once; its retry schedule must not have run.
	if db := f.deliveries(t, "b")[0]; len(db.AttemptLog) > 1 || (len(db.AttemptLog) == 1 && db.AttemptLog[0].VirtualAt.Sub(before) > time.Minute) {
		t.Errorf("workspace b's delivery made attempts %+v; want at most one, in b's real time", db.AttemptLog)
	}
	for _, r := range rc.requests() {
		if r.header.Get("X-Zipwhip-Signature") != "" {
			t.Errorf("zipwhip delivery is signed; want unsigned by default")
		}
	}
}

func TestReplay_FreshSignatureSameEvent(t *testing.T) {
	rc := newReceiver(t, nil)
	f := newFixture(t, nil)
	body := `{"data":{"id":"m1"},"event":"message.created","request_id":"ev-1"}`
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", body)
	t0 := time.Now().Truncate(time.Second)
	f.wall.Set(t0)
	f.flush(t, "a")
	orig := f.deliveries(t, "a")[0]
	f.wall.Set(t0.Add(90 * time.Second))
	replay, err := f.engine.Replay(context.Background(), "a", orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if replay.ReplayOf != orig.ID || replay.EventID != orig.EventID || replay.ID == orig.ID {
		t.Fatalf("replay %+v; want a new delivery of event %s replaying %d", replay, orig.EventID, orig.ID)
	}
	f.flush(t, "a")
	got := rc.requests()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	t1 := verifySignature(t, got[0].header.Get("X-Whippy-Signature"), "secret-a", got[0].body, "base64")
	t2 := verifySignature(t, got[1].header.Get("X-Whippy-Signature"), "secret-a", got[1].body, "base64")
	if t2-t1 != 90 {
		t.Errorf("replay signed at t=%d, original at t=%d; want a fresh timestamp 90s later", t2, t1)
	}
	if string(got[1].body) != body || got[0].header.Get("X-Whippy-Signature") == got[1].header.Get("X-Whippy-Signature") {
		t.Errorf("replay body %s; want the same event with a new signature", got[1].body)
	}
	if _, err := f.engine.Replay(context.Background(), "b", orig.ID); err == nil {
		t.Error("replay of a's delivery from workspace b succeeded; want not found")
	}
}

func TestSignatureUsesWallClockAfterAdvance(t *testing.T) {
	rc := newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			return http.StatusBadGateway, nil, 0
		}
		return http.StatusOK, nil, 0
	})
	f := newFixture(t, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{}`)
	f.flush(t, "a")
	f.advance(t, "a", 48*time.Hour)
	got := rc.requests()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	ts := verifySignature(t, got[1].header.Get("X-Whippy-Signature"), "secret-a", got[1].body, "base64")
	if skew := time.Since(time.Unix(ts, 0)); skew > 5*time.Minute || skew < -5*time.Minute {
		t.Errorf("retry after a 48h advance signed %v away from real time; want within a receiver's 5-minute tolerance", skew)
	}
}

func TestDispatcher_KeepsOrderPerEndpoint(t *testing.T) {
	rc := newReceiver(t, nil)
	f := newFixture(t, nil)
	for i := range 30 {
		f.enqueue(t, "a", "whippy", rc.URL, fmt.Sprintf("ev-%02d", i), fmt.Sprintf(`{"n":%d}`, i))
	}
	// The background loop may take some before the flush does; either way
	// all are sent once the flush returns, in order.
	f.flush(t, "a")
	got := rc.requests()
	if len(got) != 30 {
		t.Fatalf("receiver got %d requests after the flush, want 30", len(got))
	}
	for i, r := range got {
		if want := fmt.Sprintf(`{"n":%d}`, i); string(r.body) != want {
			t.Fatalf("request %d was %s, want %s (enqueue order)", i, r.body, want)
		}
	}
}

func TestDispatcher_BackgroundDeliversWithoutFlush(t *testing.T) {
	rc := newReceiver(t, nil)
	f := newFixtureMode(t, false, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{}`)
	f.engine.Wake()
	deadline := time.Now().Add(10 * time.Second)
	for len(rc.requests()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background loop did not deliver within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPruneOutbox_KeepsPendingAndRecent(t *testing.T) {
	rc := newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 2 {
			return http.StatusInternalServerError, nil, 0
		}
		return http.StatusOK, nil, 0
	})
	f := newFixture(t, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-done", `{}`)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-pending", `{}`)
	f.flush(t, "a")
	ctx := context.Background()
	if d, _, err := f.db.PruneOutbox(ctx, time.Now().Add(-time.Hour)); err != nil || d != 0 {
		t.Fatalf("pruning what is older than an hour deleted %d deliveries (%v); want none", d, err)
	}
	d, _, err := f.db.PruneOutbox(ctx, time.Now().Add(time.Minute))
	if err != nil || d != 1 {
		t.Fatalf("pruning everything finished deleted %d deliveries (%v); want the delivered one", d, err)
	}
	left := f.deliveries(t, "a")
	if len(left) != 1 || left[0].EventID != "ev-pending" || left[0].State != store.DeliveryPending {
		t.Fatalf("left %+v; want only the pending retry", left)
	}
	if len(left[0].Body) == 0 {
		t.Error("the pending delivery lost its event body")
	}
}

func TestCancel_MarksWorkCancelledAndCutsAttemptsShort(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			<-release
		}
		return http.StatusOK, nil, 0
	})
	t.Cleanup(func() { close(release) })
	f := newFixture(t, nil)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{"n":1}`)
	f.enqueue(t, "a", "whippy", rc.URL, "ev-2", `{"n":2}`)
	f.enqueue(t, "b", "whippy", rc.URL+"/b", "ev-b", `{"n":"b"}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	flushed := make(chan scenarios.Summary, 1)
	go func() { sum, _ := f.engine.Flush(ctx, "a"); flushed <- sum }()
	for len(rc.requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	done, err := f.engine.Cancel(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	// The flush ends: its attempt in flight was cut short, the rest dropped.
	if sum := <-flushed; sum.Attempts != 0 {
		t.Errorf("flush cut short by the reset counted %+v; want no attempt recorded", sum)
	}
	for _, d := range f.deliveries(t, "a") {
		if d.State != store.DeliveryCancelled || len(d.AttemptLog) != 0 {
			t.Errorf("delivery %d: state %s, %d attempts logged; want cancelled, nothing recorded", d.ID, d.State, len(d.AttemptLog))
		}
	}
	done()
	f.flush(t, "a")
	if sum := f.flush(t, "b"); sum.Delivered != 1 {
		t.Errorf("workspace b's flush %+v; want its delivery made", sum)
	}
	if got := len(rc.requests()); got != 2 {
		t.Errorf("receiver got %d requests; want a's first (cut short) and b's", got)
	}
}

func TestSender_WrapsEveryAttempt(t *testing.T) {
	rc := newReceiver(t, nil)
	var mu sync.Mutex
	var seen []string
	f := newFixtureMode(t, true, nil, func(e *scenarios.Engine) {
		next := scenarios.ClientSender{Client: http.DefaultClient}
		e.Sender = scenarios.SenderFunc(func(ctx context.Context, d *store.Delivery, req *http.Request) (*http.Response, error) {
			mu.Lock()
			seen = append(seen, d.EventID+" "+req.Header.Get("X-Vendorsim-Attempt"))
			mu.Unlock()
			req.Header.Set("X-Chaos", "wrapped")
			return next.Send(ctx, d, req)
		})
	})
	f.enqueue(t, "a", "whippy", rc.URL, "ev-1", `{}`)
	f.flush(t, "a")
	got := rc.requests()
	if len(got) != 1 || got[0].header.Get("X-Chaos") != "wrapped" {
		t.Fatalf("receiver got %d requests (%v); want one through the wrapping Sender", len(got), got)
	}
	verifySignature(t, got[0].header.Get("X-Whippy-Signature"), "secret-a", got[0].body, "base64")
	if len(seen) != 1 || seen[0] != "ev-1 1" {
		t.Errorf("sender saw %v; want ev-1, attempt 1", seen)
	}
}

// defaultRetry is a vendor's default retry policy.
func defaultRetry(vendor string) config.RetryPolicy {
	for _, v := range app.Vendors() {
		if v.Name() == vendor {
			return v.Delivery().Retry
		}
	}
	panic("no vendor " + vendor)
}
