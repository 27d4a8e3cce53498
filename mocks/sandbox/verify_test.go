package sandbox_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

type expectResult struct {
	OK       bool   `json:"ok"`
	Count    int    `json:"count"`
	Expected string `json:"expected"`
	Message  string `json:"message"`
	Matches  []struct {
		ID int64 `json:"id"`
	} `json:"matches"`
	Misses []struct {
		Request struct {
			ID     int64  `json:"id"`
			Method string `json:"method"`
			Body   string `json:"request_body"`
		} `json:"request"`
		Failed []struct {
			Matcher     int    `json:"matcher"`
			Description string `json:"description"`
			Reason      string `json:"reason"`
		} `json:"failed"`
	} `json:"misses"`
}

func expect(tb testing.TB, s *apptest.Server, key string, body M) expectResult {
	tb.Helper()
	var out expectResult
	apptest.Want(tb, s.Sandbox(whippyKey(key)).Post(tb, "/requests/expect", body), http.StatusOK).JSON(tb, &out)
	return out
}

func TestExpect_NearestMissesWithReasons(t *testing.T) {
	s := apptest.New(t)
	key := "expect-misses-key"
	w := s.Whippy(key)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550111", "name": "Ann"}), http.StatusCreated)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550112", "name": "Bob"}), http.StatusCreated)
	apptest.Want(t, w.Get(t, "/contacts?limit=5"), http.StatusOK)
	// Another workspace's matching request is not counted.
	apptest.Want(t, s.Whippy("expect-other-key").Post(t, "/contacts", M{"phone": "+12065550113"}), http.StatusCreated)

	match := []M{
		{"on": "method", "value": "POST"},
		{"on": "path", "value": "/whippy/v1/contacts"},
		{"on": "body", "name": "phone", "value": "+12065550113"},
	}
	got := expect(t, s, key, M{"match": match, "count": 1})
	if got.OK || got.Count != 0 || got.Expected != "exactly 1" {
		t.Fatalf("expect = %+v, want a failure with count 0 of exactly 1", got)
	}
	if len(got.Misses) != 3 {
		t.Fatalf("misses %+v, want the 3 requests of the workspace", got.Misses)
	}
	// The two POSTs fail one matcher each, newest first; the GET fails more.
	first, second, third := got.Misses[0], got.Misses[1], got.Misses[2]
	if !strings.Contains(first.Request.Body, "+12065550112") || !strings.Contains(second.Request.Body, "+12065550111") {
		t.Errorf("nearest misses %q, %q; want Bob's POST, then Ann's", first.Request.Body, second.Request.Body)
	}
	for _, m := range []int{0, 1} {
		f := got.Misses[m].Failed
		if len(f) != 1 || f[0].Matcher != 2 || !strings.Contains(f[0].Reason, `body phone is "+1206555011`) || !strings.Contains(f[0].Reason, `not "+12065550113"`) {
			t.Errorf("miss %d failed %+v, want only matcher 2 with the phone it had", m, f)
		}
	}
	if third.Request.Method != "GET" || len(third.Failed) != 2 {
		t.Errorf("third miss %+v, want the GET failing method and body", third)
	} else {
		if !strings.Contains(third.Failed[0].Reason, `method is "GET", not "POST"`) {
			t.Errorf("GET's first reason %q", third.Failed[0].Reason)
		}
		if !strings.Contains(third.Failed[1].Reason, "body phone is absent") {
			t.Errorf("GET's second reason %q", third.Failed[1].Reason)
		}
	}
	if !strings.Contains(got.Message, "nearest misses") || !strings.Contains(got.Message, `body phone is "+12065550112"`) {
		t.Errorf("message %q does not list the misses", got.Message)
	}

	// Right counts pass; too many lists the matches.
	match[2] = M{"on": "body", "name": "name", "op": "regex", "value": "^(Ann|Bob)$"}
	if got := expect(t, s, key, M{"match": match, "count": 2}); !got.OK || got.Count != 2 || len(got.Misses) != 0 {
		t.Errorf("exactly 2 = %+v, want ok", got)
	}
	if got := expect(t, s, key, M{"match": match, "at_least": 1, "at_most": 2}); !got.OK || got.Expected != "between 1 and 2" {
		t.Errorf("between 1 and 2 = %+v, want ok", got)
	}
	if got := expect(t, s, key, M{"match": match}); !got.OK || got.Expected != "at least 1" {
		t.Errorf("default = %+v, want ok at least 1", got)
	}
	if got := expect(t, s, key, M{"match": match, "at_most": 1}); got.OK || len(got.Matches) != 2 || !strings.Contains(got.Message, "found 2") {
		t.Errorf("at most 1 = %+v, want a failure listing the 2 matches", got)
	}
	if got := expect(t, s, key, M{"match": match, "at_least": 3}); got.OK || got.Expected != "at least 3" {
		t.Errorf("at least 3 = %+v, want a failure", got)
	}
}

func TestExpect_InvalidMatchers(t *testing.T) {
	s := apptest.New(t)
	c := s.Sandbox(whippyKey("expect-invalid-key"))
	for _, tc := range []struct {
		body  M
		field string
	}{
		{M{"match": []M{{"on": "path", "op": "regex", "value": "("}}}, "match.0.value"},
		{M{"match": []M{{"on": "method"}, {"on": "header", "value": "x"}}}, "match.1.name"},
		{M{"match": []M{{"on": "method", "op": "absent"}}}, "match.0.op"},
		{M{"match": []M{}, "count": 1, "at_least": 1}, "count"},
		{M{"match": []M{}, "at_least": 3, "at_most": 1}, "at_most"},
	} {
		e := decodeError(t, c.Post(t, "/requests/expect", tc.body), http.StatusUnprocessableEntity)
		if e.Field != tc.field {
			t.Errorf("%v: error %+v, want field %s", tc.body, e, tc.field)
		}
	}
	// Refused by the schema: an unknown part.
	decodeError(t, c.Post(t, "/requests/expect", M{"match": []M{{"on": "cookie"}}}), http.StatusUnprocessableEntity)
}

