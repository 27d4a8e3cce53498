package whereby_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// manual runs scenario steps and deliveries only on flush or clock advance.
var manual = apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true })

// api calls the Whereby API with one key (and so one workspace); every
// answer is validated against specs/whereby.yaml.
type api struct {
	s   *apptest.Server
	key string
}

func newAPI(tb testing.TB, key string, opts ...apptest.Option) *api {
	tb.Helper()
	return &api{s: apptest.New(tb, append([]apptest.Option{manual}, opts...)...), key: key}
}

func (a *api) with(key string) *api { return &api{s: a.s, key: key} }

func (a *api) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + a.key}}
}

func (a *api) do(tb testing.TB, method, path string, body any) *apptest.Response {
	tb.Helper()
	return a.s.Do(tb, apptest.Request{Method: method, Path: "/whereby/v1" + path, Header: a.header(), Body: body})
}

func (a *api) get(tb testing.TB, path string) *apptest.Response {
	tb.Helper()
	return a.do(tb, http.MethodGet, path, nil)
}

func (a *api) post(tb testing.TB, path string, body any) *apptest.Response {
	tb.Helper()
	return a.do(tb, http.MethodPost, path, body)
}

// sandbox is the control API acting on the key's workspace (Bearer is
// also Whippy's, when whippy.bearer_auth is on: the vendor is named).
func (a *api) sandbox() *apptest.Client {
	h := a.header()
	h.Set("X-Sandbox-Vendor", "whereby")
	return a.s.Sandbox(h)
}

// meeting creates a meeting ending in a day and returns its body.
func (a *api) meeting(tb testing.TB, extra map[string]any) map[string]any {
	tb.Helper()
	body := map[string]any{"endDate": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
	for k, v := range extra {
		body[k] = v
	}
	return apptest.Want(tb, a.post(tb, "/meetings", body), http.StatusCreated).Map(tb)
}

func (a *api) advance(tb testing.TB, by string) map[string]any {
	tb.Helper()
	return apptest.Want(tb, a.sandbox().Post(tb, "/clock/advance", map[string]string{"by": by}), http.StatusOK).Map(tb)
}

func (a *api) flush(tb testing.TB) {
	tb.Helper()
	apptest.Want(tb, a.sandbox().Post(tb, "/deliveries/flush", nil), http.StatusOK)
}

// errorOf checks a Whereby error body {"error":"..."} and returns its
// message.
func errorOf(tb testing.TB, r *apptest.Response) string {
	tb.Helper()
	m := r.Map(tb)
	msg, ok := m["error"].(string)
	if !ok || msg == "" {
		tb.Fatalf("error body %s has no error message", r.Body)
	}
	return msg
}

func str(v any) string { return fmt.Sprint(v) }
