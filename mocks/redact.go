package mocks

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// headerJSON writes a header set as JSON for the journal, with the values
// of Authorization, X-Sandbox-Token and of the secret headers (lower
// case) redacted.
func headerJSON(h http.Header, secret map[string]bool) []byte {
	keys := make([]string, 0, len(h))
	size := 2
	for k, vs := range h {
		keys = append(keys, k)
		size += len(k) + 6
		for _, v := range vs {
			size += len(v) + 3
		}
	}
	sort.Strings(keys)
	b := make([]byte, 0, size+16)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':', '[')
		hidden := strings.EqualFold(k, "Authorization") || secret[strings.ToLower(k)]
		// X-Sandbox-Token is the control API's token: a client that sends
		// it everywhere must not leave any of it in the journal of a
		// vendor call.
		token := strings.EqualFold(k, "X-Sandbox-Token")
		for j, v := range h[k] {
			if j > 0 {
				b = append(b, ',')
			}
			if hidden {
				v = redact(v)
			}
			if token {
				v = "…"
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, as encoding/json would
// without HTML escaping: invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// redact keeps enough of a credential to tell keys apart in the journal:
// its first and last four characters, after the scheme of an Authorization
// value ("Bearer …"). Keys of eight characters or fewer keep none.
func redact(s string) string {
	scheme := ""
	if sp := strings.IndexByte(s, ' '); sp > 0 {
		scheme, s = s[:sp+1], s[sp+1:]
	}
	if len(s) <= 8 {
		return scheme + "…"
	}
	return scheme + s[:4] + "…" + s[len(s)-4:]
}

// redactQuery redacts the values of the secret parameters of a query
// string (or form body), leaving the rest as sent.
func redactQuery(raw string, secret map[string]bool) string {
	if len(secret) == 0 || raw == "" {
		return raw
	}
	var b strings.Builder
	changed := false
	for i, pair := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, has := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err == nil && has && secret[name] {
			if u, err := url.QueryUnescape(v); err == nil {
				v = url.QueryEscape(redact(u))
				changed = true
			}
		}
		b.WriteString(k)
		if has {
			b.WriteString("=" + v)
		}
	}
	if !changed {
		return raw
	}
	return b.String()
}

// redactBody redacts the secret parameters of a form body.
func redactBody(r *http.Request, body []byte, secret map[string]bool) []byte {
	if len(secret) == 0 || len(body) == 0 || !isForm(r.Header.Get("Content-Type")) {
		return body
	}
	return []byte(redactQuery(string(body), secret))
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
