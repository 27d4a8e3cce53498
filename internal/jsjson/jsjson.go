// Package jsjson encodes JSON exactly as JavaScript's JSON.stringify does.
//
// Webhook receivers written in JavaScript often verify a signature over
// JSON.stringify(JSON.parse(rawBody)) rather than over the raw body, so a body
// only verifies when re-serializing it in JavaScript gives back the same bytes.
// Marshal produces such bodies: its output is a fixed point of
// JSON.stringify(JSON.parse(·)).
//
// Two differences remain the caller's responsibility:
//
//   - Strings must be valid UTF-8. encoding/json replaces each invalid byte
//     with U+FFFD, which JavaScript never sees; JavaScript strings may hold
//     lone surrogates, which Go strings cannot.
//   - JavaScript objects list keys that look like array indices ("0", "1",
//     "42") first, in ascending numeric order, before all other keys. Marshal
//     keeps the order encoding/json writes (struct field order, sorted map
//     keys), so an object with such keys only matches when they already come
//     first and in numeric order.
package jsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Marshal returns the compact JSON encoding of v, byte-identical to what JavaScript's JSON.stringify produces for the same value: no HTML escaping (<, >, & raw), U+2028/U+2029 raw (Go's encoder always escapes them as \u2028 — undo that correctly, minding escaped backslashes such as a literal "\\u2028" in the input), no trailing newline, keys in the order encoding/json writes them.
//
// Beyond that, every string is written the way JSON.stringify writes it, so
// escapes that json.Marshaler implementations or json.RawMessage values
// produce ("\u0041", "\/") are normalized, and every number is written the way
// JavaScript prints the float64 it parses to: json.Number("1.0") becomes 1,
// integers beyond 2^53 are rounded (9007199254740993 becomes
// 9007199254740992), -0 becomes 0 and numbers too large for a float64 become
// null.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return canonical(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// canonical rewrites compact, valid JSON so that its strings and numbers are
// written the way JSON.stringify writes them.
func canonical(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		switch c := in[i]; {
		case c == '"':
			end := stringEnd(in, i)
			out = appendString(out, in[i+1:end])
			i = end + 1
		case c == '-' || '0' <= c && c <= '9':
			end := i + 1
			for end < len(in) && isNumberByte(in[end]) {
				end++
			}
			out = appendNumber(out, in[i:end])
			i = end
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

// stringEnd returns the index of the quote closing the string that opens at start.
func stringEnd(in []byte, start int) int {
	for i := start + 1; i < len(in); i++ {
		switch in[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(in) - 1
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// appendString appends, quoted as JSON.stringify quotes it, the string whose
// JSON-escaped contents (without quotes) are s.
func appendString(out, s []byte) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		switch e := s[i+1]; e {
		case 'u':
			r, n := unicodeEscape(s[i:])
			if n == 0 {
				// Not a valid escape; encoding/json never writes one.
				out = append(out, s[i:i+2]...)
				i += 2
				continue
			}
			out = appendRune(out, r)
			i += n
		case '/':
			out = append(out, '/')
			i += 2
		default: // " \ b f n r t are written the same way by both.
			out = append(out, '\\', e)
			i += 2
		}
	}
	return append(out, '"')
}

// unicodeEscape decodes the \uXXXX escape at the start of s, and the low
// surrogate escape following a high surrogate one. It returns the code point,
// or a lone surrogate, and the number of bytes read, 0 if s starts with no
// valid escape.
func unicodeEscape(s []byte) (rune, int) {
	r, ok := hex4(s)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r) && r < 0xdc00 {
		if lo, ok := hex4(s[6:]); ok && 0xdc00 <= lo && lo <= 0xdfff {
			return utf16.DecodeRune(r, lo), 12
		}
	}
	return r, 6
}

// hex4 decodes a \uXXXX escape at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s[2:6]), 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

// appendRune appends r as JSON.stringify writes it within a string.
func appendRune(out []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	switch {
	case r == '"':
		return append(out, '\\', '"')
	case r == '\\':
		return append(out, '\\', '\\')
	case r == '\b':
		return append(out, '\\', 'b')
	case r == '\f':
		return append(out, '\\', 'f')
	case r == '\n':
		return append(out, '\\', 'n')
	case r == '\r':
		return append(out, '\\', 'r')
	case r == '\t':
		return append(out, '\\', 't')
	case r < 0x20 || utf16.IsSurrogate(r):
		return append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	return utf8.AppendRune(out, r)
}

// appendNumber appends the JSON number literal as JavaScript prints the
// float64 it denotes.
func appendNumber(out, lit []byte) []byte {
	if isSafeInteger(lit) {
		return append(out, lit...)
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		// Not a number; encoding/json never writes one.
		return append(out, lit...)
	}
	return appendFloat(out, f)
}

// isSafeInteger reports whether lit is an integer literal that a float64
// holds exactly and JavaScript prints unchanged.
func isSafeInteger(lit []byte) bool {
	digits := lit
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || string(lit) == "-0" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendFloat appends f formatted by ECMAScript's Number::toString, which
// JSON.stringify uses: non-finite numbers are null, -0 is 0, and exponents
// are used below 1e-6 and from 1e21.
func appendFloat(out []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return append(out, "null"...)
	case f == 0:
		return append(out, '0')
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(out, f, 'f', -1, 64)
	}
	start := len(out)
	out = strconv.AppendFloat(out, f, 'e', -1, 64)
	// Go writes at least two exponent digits ("1e-07"); JavaScript writes
	// no leading zeros ("1e-7").
	if n := len(out); n-start >= 4 && out[n-4] == 'e' && out[n-2] == '0' {
		out[n-2] = out[n-1]
		out = out[:n-1]
	}
	return out
}
