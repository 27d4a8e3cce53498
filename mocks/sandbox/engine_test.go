package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// hook is a webhook receiver; the requests for which hold is true wait
// until the test releases them (or the test ends).
type hook struct {
	*httptest.Server
	mu      sync.Mutex
	n       int
	arrived chan int
	release chan struct{}
	once    sync.Once
	hold    func(n int) bool
	status  func(n int) int
}

func newHook(t *testing.T, hold func(n int) bool, status func(n int) int) *hook {
	t.Helper()
	h := &hook{arrived: make(chan int, 1000), release: make(chan struct{}), hold: hold, status: status}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.mu.Lock()
		h.n++
		n := h.n
		h.mu.Unlock()
		h.arrived <- n
		if h.hold != nil && h.hold(n) {
			select {
			case <-h.release:
			case <-r.Context().Done():
				return
			}
		}
		code := http.StatusOK
		if h.status != nil {
			code = h.status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(h.Close)
	t.Cleanup(h.unblock) // before the server and the app close
	return h
}

func (h *hook) unblock() { h.once.Do(func() { close(h.release) }) }

func (h *hook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// await waits for the next request to arrive.
func (h *hook) await(tb testing.TB, what string) {
	tb.Helper()
	select {
	case <-h.arrived:
	case <-time.After(20 * time.Second):
		tb.Fatalf("%s: no webhook arrived within 20s", what)
	}
}

// subscribe registers url for key's workspace's contact.created events.
func subscribe(tb testing.TB, s *apptest.Server, key, url string) M {
	tb.Helper()
	return apptest.Want(tb, s.Sandbox(whippyKey(key)).Post(tb, "/webhooks", M{"vendor": "whippy", "url": url, "events": []string{"contact.created"}}), http.StatusCreated).Map(tb)
}

func createContact(tb testing.TB, s *apptest.Server, key, phone string) {
	tb.Helper()
	apptest.Want(tb, s.Whippy(key).Post(tb, "/contacts", M{"phone": phone}), http.StatusCreated)
}

type deliveryItem struct {
	ID        int64  `json:"id"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error"`
}

func deliveries(tb testing.TB, s *apptest.Server, key string) []deliveryItem {
	tb.Helper()
	var body struct{ Data []deliveryItem }
	apptest.Want(tb, s.Sandbox(whippyKey(key)).Get(tb, "/deliveries"), http.StatusOK).JSON(tb, &body)
	return body.Data
}

type summary struct {
	Attempts  int  `json:"attempts"`
	Delivered int  `json:"delivered"`
	Pending   int  `json:"pending"`
	InFlight  int  `json:"in_flight"`
	TimedOut  bool `json:"timed_out"`
}

func slowTimeout(d time.Duration) apptest.Option {
	return apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).Retry.Timeout = d })
}