func TestSearch_CountsWithEachMatcherType(t *testing.T) {
	s := apptest.New(t)
	key := "search-types-key"
	w := s.Whippy(key)
	apptest.Want(t, w.Post(t, "/contacts", M{"phone": "+12065550121", "name": "Ann", "email": "ann@example.com"}), http.StatusCreated)
	apptest.Want(t, s.Do(t, apptest.Request{Method: "POST", Path: "/whippy/v1/contacts",
		Header: http.Header{"X-Whippy-Key": {key}, "X-Trace": {"trace-42"}}, Body: M{"phone": "+12065550122", "name": "Bob"}}), http.StatusCreated)
	apptest.Want(t, w.Get(t, "/contacts?limit=5&offset=0"), http.StatusOK)
	// A form body is journaled whatever the answer.
	r := s.Do(t, apptest.Request{Method: "POST", Path: "/whippy/v1/contacts",
		Header: http.Header{"X-Whippy-Key": {key}, "Content-Type": {"application/x-www-form-urlencoded"}}, Body: "phone=%2B12065550123&name=Cy"})
	if r.Status < 400 {
		t.Fatalf("form POST answered %d", r.Status)
	}
	formStatus := r.Status

	for _, tc := range []struct {
		name  string
		match []M
		want  int
	}{
		{"nothing", []M{}, 4},
		{"method", []M{{"on": "method", "value": "POST"}}, 3},
		{"path contains", []M{{"on": "path", "op": "contains", "value": "contacts"}}, 4},
		{"path regex", []M{{"on": "path", "op": "regex", "value": "^/whippy/v1/contacts$"}}, 4},
		{"operation_id", []M{{"on": "operation_id", "value": "listContacts"}}, 1},
		{"vendor", []M{{"on": "vendor", "value": "whippy"}}, 4},
		{"status", []M{{"on": "status", "value": "201"}}, 2},
		{"status of the form", []M{{"on": "status", "value": strconv.Itoa(formStatus)}}, 1},
		{"query equals", []M{{"on": "query", "name": "limit", "value": "5"}}, 1},
		{"query contains", []M{{"on": "query", "name": "offset", "op": "contains", "value": "0"}}, 1},
		{"query regex", []M{{"on": "query", "name": "limit", "op": "regex", "value": `^\d+$`}}, 1},
		{"query absent", []M{{"on": "query", "name": "limit", "op": "absent"}}, 3},
		{"header equals", []M{{"on": "header", "name": "x-trace", "value": "trace-42"}}, 1},
		{"header contains", []M{{"on": "header", "name": "Content-Type", "op": "contains", "value": "json"}}, 2},
		{"header regex", []M{{"on": "header", "name": "X-Trace", "op": "regex", "value": "^trace-[0-9]+$"}}, 1},
		{"header absent", []M{{"on": "header", "name": "X-Trace", "op": "absent"}}, 3},
		{"credential header is redacted", []M{{"on": "header", "name": "X-Whippy-Key", "value": key}}, 0},
		{"json field equals", []M{{"on": "body", "name": "name", "value": "Ann"}}, 1},
		{"json field contains", []M{{"on": "body", "name": "email", "op": "contains", "value": "@example."}}, 1},
		{"json field regex", []M{{"on": "body", "name": "phone", "op": "regex", "value": "012[12]$"}}, 2},
		{"json field absent", []M{{"on": "method", "value": "POST"}, {"on": "body", "name": "email", "op": "absent"}}, 2},
		{"form field equals", []M{{"on": "body", "name": "phone", "value": "+12065550123"}}, 1},
		{"form field contains", []M{{"on": "body", "name": "name", "op": "contains", "value": "C"}}, 1},
		{"whole body contains", []M{{"on": "body", "op": "contains", "value": `"Bob"`}}, 1},
		{"two matchers", []M{{"on": "method", "value": "POST"}, {"on": "header", "name": "X-Trace", "value": "trace-42"}}, 1},
	} {
		var out struct {
			Data  []journalItem `json:"data"`
			Total int           `json:"total"`
		}
		apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/requests/search", M{"match": tc.match, "limit": 1}), http.StatusOK).JSON(t, &out)
		if out.Total != tc.want || len(out.Data) != min(tc.want, 1) {
			t.Errorf("%s: total %d with %d entries, want %d", tc.name, out.Total, len(out.Data), tc.want)
		}
		// expect agrees with search.
		if got := expect(t, s, key, M{"match": tc.match, "count": tc.want}); !got.OK {
			t.Errorf("%s: expect count %d: %s", tc.name, tc.want, got.Message)
		}
	}
}

type journalItem struct {
	ID     int64  `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
}

// A request that failed authentication is the test's own: expect sees it
// in the workspace its credential names.
func TestExpect_SeesUnroutedCalls(t *testing.T) {
	s := apptest.New(t)
	key := "expect-unrouted-key"
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	apptest.Want(t, s.Whippy(key).Get(t, "/contactz"), http.StatusNotFound)
	got := expect(t, s, key, M{"match": []M{{"on": "path", "value": "/whippy/v1/contactz"}, {"on": "status", "value": "404"}}, "count": 1})
	if !got.OK {
		t.Errorf("the unrouted call is not in its workspace's journal: %s", got.Message)
	}
}
