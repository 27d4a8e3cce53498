package mocks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/store"
)

// oldRedactQuery is redactQuery as it was written first (split, unescape,
// rebuild), the reference the allocation-free one is checked against.
func oldRedactQuery(raw string, secret map[string]bool) string {
	if len(secret) == 0 || raw == "" {
		return raw
	}
	var b strings.Builder
	changed := false
	for i, pair := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, has := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err == nil && has && secret[name] {
			if u, err := url.QueryUnescape(v); err == nil {
				v = url.QueryEscape(redact(u))
				changed = true
			}
		}
		b.WriteString(k)
		if has {
			b.WriteString("=" + v)
		}
	}
	if !changed {
		return raw
	}
	return b.String()
}

func TestRedactQuery(t *testing.T) {
	secret := map[string]bool{"session": true, "api key": true}
	for _, tt := range []struct{ raw, want string }{
		{"", ""},
		{"limit=10", "limit=10"},
		{"session=abcdefghijkl&limit=10", "session=abcd%E2%80%A6ijkl&limit=10"},
		{"limit=10&session=abcdefghijkl", "limit=10&session=abcd%E2%80%A6ijkl"},
		{"a=1&session=short&b=2&session=abcdefghijkl", "a=1&session=%E2%80%A6&b=2&session=abcd%E2%80%A6ijkl"},
		{"api+key=abcdefghijkl&x", "api+key=abcd%E2%80%A6ijkl&x"},
		{"api%20key=abcdefghijkl&", "api%20key=abcd%E2%80%A6ijkl&"},
		{"session", "session"},
		{"session=", "session=%E2%80%A6"},
		{"session=%zz&limit=1", "session=%zz&limit=1"},
		{"%zz=1&session=abcdefghijkl", "%zz=1&session=abcd%E2%80%A6ijkl"},
		{"&&session=abcdefghijkl&&", "&&session=abcd%E2%80%A6ijkl&&"},
	} {
		if got := redactQuery(tt.raw, secret); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
		if old := oldRedactQuery(tt.raw, secret); old != tt.want {
			t.Errorf("the reference gives %q for %q, want %q", old, tt.raw, tt.want)
		}
	}
	if got := redactQuery("session=abcdefghijkl", nil); got != "session=abcdefghijkl" {
		t.Errorf("no secrets: %q", got)
	}
}

func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{"", "session=abcdefghijkl&limit=10", "a&&session=%zz", "session&session=x=y", "%73ession=abcdefghijkl"} {
		f.Add(s)
	}
	secret := map[string]bool{"session": true}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := redactQuery(raw, secret), oldRedactQuery(raw, secret); got != want {
			t.Fatalf("redactQuery(%q) = %q, the reference %q", raw, got, want)
		}
	})
}

