package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// resetBound is how long a reset may take before a test calls it stuck.
// It is no speed limit: the endpoints of these tests hold their requests
// for a minute (the attempt timeout), so a reset that waited for them
// would take that long.
const resetBound = 15 * time.Second

// postReset POSTs path on the control API with header and fails unless it
// answers 200 within resetBound.
func postReset(tb testing.TB, s *apptest.Server, path string, header http.Header) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), resetBound)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/_sandbox"+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		tb.Fatalf("POST %s while an endpoint holds its request: %v (the reset waited for it)", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
}

// hookWorkspace is a configured Whippy workspace whose developer
// application sends the events to url.
func hookWorkspace(id, key, phone, url string, events ...string) config.Workspace {
	return whippy.Workspace(id, &whippy.WorkspaceConfig{
		APIKeys:      []string{key},
		Channels:     []whippy.ChannelSeed{{Phone: phone}},
		Applications: []whippy.AppSeed{{Name: id, Endpoints: []whippy.EndpointSeed{{URL: url, EventTypes: events}}}},
	})
}

// A reset of everything answers while an endpoint holds an attempt, sends
// none of the deliveries queued behind it, and another workspace's
// webhooks keep going out.
func TestResetAll_PromptWhileEndpointSlow(t *testing.T) {
	slow := newHook(t, func(int) bool { return true }, nil)
	fast := newHook(t, nil, nil)
	s := apptest.New(t, slowTimeout(time.Minute), apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = []config.Workspace{
			hookWorkspace("slow", "slow-key", "+12065557001", slow.URL, "contact.created"),
			hookWorkspace("busy", "busy-key", "+12065557002", fast.URL, "contact.created"),
		}
	}))
	for i := range 3 {
		createContact(t, s, "slow-key", fmt.Sprintf("+1206555710%d", i))
	}
	slow.await(t, "the first of 3 deliveries to the slow endpoint")
	createContact(t, s, "busy-key", "+12065557201")
	fast.await(t, "busy's delivery while slow's endpoint holds one")

	postReset(t, s, "/reset", nil)
	if n := slow.count(); n != 1 {
		t.Fatalf("the slow endpoint got %d requests by the time the reset answered; want only the one in flight", n)
	}
	createContact(t, s, "busy-key", "+12065557202")
	fast.await(t, "busy's delivery after the reset of everything")

	slow.unblock()
	apptest.Want(t, s.Sandbox(nil).Post(t, "/deliveries/flush?timeout=5s", nil), http.StatusOK)
	if n := slow.count(); n != 1 {
		t.Errorf("the slow endpoint got %d requests after the reset; want none of the cancelled ones", n)
	}
	if n := fast.count(); n != 2 {
		t.Errorf("busy's endpoint got %d requests; want 2", n)
	}
}

