package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

type waitResult struct {
	TimedOut bool    `json:"timed_out"`
	WaitedMS float64 `json:"waited_ms"`
	Delivery *struct {
		ID        int64  `json:"id"`
		State     string `json:"state"`
		EventType string `json:"event_type"`
		Body      string `json:"body"`
	} `json:"delivery"`
}

func wait(tb testing.TB, s *apptest.Server, key string, body M) waitResult {
	tb.Helper()
	var out waitResult
	apptest.Want(tb, s.Sandbox(whippyKey(key)).Post(tb, "/deliveries/wait", body), http.StatusOK).JSON(tb, &out)
	return out
}

// The wait is blocked while the receiver holds the only attempt (nothing
// is delivered yet), and answers once the receiver lets it through.
func TestWait_ReturnsWhenADeliveryArrives(t *testing.T) {
	s := apptest.New(t)
	key := "wait-arrives-key"
	h := newHook(t, func(n int) bool { return n == 1 }, nil)
	subscribe(t, s, key, h.URL)
	results := make(chan waitResult, 1)
	go func() {
		results <- wait(t, s, key, M{"event_type": "contact.created", "state": "delivered", "timeout": "60s"})
	}()
	createContact(t, s, key, "+12065550131")
	h.await(t, "the first attempt")
	select {
	case r := <-results:
		t.Fatalf("wait answered %+v while the only attempt was still held", r)
	default:
	}
	h.unblock()
	r := <-results
	if r.TimedOut || r.Delivery == nil || r.Delivery.State != "delivered" || r.Delivery.EventType != "contact.created" {
		t.Fatalf("wait = %+v, want the delivered contact.created", r)
	}
}

func TestWait_TimesOutCleanly(t *testing.T) {
	s := apptest.New(t)
	key := "wait-timeout-key"
	h := newHook(t, nil, nil)
	subscribe(t, s, key, h.URL)
	createContact(t, s, key, "+12065550132")
	r := wait(t, s, key, M{"event_type": "message.created", "timeout": "150ms"})
	if !r.TimedOut || r.Delivery != nil {
		t.Fatalf("wait = %+v, want timed_out without a delivery", r)
	}
	e := decodeError(t, s.Sandbox(whippyKey(key)).Post(t, "/deliveries/wait", M{"timeout": "soon"}), http.StatusUnprocessableEntity)
	if e.Field != "timeout" {
		t.Errorf("bad timeout: %+v", e)
	}
	e = decodeError(t, s.Sandbox(whippyKey(key)).Post(t, "/deliveries/wait", M{"match": []M{{"on": "method", "value": "POST"}}}), http.StatusUnprocessableEntity)
	if e.Field != "match.0.on" {
		t.Errorf("a matcher on the method of a delivery: %+v", e)
	}
}

// In manual mode nothing is sent in the background: the wait flushes.
// Body matchers and after pick one delivery among several.
func TestWait_ManualFlushesAndMatchesBody(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	key := "wait-manual-key"
	h := newHook(t, nil, nil)
	subscribe(t, s, key, h.URL)
	createContact(t, s, key, "+12065550133")
	createContact(t, s, key, "+12065550134")
	if n := h.count(); n != 0 {
		t.Fatalf("%d attempts before any flush in manual mode", n)
	}
	r := wait(t, s, key, M{"state": "delivered", "match": []M{{"on": "body", "name": "data.phone", "value": "+12065550134"}}, "timeout": "30s"})
	if r.TimedOut || r.Delivery == nil || !strings.Contains(r.Delivery.Body, "+12065550134") {
		t.Fatalf("wait = %+v, want the second contact's delivery", r)
	}
	second := r.Delivery.ID
	first := wait(t, s, key, M{"event_type": "contact.created", "timeout": "30s"})
	if first.Delivery == nil || first.Delivery.ID >= second || !strings.Contains(first.Delivery.Body, "+12065550133") {
		t.Fatalf("oldest = %+v, want the first contact's delivery", first)
	}
	if r := wait(t, s, key, M{"event_type": "contact.created", "after": second, "timeout": "100ms"}); !r.TimedOut {
		t.Errorf("after the last delivery = %+v, want timed_out", r)
	}
}
