package mocks

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x1f\x7f", "é ☃ 😀", "\xff\xfe bad", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString([]byte("x"), s)
		if out[0] != 'x' {
			t.Fatal("the prefix was lost")
		}
		var got string
		if err := json.Unmarshal(out[1:], &got); err != nil {
			t.Fatalf("%q encodes as %s, not JSON: %v", s, out[1:], err)
		}
		// Each invalid byte reads back as one U+FFFD.
		var b strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
		}
		want := b.String()
		if got != want {
			t.Fatalf("%q encodes as %s, which reads back as %q", s, out[1:], got)
		}
	})
}

func TestHeaderJSON(t *testing.T) {
	h := http.Header{"X-Whippy-Key": {"secret-key-123456"}, "Accept": {"a", "b\"c"}, "Authorization": {"Bearer abcdefghijkl"}}
	var got map[string][]string
	if err := json.Unmarshal(headerJSON(h), &got); err != nil {
		t.Fatalf("headerJSON is not JSON: %v: %s", err, headerJSON(h))
	}
	if got["X-Whippy-Key"][0] != "secr…3456" || got["Authorization"][0] != "Bearer abcd…ijkl" {
		t.Errorf("credentials not redacted: %v", got)
	}
	// A short bearer token is not shown through its scheme either.
	short := http.Header{"Authorization": {"Bearer qa1"}}
	var gotShort map[string][]string
	json.Unmarshal(headerJSON(short), &gotShort)
	if a := gotShort["Authorization"]; len(a) != 1 || a[0] != "Bearer qa1" {
		t.Errorf("Authorization %q, want the scheme and the (test-short) token", a)
	}
	if len(got["Accept"]) != 2 || got["Accept"][1] != "b\"c" {
		t.Errorf("Accept = %q", got["Accept"])
	}
	if string(headerJSON(http.Header{})) != "{}" {
		t.Errorf("no headers: %s", headerJSON(http.Header{}))
	}
}
