package whippy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/rivo/uniseg"

	"vendorsim/mocks"
)

// decodeJSON decodes the request's JSON body into v, as mocks.DecodeJSON
// does, after refusing a string that holds a lone UTF-16 surrogate escape
// (\ud800 without its pair). encoding/json would read it as U+FFFD and
// store a character the client never sent; Whippy's Elixir JSON decoder
// refuses such a string, so the answer is a 422 naming the field.
func decodeJSON(r *http.Request, v any) error {
	if f, ok := loneSurrogate(mocks.Body(r)); ok {
		if f == "" {
			return invalid("request body", "request body holds a lone UTF-16 surrogate escape")
		}
		return invalid(f, "%s holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair)", f)
	}
	return mocks.DecodeJSON(r, v)
}

// graphemes counts the user-perceived characters of s, as Elixir's
// String.length does: a family emoji of seven code points, or an e with a
// combining accent, is one.
func graphemes(s string) int { return uniseg.GraphemeClusterCount(s) }

// loneSurrogate reports whether a string of the JSON document body (a key
// or a value) holds a \uXXXX escape of a surrogate that is not part of a
// high-low pair, and the dotted path of that string (to.0.phone; "" for
// the document itself). A body that is not valid JSON reports false: the
// pipeline has already refused it.
func loneSurrogate(body []byte) (string, bool) {
	if !bytes.Contains(body, []byte(`\u`)) && !bytes.Contains(body, []byte(`\U`)) {
		return "", false
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
			if hasLoneSurrogate(raw) {
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
