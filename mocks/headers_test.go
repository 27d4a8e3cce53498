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
	secret := map[string]bool{"x-whippy-key": true}
	var got map[string][]string
	if err := json.Unmarshal(headerJSON(h, secret), &got); err != nil {
		t.Fatalf("headerJSON is not JSON: %v: %s", err, headerJSON(h, secret))
	}
	if got["X-Whippy-Key"][0] != "secr…3456" || got["Authorization"][0] != "Bearer abcd…ijkl" {
		t.Errorf("credentials not redacted: %v", got)
	}
	// A short key is hidden whole: four characters of each end would
	// show all of it.
	short := http.Header{"Authorization": {"Bearer qa1"}, "X-Whippy-Key": {"12345678"}}
	var gotShort map[string][]string
	json.Unmarshal(headerJSON(short, secret), &gotShort)
	if a := gotShort["Authorization"]; len(a) != 1 || a[0] != "Bearer …" {
		t.Errorf("Authorization %q, want the scheme only", a)
	}
	if k := gotShort["X-Whippy-Key"]; len(k) != 1 || k[0] != "…" {
		t.Errorf("X-Whippy-Key %q, want it hidden", k)
	}
	// A header that is no credential of the API is kept.
	var other map[string][]string
	json.Unmarshal(headerJSON(http.Header{"X-Whippy-Key": {"secret-key-123456"}}, nil), &other)
	if k := other["X-Whippy-Key"]; len(k) != 1 || k[0] != "secret-key-123456" {
		t.Errorf("X-Whippy-Key of another API %q, want it as sent", k)
	}
	if len(got["Accept"]) != 2 || got["Accept"][1] != "b\"c" {
		t.Errorf("Accept = %q", got["Accept"])
	}
	if string(headerJSON(http.Header{}, secret)) != "{}" {
		t.Errorf("no headers: %s", headerJSON(http.Header{}, secret))
	}
}
