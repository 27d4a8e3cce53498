package zipwhip_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// manual starts a server whose webhooks and timelines run only on flush or
// clock advance.
func manual(tb testing.TB, opts ...apptest.Option) *apptest.Server {
	tb.Helper()
	opts = append([]apptest.Option{apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true })}, opts...)
	return apptest.New(tb, opts...)
}

// form is a set of parameters in the order given (name, value, ...).
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// call POSTs params as a form body to a Zipwhip call and decodes the
// envelope; the answer is validated against the spec by apptest.
func call(tb testing.TB, s *apptest.Server, path string, params url.Values) (int, map[string]any) {
	tb.Helper()
	r := s.Do(tb, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/" + path, Body: params.Encode(),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	return r.Status, decodeNumbers(tb, r.Body)
}

// get sends params in the query string of a GET.
func get(tb testing.TB, s *apptest.Server, path string, params url.Values) (int, map[string]any) {
	tb.Helper()
	r := s.Do(tb, apptest.Request{Method: http.MethodGet, Path: "/zipwhip/" + path + "?" + params.Encode()})
	return r.Status, decodeNumbers(tb, r.Body)
}

// decodeNumbers decodes JSON keeping numbers exact (json.Number).
func decodeNumbers(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// success calls and fails the test unless the answer is a success; it
// returns "response".
func success(tb testing.TB, s *apptest.Server, path string, params url.Values) any {
	tb.Helper()
	status, m := call(tb, s, path, params)
	if status != http.StatusOK || m["success"] != true {
		tb.Fatalf("%s %v: %d %v; want a success", path, params, status, m)
	}
	return m["response"]
}

// failure calls and fails the test unless the answer is the failure
// envelope; it returns the message.
func failure(tb testing.TB, s *apptest.Server, path string, params url.Values) string {
	tb.Helper()
	status, m := call(tb, s, path, params)
	if m["success"] != false || len(m) != 2 {
		tb.Fatalf("%s %v: %d %v; want {success:false, response}", path, params, status, m)
	}
	msg, _ := m["response"].(string)
	if msg == "" {
		tb.Fatalf("%s: failure without a message: %v", path, m)
	}
	return msg
}

// login logs username in and returns the session key.
func login(tb testing.TB, s *apptest.Server, username string) string {
	tb.Helper()
	return success(tb, s, "user/login", form("username", username, "password", "pw")).(string)
}

// sendTo sends body to contacts and returns the first token's message id.
func sendTo(tb testing.TB, s *apptest.Server, session, contacts, body string) string {
	tb.Helper()
	res := success(tb, s, "message/send", form("session", session, "contacts", contacts, "body", body)).(map[string]any)
	return res["tokens"].([]any)[0].(map[string]any)["message"].(string)
}

// sandboxDo calls the control API with the session in the query string.
func sandboxDo(tb testing.TB, s *apptest.Server, session, method, path string, body any) *apptest.Response {
	tb.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return s.Do(tb, apptest.Request{Method: method, Path: "/_sandbox" + path + sep + "session=" + url.QueryEscape(session), Body: body})
}

func advance(tb testing.TB, s *apptest.Server, session, by string) map[string]any {
	tb.Helper()
	return apptest.Want(tb, sandboxDo(tb, s, session, http.MethodPost, "/clock/advance", map[string]string{"by": by}), 200).Map(tb)
}

func flush(tb testing.TB, s *apptest.Server, session string) map[string]any {
	tb.Helper()
	return apptest.Want(tb, sandboxDo(tb, s, session, http.MethodPost, "/deliveries/flush", nil), 200).Map(tb)
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []hit
	// status answers request n (from 1); 200 when nil.
	status func(n int) int
}

type hit struct {
	method, path, query string
	header              http.Header
	body                []byte
}

func newReceiver(tb testing.TB) *receiver {
	tb.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, hit{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: b})
		n, status := len(rc.reqs), rc.status
		rc.mu.Unlock()
		code := http.StatusOK
		if status != nil {
			code = status(n)
		}
		w.WriteHeader(code)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

// got returns the requests received, in the order their deliveries were
// queued (X-Vendorsim-Delivery): deliveries to different URLs go out
// concurrently, so arrival order says nothing. Retries of one delivery
// keep their arrival order.
func (rc *receiver) got() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := append([]hit(nil), rc.reqs...)
	sort.SliceStable(out, func(i, j int) bool { return deliveryID(out[i]) < deliveryID(out[j]) })
	return out
}

func deliveryID(h hit) int {
	n, _ := strconv.Atoi(h.header.Get("X-Vendorsim-Delivery"))
	return n
}

// install registers the receiver for type/event at path.
func install(tb testing.TB, s *apptest.Server, session string, rc *receiver, typ, event, method string) float64 {
	tb.Helper()
	res := success(tb, s, "webhook/install", form("session", session, "type", typ, "event", event, "url", rc.URL+"/"+typ+"/"+event, "method", method)).([]any)
	id, _ := res[0].(map[string]any)["webhookId"].(json.Number).Float64()
	return id
}

// events lists the received events as "<path>:<statusCode>" (status only
// for progress).
func (rc *receiver) events(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, h := range rc.got() {
		name := strings.TrimPrefix(h.path, "/")
		if name == "message/progress" {
			name += ":" + string(payload(tb, h)["statusCode"].(json.Number))
		}
		out = append(out, name)
	}
	return out
}

func payload(tb testing.TB, h hit) map[string]any { tb.Helper(); return decodeNumbers(tb, h.body) }
