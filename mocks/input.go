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
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		end := int(dec.InputOffset())
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
			if top >= 0 && !stack[top].array && !stack[top].gotKey {
				if end > bad {
					return path(t)
				}
				stack[top].key, stack[top].gotKey = t, true
				continue
			}
			if end > bad {
				return path("")
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

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