// A webhook registered at vendorsim's own flush URL makes the server flush
// every workspace from inside an attempt; no other workspace waits for it.
func TestFlush_SelfFlushStallsNoOtherWorkspace(t *testing.T) {
	s := apptest.New(t, slowTimeout(time.Minute))
	subscribe(t, s, "self-a", s.URL+"/_sandbox/deliveries/flush?timeout=2s")
	b := newHook(t, nil, nil)
	subscribe(t, s, "self-b", b.URL)
	createContact(t, s, "self-a", "+12065556001")
	deadline := time.Now().Add(20 * time.Second)
	for ds := deliveries(t, s, "self-a"); len(ds) == 0 || ds[0].State != "sending"; ds = deliveries(t, s, "self-a") {
		if time.Now().After(deadline) {
			t.Fatalf("workspace a's delivery to the flush URL never went out: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
	createContact(t, s, "self-b", "+12065556002")
	b.await(t, "workspace b while a's webhook flushes everything")
}

// A flush waits at most its timeout and says what is still in flight; a
// flush of everything does not wait for a slow endpoint of another
// workspace.
func TestFlush_BoundedAndPerWorkspace(t *testing.T) {
	s := apptest.New(t, slowTimeout(time.Minute))
	slow := newHook(t, func(int) bool { return true }, nil)
	subscribe(t, s, "bound-a", slow.URL)
	fast := newHook(t, nil, nil)
	subscribe(t, s, "bound-b", fast.URL)
	createContact(t, s, "bound-a", "+12065556101")
	slow.await(t, "workspace a")

	var sum summary
	apptest.Want(t, s.Sandbox(whippyKey("bound-a")).Post(t, "/deliveries/flush?timeout=100ms", nil), http.StatusOK).JSON(t, &sum)
	if !sum.TimedOut || sum.InFlight != 1 {
		t.Errorf("flush of a with its endpoint stuck = %+v; want timed_out with 1 in flight", sum)
	}
	sandboxError(t, s.Sandbox(whippyKey("bound-a")).Post(t, "/deliveries/flush?timeout=soon", nil), http.StatusUnprocessableEntity, "invalid")

	// A flush of everything, while a's endpoint is stuck: b's delivery is
	// made and counted, and the flush says a's is in flight.
	createContact(t, s, "bound-b", "+12065556102")
	apptest.Want(t, s.Sandbox(nil).Post(t, "/deliveries/flush?timeout=2s", nil), http.StatusOK).JSON(t, &sum)
	if fast.count() != 1 {
		t.Errorf("b's endpoint got %d requests after a flush of all; want 1", fast.count())
	}
	if !sum.TimedOut || sum.InFlight < 1 {
		t.Errorf("flush of all = %+v; want timed_out with a's delivery in flight", sum)
	}

	// A caller that goes away ends its flush: the next one is not held up
	// behind it.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/_sandbox/deliveries/flush?timeout=1h", nil)
	req.Header = whippyKey("bound-a")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := s.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	cancel()
	<-done
	apptest.Want(t, s.Sandbox(whippyKey("bound-a")).Post(t, "/deliveries/flush?timeout=100ms", nil), http.StatusOK).JSON(t, &sum)
	if !sum.TimedOut || sum.InFlight != 1 {
		t.Errorf("flush after an abandoned one = %+v; want it to run (timed out, 1 in flight)", sum)
	}
}

// A reset answers without waiting for a slow endpoint, sends nothing it
// cancels, and the ids of the deleted deliveries are not handed out again.
func TestReset_PromptCancelsAndNeverReusesIDs(t *testing.T) {
	s := apptest.New(t, slowTimeout(3*time.Second))
	const key = "reset-slow"
	rc := newHook(t, func(int) bool { return true }, nil)
	subscribe(t, s, key, rc.URL)
	for i := range 4 {
		createContact(t, s, key, fmt.Sprintf("+1206555620%d", i))
	}
	rc.await(t, "the first of 4 deliveries")
	var maxID int64
	for _, d := range deliveries(t, s, key) {
		maxID = max(maxID, d.ID)
	}
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/reset", nil), http.StatusOK)
	if n := rc.count(); n != 1 {
		t.Fatalf("the endpoint got %d requests by the time the reset answered; want only the one in flight before it", n)
	}
	rc.unblock()
	if ds := deliveries(t, s, key); len(ds) != 0 {
		t.Errorf("deliveries after the reset: %+v; want none", ds)
	}
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/deliveries/flush?timeout=5s", nil), http.StatusOK)
	if n := rc.count(); n != 1 {
		t.Errorf("the endpoint got %d requests after the reset; want none of the cancelled ones", n)
	}
	// The reset kept the workspace's identity, not its webhooks: subscribe
	// again, and the new delivery has a new id.
	subscribe(t, s, key, rc.URL)
	createContact(t, s, key, "+12065556209")
	ds := deliveries(t, s, key)
	if len(ds) != 1 || ds[0].ID <= maxID {
		t.Fatalf("delivery after the reset %+v; want a new id above %d", ds, maxID)
	}
}

// A reset of everything is one transaction: a request with a configured
// key racing with it lands in the configured workspace, before or after.
func TestResetAll_RacingRequests(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = []config.Workspace{whippy.Workspace("racy", &whippy.WorkspaceConfig{APIKeys: []string{"racy-key"}})}
	}))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := s.Whippy("racy-key").Post(t, "/contacts", M{"phone": fmt.Sprintf("+1312555%d%03d", g, i%1000)})
				if r.Status != http.StatusCreated && r.Status != http.StatusUnprocessableEntity {
					t.Errorf("contact during resets: %d %s", r.Status, r.Body)
					return
				}
			}
		})
	}
	for range 20 {
		apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	}
	close(stop)
	wg.Wait()
	all := listWorkspaces(t, s)
	if len(all) != 1 || all["racy"].Source != "config" {
		t.Fatalf("workspaces after resets raced by requests: %+v; want only the configured one", all)
	}
	if got := workspaceOf(t, s, "racy-key"); got != "racy" {
		t.Errorf("racy-key resolves to %q; want the configured workspace", got)
	}
}

