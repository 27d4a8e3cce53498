package chaos_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

type M = map[string]any

func whippyKey(key string) http.Header { return http.Header{"X-Whippy-Key": {key}} }

// got is one webhook request as the receiver saw it.
type got struct {
	Path      string
	Body      []byte
	Signature string
	Delivery  string
}

// receiver records every request, in arrival order.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []got
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, got{Path: r.URL.Path, Body: b, Signature: r.Header.Get("X-Whippy-Signature"), Delivery: r.Header.Get("X-Vendorsim-Delivery")})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) all() []got {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]got(nil), rc.reqs...)
}

// verify checks a Whippy signature (t=<unix s>,v1=<base64 unpadded
// HMAC-SHA256 of "t.body">) with the API key, independently of vendorsim's
// signer, and returns the signature's time.
func verify(key string, g got) (time.Time, bool) {
	var ts, sig string
	for _, part := range strings.Split(g.Signature, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + "."))
	mac.Write(g.Body)
	want := base64.RawStdEncoding.EncodeToString(mac.Sum(nil))
	sec, err := strconv.ParseInt(ts, 10, 64)
	return time.Unix(sec, 0), err == nil && hmac.Equal([]byte(sig), []byte(want))
}

func manual() apptest.Option {
	return apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true })
}

// setup subscribes rc to key's contact.created events.
func setup(t *testing.T, s *apptest.Server, key, url string) {
	t.Helper()
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/webhooks", M{"vendor": "whippy", "url": url, "events": []string{"contact.created"}}), http.StatusCreated)
}

func addChaos(t *testing.T, s *apptest.Server, key string, rule M) M {
	t.Helper()
	return apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/chaos", rule), http.StatusCreated).Map(t)
}

// contacts creates contacts with phones +1206555 02NN, one by one.
func contacts(t *testing.T, s *apptest.Server, key string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		apptest.Want(t, s.Whippy(key).Post(t, "/contacts", M{"phone": fmt.Sprintf("+1206555%04d", 200+i)}), http.StatusCreated)
	}
}

func flush(t *testing.T, s *apptest.Server, key string) {
	t.Helper()
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/deliveries/flush", nil), http.StatusOK)
}

// phones lists the contact phones of the bodies received, in order.
func phones(t *testing.T, gs []got) []string {
	t.Helper()
	var out []string
	for _, g := range gs {
		var ev struct {
			Data struct{ Phone string } `json:"data"`
		}
		if err := json.Unmarshal(g.Body, &ev); err != nil {
			out = append(out, "?")
			continue
		}
		out = append(out, ev.Data.Phone)
	}
	return out
}

type attempt struct {
	N      int    `json:"n"`
	Status int    `json:"status"`
	Error  string `json:"error"`
	Chaos  string `json:"chaos"`
}

type delivery struct {
	ID         int64     `json:"id"`
	State      string    `json:"state"`
	AttemptLog []attempt `json:"attempt_log"`
}

func deliveries(t *testing.T, s *apptest.Server, key string) []delivery {
	t.Helper()
	var body struct{ Data []delivery }
	apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/deliveries"), http.StatusOK).JSON(t, &body)
	return body.Data
}

func TestDuplicate(t *testing.T) {
	s := apptest.New(t, manual())
	key, rc := "chaos-dup-key", newReceiver(t)
	setup(t, s, key, rc.URL+"/hook")
	addChaos(t, s, key, M{"vendor": "whippy", "event_type": "contact.created", "effect": "duplicate", "first": 1})
	contacts(t, s, key, 0, 2)
	flush(t, s, key)
	gs := rc.all()
	if len(gs) != 3 || string(gs[0].Body) != string(gs[1].Body) || gs[0].Delivery != gs[1].Delivery || gs[2].Delivery == gs[0].Delivery {
		t.Fatalf("received %d (%v); want the first event twice, then the second once", len(gs), phones(t, gs))
	}
	for _, g := range gs {
		if _, ok := verify(key, g); !ok {
			t.Errorf("signature %q does not verify", g.Signature)
		}
	}
	ds := deliveries(t, s, key)
	marked := 0
	for _, d := range ds {
		for _, a := range d.AttemptLog {
			if strings.Contains(a.Chaos, "sent twice") {
				marked++
			}
		}
	}
	if marked != 1 {
		t.Errorf("deliveries %+v: want one attempt marked duplicate", ds)
	}
}

func TestReorder(t *testing.T) {
	s := apptest.New(t, manual())
	key, rc := "chaos-reorder-key", newReceiver(t)
	setup(t, s, key, rc.URL+"/hook")
	addChaos(t, s, key, M{"effect": "reorder", "first": 1})
	contacts(t, s, key, 0, 3)
	flush(t, s, key)
	got := strings.Join(phones(t, rc.all()), " ")
	want := "+12065550201 +12065550200 +12065550202"
	if got != want {
		t.Fatalf("arrival order %s, want %s", got, want)
	}
}

