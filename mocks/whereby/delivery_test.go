package whereby_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// deliveries returns the workspace's delivery log.
func deliveries(tb testing.TB, a *api) []map[string]any {
	tb.Helper()
	m := apptest.Want(tb, a.sandbox().Get(tb, "/deliveries"), http.StatusOK).Map(tb)
	var out []map[string]any
	for _, d := range m["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// oneEvent subscribes rc to room.client.joined and makes one happen.
func oneEvent(tb testing.TB, a *api, rc *receiver) {
	tb.Helper()
	apptest.Want(tb, a.sandbox().Post(tb, "/webhooks", map[string]any{"vendor": "whereby", "url": rc.URL, "secret": "s", "events": []string{"room.client.joined"}}), http.StatusCreated)
	mt := a.meeting(tb, nil)
	apptest.Want(tb, a.sandbox().Post(tb, "/whereby/meetings/"+str(mt["meetingId"])+"/participants", map[string]any{"displayName": "Ann"}), http.StatusCreated)
}

// Whereby retries only 5xx answers and timeouts, at most twice; a 4xx is
// final.
func TestDelivery_RetryPolicy(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		attempts int
		state    string
	}{
		{"400 is final", http.StatusBadRequest, 1, "dead"},
		{"404 is final", http.StatusNotFound, 1, "dead"},
		{"503 is retried twice", http.StatusServiceUnavailable, 3, "dead"},
		{"500 is retried twice", http.StatusInternalServerError, 3, "dead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, "retry-"+strings.ReplaceAll(tt.name, " ", "-"))
			rc := newReceiver(t)
			rc.status = func(int) int { return tt.status }
			oneEvent(t, a, rc)
			a.flush(t)
			a.advance(t, "1h")
			a.advance(t, "1h")
			if n := len(rc.got()); n != tt.attempts {
				t.Fatalf("receiver got %d requests; want %d", n, tt.attempts)
			}
			for _, r := range rc.got() {
				verify(t, r, "s")
			}
			d := deliveries(t, a)
			if len(d) != 1 || d[0]["state"] != tt.state || len(d[0]["attempt_log"].([]any)) != tt.attempts {
				t.Fatalf("deliveries %v; want one %s after %d attempts", d, tt.state, tt.attempts)
			}
		})
	}
}

// An endpoint that does not answer within 5 s is given up on, and the
// attempt is retried like a 5xx.
func TestDelivery_TimeoutIsRetried(t *testing.T) {
	a := newAPI(t, "retry-hang")
	rc := newReceiver(t)
	rc.hang = func(n int) bool { return n == 1 }
	oneEvent(t, a, rc)
	apptest.Want(t, a.sandbox().Post(t, "/deliveries/flush?timeout=30s", nil), http.StatusOK)
	d := deliveries(t, a)
	if len(d) != 1 || d[0]["state"] != "pending" {
		t.Fatalf("after a hung attempt: %v; want the delivery pending a retry", d)
	}
	att := d[0]["attempt_log"].([]any)[0].(map[string]any)
	if att["status"] != 0.0 || !strings.Contains(str(att["error"]), "no answer within 5s") {
		t.Fatalf("attempt %v; want no answer within the 5s timeout", att)
	}
	a.advance(t, "1m")
	d = deliveries(t, a)
	if d[0]["state"] != "delivered" || len(d[0]["attempt_log"].([]any)) != 2 {
		t.Fatalf("after the retry: %v; want delivered on the second attempt", d)
	}
	got := rc.got()
	if len(got) != 2 || string(got[0].body) != string(got[1].body) {
		t.Fatalf("receiver got %d requests; want the same body twice", len(got))
	}
	verify(t, got[1], "s")
}
