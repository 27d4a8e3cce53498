package whereby_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
	// status answers each request (200 when nil); hang, when it returns
	// true, holds the answer until the sender gives up.
	status func(n int) int
	hang   func(n int) bool
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(tb testing.TB) *receiver {
	tb.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{header: r.Header.Clone(), body: b})
		n := len(rc.reqs)
		status, hang := rc.status, rc.hang
		rc.mu.Unlock()
		if hang != nil && hang(n) {
			<-r.Context().Done()
			return
		}
		code := http.StatusOK
		if status != nil {
			code = status(n)
		}
		w.WriteHeader(code)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// event is a received Whereby envelope.
type event struct {
	ID         string         `json:"id"`
	APIVersion string         `json:"apiVersion"`
	CreatedAt  string         `json:"createdAt"`
	Type       string         `json:"type"`
	Data       map[string]any `json:"data"`
}

func (rc *receiver) events(tb testing.TB) []event {
	tb.Helper()
	var out []event
	for _, r := range rc.got() {
		var ev event
		if err := json.Unmarshal(r.body, &ev); err != nil {
			tb.Fatalf("webhook body %s: %v", r.body, err)
		}
		out = append(out, ev)
	}
	return out
}

// verify checks Whereby-Signature as the vendor's documentation tells a
// receiver to, written from that description alone: the header is
// "t=<unix seconds>,v1=<lower-case hex HMAC-SHA256(secret, t + "." + body)>"
// (parsed with the documented /t=(.*),v1=(.*)/), fresh within a minute; the
// body signed is JSON.stringify of the parsed body.
func verify(tb testing.TB, r received, secret string) {
	tb.Helper()
	h := r.header.Get("Whereby-Signature")
	m := regexp.MustCompile(`^t=(.*),v1=(.*)$`).FindStringSubmatch(h)
	if m == nil || !regexp.MustCompile(`^\d+$`).MatchString(m[1]) || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(m[2]) {
		tb.Fatalf("Whereby-Signature %q is not t=<seconds>,v1=<64 lower-case hex>", h)
	}
	restringified := stringify(tb, r.body)
	if string(restringified) != string(r.body) {
		tb.Fatalf("body is not what JSON.stringify makes of it:\n got %s\nwant %s", r.body, restringified)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(m[1] + "." + string(restringified)))
	if want := hex.EncodeToString(mac.Sum(nil)); want != m[2] {
		tb.Fatalf("signature %s does not match the body (want v1=%s)", h, want)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	if d := time.Since(time.Unix(sec, 0)); math.Abs(d.Seconds()) > 60 {
		tb.Fatalf("signature timestamp is %v from now", d)
	}
}

// stringify is JSON.stringify(JSON.parse(raw)) for the bodies Whereby
// sends (objects, arrays, strings, integers, booleans, null): keys in
// their order, no white space, only '"', '\' and control characters
// escaped.
func stringify(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var out strings.Builder
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteRune(rune(v))
			first := true
			for dec.More() {
				if !first {
					out.WriteByte(',')
				}
				first = false
				if v == '{' {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					quote(&out, k.(string))
					out.WriteByte(':')
				}
				if err := walk(); err != nil {
					return err
				}
			}
			end, err := dec.Token()
			if err != nil {
				return err
			}
			out.WriteRune(rune(end.(json.Delim)))
		case string:
			quote(&out, v)
		case json.Number:
			f, _ := v.Float64()
			out.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
		case bool:
			out.WriteString(strconv.FormatBool(v))
		case nil:
			out.WriteString("null")
		}
		return nil
	}
	if err := walk(); err != nil {
		tb.Fatalf("parse %s: %v", raw, err)
	}
	return []byte(out.String())
}

func quote(out *strings.Builder, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\f':
			out.WriteString(`\f`)
		case r < 0x20:
			out.WriteString(`\u00`)
			out.WriteString(hex.EncodeToString([]byte{byte(r)}))
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

// subscribe registers rc for every Whereby event of a's workspace, with
// secret.
func subscribe(tb testing.TB, a *api, rc *receiver, secret string) {
	tb.Helper()
	apptest.Want(tb, a.sandbox().Post(tb, "/webhooks", map[string]any{"vendor": "whereby", "url": rc.URL + "/whereby", "secret": secret}), http.StatusCreated)
}

func types(evs []event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}