// A workspace reset in the middle of a running scenario cancels its steps:
// none runs after the reset, so no webhook of theirs reaches the receiver
// (the workspace's configured endpoint, which the reset re-creates) and
// nothing they would create exists, even after the clock is moved past
// the run's end; the run is gone.
func TestReset_CancelsScenarioSteps(t *testing.T) {
	rc := newHook(t, func(int) bool { return true }, nil)
	const key, channel, from = "steps-key", "+12065557301", "+12065557399"
	s := apptest.New(t, slowTimeout(time.Minute), apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = []config.Workspace{hookWorkspace("steps", key, channel, rc.URL, "message.created")}
	}))
	// 400 inbound messages, one every 50 ms: 20 s of steps.
	const drip = "name: qa.drip\nvendor: whippy\nparams:\n  - {name: channel, type: string}\n  - {name: from, type: phone}\n" +
		"emits:\n  - repeat: 400\n    emits: [message.created]\nsteps:\n  - repeat: 400\n    steps:\n      - {after: 50ms, action: whippy.inbound, with: {body: \"drip {{i}}\"}}\n"
	apptest.Want(t, upload(t, s, "drip.yaml", drip), http.StatusCreated)
	sb := s.Sandbox(whippyKey(key))
	var run struct{ ID, State string }
	apptest.Want(t, sb.Post(t, "/scenarios/qa.drip/run", M{"params": M{"channel": channel, "from": from}}), http.StatusAccepted).JSON(t, &run)
	rc.await(t, "the first step's message.created")
	apptest.Want(t, sb.Get(t, "/scenarios/runs/"+run.ID), http.StatusOK).JSON(t, &run)
	if run.State != "running" {
		t.Fatalf("run before the reset is %s; want running", run.State)
	}

	postReset(t, s, "/reset", whippyKey(key))
	n := rc.count()
	rc.unblock()
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "1h"}), http.StatusOK)
	apptest.Want(t, sb.Post(t, "/deliveries/flush?timeout=5s", nil), http.StatusOK)
	if got := rc.count(); got != n {
		t.Errorf("the receiver got %d webhooks after the reset (%d before); want none from the cancelled steps", got-n, n)
	}
	var contacts struct{ Data []struct{ Phone string } }
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK).JSON(t, &contacts)
	for _, c := range contacts.Data {
		if c.Phone == from {
			t.Errorf("a step ran after the reset: contact %s exists", from)
		}
	}
	apptest.Want(t, sb.Get(t, "/scenarios/runs/"+run.ID), http.StatusNotFound)
	if ds := deliveries(t, s, key); len(ds) != 0 {
		t.Errorf("deliveries after the reset: %+v; want none", ds)
	}
}

// created is a contact a racing client was answered 201 for, and when.
type created struct {
	id             string
	sent, answered time.Time
}

// raceResets creates contacts with key from 4 clients while reset (called
// rounds times) resets their workspace, then checks each contact against
// the resets' times: one answered before a reset was sent is gone, and
// one sent after every reset had answered exists. A request that lands
// during a reset may go either way, but never lands in the wipe: its
// contact exists exactly when its transaction came after the reset's.
func raceResets(t *testing.T, s *apptest.Server, key string, rounds int, reset func()) {
	t.Helper()
	var (
		mu              sync.Mutex
		made            []created
		resetSent       []time.Time
		lastResetAnswer time.Time
	)
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
				sent := time.Now()
				r := s.Whippy(key).Post(t, "/contacts", M{"phone": fmt.Sprintf("+1415555%d%03d", g, i%1000)})
				answered := time.Now()
				switch r.Status {
				case http.StatusCreated:
					var body struct{ Data struct{ ID string } }
					r.JSON(t, &body)
					mu.Lock()
					made = append(made, created{body.Data.ID, sent, answered})
					mu.Unlock()
				case http.StatusOK, http.StatusUnprocessableEntity: // the phone exists already
				default:
					t.Errorf("contact during resets: %d %s", r.Status, r.Body)
					return
				}
			}
		})
	}
	for range rounds {
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		resetSent = append(resetSent, time.Now())
		mu.Unlock()
		reset()
		mu.Lock()
		lastResetAnswer = time.Now()
		mu.Unlock()
	}
	// Requests sent after the last reset answered.
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()

	c := s.Whippy(key)
	var before, after int
	for _, m := range made {
		status := c.Get(t, "/contacts/"+m.id).Status
		if status != http.StatusOK && status != http.StatusNotFound {
			t.Fatalf("GET contact %s: %d", m.id, status)
		}
		exists := status == http.StatusOK
		if m.sent.After(lastResetAnswer) {
			after++
			if !exists {
				t.Errorf("contact %s was answered 201 after every reset had answered, and is gone", m.id)
			}
			continue
		}
		for _, rs := range resetSent {
			if m.answered.Before(rs) {
				before++
				if exists {
					t.Errorf("contact %s was answered 201 before a reset was sent, and survived it", m.id)
				}
				break
			}
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("the race checked %d contacts made before a reset and %d after the last; want some of each", before, after)
	}
}

// Contacts created while a workspace is reset land before the wipe (gone)
// or after it (kept): never answered 201 after the reset and then gone.
func TestReset_RacingCreatesLandBeforeOrAfter(t *testing.T) {
	s := apptest.New(t)
	const key = "race-one"
	raceResets(t, s, key, 10, func() { postReset(t, s, "/reset", whippyKey(key)) })
}

