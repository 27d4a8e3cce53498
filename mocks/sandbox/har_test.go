package sandbox_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

func harSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("testdata/har-1.2.schema.json")
	if err != nil {
		tb.Fatal(err)
	}
	return sch
}

func TestHAR_JournalAsHAR12(t *testing.T) {
	s := apptest.New(t)
	key := "har-test-key"
	w := s.Whippy(key)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550141", "name": "Ann"}), http.StatusCreated)
	apptest.Want(t, w.Get(t, "/contacts?limit=2"), http.StatusOK)
	apptest.Want(t, w.Get(t, "/nowhere"), http.StatusNotFound)

	r := apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/requests?format=har"), http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/har+json" {
		t.Errorf("Content-Type %q", ct)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if err := harSchema(t).Validate(inst); err != nil {
		t.Fatalf("not HAR 1.2: %v\n%s", err, r.Body)
	}
	var har struct {
		Log struct {
			Entries []struct {
				Request struct {
					Method      string
					URL         string
					Headers     []struct{ Name, Value string }
					QueryString []struct{ Name, Value string }
					PostData    *struct{ MimeType, Text string }
				}
				Response struct {
					Status  int
					Content struct{ Text string }
				}
			}
		}
	}
	r.JSON(t, &har)
	es := har.Log.Entries
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3", len(es))
	}
	// Oldest first, with the request's URL, query, body and the answer.
	if es[0].Request.Method != "POST" || es[0].Request.URL != s.URL+"/whippy/v1/contacts" || es[0].Request.PostData == nil ||
		!strings.Contains(es[0].Request.PostData.Text, "+12065550141") || es[0].Response.Status != 201 {
		t.Errorf("first entry %+v", es[0])
	}
	if es[1].Request.URL != s.URL+"/whippy/v1/contacts?limit=2" || len(es[1].Request.QueryString) != 1 || es[1].Request.QueryString[0].Value != "2" {
		t.Errorf("second entry %+v", es[1].Request)
	}
	if es[2].Response.Status != 404 {
		t.Errorf("third entry %+v", es[2].Response)
	}
	for _, h := range es[0].Request.Headers {
		if strings.EqualFold(h.Name, "X-Whippy-Key") && h.Value == key {
			t.Errorf("the key is in clear in the HAR")
		}
	}
	// Filters apply, and a wrong format is refused.
	r = apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/requests?format=har&method=GET"), http.StatusOK)
	r.JSON(t, &har)
	if len(har.Log.Entries) != 2 {
		t.Errorf("GET only: %d entries", len(har.Log.Entries))
	}
	apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/requests?format=xml"), http.StatusUnprocessableEntity)
	// The schema is not a rubber stamp.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"yesterday"}]}}`))
	if harSchema(t).Validate(bad) == nil {
		t.Error("the HAR schema accepts an entry without request or response")
	}
}

// The journal keeps the answer's headers: GET /requests shows them as
// response_headers and the HAR export as response.headers, the same the
// client got (but Date, which net/http adds).
func TestJournal_AnswerHeaders(t *testing.T) {
	s := apptest.New(t)
	key := "answer-headers-key"
	w := s.Whippy(key)
	got := apptest.Want(t, w.Get(t, "/contacts?limit=2"), http.StatusOK).Header
	miss := apptest.Want(t, w.Get(t, "/nowhere"), http.StatusNotFound).Header
	want := func(h http.Header) map[string][]string {
		out := map[string][]string{}
		for k, v := range h {
			if k != "Date" {
				out[k] = v
			}
		}
		return out
	}
	var list struct {
		Data []struct {
			RequestID       string              `json:"request_id"`
			Status          int                 `json:"status"`
			ResponseHeaders map[string][]string `json:"response_headers"`
		} `json:"data"`
	}
	apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/requests"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("%d entries, want 2", len(list.Data))
	}
	for i, h := range []http.Header{miss, got} {
		e := list.Data[i]
		if fmt.Sprint(e.ResponseHeaders) != fmt.Sprint(want(h)) {
			t.Errorf("entry %d (%d): response_headers %v; the client got %v", i, e.Status, e.ResponseHeaders, want(h))
		}
		if e.ResponseHeaders["X-Request-Id"][0] != e.RequestID || len(e.ResponseHeaders["Content-Type"]) != 1 {
			t.Errorf("entry %d: response_headers %v, request_id %s", i, e.ResponseHeaders, e.RequestID)
		}
	}
	r := apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/requests?format=har"), http.StatusOK)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if err := harSchema(t).Validate(inst); err != nil {
		t.Fatalf("not HAR 1.2: %v", err)
	}
	var har struct {
		Log struct {
			Entries []struct {
				Response struct {
					Headers []struct{ Name, Value string }
					Content struct{ MimeType string }
				}
			}
		}
	}
	r.JSON(t, &har)
	first := har.Log.Entries[0].Response
	names := map[string]string{}
	for _, h := range first.Headers {
		names[h.Name] = h.Value
	}
	if names["Content-Type"] != got.Get("Content-Type") || names["X-Request-Id"] != got.Get("X-Request-Id") || first.Content.MimeType != got.Get("Content-Type") {
		t.Errorf("HAR response headers %v, mimeType %q; the client got %v", first.Headers, first.Content.MimeType, got)
	}
}
