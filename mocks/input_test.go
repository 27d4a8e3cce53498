package mocks

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckQuery: whatever checkQuery lets through, url.ParseQuery reads
// whole (no pair dropped), and it never panics.
func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10", "a=%ZZ", "a;b=1", "channels%5B%5D%5Bid%5D=x", "x=%FF", "=&&=", "a=b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if checkQuery(raw) != nil {
			return
		}
		if _, err := url.ParseQuery(raw); err != nil {
			t.Fatalf("checkQuery passed %q, which ParseQuery reads only in part: %v", raw, err)
		}
	})
}

// FuzzCheckJSON: checkJSON passes only valid UTF-8 JSON, and the field it
// names for bad UTF-8 is a path into the document.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, "{\"a\":\"\xff\"}", "[{\"k\xfe\":1}]", `{"a":[1,{"b":"c"}]}`, "\"\xc3\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, field := checkJSON(body)
		if msg == "" && (!json.Valid(body) || !utf8.Valid(body)) {
			t.Fatalf("checkJSON passed %q", body)
		}
		if msg != "" && json.Valid(body) && utf8.Valid(body) {
			t.Fatalf("checkJSON rejected valid %q: %s", body, msg)
		}
		if field != "" && !strings.Contains(msg, field) {
			t.Fatalf("message %q does not name field %q", msg, field)
		}
	})
}

func TestInvalidUTF8Field(t *testing.T) {
	tests := []struct{ body, want string }{
		{"{\"phone\":\"+1\xff\"}", "phone"},
		{"{\"a\":1,\"b\":[\"ok\",{\"c\":\"\xfe\"}]}", "b.1.c"},
		{"{\"a\":{\"b\":2},\"k\xff\":3}", "k\ufffd"},
		{"[\"x\",\"y\",\"\xc3\"]", "2"},
		{"\"\xff\"", ""},
	}
	for _, tt := range tests {
		if got := invalidUTF8Field([]byte(tt.body)); got != tt.want {
			t.Errorf("invalidUTF8Field(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
