package mocks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// rpcSpec is an API whose parameters come as a form body or a query
// string, as Zipwhip's do: a list that is read with a POST.
const rpcSpec = `
openapi: 3.0.3
info: {title: rpc, version: "1"}
paths:
  /item/list:
    post:
      operationId: listItems
      requestBody:
        required: false
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [session]
              properties:
                session: {type: string}
                start: {type: integer}
                limit: {type: integer, maximum: 100}
                mode: {type: string}
      responses:
        "200": {description: The page asked for.}
`

// rpcServer serves rpcSpec: the session "good-session-key" authenticates
// (read from the parameters, as Zipwhip's is), and listItems answers the
// start and limit it was given. runs counts the handler's runs.
func rpcServer(tb testing.TB, opts mocks.Options) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(rpcSpec))
	if err != nil {
		tb.Fatal(err)
	}
	var runs atomic.Int64
	api := &mocks.API{
		Name: "rpc", Doc: doc, Prefix: "/rpc", FormParams: true,
		Credentials: []mocks.CredentialSource{{Param: "session", Existing: true}},
		Authenticate: func(r *http.Request) (string, error) {
			if mocks.Params(r).Get("session") != "good-session-key" {
				return "", mocks.Fail(mocks.EUNAUTHENTICATED, "session is not valid")
			}
			return "w1", nil
		},
		Handlers: map[string]mocks.Handler{"listItems": func(w http.ResponseWriter, r *http.Request) error {
			runs.Add(1)
			p := mocks.Params(r)
			mocks.WriteJSON(w, http.StatusOK, map[string]any{"success": true, "start": p.Get("start"), "limit": p.Get("limit")})
			return nil
		}},
		Cacheable: map[string]bool{"listItems": true},
		WriteError: func(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
			mocks.WriteJSON(w, e.HTTPStatus(map[mocks.Code]int{mocks.EINVALID: 400}), map[string]any{"success": false, "response": e.Message, "field": e.Field})
		},
	}
	if opts.Generation == nil {
		opts.Generation = func(string) uint64 { return 1 }
	}
	srv, err := mocks.NewServer(opts, api)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	return hs, &runs
}

