package whippy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// TestQueryString_NeverDroppedSilently: a query string that net/url reads
// only in part (too many parameters, a bad %-escape, an unescaped ';')
// must not run as an unfiltered list.
func TestQueryString_NeverDroppedSilently(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("query-key")
	for _, p := range []string{"+12065550701", "+12065550702"} {
		apptest.Want(t, c.Post(t, "/contacts", M{"phone": p}), 201)
	}
	many := "/contacts?phone=%2B12065550701&" + strings.Repeat("x=1&", 10000) + "limit=2"
	tests := []struct {
		name, path string
		names      []string
	}{
		{"TooManyParameters", many, []string{"10002 parameters", "10000"}},
		{"BadEscapeInValue", "/contacts?phone=%ZZ", []string{"phone", "encoded"}},
		{"BadEscapeInName", "/contacts?ph%G1one=1", []string{"encoded"}},
		{"Semicolon", "/contacts?name=a;b", []string{"name", ";"}},
		{"InvalidUTF8", "/contacts?name=%FF", []string{"name"}},
		{"NUL", "/contacts?email=ada@example.com%00garbage", []string{"email", "NUL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.Get(t, tt.path), 422, tt.names...)
		})
	}
	// The same filter, well formed, still filters.
	got := apptest.Want(t, c.Get(t, "/contacts?phone=%2B12065550701"), 200).Map(t)
	if got["total"] != float64(1) {
		t.Errorf("phone filter total %v, want 1", got["total"])
	}
}

// TestJSONBody_InvalidUTF8 names the field whose string holds bytes that
// are not UTF-8, and stores nothing.
func TestJSONBody_InvalidUTF8(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("utf8-key")
	from := defaultPhone(t, c)
	tests := []struct {
		name, path, body, field string
	}{
		{"TopLevel", "/contacts", "{\"phone\":\"+12065550710\",\"name\":\"bad\xff\xfename\"}", "name"},
		{"InKey", "/contacts", "{\"phone\":\"+12065550711\",\"na\xffme\":\"x\"}", "na"},
		{"Nested", "/messaging/sms/campaign", "{\"from\":\"" + from + "\",\"body\":\"b\",\"to\":[{\"phone\":\"+12065550712\"},{\"phone\":\"+12065550713\",\"name\":\"\xc3\"}]}", "to.1.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, c.Post(t, tt.path, tt.body), 422, tt.field, "UTF-8")
		})
	}
	if got := apptest.Want(t, c.Get(t, "/contacts"), 200).Map(t)["total"]; got != float64(0) {
		t.Errorf("after rejected bodies the workspace has %v contacts, want 0", got)
	}
}

// TestPathIDs_AnyCase: ids are UUIDs, which Whippy's PostgreSQL reads in
// any case; an id written in upper case names the same contact.
func TestPathIDs_AnyCase(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("case-key")
	id := field(dataOf(t, apptest.Want(t, c.Post(t, "/contacts", M{"phone": "+12065550720", "name": "Lower"}), 201)), "id")
	upper := strings.ToUpper(id)
	if got := field(dataOf(t, get(t, c, "/contacts/"+upper)), "id"); got != id {
		t.Errorf("GET /contacts/%s answered id %q, want %q", upper, got, id)
	}
	apptest.Want(t, c.Do(t, http.MethodPut, "/contacts/"+upper, M{"name": "Upper"}), 200)
	if got := field(dataOf(t, get(t, c, "/contacts/"+id)), "name"); got != "Upper" {
		t.Errorf("after a PUT by the upper-case id the name is %q, want Upper", got)
	}
	wantError(t, c.Get(t, "/contacts/"+strings.ToUpper("0cd006af-a8b5-4760-ac5c-ecfd2be325ea")), 404)
}

// TestHEAD answers every GET route without a body, with the GET's status
// and Content-Length.
func TestHEAD(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("head-key")
	apptest.Want(t, c.Post(t, "/contacts", M{"phone": "+12065550730"}), 201)
	whippy := http.Header{"X-Whippy-Key": {"head-key"}}
	getResp := apptest.Want(t, c.Get(t, "/contacts?limit=5"), 200)
	head := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodHead, Path: "/whippy/v1/contacts?limit=5", Header: whippy}), 200)
	if got, want := head.Header.Get("Content-Length"), strconv.Itoa(len(getResp.Body)); got != want {
		t.Errorf("HEAD Content-Length %q, want the GET's %s", got, want)
	}
	if ct := head.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("HEAD Content-Type %q", ct)
	}
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodHead, Path: "/_sandbox/health"}), 200)
	// Without a key, HEAD gets the 401 a GET would (its body dropped).
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodHead, Path: "/whippy/v1/contacts"}), 401)
	// A route without GET has no HEAD either: 404 as Phoenix answers a
	// method a path lacks (TestWrongMethod covers the 405 setting).
	r := s.Do(t, apptest.Request{Method: http.MethodHead, Path: "/whippy/v1/messaging/sms", Header: whippy})
	if r.Status != 404 || r.Header.Get("Allow") != "" {
		t.Errorf("HEAD /messaging/sms: %d, Allow %q; want 404 without Allow", r.Status, r.Header.Get("Allow"))
	}
	// The journal records the HEADs as HEADs, the 404 too: it came
	// before authentication, but its key names the workspace.
	j := apptest.Want(t, s.Sandbox(whippy).Get(t, "/requests?method=HEAD"), 200).Map(t)
	if j["total"] != float64(2) {
		t.Errorf("journal has %v HEAD requests of this workspace, want 2: %v", j["total"], j)
	}
}

