// Package phone normalises telephone numbers to E.164 and recognises the
// NANP fictional range 555-0100..0199 that vendorsim uses for magic numbers.
package phone

import "strings"

// Normalize returns number in E.164 form ("+14155552671"). It accepts E.164,
// NANP numbers of 10 digits or 11 digits starting with 1, Zipwhip's "ptn:/"
// prefix, and the usual punctuation (spaces, dots, dashes, parentheses). It
// reports false for anything else.
func Normalize(number string) (string, bool) {
	s := strings.TrimSpace(number)
	s = strings.TrimPrefix(s, "ptn:/")
	plus := strings.HasPrefix(s, "+")
	var digits strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	d := digits.String()
	switch {
	case plus:
		if len(d) < 7 || len(d) > 15 || d[0] == '0' {
			return "", false
		}
		if d[0] == '1' && len(d) != 11 {
			return "", false
		}
		return "+" + d, true
	case len(d) == 10 && d[0] >= '2':
		return "+1" + d, true
	case len(d) == 11 && d[0] == '1' && d[1] >= '2':
		return "+" + d, true
	}
	return "", false
}

// Magic returns the two-digit suffix ("00".."99") of a NANP number in the
// fictional range NXX-555-0100..0199, and whether it is in that range.
func Magic(e164 string) (string, bool) {
	if len(e164) != 12 || !strings.HasPrefix(e164, "+1") {
		return "", false
	}
	if e164[5:10] != "55501" {
		return "", false
	}
	return e164[10:], true
}

// National returns the ten national digits of a NANP E.164 number, or the
// number without "+" otherwise.
func National(e164 string) string {
	if len(e164) == 12 && strings.HasPrefix(e164, "+1") {
		return e164[2:]
	}
	return strings.TrimPrefix(e164, "+")
}