func postForm(tb testing.TB, url, query, body string) (int, string) {
	tb.Helper()
	if query != "" {
		url += "?" + query
	}
	resp, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An Authenticate that reads the form body leaves it for validation and
// the handler; query and body parameters are merged; a bad parameter is
// named.
func TestFormParams(t *testing.T) {
	hs, _ := rpcServer(t, mocks.Options{})
	u := hs.URL + "/rpc/item/list"
	tests := []struct {
		name, query, body string
		status            int
		want              string
	}{
		{"SessionInBody", "", "session=good-session-key&start=10", 200, `"start":"10"`},
		{"SessionInQuery", "session=good-session-key", "limit=5", 200, `"limit":"5"`},
		{"NoBody", "session=good-session-key&start=3", "", 200, `"start":"3"`},
		{"BadSession", "", "session=nope", 401, `"session is not valid"`},
		{"NotAnInteger", "", "session=good-session-key&start=x", 400, `"field":"start"`},
		{"TooLarge", "", "session=good-session-key&limit=500", 400, `limit must be at most 100`},
		{"Missing", "", "start=1", 401, `session is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(t, u, tt.query, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s; want %d with %s", status, body, tt.status, tt.want)
			}
		})
	}
	status, body := postForm(t, u, "", "session=good-session-key&start=x")
	if !strings.Contains(body, "start must be an integer") {
		t.Errorf("start=x: %d %s; want the message to say start must be an integer", status, body)
	}
	// A JSON body to a form API is refused in the API's shape, not lost.
	resp, err := http.Post(u+"?session=good-session-key", "application/json", strings.NewReader(`{"start":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(b), `"success":false`) {
		t.Errorf("JSON body: %d %s; want 415 in the API's shape", resp.StatusCode, b)
	}
}

// The read cache tells apart reads that differ only in their body (POST
// reads), and serves a repeated one from memory.
func TestReadCache_KeysOnBody(t *testing.T) {
	hs, runs := rpcServer(t, mocks.Options{})
	u := hs.URL + "/rpc/item/list"
	_, first := postForm(t, u, "", "session=good-session-key&start=0")
	_, second := postForm(t, u, "", "session=good-session-key&start=50")
	if first == second {
		t.Fatalf("start=0 and start=50 got the same answer %s", first)
	}
	if !strings.Contains(second, `"start":"50"`) {
		t.Errorf("start=50 answered %s", second)
	}
	before := runs.Load()
	_, again := postForm(t, u, "", "session=good-session-key&start=50")
	if again != second || runs.Load() != before {
		t.Errorf("the repeated read ran the handler again (%d runs, was %d) or changed: %s", runs.Load(), before, again)
	}
}

// twoMethodSpec serves one operation by GET and by POST (one handler, as
// Zipwhip's reads are served both ways), with its parameters in the query.
const twoMethodSpec = `
openapi: 3.0.3
info: {title: two, version: "1"}
paths:
  /item:
    get:
      operationId: getItem
      parameters: [{name: id, in: query, schema: {type: string}}]
      responses:
        "200": {description: The item.}
    post:
      operationId: getItem
      parameters: [{name: id, in: query, schema: {type: string}}]
      responses:
        "200": {description: The item.}
`

// The read cache keys on the method: the same operation, path, query and
// (empty) body asked by GET and then by POST are two answers, each of
// which is cached.
func TestReadCache_KeysOnMethod(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(twoMethodSpec))
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int64
	srv, err := mocks.NewServer(mocks.Options{Generation: func(string) uint64 { return 1 }}, &mocks.API{
		Name: "two", Doc: doc, Prefix: "/two",
		Handlers: map[string]mocks.Handler{"getItem": func(w http.ResponseWriter, r *http.Request) error {
			runs.Add(1)
			mocks.WriteJSON(w, http.StatusOK, map[string]string{"method": r.Method, "id": r.URL.Query().Get("id")})
			return nil
		}},
		Cacheable: map[string]bool{"getItem": true},
		WriteError: func(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
			mocks.WriteJSON(w, e.HTTPStatus(nil), map[string]string{"error": e.Message})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	call := func(method string) string {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+"/two/item?id=7", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", method, resp.StatusCode, b)
		}
		return string(b)
	}
	if got := call(http.MethodGet); got != `{"id":"7","method":"GET"}` {
		t.Fatalf("GET answered %s", got)
	}
	if got := call(http.MethodPost); got != `{"id":"7","method":"POST"}` {
		t.Errorf("POST after GET answered %s: the GET's cached answer", got)
	}
	before := runs.Load()
	if got := call(http.MethodGet); got != `{"id":"7","method":"GET"}` || runs.Load() != before {
		t.Errorf("the repeated GET answered %s and ran the handler %d times more", got, runs.Load()-before)
	}
}

// A middleware that wraps the ResponseWriter (as fault injection does)
// leaves the pipeline working: it finds its server in the request.
func TestServer_WrappedWriter(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(rpcSpec))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mocks.NewServer(mocks.Options{}, &mocks.API{
		Name: "rpc", Doc: doc, Prefix: "/rpc", FormParams: true,
		Handlers: map[string]mocks.Handler{"listItems": func(w http.ResponseWriter, r *http.Request) error {
			mocks.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
			return nil
		}},
		WriteError: func(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
			mocks.WriteJSON(w, e.HTTPStatus(nil), map[string]string{"error": e.Message})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(struct{ http.ResponseWriter }{w}, r)
	})
	hs := httptest.NewServer(wrapped)
	defer hs.Close()
	status, body := postForm(t, hs.URL+"/rpc/item/list", "", "session=s")
	if status != http.StatusOK || !strings.Contains(body, `"ok":true`) {
		t.Errorf("through a wrapping middleware: %d %s; want 200", status, body)
	}
}

// faultFunc adapts a function to mocks.Fault.
type faultFunc func(w http.ResponseWriter, r *http.Request, api *mocks.API, op string) (bool, error)

func (f faultFunc) Apply(w http.ResponseWriter, r *http.Request, api *mocks.API, op string) (bool, error) {
	return f(w, r, api, op)
}

// The fault stage runs after authentication and validation, knows the API
// and the operation, and its errors take the API's shape.
func TestFault_AnswersInTheAPIsShape(t *testing.T) {
	fault := faultFunc(func(w http.ResponseWriter, r *http.Request, api *mocks.API, op string) (bool, error) {
		switch mocks.Params(r).Get("mode") {
		case "429":
			return false, &mocks.Error{Code: mocks.ERATELIMITED, Message: fmt.Sprintf("%s %s: slow down", api.Name, op), Header: http.Header{"Retry-After": {"1"}}}
		case "empty":
			w.WriteHeader(http.StatusBadGateway)
			return true, nil
		}
		return false, nil
	})
	hs, runs := rpcServer(t, mocks.Options{Fault: fault, Generation: func(string) uint64 { return 0 }})
	u := hs.URL + "/rpc/item/list"
	resp, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader("session=good-session-key&mode=429"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || string(b) != `{"field":"","response":"rpc listItems: slow down","success":false}` {
		t.Errorf("fault error: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if status, body := postForm(t, u, "", "session=good-session-key&mode=empty"); status != 502 || body != "" {
		t.Errorf("handled fault: %d %q; want 502 and no body", status, body)
	}
	// Authentication comes first: a fault never answers for a bad session.
	if status, _ := postForm(t, u, "", "session=bad&mode=429"); status != 401 {
		t.Errorf("bad session with a fault rule: %d, want 401", status)
	}
	if runs.Load() != 0 {
		t.Errorf("the handler ran %d times under faults", runs.Load())
	}
}

// The journal redacts an API's credentials in the query string and the
// form body, short ones included.
func TestJournal_RedactsCredentialParams(t *testing.T) {
	db := store.New(":memory:")
	ctx := context.Background()
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	j := mocks.NewJournal(db, mocks.JournalOptions{BodyLimit: 4096, ResponseBodyLimit: 64})
	j.Open()
	t.Cleanup(func() { j.Close(ctx) })
	hs, _ := rpcServer(t, mocks.Options{Journal: j})
	u := hs.URL + "/rpc/item/list"
	postForm(t, u, "session=good-session-key", "start=1")
	postForm(t, u, "", "session=good-session-key&start=2")
	postForm(t, u, "session=short", "")
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	entries, _, err := db.Journal(ctx, store.JournalFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d entries, want 3", len(entries))
	}
	for _, e := range entries {
		all := e.Query + " " + string(e.RequestBody)
		if strings.Contains(all, "session-key") || strings.Contains(all, "short") {
			t.Errorf("journal keeps a session in clear: query %q body %q", e.Query, e.RequestBody)
		}
		q, _ := url.ParseQuery(e.Query)
		b, _ := url.ParseQuery(string(e.RequestBody))
		if s := q.Get("session") + b.Get("session"); s != "good…-key" && s != "…" {
			t.Errorf("session journaled as %q, want its ends or nothing", s)
		}
	}
}

// A read validated once is not validated again while it is the same
// request, and a request that differs in anything validation reads is.
func TestValidationMemo_OnlyTheSameRequest(t *testing.T) {
	hs, _ := rpcServer(t, mocks.Options{})
	u := hs.URL + "/rpc/item/list"
	for range 2 {
		if status, body := postForm(t, u, "", "session=good-session-key&limit=5"); status != 200 {
			t.Fatalf("valid read: %d %s", status, body)
		}
	}
	for range 2 {
		if status, body := postForm(t, u, "", "session=good-session-key&limit=500"); status != 400 || !strings.Contains(body, "limit must be at most 100") {
			t.Errorf("invalid read after a valid one: %d %s", status, body)
		}
	}
	if status, _ := postForm(t, u, "limit=500", "session=good-session-key"); status != 400 {
		t.Errorf("the same limit in the query: %d, want 400", status)
	}
}
