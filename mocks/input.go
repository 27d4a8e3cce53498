package mocks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkRequest refuses a query string that would be read only in part
// (checkQuery) and canonicalises the path parameters (API.PathParam).
func checkRequest(c *call) error {
	if err := checkQuery(c.r.URL.RawQuery); err != nil {
		err.Code = EINVALID
		return err
	}
	if c.op.api.PathParam != nil {
		for k, v := range c.ri.vars {
			c.ri.vars[k] = c.op.api.PathParam(k, v)
		}
	}
	return nil
}

// maxQueryParams is net/url's limit: past it, url.ParseQuery returns no
// parameters at all, so the request would run as if it had no filters.
const maxQueryParams = 10000

// checkQuery reports a query string that net/url would read only in part
// (too many parameters, a malformed %-escape, an unescaped semicolon:
// url.ParseQuery drops such a pair, or everything, and returns an error
// nobody reads), or that holds a NUL. A filter that is silently dropped
// returns unfiltered data, so these are errors naming the parameter. The
// status is the caller's to set.
func checkQuery(raw string) *Error {
	if raw == "" {
		return nil
	}
	if n := strings.Count(raw, "&") + 1; n > maxQueryParams {
		return &Error{Message: fmt.Sprintf("the query string has %d parameters; at most %d are accepted", n, maxQueryParams)}
	}
	if !strings.ContainsAny(raw, "%;") {
		return nil
	}
	for pair := range strings.SplitSeq(raw, "&") {
		key, value, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(key)
		if err != nil || !utf8.ValidString(name) {
			return &Error{Message: fmt.Sprintf("query parameter %q is not properly %%-encoded", clipString(key, 64))}
		}
		if strings.Contains(pair, ";") {
			return &Error{Field: name, Message: fmt.Sprintf("query parameter %s holds an unescaped ';' (write it as %%3B)", clipString(name, 64))}
		}
		v, err := url.QueryUnescape(value)
		if err != nil || !utf8.ValidString(v) {
			return &Error{Field: name, Message: fmt.Sprintf("query parameter %s is not properly %%-encoded", clipString(name, 64))}
		}
		if strings.ContainsRune(name, 0) || strings.ContainsRune(v, 0) {
			// Whippy's PostgreSQL takes no NUL in text, and SQLite's
			// string functions would stop at it.
			return &Error{Field: name, Message: fmt.Sprintf("query parameter %s holds a NUL character", clipString(name, 64))}
		}
	}
	return nil
}

// checkJSON returns why body is not a JSON document the API can take, or ""
// when it is. JSON text must be UTF-8 (RFC 8259 §8.1); encoding/json would
// otherwise replace bad bytes with U+FFFD and store something the client
// never sent.
func checkJSON(body []byte) (msg, field string) {
	if json.Valid(body) {
		if !utf8.Valid(body) {
			if f := invalidUTF8Field(body); f != "" {
				return f + " is not valid UTF-8", f
			}
			return "request body is not valid UTF-8", ""
		}
		if f, ok := loneSurrogate(body); ok {
			if f == "" {
				return "request body holds a lone UTF-16 surrogate escape", ""
			}
			return f + ` holds a lone UTF-16 surrogate escape (\ud800-\udfff without its pair)`, f
		}
		return "", ""
	}
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) && strings.Contains(se.Error(), "depth") {
		return "request body is nested too deeply", ""
	}
	return "request body is not valid JSON", ""
}

// invalidUTF8Field returns the dotted path (to.0.phone) of the first key or
// string value of a valid JSON document that holds invalid UTF-8, or "".
func invalidUTF8Field(body []byte) string {
	bad := 0
	for bad < len(body) {
		r, n := utf8.DecodeRune(body[bad:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		bad += n
	}
	f, _ := findString(body, func(_ []byte, end int) bool { return end > bad })
	return f
}

// loneSurrogate reports whether a string of a valid JSON document (a key
// or a value) holds a \uXXXX escape of a surrogate that is not part of a
// high-low pair, and the dotted path of that string ("" for the document
// itself). encoding/json would read it as U+FFFD and store a character the
// client never sent.
func loneSurrogate(body []byte) (string, bool) {
	if !bytes.Contains(body, []byte(`\u`)) {
		return "", false
	}
	return findString(body, func(raw []byte, _ int) bool { return hasLoneSurrogate(raw) })
}

// findString walks the strings (keys and values) of a valid JSON document
// and returns the dotted path of the first for which match, given the
// token's bytes (with the separators before it) and the offset where it
// ends, is true. A key is named by itself.
func findString(body []byte, match func(raw []byte, end int) bool) (string, bool) {
	// frame is one open object or array: the key or index being read.
	type frame struct {
		array  bool
		index  int
		key    string
		gotKey bool
	}
	var stack []frame
	path := func(last string) string {
		var parts []string
		for _, f := range stack {
			if f.array {
				parts = append(parts, strconv.Itoa(f.index))
			} else if f.gotKey {
				parts = append(parts, f.key)
			}
		}
		if last != "" {
			parts = append(parts, last)
		}
		return strings.Join(parts, ".")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	start := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		end := int(dec.InputOffset())
		raw := body[start:end]
		start = end
		top := len(stack) - 1
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				stack = append(stack, frame{array: t == '['})
				continue
			default:
				stack = stack[:top]
				top--
			}
		case string:
			isKey := top >= 0 && !stack[top].array && !stack[top].gotKey
			if match(raw, end) {
				if isKey {
					return path(t), true
				}
				return path(""), true
			}
			if isKey {
				stack[top].key, stack[top].gotKey = t, true
				continue
			}
		}
		// A value ended: the enclosing object wants a key, the array its
		// next element.
		if top >= 0 {
			if stack[top].array {
				stack[top].index++
			} else {
				stack[top].gotKey = false
			}
		}
	}
}

// hasLoneSurrogate reports whether raw, the bytes of one JSON string token
// (with the separators before it), holds an unpaired surrogate escape.
func hasLoneSurrogate(raw []byte) bool {
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // an escape such as \\ or \": skip its second byte
			continue
		}
		u, ok := hex4(raw, i+2)
		if !ok {
			continue
		}
		switch {
		case u >= 0xD800 && u <= 0xDBFF:
			if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				if lo, ok := hex4(raw, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return true
		case u >= 0xDC00 && u <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
