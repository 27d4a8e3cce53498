package vendorsimtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/vendorsimtest"
)

func get(t *testing.T, url string, h http.Header) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Every vendor's base URL serves its API (vendors_test.go drives each
// one further).
func TestBaseURLs(t *testing.T) {
	sb := vendorsimtest.Start(t)
	if got := get(t, sb.WhippyURL()+"/contacts", http.Header{"X-Whippy-Key": {sb.NewKey()}}); got != http.StatusOK {
		t.Errorf("Whippy: %d", got)
	}
	if got := get(t, sb.WherebyURL()+"/meetings", http.Header{"Authorization": {"Bearer " + sb.NewKey()}}); got != http.StatusOK {
		t.Errorf("Whereby: %d", got)
	}
	var login struct{ Success bool }
	if do(t, http.MethodGet, sb.ZipwhipURL()+"/user/login?username=2065550189&password=pw", nil, "", &login); !login.Success {
		t.Error("Zipwhip: user/login failed")
	}
	if got := get(t, sb.ControlURL()+"/health", nil); got != http.StatusOK {
		t.Errorf("health: %d", got)
	}
}

// Keys are fresh workspaces: one test's requests are not another's.
func TestKeysIsolate(t *testing.T) {
	sb := vendorsimtest.Start(t)
	a, b := sb.NewKey(), sb.NewKey()
	if a == b {
		t.Fatal("the same key twice")
	}
	get(t, sb.WhippyURL()+"/contacts", http.Header{"X-Whippy-Key": {a}})
	get(t, sb.WhippyURL()+"/contacts", http.Header{"X-Whippy-Key": {b}})
	get(t, sb.WhippyURL()+"/channels", http.Header{"X-Whippy-Key": {b}})
	if n := sb.Count(t, vendorsimtest.WhippyKey(a)); n != 1 {
		t.Errorf("a's workspace has %d requests", n)
	}
	if n := sb.Count(t, vendorsimtest.WhippyKey(b), "path*=/channels"); n != 1 {
		t.Errorf("b's channels requests: %d", n)
	}
}

// fakeT records failures instead of failing the real test.
type fakeT struct {
	testing.TB
	failed []string
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = append(f.failed, fmt.Sprintf(format, args...))
}
func (f *fakeT) Helper() {}

// A wrong count fails the test with the nearest misses.
func TestExpectFailsWithNearestMisses(t *testing.T) {
	sb := vendorsimtest.Start(t)
	key := sb.NewKey()
	get(t, sb.WhippyURL()+"/contacts?limit=3", http.Header{"X-Whippy-Key": {key}})
	ft := &fakeT{TB: t}
	sb.Expect(ft, vendorsimtest.WhippyKey(key), vendorsimtest.Exactly(1), "query.limit=5")
	if len(ft.failed) != 1 || !strings.Contains(ft.failed[0], "expected exactly 1") || !strings.Contains(ft.failed[0], `query limit is "3", not "5"`) {
		t.Errorf("failures %q", ft.failed)
	}
	ft.failed = nil
	sb.Expect(ft, vendorsimtest.WhippyKey(key), vendorsimtest.AtLeast(1), "query.limit=3")
	sb.Expect(ft, vendorsimtest.WhippyKey(key), vendorsimtest.Between(0, 1), "method=GET")
	sb.Expect(ft, vendorsimtest.WhippyKey(key), vendorsimtest.AtMost(0), "method=POST")
	if len(ft.failed) != 0 {
		t.Errorf("right counts failed: %q", ft.failed)
	}
}

// A scenario run, the clock and the delivery wait, with the predicate
// skipping deliveries it does not want.
func TestScenarioClockAndWait(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Manual())
	key := sb.NewKey()
	ws := vendorsimtest.WhippyKey(key)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer hook.Close()
	sb.AddWebhook(t, ws, "whippy", hook.URL, "shh", "contact.created")
	for _, p := range []string{"+12065550181", "+12065550182"} {
		req, _ := http.NewRequest(http.MethodPost, sb.WhippyURL()+"/contacts", strings.NewReader(`{"phone":"`+p+`"}`))
		req.Header.Set("X-Whippy-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	d := sb.WaitDelivery(t, ws, vendorsimtest.DeliveryFilter{EventType: "contact.created", State: "delivered"}, func(d vendorsimtest.Delivery) bool {
		var ev struct{ Data struct{ Phone string } }
		return d.Decode(&ev) == nil && ev.Data.Phone == "+12065550182"
	})
	if d.State != "delivered" || d.Vendor != "whippy" {
		t.Errorf("delivery %+v", d)
	}
	before := sb.Now(t, ws)
	sb.Advance(t, ws, 3*time.Hour)
	if got := sb.Now(t, ws).Sub(before).Hours(); got < 3 {
		t.Errorf("the clock moved %.2fh, want 3h", got)
	}
	// A scenario on a message sent through the API.
	req, _ := http.NewRequest(http.MethodGet, sb.WhippyURL()+"/channels", nil)
	req.Header.Set("X-Whippy-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var chs struct{ Data []struct{ Phone string } }
	json.NewDecoder(resp.Body).Decode(&chs)
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodPost, sb.WhippyURL()+"/messaging/sms", strings.NewReader(`{"to":"+12065550183","from":"`+chs.Data[0].Phone+`","body":"x"}`))
	req.Header.Set("X-Whippy-Key", key)
	req.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	var sent struct{ Data struct{ ID string } }
	json.NewDecoder(resp.Body).Decode(&sent)
	resp.Body.Close()
	if id := sb.RunScenario(t, ws, "whippy.sms.failed", map[string]string{"message_id": sent.Data.ID}); id == "" {
		t.Error("no run id")
	}
	sb.Advance(t, ws, time.Minute)
	sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=sendSms")
}
