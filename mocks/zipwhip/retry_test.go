package zipwhip_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/zipwhip"
)

// deliveries returns the workspace's delivery log.
func deliveries(t *testing.T, s *apptest.Server, sess, query string) []map[string]any {
	t.Helper()
	log := apptest.Want(t, sandboxDo(t, s, sess, http.MethodGet, "/deliveries"+query, nil), 200).Map(t)
	var out []map[string]any
	for _, d := range log["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// gaps are the virtual times between a delivery's attempts.
func gaps(t *testing.T, d map[string]any) []time.Duration {
	t.Helper()
	var prev time.Time
	var out []time.Duration
	for i, a := range d["attempt_log"].([]any) {
		at, err := time.Parse(time.RFC3339Nano, a.(map[string]any)["virtual_at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			out = append(out, at.Sub(prev))
		}
		prev = at
	}
	return out
}

func TestRetry_ThreeFailuresThenDelivered(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557300")
	rc := newReceiver(t)
	rc.status = func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	install(t, s, sess, rc, "message", "send", "POST")
	sendTo(t, s, sess, "+12065557301", "retry me")
	flush(t, s, sess)
	for i := 0; i < 4; i++ {
		advance(t, s, sess, "2m")
	}
	ds := deliveries(t, s, sess, "?event_type=message.send")
	if len(ds) != 1 {
		t.Fatalf("deliveries %v", ds)
	}
	d := ds[0]
	log := d["attempt_log"].([]any)
	if d["state"] != "delivered" || len(log) != 4 {
		t.Fatalf("delivery %v; want delivered on the fourth attempt", d)
	}
	for i, a := range log {
		want := 500.0
		if i == 3 {
			want = 200
		}
		if st := a.(map[string]any)["status"].(float64); st != want {
			t.Errorf("attempt %d status %v; want %v", i+1, st, want)
		}
	}
	g := gaps(t, d)
	for i := 1; i < len(g); i++ {
		if g[i] <= g[i-1] {
			t.Errorf("retry delays %v do not grow", g)
		}
	}
	if len(rc.got()) != 4 {
		t.Errorf("receiver got %d requests; want 4", len(rc.got()))
	}
}

func TestRetry_GivesUpAfter72Hours(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557310")
	rc := newReceiver(t)
	rc.status = func(int) int { return http.StatusServiceUnavailable }
	install(t, s, sess, rc, "message", "send", "POST")
	sendTo(t, s, sess, "+12065557311", "never delivered")
	flush(t, s, sess)
	advance(t, s, sess, "71h")
	d := deliveries(t, s, sess, "?event_type=message.send")[0]
	if d["state"] != "pending" {
		t.Fatalf("after 71h the delivery is %v; want still retrying", d["state"])
	}
	advance(t, s, sess, "2h")
	d = deliveries(t, s, sess, "?event_type=message.send")[0]
	if d["state"] != "dead" || !strings.Contains(d["last_error"].(string), "gave up") {
		t.Fatalf("after 73h the delivery is %v (%v); want dead", d["state"], d["last_error"])
	}
	n := len(rc.got())
	g := gaps(t, d)
	var total time.Duration
	for _, x := range g {
		total += x
	}
	if total > 72*time.Hour || total < 60*time.Hour || n < 10 {
		t.Errorf("%d attempts over %v; want exponential retries for up to 72h", n, total)
	}
	advance(t, s, sess, "24h")
	if len(rc.got()) != n {
		t.Errorf("attempts after giving up: %d, then %d", n, len(rc.got()))
	}
}

func TestRetry_NoAnswerInTimeIsAFailure(t *testing.T) {
	// The vendor's 7 s, shortened so the test does not wait: the default
	// is checked below.
	if got := zipwhip.DefaultConfig().Retry.Timeout; got != 7*time.Second {
		t.Fatalf("default timeout %v; want 7s", got)
	}
	s := manual(t, apptest.WithConfig(func(c *config.Config) { zipwhip.Settings(c).Retry.Timeout = 200 * time.Millisecond }))
	sess := login(t, s, "2065557320")
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first: Close waits for the handler
	success(t, s, "webhook/install", form("session", sess, "type", "message", "event", "send", "url", hang.URL+"/slow"))
	sendTo(t, s, sess, "+12065557321", "slow receiver")
	sum := flush(t, s, sess)
	if sum["failed"].(float64) != 1 || sum["pending"].(float64) != 1 {
		t.Fatalf("flush %v; want one failed attempt, retry pending", sum)
	}
	d := deliveries(t, s, sess, "")[0]
	a := d["attempt_log"].([]any)[0].(map[string]any)
	if a["status"].(float64) != 0 || !strings.Contains(a["error"].(string), fmt.Sprint(200*time.Millisecond)) {
		t.Errorf("attempt %v; want no status and a timeout error", a)
	}
}
