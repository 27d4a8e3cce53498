package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/store"
)

const (
	benchJournal    = 20000
	benchDeliveries = 10000
)

// benchSendID is the request id of the 43rd journal entry, which answered
// message 00000042.
var benchSendID = fmt.Sprintf("%032x", 42)

// benchServer is a server (file database, as the binary runs by default)
// holding 20,000 journal entries and 10,000 deliveries of one workspace,
// with nothing dispatched in the background (manual mode), and the id of
// one delivery.
func benchServer(b *testing.B) (*apptest.Server, string, int64) {
	b.Helper()
	s := apptest.New(b, apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = filepath.Join(b.TempDir(), "bench.db")
		c.Server.Journal.Retention = benchJournal + 5000
		c.Scenarios.Manual = true
	}))
	const key = "bench-key"
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	apptest.Want(b, sb.Post(b, "/webhooks", map[string]any{"vendor": "whippy", "url": "http://127.0.0.1:9/hooks"}), 201)
	ws := apptest.Want(b, sb.Get(b, "/clock"), 200).Map(b)["workspace_id"].(string)
	ctx := context.Background()
	db := s.App.DB
	// The events name the request that sent message 00000042 (the 43rd
	// journal entry), as the events a send emits do.
	sent := store.WithRequestID(ctx, benchSendID)
	body := []byte(`{"data":{"id":"0fc67a1a-3ad3-4d35-ab42-c57798aec8f1","delivery_status":"delivered","body":"` + strings.Repeat("x", 200) + `"},"event":"message.updated"}`)
	for i := 0; i < benchDeliveries; i += 1000 {
		err := db.Update(sent, ws, func(tx *store.Tx) error {
			hooks, err := tx.Subscribers("whippy", "message.updated")
			if err != nil {
				return err
			}
			for j := i; j < i+1000; j++ {
				ev := store.Event{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", j), Vendor: "whippy", Type: "message.updated", Body: body, CreatedAt: tx.Now()}
				if err := tx.Enqueue(ev, hooks); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ops := []struct{ op, method, path string }{
		{"sendSms", "POST", "/whippy/v1/messaging/sms"},
		{"listContacts", "GET", "/whippy/v1/contacts"},
		{"getContact", "GET", "/whippy/v1/contacts/7bcb0662-e1ff-4f45-a55b-61010369bf49"},
		{"", "GET", "/whippy/v1/nope"},
	}
	batch := make([]store.JournalEntry, 0, 500)
	for i := 0; i < benchJournal; i++ {
		o := ops[i%len(ops)]
		batch = append(batch, store.JournalEntry{
			At: time.Now(), WorkspaceID: ws, Vendor: "whippy", OperationID: o.op, Method: o.method, Path: o.path,
			Status: 200, Duration: time.Millisecond, RequestID: fmt.Sprintf("%032x", i),
			RequestHeaders: []byte(`{"Content-Type":["application/json"],"X-Whippy-Key":["benc…-key"]}`),
			RequestBody:    []byte(`{"to":"+12065558001","from":"+14155554348","body":"hello"}`),
			ResponseBody:   []byte(`{"data":{"id":"` + fmt.Sprintf("%08d", i) + `"}}` + strings.Repeat(" ", 900)),
		})
		if len(batch) == cap(batch) {
			if err := db.AppendJournal(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	ds := apptest.Want(b, s.Sandbox(nil).Get(b, "/deliveries?limit=1"), 200).Map(b)
	if total := ds["total"].(float64); total < benchDeliveries {
		b.Fatalf("%v deliveries stored, want %d", total, benchDeliveries)
	}
	rs := apptest.Want(b, s.Sandbox(nil).Get(b, "/requests/count"), 200).Map(b)
	if n := rs["count"].(float64); n < benchJournal {
		b.Fatalf("%v journal entries stored, want %d", n, benchJournal)
	}
	newest := ds["data"].([]any)[0].(map[string]any)
	if rid, _ := newest["request_id"].(string); rid != benchSendID {
		b.Fatalf("the newest delivery names request %q, want %s (the timeline looks its send up by it)", rid, benchSendID)
	}
	id := int64(newest["id"].(float64))
	return s, ws, id
}

// BenchmarkPages measures what each dashboard page asks of the server,
// with 20,000 journal entries and 10,000 deliveries stored: the page
// itself, and the control API calls each page makes (a page of 50,
// newest first, filtered or deep, and the detail views). Every answer
// is read whole over HTTP.
func BenchmarkPages(b *testing.B) {
	s, ws, id := benchServer(b)
	wsHeader := map[string]string{"X-Sandbox-Workspace": ws}
	// A path is a GET, or "POST path body" with a JSON body.
	get := func(b *testing.B, path string, h map[string]string) {
		method, body := http.MethodGet, ""
		if rest, ok := strings.CutPrefix(path, "POST "); ok {
			method = http.MethodPost
			path, body, _ = strings.Cut(rest, " ")
		}
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
		}
		b.SetBytes(n)
	}
	tests := []struct {
		name  string
		paths []string
		h     map[string]string
	}{
		{"page", []string{"/_sandbox/ui/"}, nil},
		{"app.js", []string{"/_sandbox/ui/app.js"}, nil},
		{"workspaces", []string{"/_sandbox/workspaces"}, nil},
		{"requests", []string{"/_sandbox/requests?limit=50"}, nil},
		{"requests/workspace", []string{"/_sandbox/requests?limit=50"}, wsHeader},
		{"requests/filtered", []string{"/_sandbox/requests?operation_id=sendSms&method=POST&limit=50"}, wsHeader},
		{"requests/path-prefix", []string{"/_sandbox/requests?path=/whippy/v1/contacts*&limit=50"}, wsHeader},
		{"requests/deep", []string{"/_sandbox/requests?limit=50&offset=15000"}, wsHeader},
		{"requests/count", []string{"/_sandbox/requests/count"}, wsHeader},
		{"deliveries", []string{"/_sandbox/deliveries?limit=50"}, nil},
		{"deliveries/workspace", []string{"/_sandbox/deliveries?limit=50"}, wsHeader},
		{"deliveries/state", []string{"/_sandbox/deliveries?state=pending&event_type=message.updated&limit=50"}, wsHeader},
		{"deliveries/deep", []string{"/_sandbox/deliveries?limit=50&offset=9000"}, wsHeader},
		{"delivery", []string{fmt.Sprintf("/_sandbox/deliveries/%d", id)}, nil},
		// A delivery's timeline reads its message's events (the deliveries
		// whose event names it: every stored event is looked at) and its
		// send: the journal entry of the request the oldest of them names
		// (request_id; every entry's metadata is looked at, no body).
		{"delivery/timeline", []string{"/_sandbox/deliveries?vendor=whippy&subject=00000042&limit=1000",
			"/_sandbox/requests?request_id=" + benchSendID + "&limit=10"}, wsHeader},
		// When no event names a request (scenario and simulator events),
		// the journal is searched for the first answer that named the
		// message (every entry's answer is read). Message 00000042's send
		// is the 43rd entry.
		{"delivery/timeline-search", []string{"/_sandbox/deliveries?vendor=whippy&subject=00000042&limit=1000",
			`POST /_sandbox/requests/search {"match":[{"on":"vendor","value":"whippy"},{"on":"method","value":"POST"},{"on":"response","op":"contains","value":"00000042"}],"limit":1}`}, wsHeader},
		// A live update of an open timeline: the send is kept by the page.
		{"delivery/timeline-again", []string{"/_sandbox/deliveries?vendor=whippy&subject=00000042&limit=1000"}, wsHeader},
		{"clock", []string{"/_sandbox/clock"}, wsHeader},
		{"scenarios", []string{"/_sandbox/scenarios", "/_sandbox/magic-numbers", "/_sandbox/deliveries?limit=15", "/_sandbox/scenarios/runs?limit=10"}, wsHeader},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				for _, p := range tt.paths {
					get(b, p, tt.h)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
	// With writes interleaved: each look at the journal follows a vendor
	// request, which the read must flush into the journal first.
	b.Run("requests/after-write", func(b *testing.B) {
		c := s.Whippy("bench-key")
		for b.Loop() {
			c.Get(b, "/contacts?limit=1")
			get(b, "/_sandbox/requests?limit=50", wsHeader)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
	})
}
