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
	return headerJSONSkip(h, secret, "")
}

// headerJSONSkip is headerJSON without header skip (canonical form).
func headerJSONSkip(h http.Header, secret map[string]bool, skip string) []byte {
	keys := make([]string, 0, len(h))
	size := 2
	for k, vs := range h {
		if k == skip {
			continue
		}
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

// headerMemo is the journal's JSON of a header set an API's requests
// carried: clients send the same headers request after request, and
// comparing them costs less than writing them.
type headerMemo struct {
	h    http.Header // a copy
	json []byte      // never changed once stored
}

// requestHeaders returns headerJSON(h, api.secretHeaders), reusing the JSON of
// the last header set remembered when h is the same. A set unlike the
// remembered one replaces it on every eighth such miss, so that a client
// whose every request differs (a fresh trace header, say) does not pay a
// copy per request.
func (api *API) requestHeaders(h http.Header) []byte {
	m := api.headers.Load()
	if m != nil && sameHeader(m.h, h) {
		return m.json
	}
	b := headerJSON(h, api.secretHeaders)
	if m == nil || api.headerMisses.Add(1)%8 == 0 {
		api.headers.Store(&headerMemo{h: h.Clone(), json: b})
	}
	return b
}

// answerIDHeader is left out of the journal's answer headers: the
// pipeline sets it to the request id on every answer, which the entry
// keeps anyway (RequestID), and a value unique to each answer would make
// every answer's header set a string of its own in the journal's pages.
const answerIDHeader = "X-Request-Id"

// responseHeaders returns the journal's JSON of an answer's headers (as
// headerJSON, without X-Request-Id), reusing the last set remembered as
// requestHeaders does: an operation answers with the same headers
// request after request.
func (api *API) responseHeaders(h http.Header) []byte {
	m := api.answers.Load()
	if m != nil && sameHeaderSkip(m.h, h, answerIDHeader) {
		return m.json
	}
	b := headerJSONSkip(h, api.secretHeaders, answerIDHeader)
	if m == nil || api.answerMisses.Add(1)%8 == 0 {
		c := h.Clone()
		delete(c, answerIDHeader)
		api.answers.Store(&headerMemo{h: c, json: b})
	}
	return b
}

// sameHeader reports whether a and b hold the same names and values.
func sameHeader(a, b http.Header) bool { return sameHeaderSkip(a, b, "") }

// sameHeaderSkip is sameHeader where b's header skip (canonical form) is
// not compared; a never has it.
func sameHeaderSkip(a, b http.Header, skip string) bool {
	n := len(b)
	if _, ok := b[skip]; ok && skip != "" {
		n--
	}
	if len(a) != n {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if av[i] != bv[i] {
				return false
			}
		}
	}
	return true
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

// Redact is how the journal shows a credential (for API.RedactAnswer): see
// redact.
func Redact(s string) string { return redact(s) }

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
	if b := redacted(raw, secret); b != nil {
		return string(b)
	}
	return raw
}

// bodyMemo is a form body and its redaction (redactedBody).
type bodyMemo struct {
	raw string
	out []byte // never changed once stored
}

// redactedBody is redactBody with api's secret parameters, reusing the
// redaction of the last body remembered when body is the same (clients
// repeat a session in body after body). As with requestHeaders, a body
// unlike the remembered one replaces it on every eighth such miss.
func (api *API) redactedBody(r *http.Request, body []byte) []byte {
	if len(api.secretParams) == 0 || len(body) == 0 || !isForm(r.Header.Get("Content-Type")) {
		return body
	}
	m := api.body.Load()
	if m != nil && m.raw == string(body) {
		return m.out
	}
	out := redacted(string(body), api.secretParams)
	if out == nil {
		// Nothing secret: the body as it is, nothing to remember.
		return body
	}
	if m == nil || api.bodyMisses.Add(1)%8 == 0 {
		api.body.Store(&bodyMemo{raw: string(body), out: out})
	}
	return out
}

// redacted returns raw, a query string or form body, with the values of
// its secret parameters redacted, or nil when it has none: pairs are
// copied as sent up to each secret value, which is replaced.
func redacted(raw string, secret map[string]bool) []byte {
	if len(secret) == 0 || raw == "" {
		return nil
	}
	var out []byte
	copied := 0 // raw[:copied] is in out
	for start := 0; start <= len(raw); {
		end := strings.IndexByte(raw[start:], '&')
		if end < 0 {
			end = len(raw)
		} else {
			end += start
		}
		k, v, has := strings.Cut(raw[start:end], "=")
		start = end + 1
		if !has {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil || !secret[name] {
			continue
		}
		u, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(raw)+16)
		}
		valueAt := end - len(v)
		out = append(out, raw[copied:valueAt]...)
		out = append(out, url.QueryEscape(redact(u))...)
		copied = end
	}
	if out == nil {
		return nil
	}
	return append(out, raw[copied:]...)
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