func TestEffects(t *testing.T) {
	tests := []struct {
		name  string
		rule  M
		check func(t *testing.T, key string, gs []got, ds []delivery)
	}{
		{"drop", M{"effect": "drop"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 0 || len(ds) != 1 || ds[0].State != "delivered" || !strings.Contains(ds[0].AttemptLog[0].Chaos, "dropped") {
				t.Errorf("received %d, deliveries %+v; want nothing received and a delivered attempt marked dropped", len(gs), ds)
			}
		}},
		{"bad_signature", M{"effect": "bad_signature"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 1 {
				t.Fatalf("received %d", len(gs))
			}
			if _, ok := verify(key, gs[0]); ok {
				t.Errorf("signature %q verifies; want it wrong", gs[0].Signature)
			}
		}},
		{"stale_timestamp", M{"effect": "stale_timestamp", "stale": "2h"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 1 {
				t.Fatalf("received %d", len(gs))
			}
			at, ok := verify(key, gs[0])
			if !ok || time.Since(at) < 2*time.Hour {
				t.Errorf("signature %q: valid %v at %s; want a valid signature 2h old", gs[0].Signature, ok, at)
			}
		}},
		{"wrong_path", M{"effect": "wrong_path"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 1 || gs[0].Path != "/hook/wrong" {
				t.Errorf("received %+v; want one request at /hook/wrong", gs)
			}
		}},
		{"truncate", M{"effect": "truncate"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 1 || json.Valid(gs[0].Body) || len(gs[0].Body) == 0 {
				t.Errorf("received %q; want half of a JSON body", gs)
			}
		}},
		{"delay", M{"effect": "delay", "delay": "50ms"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 1 || !strings.Contains(ds[0].AttemptLog[0].Chaos, "held 50ms") || ds[0].State != "delivered" {
				t.Errorf("received %d, deliveries %+v", len(gs), ds)
			}
		}},
		{"down", M{"effect": "down"}, func(t *testing.T, key string, gs []got, ds []delivery) {
			if len(gs) != 0 || len(ds) != 1 || ds[0].State != "pending" || !strings.Contains(ds[0].AttemptLog[0].Error, "connection refused") ||
				!strings.Contains(ds[0].AttemptLog[0].Chaos, "endpoint down") {
				t.Errorf("received %d, deliveries %+v; want a refused attempt to retry", len(gs), ds)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := apptest.New(t, manual())
			key, rc := "chaos-"+tt.name, newReceiver(t)
			setup(t, s, key, rc.URL+"/hook")
			addChaos(t, s, key, tt.rule)
			contacts(t, s, key, 0, 1)
			flush(t, s, key)
			tt.check(t, key, rc.all(), deliveries(t, s, key))
		})
	}
}

// The same seed gives the same deliveries dropped, run after run.
func TestProbability_Seeded(t *testing.T) {
	run := func() string {
		s := apptest.New(t, manual())
		key, rc := "chaos-seed-key", newReceiver(t)
		setup(t, s, key, rc.URL+"/hook")
		addChaos(t, s, key, M{"effect": "drop", "probability": 0.5, "seed": 11})
		contacts(t, s, key, 0, 20)
		flush(t, s, key)
		return strings.Join(phones(t, rc.all()), " ")
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("seed 11 delivered\n%s\nthen\n%s", a, b)
	}
	if n := len(strings.Fields(a)); n == 0 || n == 20 {
		t.Fatalf("probability 0.5 delivered %d of 20", n)
	}
}

// A rule of one workspace never touches another's deliveries.
func TestIsolation(t *testing.T) {
	s := apptest.New(t, manual())
	ra, rb := newReceiver(t), newReceiver(t)
	setup(t, s, "chaos-iso-a", ra.URL)
	setup(t, s, "chaos-iso-b", rb.URL)
	addChaos(t, s, "chaos-iso-a", M{"effect": "duplicate"})
	contacts(t, s, "chaos-iso-a", 0, 2)
	contacts(t, s, "chaos-iso-b", 0, 2)
	flush(t, s, "chaos-iso-a")
	flush(t, s, "chaos-iso-b")
	if a, b := len(ra.all()), len(rb.all()); a != 4 || b != 2 {
		t.Fatalf("workspace a received %d, b %d; want 4 and 2", a, b)
	}
	var list struct{ Data []M }
	apptest.Want(t, s.Sandbox(whippyKey("chaos-iso-b")).Get(t, "/chaos"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("workspace b sees %v", list.Data)
	}
}

func TestControl(t *testing.T) {
	s := apptest.New(t, manual())
	sb := s.Sandbox(whippyKey("chaos-control-key"))
	r := addChaos(t, s, "chaos-control-key", M{"id": "x", "effect": "drop"})
	if r["id"] != "x" || r["workspace"] == "" {
		t.Fatalf("rule %v", r)
	}
	apptest.Want(t, sb.Post(t, "/chaos", M{"id": "x", "effect": "drop"}), http.StatusConflict)
	for _, bad := range []struct {
		rule  M
		field string
	}{{M{"effect": "melt"}, "effect"}, {M{"effect": "delay"}, "delay"}, {M{"effect": "drop", "every": -1}, "every"}, {M{"effect": "drop", "extra": 1}, "extra"}} {
		resp := sb.Post(t, "/chaos", bad.rule)
		var e struct{ Error struct{ Field string } }
		resp.JSON(t, &e)
		if resp.Status != http.StatusUnprocessableEntity || e.Error.Field != bad.field {
			t.Errorf("%v: %d %s, want 422 on %s", bad.rule, resp.Status, resp.Body, bad.field)
		}
	}
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/chaos/x", nil), http.StatusNoContent)
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/chaos/x", nil), http.StatusNotFound)
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/chaos", nil), http.StatusOK)
}