// TestWrongMethod: a path Whippy has, with a method it lacks, is a 404 in
// Whippy's shape by default, as Phoenix's router answers; with
// whippy.method_not_allowed: 405 it is a 405 with Allow. The control API
// keeps its 405 either way.
func TestWrongMethod(t *testing.T) {
	tests := []struct {
		method, path string
		allow        string // with 405
	}{
		{"DELETE", "/messaging/sms", "POST"},
		{"HEAD", "/messaging/sms", "POST"},
		{"PATCH", "/contacts/" + uuid.NewString(), "DELETE, GET, HEAD, PUT"},
		{"PUT", "/contacts", "GET, HEAD, POST"},
		{"GET", "/custom_objects/" + uuid.NewString(), "PUT"},
	}
	for _, status := range []int{0, 404, 405} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			var opts []apptest.Option
			if status != 0 {
				opts = append(opts, apptest.WithConfig(func(c *config.Config) { whippy.Settings(c).MethodNotAllowed = status }))
			}
			s := newServer(t, opts...)
			h := http.Header{"X-Whippy-Key": {"wrong-method"}}
			for _, tt := range tests {
				r := s.Do(t, apptest.Request{Method: tt.method, Path: "/whippy/v1" + tt.path, Header: h})
				if status == 405 {
					if tt.method == "HEAD" {
						apptest.Want(t, r, 405)
					} else {
						wantError(t, r, 405, tt.method)
					}
					if got := r.Header.Get("Allow"); got != tt.allow {
						t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
					}
					continue
				}
				if tt.method == "HEAD" {
					apptest.Want(t, r, 404)
				} else if desc := wantError(t, r, 404, "Not found"); desc != "Not found" {
					t.Errorf("%s %s: description %q, want Not found", tt.method, tt.path, desc)
				}
				if got := r.Header.Get("Allow"); got != "" {
					t.Errorf("%s %s: Allow %q on a 404", tt.method, tt.path, got)
				}
			}
			r := apptest.Want(t, s.Sandbox(nil).Get(t, "/deliveries/flush"), 405)
			if got := r.Header.Get("Allow"); got != "POST" {
				t.Errorf("control API: Allow %q, want POST", got)
			}
		})
	}
	if _, err := app.ParseConfig([]byte("whippy:\n  method_not_allowed: 403\n")); err == nil || !strings.Contains(err.Error(), "whippy.method_not_allowed") {
		t.Errorf("method_not_allowed 403: error %v, want one naming whippy.method_not_allowed", err)
	}
}

// TestErrorShape_UnclaimedPaths: a path near Whippy's gets Whippy's error
// shape; a path no API claims gets the control API's.
func TestErrorShape_UnclaimedPaths(t *testing.T) {
	s := newServer(t)
	h := http.Header{"X-Whippy-Key": {"shape-key"}}
	for _, p := range []string{"/whippy/v2/contacts", "/whippy//v1/contacts", "/whippy"} {
		t.Run(p, func(t *testing.T) {
			wantError(t, s.Do(t, apptest.Request{Method: "GET", Path: p, Header: h}), 404, "Not found")
		})
	}
	for _, p := range []string{"/", "/v1/contacts", "/favicon.ico"} {
		t.Run(p, func(t *testing.T) {
			r := apptest.Want(t, s.Do(t, apptest.Request{Method: "GET", Path: p}), 404)
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("GET %s: %s is not the control API's error shape", p, r.Body)
			}
		})
	}
}

// TestLiteralPathBeatsTemplate: GET /_sandbox/deliveries/flush is the flush
// path with a method it lacks, not a delivery named "flush".
func TestLiteralPathBeatsTemplate(t *testing.T) {
	s := newServer(t)
	r := apptest.Want(t, s.Sandbox(nil).Get(t, "/deliveries/flush"), 405)
	if got := r.Header.Get("Allow"); got != "POST" {
		t.Errorf("Allow %q, want POST", got)
	}
	// The template still serves other ids.
	apptest.Want(t, s.Sandbox(nil).Get(t, "/deliveries/123456"), 404)
}