func TestRedactedBody(t *testing.T) {
	api := &API{secretParams: map[string]bool{"session": true}}
	r := &http.Request{Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
	body := []byte("limit=10&page=2")
	if got := api.redactedBody(r, body); &got[0] != &body[0] {
		t.Errorf("a body without secrets was copied: %q", got)
	}
	json := &http.Request{Header: http.Header{"Content-Type": {"application/json"}}}
	if got := api.redactedBody(json, []byte(`{"session":"abcdefghijkl"}`)); string(got) != `{"session":"abcdefghijkl"}` {
		t.Errorf("a JSON body was read as a form: %q", got)
	}
	// Bodies that differ, in turn, many times: each gets its own redaction
	// whether or not it replaced the remembered one.
	for i := range 20 {
		for _, tt := range []struct{ body, want string }{
			{"session=abcdefghijkl&limit=10", "session=abcd%E2%80%A6ijkl&limit=10"},
			{"session=abcdefghijkm&limit=10", "session=abcd%E2%80%A6ijkm&limit=10"},
			{"session=abcdefghijkl&limit=11", "session=abcd%E2%80%A6ijkl&limit=11"},
			{"limit=10", "limit=10"},
		} {
			if got := api.redactedBody(r, []byte(tt.body)); string(got) != tt.want {
				t.Fatalf("round %d: redactedBody(%q) = %q, want %q", i, tt.body, got, tt.want)
			}
		}
	}
	// The same body again: the remembered redaction.
	a := api.redactedBody(r, []byte("session=abcdefghijkl&x=1"))
	api.body.Store(&bodyMemo{raw: "session=abcdefghijkl&x=1", out: a})
	if b := api.redactedBody(r, []byte("session=abcdefghijkl&x=1")); &b[0] != &a[0] {
		t.Error("the same body was redacted again")
	}
}

func TestRequestHeaders_NeverStale(t *testing.T) {
	api := &API{secretHeaders: map[string]bool{"x-key": true}}
	a := http.Header{"Accept": {"*/*"}, "X-Key": {"abcdefghijkl"}}
	first := api.requestHeaders(a)
	if !bytes.Equal(first, headerJSON(a, api.secretHeaders)) {
		t.Fatalf("requestHeaders = %s, want headerJSON's", first)
	}
	// The same set, as a new map: the remembered JSON.
	again := api.requestHeaders(a.Clone())
	if &again[0] != &first[0] {
		t.Error("the same header set was written again")
	}
	// Sets that differ by a value, a name, a value's count: their own JSON,
	// every time, whether or not they replace the remembered one.
	for i := range 20 {
		for _, h := range []http.Header{
			{"Accept": {"*/*"}, "X-Key": {"abcdefghijkm"}},
			{"Accept": {"*/*"}, "X-Other": {"abcdefghijkl"}},
			{"Accept": {"*/*", "*/*"}, "X-Key": {"abcdefghijkl"}},
			{"Accept": {"*/*"}},
			a,
		} {
			if got, want := api.requestHeaders(h), headerJSON(h, api.secretHeaders); !bytes.Equal(got, want) {
				t.Fatalf("round %d: requestHeaders(%v) = %s, want %s", i, h, got, want)
			}
		}
	}
	// The remembered set is a copy: changing the request's map after
	// does not change what a later request with the old values gets.
	b := a.Clone()
	api.headers.Store(nil)
	api.requestHeaders(b)
	b.Set("Accept", "text/plain")
	if got, want := api.requestHeaders(a), headerJSON(a, api.secretHeaders); !bytes.Equal(got, want) {
		t.Errorf("after the request's map changed: %s, want %s", got, want)
	}
}

// routeSpecs are two APIs under one prefix: the first's template takes
// /p/a before the second's literal /a in the router, which tries routes in
// the order they were mounted.
const routeSpecA = `
openapi: 3.0.3
info: {title: a, version: "1"}
paths:
  /lit:
    get: {operationId: getLit, responses: {"200": {description: ok}}}
  /{id}:
    get:
      operationId: getByID
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
`

const routeSpecB = `
openapi: 3.0.3
info: {title: b, version: "1"}
paths:
  /a:
    get: {operationId: getA, responses: {"200": {description: ok}}}
    post: {operationId: postA, responses: {"200": {description: ok}}}
`

func TestDirectRoutes_AgreeWithTheRouter(t *testing.T) {
	load := func(spec string) *openapi3.T {
		doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	answer := func(name string) Handler {
		return func(w http.ResponseWriter, r *http.Request) error {
			_, err := io.WriteString(w, name+" "+PathParam(r, "id"))
			return err
		}
	}
	writeError := func(w http.ResponseWriter, r *http.Request, e *Error) {
		w.WriteHeader(e.HTTPStatus(nil))
		io.WriteString(w, string(e.Code))
	}
	a := &API{Name: "a", Doc: load(routeSpecA), Prefix: "/p", WriteError: writeError,
		Handlers: map[string]Handler{"getLit": answer("lit"), "getByID": answer("byID")}}
	b := &API{Name: "b", Doc: load(routeSpecB), Prefix: "/p", WriteError: writeError,
		Handlers: map[string]Handler{"getA": answer("getA"), "postA": answer("postA")}}
	srv, err := NewServer(Options{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if srv.direct[routeKey{"GET", "/p/lit"}] == nil {
		t.Error("GET /p/lit is not routed directly")
	}
	if o := srv.direct[routeKey{"GET", "/p/a"}]; o != nil {
		t.Errorf("GET /p/a is routed directly to %s, though the router takes a's template first", o.id)
	}
	if srv.direct[routeKey{"POST", "/p/a"}] == nil {
		t.Error("POST /p/a (no template of that method before it) is not routed directly")
	}
	for _, tt := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/p/lit", 200, "lit "},
		{"HEAD", "/p/lit", 200, "lit "}, // the recorder keeps what net/http would drop
		{"POST", "/p/a", 200, "postA "},
		{"GET", "/p/other", 200, "byID other"},
		// The router's answer, as before the shortcut: its template matched a
		// path that is literal elsewhere, which makes the method not allowed.
		{"GET", "/p/a", 405, "method"},
		{"DELETE", "/p/lit", 405, "method"},
	} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || rec.Body.String() != tt.want {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status, tt.want)
		}
	}
}

func TestJournal_WritesInOrderAndDropsPastItsQueue(t *testing.T) {
	ctx := context.Background()
	db := store.New(":memory:")
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	j := NewJournal(db, JournalOptions{QueueSize: 3 * journalBatch})
	// Not started: every entry waits in the queue, and those past its size
	// are dropped.
	total := 3*journalBatch + 10
	for i := range total {
		j.Record(store.JournalEntry{At: time.Unix(int64(i), 0), Vendor: "v", OperationID: "op", Method: "GET", Path: fmt.Sprintf("/%d", i), Status: 200})
	}
	if got := j.Dropped(); got != 10 {
		t.Errorf("dropped %d entries, want 10", got)
	}
	j.Open()
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, n, err := db.Journal(ctx, store.JournalFilter{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3*journalBatch || len(got) != n {
		t.Fatalf("%d entries stored (%d returned), want %d", n, len(got), 3*journalBatch)
	}
	for i, e := range got {
		if want := fmt.Sprintf("/%d", n-1-i); e.Path != want {
			t.Fatalf("entry %d (newest first) is %s, want %s", i, e.Path, want)
		}
	}
	// After a flush, the queue takes entries again, and Close writes them.
	j.Record(store.JournalEntry{At: time.Unix(9999, 0), Vendor: "v", OperationID: "op", Method: "GET", Path: "/last", Status: 200})
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, _, err = db.Journal(ctx, store.JournalFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Path != "/last" {
		t.Errorf("newest entry after Close: %+v, want /last", got)
	}
}

func TestReadAll(t *testing.T) {
	req := func(body string, declared int64) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.ContentLength = declared
		return r
	}
	for _, tt := range []struct {
		name     string
		body     string
		declared int64
		want     string
		tooLarge bool
		fails    bool
	}{
		{"Declared", "a=1&b=2", 7, "a=1&b=2", false, false},
		{"AtTheLimit", "0123456789", 10, "0123456789", false, false},
		{"OverTheLimit", "0123456789x", 11, "", true, false},
		{"Unknown", "a=1", -1, "a=1", false, false},
		{"UnknownOverTheLimit", "0123456789x", -1, "", true, false},
		{"LongerThanDeclared", "0123456789", 4, "0123456789", false, false},
		{"LongerThanDeclaredOverTheLimit", "0123456789xy", 4, "", true, false},
		{"ShorterThanDeclared", "abc", 5, "", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(httptest.NewRecorder(), req(tt.body, tt.declared), 10)
			var mbe *http.MaxBytesError
			switch {
			case tt.tooLarge:
				if !errors.As(err, &mbe) {
					t.Fatalf("read %q, %v; want a MaxBytesError", got, err)
				}
			case tt.fails:
				if err == nil {
					t.Fatalf("read %q of a body shorter than declared", got)
				}
			case err != nil || string(got) != tt.want:
				t.Fatalf("read %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