// The same for a reset of everything, with a configured workspace (which
// the reset re-creates, so its key goes on working).
func TestResetAll_RacingCreatesLandBeforeOrAfter(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = []config.Workspace{whippy.Workspace("race-all", &whippy.WorkspaceConfig{APIKeys: []string{"race-all-key"}})}
	}))
	raceResets(t, s, "race-all-key", 10, func() { postReset(t, s, "/reset", nil) })
}

// newDelivery subscribes url for key's workspace, creates a contact and
// returns the id of the delivery that made.
func newDelivery(tb testing.TB, s *apptest.Server, key, url, phone string) int64 {
	tb.Helper()
	subscribe(tb, s, key, url)
	createContact(tb, s, key, phone)
	ds := deliveries(tb, s, key)
	if len(ds) != 1 {
		tb.Fatalf("deliveries %+v; want the one just made", ds)
	}
	return ds[0].ID
}

// Delivery ids are never handed out again: not after a reset of
// everything, nor after a restart on the same database (with a reset of
// everything before it, which empties the deliveries table).
func TestDeliveryIDs_NeverReusedAcrossResetAllAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deliveries.db")
	const key = "ids-key"
	rc := newHook(t, nil, nil)
	s := onFileManual(t, path, "")
	first := newDelivery(t, s, key, rc.URL, "+12065557401")
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	second := newDelivery(t, s, key, rc.URL, "+12065557402")
	if second <= first {
		t.Fatalf("delivery after a reset of everything has id %d; want one above %d", second, first)
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	s.Stop()

	s = onFileManual(t, path, "")
	third := newDelivery(t, s, key, rc.URL, "+12065557403")
	if third <= second {
		t.Errorf("delivery after a reset of everything and a restart has id %d; want one above %d", third, second)
	}
}

// Deleting an endpoint or deactivating it through Whippy's own
// /developers/endpoints cancels its pending retries: none reaches the
// receiver, even a day later.
func TestWhippyEndpointDeletedOrDeactivated_CancelsRetries(t *testing.T) {
	for _, tt := range []struct {
		name, method, reason string
		body                 any
	}{
		{"Delete", http.MethodDelete, "deleted", nil},
		{"Deactivate", http.MethodPut, "deactivated", M{"active": false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
			key := "endpoint-" + strings.ToLower(tt.name)
			c := s.Whippy(key)
			sb := s.Sandbox(whippyKey(key))
			rc := newHook(t, nil, func(int) int { return http.StatusInternalServerError })
			var app, ep struct{ Data M }
			apptest.Want(t, c.Post(t, "/developers/applications", M{"name": "retries"}), http.StatusCreated).JSON(t, &app)
			apptest.Want(t, c.Post(t, "/developers/endpoints", M{"developer_application_id": field(app.Data, "id"), "url": rc.URL,
				"event_types": []string{"contact.created"}}), http.StatusCreated).JSON(t, &ep)
			createContact(t, s, key, "+12065557501")
			apptest.Want(t, sb.Post(t, "/deliveries/flush", nil), http.StatusOK)
			if ds := deliveries(t, s, key); len(ds) != 1 || ds[0].State != "pending" {
				t.Fatalf("after a 500: %+v; want a pending retry", ds)
			}
			apptest.Want(t, c.Do(t, tt.method, "/developers/endpoints/"+field(ep.Data, "id"), tt.body), http.StatusOK)
			if ds := deliveries(t, s, key); len(ds) != 1 || ds[0].State != "cancelled" || !strings.Contains(ds[0].LastError, tt.reason) {
				t.Errorf("after the endpoint was %s: %+v; want cancelled, saying so", tt.reason, ds)
			}
			apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "24h"}), http.StatusOK)
			if n := rc.count(); n != 1 {
				t.Errorf("endpoint got %d requests; want no retry once it is %s", n, tt.reason)
			}
		})
	}
}