// Deleting a webhook cancels its pending retries and what is claimed and
// not yet sent; a replay of its deliveries is a 409.
func TestWebhookDelete_CancelsDeliveries(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "hook-gone"
	sb := s.Sandbox(whippyKey(key))
	rc := newHook(t, nil, func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h := subscribe(t, s, key, rc.URL)
	createContact(t, s, key, "+12065556301")
	apptest.Want(t, sb.Post(t, "/deliveries/flush", nil), http.StatusOK)
	ds := deliveries(t, s, key)
	if len(ds) != 1 || ds[0].State != "pending" {
		t.Fatalf("after a 500: %+v; want a pending retry", ds)
	}
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/webhooks/"+h["id"].(string), nil), http.StatusNoContent)
	ds = deliveries(t, s, key)
	if ds[0].State != "cancelled" || !strings.Contains(ds[0].LastError, "deleted") {
		t.Errorf("after the webhook was deleted: %+v; want cancelled, saying why", ds[0])
	}
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "1h"}), http.StatusOK)
	if n := rc.count(); n != 1 {
		t.Errorf("endpoint got %d requests after its webhook was deleted; want no retry", n)
	}
	msg := sandboxError(t, sb.Post(t, fmt.Sprintf("/deliveries/%d/replay", ds[0].ID), nil), http.StatusConflict, "conflict")
	if !strings.Contains(msg, "deleted") {
		t.Errorf("replay refusal %q does not say why", msg)
	}
	if n := rc.count(); n != 1 {
		t.Errorf("replay reached the endpoint (%d requests)", n)
	}
}

// Claimed deliveries queued behind one in flight are checked again before
// they are sent: the webhook is gone by then.
func TestWebhookDelete_StopsQueuedDeliveries(t *testing.T) {
	s := apptest.New(t, slowTimeout(time.Minute))
	const key = "hook-queued"
	rc := newHook(t, func(n int) bool { return n == 1 }, nil)
	h := subscribe(t, s, key, rc.URL)
	createContact(t, s, key, "+12065556401")
	rc.await(t, "the first delivery")
	createContact(t, s, key, "+12065556402")
	createContact(t, s, key, "+12065556403")
	// Wait until the later two are claimed behind the first.
	deadline := time.Now().Add(20 * time.Second)
	for {
		sending := 0
		for _, d := range deliveries(t, s, key) {
			if d.State == "sending" {
				sending++
			}
		}
		if sending == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries never all claimed: %+v", deliveries(t, s, key))
		}
		time.Sleep(5 * time.Millisecond)
	}
	apptest.Want(t, s.Sandbox(whippyKey(key)).Do(t, http.MethodDelete, "/webhooks/"+h["id"].(string), nil), http.StatusNoContent)
	rc.unblock()
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/deliveries/flush?timeout=10s", nil), http.StatusOK)
	if n := rc.count(); n != 1 {
		t.Errorf("endpoint got %d requests; want only the one in flight when its webhook was deleted", n)
	}
	for _, d := range deliveries(t, s, key) {
		if d.State != "cancelled" {
			t.Errorf("delivery %d is %s; want cancelled", d.ID, d.State)
		}
	}
}

// Deactivating a Whippy developer application cancels the pending retries
// of its endpoints.
func TestWhippyApplicationDeactivated_CancelsRetries(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "app-off"
	c := s.Whippy(key)
	rc := newHook(t, nil, func(int) int { return http.StatusInternalServerError })
	var appBody struct{ Data M }
	apptest.Want(t, c.Post(t, "/developers/applications", M{"name": "off"}), http.StatusCreated).JSON(t, &appBody)
	appID := field(appBody.Data, "id")
	apptest.Want(t, c.Post(t, "/developers/endpoints", M{"developer_application_id": appID, "url": rc.URL, "event_types": []string{"contact.created"}}), http.StatusCreated)
	createContact(t, s, key, "+12065556501")
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/deliveries/flush", nil), http.StatusOK)
	apptest.Want(t, c.Do(t, http.MethodPut, "/developers/applications/"+appID, M{"active": false}), http.StatusOK)
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/clock/advance", M{"by": "24h"}), http.StatusOK)
	if n := rc.count(); n != 1 {
		t.Errorf("endpoint got %d requests; want no retry once its application is inactive", n)
	}
	if ds := deliveries(t, s, key); len(ds) != 1 || ds[0].State != "cancelled" {
		t.Errorf("deliveries %+v; want the one cancelled", ds)
	}
}

