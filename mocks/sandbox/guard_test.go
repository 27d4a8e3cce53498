package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/specs"
)

const controlToken = "s3cret-control-token-42"

func withToken(c *config.Config) { c.Server.ControlToken = controlToken }

// send makes a raw call (a 401 is no operation's declared answer, so the
// spec-checking client is not used) and returns the status and body.
func send(tb testing.TB, s *apptest.Server, method, path string, h http.Header) (int, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader("{}"))
	if err != nil {
		tb.Fatal(err)
	}
	if h != nil {
		req.Header = h.Clone()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// With a control token, every operation of the control API but health
// refuses a call without it or with a wrong one, in the control API's
// error shape; vendor routes are not affected.
func TestControlToken_EveryRouteRefusesMissingOrWrongToken(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(withToken))
	// The control API as served: the shared paths and every vendor's
	// simulators.
	doc, err := specs.Load(context.Background(), "sandbox", app.SimulatorSpecs()...)
	if err != nil {
		t.Fatal(err)
	}
	errSchema := doc.Components.Schemas["Error"].Value
	var paths []string
	for p := range doc.Paths.Map() {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	n := 0
	for _, p := range paths {
		concrete := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(p, "1")
		for method := range doc.Paths.Value(p).Operations() {
			for _, token := range []string{"", "wrong-token", controlToken[:len(controlToken)-1]} {
				h := http.Header{"X-Whippy-Key": {"token-test-key"}}
				if token != "" {
					h.Set("X-Sandbox-Token", token)
				}
				status, body := send(t, s, method, "/_sandbox"+concrete, h)
				if p == "/health" {
					if status != http.StatusOK {
						t.Errorf("%s %s with token %q: %d, want the open health check", method, p, token, status)
					}
					continue
				}
				n++
				var v any
				if status != http.StatusUnauthorized || json.Unmarshal(body, &v) != nil || errSchema.VisitJSON(v) != nil {
					t.Errorf("%s %s with token %q: %d %s, want 401 in the control API's error shape", method, p, token, status, body)
				}
				if strings.Contains(string(body), controlToken) {
					t.Errorf("%s %s: the answer shows the token: %s", method, p, body)
				}
			}
		}
	}
	t.Logf("%d refusals checked", n)
	if n < 3*45 { // the shared paths and the vendors' simulators
		t.Fatalf("only %d refusals checked", n)
	}
	// Unknown control paths too.
	if status, _ := send(t, s, "GET", "/_sandbox/nope", nil); status != http.StatusUnauthorized {
		t.Errorf("unknown control path: %d, want 401", status)
	}

	// The right token passes; the vendor API needs none, and a token sent
	// to it is not journaled.
	ok := http.Header{"X-Sandbox-Token": {controlToken}}
	apptest.Want(t, s.Sandbox(ok).Get(t, "/workspaces"), http.StatusOK)
	apptest.Want(t, s.Whippy("token-test-key").Get(t, "/contacts"), http.StatusOK)
	apptest.Want(t, s.Do(t, apptest.Request{Method: "GET", Path: "/whippy/v1/contacts",
		Header: http.Header{"X-Whippy-Key": {"token-test-key"}, "X-Sandbox-Token": {controlToken}}}), http.StatusOK)
	ok.Set("X-Whippy-Key", "token-test-key")
	r := apptest.Want(t, s.Sandbox(ok).Get(t, "/requests"), http.StatusOK)
	if strings.Contains(string(r.Body), controlToken) || strings.Contains(string(r.Body), controlToken[:4]) {
		t.Errorf("the journal shows the token: %s", r.Body)
	}
	var list struct {
		Data []struct {
			Path string `json:"path"`
		} `json:"data"`
	}
	r.JSON(t, &list)
	for _, e := range list.Data {
		if strings.HasPrefix(e.Path, "/_sandbox") {
			t.Errorf("a control call was journaled: %s", e.Path)
		}
	}
	if len(list.Data) != 2 {
		t.Errorf("journal has %d entries, want the 2 vendor calls", len(list.Data))
	}

	// The other vendors' APIs are as open: a Zipwhip login and a call with
	// its session, a Whereby list with its Bearer key, no control token.
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	var login struct {
		Success  bool   `json:"success"`
		Response string `json:"response"`
	}
	apptest.Want(t, s.Do(t, apptest.Request{Method: "POST", Path: "/zipwhip/user/login", Header: form,
		Body: url.Values{"username": {"2065550100"}, "password": {"pw"}}.Encode()}), http.StatusOK).JSON(t, &login)
	if !login.Success || login.Response == "" {
		t.Fatalf("zipwhip login without the control token: %+v", login)
	}
	apptest.Want(t, s.Do(t, apptest.Request{Method: "POST", Path: "/zipwhip/message/list", Header: form,
		Body: url.Values{"session": {login.Response}}.Encode()}), http.StatusOK)
	apptest.Want(t, s.Do(t, apptest.Request{Method: "GET", Path: "/whereby/v1/meetings",
		Header: http.Header{"Authorization": {"Bearer token-test-whereby"}}}), http.StatusOK)
}

// Without a token, the control API is open as before.
func TestControlToken_UnsetLeavesItOpen(t *testing.T) {
	s := apptest.New(t)
	apptest.Want(t, s.Sandbox(nil).Get(t, "/workspaces"), http.StatusOK)
}
