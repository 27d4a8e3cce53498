package store

import (
	"strings"
	"testing"
)

// TestTextQueryOf checks which trigrams a substring matches, given their
// numbers: the rarest; then others next to none taken, while they
// narrow the candidates enough; never one that every row holds.
func TestTextQueryOf(t *testing.T) {
	const rows = 100000
	// The numbers of the load scripts' names, "mixed 1 person<i>" for i
	// below 100,000: the prefix's trigrams are in every row.
	loader := func(g string) int {
		switch {
		case strings.ContainsAny(g[:1], "0123456789") && strings.ContainsAny(g[2:], "0123456789") && !strings.Contains(g, " "):
			return map[string]int{"000": 180, "500": 300, "130": 300}[g]
		case g == "n50" || g == "n13":
			return 1111
		case g == "on5" || g == "on1":
			return 11111
		default:
			return rows
		}
	}
	tests := []struct {
		sub  string
		n    func(string) int
		want string
	}{
		// 180 rows hold 000; n50 (two on: 500 shares two characters
		// with it) leaves about 2 of them.
		{"mixed 1 person50000", loader, `"000" AND "n50"`},
		// 1,111 rows hold n13, and every other trigram is in every row.
		{"mixed 1 person13", loader, `"n13"`},
		{"mixed 1 person", loader, `"mix"`},
		// A trigram no row holds: nothing else is read.
		{"mixed 1 personq", func(g string) int {
			if g == "onq" {
				return 0
			}
			return loader(g)
		}, `"onq"`},
		// Trigrams next to one taken are passed over for others.
		{"priscilla thornton", func(g string) int {
			if c, ok := map[string]int{"sci": 54, "isc": 103, "rnt": 189, "pri": 344}[g]; ok {
				return c
			}
			return 5000
		}, `"sci" AND "rnt"`},
	}
	for _, tt := range tests {
		grams := queryGrams(tt.sub)
		n := map[string]int{}
		for _, g := range grams {
			n[g.folded] = tt.n(g.folded)
		}
		if got, _ := textQueryOf(grams, n, rows); got != tt.want {
			t.Errorf("%q: %s, want %s", tt.sub, got, tt.want)
		}
	}
	// Without numbers, trigrams spread over the substring.
	if got, _ := textQueryOf(queryGrams("abcdefghij"), nil, 0); got != `"abc" AND "cde" AND "efg" AND "hij"` {
		t.Errorf("without numbers: %s", got)
	}
}