// An advance moves the offset by exactly what it is asked, whatever the
// work on the way costs in real time.
func TestAdvance_MovesOffsetExactly(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "exact-clock"
	rc := newHook(t, nil, func(n int) int { return http.StatusServiceUnavailable })
	subscribe(t, s, key, rc.URL)
	createContact(t, s, key, "+12065556601")
	sb := s.Sandbox(whippyKey(key))
	var clock struct {
		Offset float64 `json:"offset_seconds"`
	}
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "1s"}), http.StatusOK).JSON(t, &clock)
	if clock.Offset != 1 {
		t.Errorf("offset after 1s: %v; want 1", clock.Offset)
	}
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "1h"}), http.StatusOK).JSON(t, &clock)
	if clock.Offset != 3601 {
		t.Errorf("offset after 1s then 1h (with retries run on the way): %v; want 3601", clock.Offset)
	}
	if rc.count() < 2 {
		t.Errorf("endpoint got %d requests; want the retries of the advance", rc.count())
	}
}

// The journal never shows more than its retention.
func TestJournal_KeepsAtMostRetention(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Server.Journal.Retention = 100 }))
	c := s.Whippy("journal-bound")
	for range 300 {
		apptest.Want(t, c.Get(t, "/contacts"), http.StatusOK)
	}
	var n struct{ Count int }
	apptest.Want(t, s.Sandbox(nil).Get(t, "/requests/count"), http.StatusOK).JSON(t, &n)
	if n.Count != 100 {
		t.Errorf("journal holds %d entries; want the newest 100 (retention)", n.Count)
	}
	list, total := journal(t, s.Sandbox(nil), "?limit=1000")
	if len(list) != 100 || total != 100 {
		t.Errorf("journal lists %d of %d; want 100 of 100", len(list), total)
	}
}

// Subscriptions through the control API name known vendors and events.
func TestWebhooks_UnknownEventOrVendor(t *testing.T) {
	s := apptest.New(t)
	sb := s.Sandbox(whippyKey("hook-names"))
	e := decodeError(t, sb.Post(t, "/webhooks", M{"vendor": "whippy", "url": "http://app:3000/h", "events": []string{"contact.created", "contact.exploded"}}), http.StatusUnprocessableEntity)
	if e.Field != "events" || !strings.Contains(e.Message, "contact.exploded") {
		t.Errorf("unknown event type: %+v; want a 422 on events naming it", e)
	}
	e = decodeError(t, sb.Post(t, "/webhooks", M{"vendor": "acme", "url": "http://app:3000/h"}), http.StatusUnprocessableEntity)
	if e.Field != "vendor" || !strings.Contains(e.Message, "whippy") {
		t.Errorf("unknown vendor: %+v; want a 422 on vendor naming the known ones", e)
	}
	apptest.Want(t, sb.Post(t, "/webhooks", M{"vendor": "whippy", "url": "http://app:3000/h", "events": []string{"*"}}), http.StatusCreated)
	// A secret generated here is shown once; a Whippy one is the key, and
	// is not echoed.
	h := apptest.Want(t, sb.Post(t, "/webhooks", M{"vendor": "whippy", "url": "http://app:3000/h"}), http.StatusCreated).Map(t)
	if _, ok := h["secret"]; ok {
		t.Errorf("webhook %v echoes the API key as its secret", h)
	}
}

// Deliveries are listed newest first, as requests are.
func TestDeliveries_NewestFirst(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	const key = "newest-first"
	subscribe(t, s, key, "http://127.0.0.1:9/unused")
	createContact(t, s, key, "+12065556701")
	createContact(t, s, key, "+12065556702")
	ds := deliveries(t, s, key)
	if len(ds) != 2 || ds[0].ID < ds[1].ID {
		t.Fatalf("deliveries %+v; want two, newest first", ds)
	}
}

// A custom scenario whose step sets a status Whippy has not is refused at
// start, naming the value and the file.
func TestScenarios_UnknownStatusRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "qa.yaml")
	yaml := "name: qa.explodes\nvendor: whippy\nparams: [message_id]\nsteps:\n  - {after: 1s, action: whippy.message.status, with: {status: exploded}}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := app.DefaultConfig()
	cfg.Server.DB = ":memory:"
	cfg.Scenarios.Dir = dir
	a := app.New(app.Options{Config: cfg})
	err := a.Open(context.Background())
	if err == nil {
		a.Close(context.Background())
		t.Fatal("a scenario with status exploded loaded")
	}
	for _, want := range []string{`"exploded"`, "qa.explodes", file, "delivery_status"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
