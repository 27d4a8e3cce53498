package zipwhip_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// fuzzCalls are the calls FuzzForm exercises; "$S" in a seed is the
// session.
var fuzzCalls = []string{"message/send", "message/list", "message/read", "webhook/install", "webhook/update", "contact/save", "conversation/get", "user/login"}

// FuzzForm sends arbitrary form bodies and query strings to the calls.
// Whatever they hold, the answer must match the spec (apptest checks every
// answer), never be a 5xx, be a success only with success true and the
// failure envelope otherwise, and leave the session working.
func FuzzForm(f *testing.F) {
	s := manual(f)
	sess := login(f, s, "2065557700")
	seeds := []string{
		"session=$S&contacts=2065557701&body=hi",
		"session=$S&contacts=ptn:/%2B12065557701,2065557702&body=%F0%9F%98%80&scheduledDate=99999999999999",
		"session=$S&contacts=&body=",
		"session=$S&contacts=1&contacts=2&body=x",
		"session=$S&limit=99999&start=-4",
		"session=$S&messages=1,2,,3",
		"session=$S&type=message&event=receive&url=http://127.0.0.1:1/x&method=get",
		"session=$S&webhookId=600000001&url=%00",
		"session=$S&address=%2B1&firstName=%C3",
		"session=$S&fingerprint=%25",
		"username=%2B12065557700&password=",
		"session=%zz",
		"session=$S;body=x",
		"=&&&=",
	}
	for i, seed := range seeds {
		f.Add(uint8(i), strings.ReplaceAll(seed, "$S", sess), "")
		f.Add(uint8(i+3), "", strings.ReplaceAll(seed, "$S", sess))
	}
	f.Fuzz(func(t *testing.T, which uint8, body, query string) {
		path := "/zipwhip/" + fuzzCalls[int(which)%len(fuzzCalls)]
		if _, err := url.Parse("http://h/?" + query); err != nil || strings.ContainsAny(query, "# ") || len(query) > 2000 {
			query = "" // a URL the client cannot send
		}
		if query != "" {
			path += "?" + query
		}
		r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: path, Body: body,
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
		if r.Status >= 500 {
			t.Fatalf("%s %q: %d %s", path, body, r.Status, r.Body)
		}
		m := decodeNumbers(t, r.Body)
		if _, ok := m["success"].(bool); !ok {
			t.Fatalf("%s %q: no success field: %s", path, body, r.Body)
		}
		if m["success"] == false {
			if msg, _ := m["response"].(string); msg == "" || len(m) != 2 {
				t.Fatalf("%s %q: failure %s", path, body, r.Body)
			}
		}
		success(t, s, "message/list", form("session", sess, "limit", "1"))
	})
}
