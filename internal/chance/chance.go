// Package chance makes the random choices of fault and chaos rules
// reproducible: a rule counts the requests (or deliveries) it matches, and
// every choice it makes for the n-th one is a hash of its seed, n and the
// choice's purpose. The same seed and the same sequence of matches give the
// same outcomes on every run, whatever else the server does meanwhile.
//
// Rules is the list both kinds of rule live in: read without a lock by
// requests, and, once open on a Store, written through to it on every
// change, with the counters saved by Flush. Since a match's draws depend
// only on the seed and the match's number, a list loaded with its saved
// counters goes on with the same stream after a restart.
package chance

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// Selector decides which of the matches of a rule it applies to: a count
// condition (first N, every Nth, after N; all that are set must hold) and
// a probability drawn from the seed. The zero Selector applies to every
// match.
type Selector struct {
	// First applies to the first N matches only.
	First int64 `json:"first,omitempty"`
	// Every applies to every Nth match (the Nth, the 2Nth, ...).
	Every int64 `json:"every,omitempty"`
	// After applies to the matches after the first N.
	After int64 `json:"after,omitempty"`
	// Times caps how many times the rule applies in all (0: no cap).
	Times int64 `json:"times,omitempty"`
	// Probability is the chance (0..1] that a match the counts allow is
	// chosen; 0 means 1.
	Probability float64 `json:"probability,omitempty"`
	// Seed makes the draws reproducible; rules with the same seed draw
	// the same numbers for their n-th match.
	Seed int64 `json:"seed,omitempty"`
}

// SeedWith gives the selector seed when it has none of its own.
func (s *Selector) SeedWith(seed int64) {
	if s.Seed == 0 {
		s.Seed = seed
	}
}

// Validate checks the selector's values; the error names the field.
func (s *Selector) Validate() error {
	switch {
	case s.First < 0:
		return fieldErr("first", "first must not be negative")
	case s.Every < 0:
		return fieldErr("every", "every must not be negative")
	case s.After < 0:
		return fieldErr("after", "after must not be negative")
	case s.Times < 0:
		return fieldErr("times", "times must not be negative")
	case s.Probability < 0 || s.Probability > 1 || math.IsNaN(s.Probability):
		return fieldErr("probability", "probability must be between 0 and 1")
	}
	return nil
}

// FieldError is a rule value that is wrong, naming its field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

func fieldErr(field, msg string) error { return &FieldError{Field: field, Message: msg} }

// AsFieldError returns err's *FieldError, or nil.
func AsFieldError(err error) *FieldError {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// Counter is the state of one rule: how many matches it saw and how many
// times it applied. It is safe for concurrent use.
type Counter struct {
	matched atomic.Int64
	applied atomic.Int64
	// saved are matched and applied as the store last got them (Rules
	// guards them with its lock).
	saved [2]int64
}

// Restore sets the counts of a rule that was kept (a snapshot's), before
// the rule is added to a list.
func (c *Counter) Restore(matched, applied int64) {
	c.matched.Store(matched)
	c.applied.Store(applied)
}

// Matched returns how many matches the counter saw.
func (c *Counter) Matched() int64 { return c.matched.Load() }

// Applied returns how many times the rule applied.
func (c *Counter) Applied() int64 { return c.applied.Load() }

// Next counts one match and reports whether s applies to it, with the
// match's number n (from 1), from which the rule draws its other choices.
func (s *Selector) Next(c *Counter) (n int64, ok bool) {
	n = c.matched.Add(1)
	if s.First > 0 && n > s.First {
		return n, false
	}
	if s.Every > 0 && n%s.Every != 0 {
		return n, false
	}
	if s.After > 0 && n <= s.After {
		return n, false
	}
	if s.Probability > 0 && s.Probability < 1 && Float(s.Seed, n, "pick") >= s.Probability {
		return n, false
	}
	if s.Times > 0 {
		for {
			a := c.applied.Load()
			if a >= s.Times {
				return n, false
			}
			if c.applied.CompareAndSwap(a, a+1) {
				return n, true
			}
		}
	}
	c.applied.Add(1)
	return n, true
}

// Float returns a number in [0, 1) that depends only on seed, n and
// purpose.
func Float(seed, n int64, purpose string) float64 {
	return float64(Uint64(seed, n, purpose)>>11) / (1 << 53)
}

// Uint64 hashes seed, n and purpose (splitmix64 over FNV-1a of purpose).
func Uint64(seed, n int64, purpose string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(purpose); i++ {
		h ^= uint64(purpose[i])
		h *= 1099511628211
	}
	x := uint64(seed)*0x9e3779b97f4a7c15 ^ uint64(n)*0xbf58476d1ce4e5b9 ^ h
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Duration is a time.Duration written as "1.5s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads a Go duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		v, err := time.ParseDuration(s[1 : len(s)-1])
		if err != nil || v < 0 {
			return fmt.Errorf("%s is not a duration like 250ms or 2s", s)
		}
		*d = Duration(v)
		return nil
	}
	var n float64
	if _, err := fmt.Sscan(s, &n); err != nil || n < 0 {
		return fmt.Errorf("%s is not a duration like 250ms or 2s", s)
	}
	*d = Duration(n)
	return nil
}

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Latency is a delay: fixed, uniform between Min and Max, or long-tailed
// (log-normal) with the given median (P50) and 99th percentile (P99).
type Latency struct {
	Fixed Duration `json:"fixed,omitempty"`
	Min   Duration `json:"min,omitempty"`
	Max   Duration `json:"max,omitempty"`
	P50   Duration `json:"p50,omitempty"`
	P99   Duration `json:"p99,omitempty"`
}

// IsZero reports whether the latency adds nothing.
func (l *Latency) IsZero() bool { return l == nil || *l == Latency{} }

// MaxLatency bounds any drawn delay.
const MaxLatency = 10 * time.Minute

// Validate checks the latency; the error names the field (latency.max...).
func (l *Latency) Validate(prefix string) error {
	if l == nil {
		return nil
	}
	kinds := 0
	if l.Fixed > 0 {
		kinds++
	}
	if l.Min > 0 || l.Max > 0 {
		kinds++
		if l.Max < l.Min {
			return fieldErr(prefix+".max", prefix+".max must not be less than "+prefix+".min")
		}
	}
	if l.P50 > 0 || l.P99 > 0 {
		kinds++
		if l.P50 <= 0 || l.P99 < l.P50 {
			return fieldErr(prefix+".p99", prefix+" needs p50 > 0 and p99 >= p50")
		}
	}
	if kinds > 1 {
		return fieldErr(prefix, prefix+" is one of fixed, min and max, or p50 and p99")
	}
	for _, d := range []Duration{l.Fixed, l.Max, l.P99} {
		if time.Duration(d) > MaxLatency {
			return fieldErr(prefix, fmt.Sprintf("%s may be at most %s", prefix, MaxLatency))
		}
	}
	return nil
}

// Draw returns the delay for match n of a rule seeded with seed.
func (l *Latency) Draw(seed, n int64) time.Duration {
	if l.IsZero() {
		return 0
	}
	switch {
	case l.Fixed > 0:
		return time.Duration(l.Fixed)
	case l.P50 > 0:
		// Log-normal: the median is p50 and the 99th percentile p99
		// (z of 0.99 is 2.3263).
		sigma := math.Log(float64(l.P99)/float64(l.P50)) / 2.3263
		u1 := max(Float(seed, n, "latency-1"), 1e-12)
		u2 := Float(seed, n, "latency-2")
		z := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
		d := float64(l.P50) * math.Exp(sigma*z)
		return min(time.Duration(d), MaxLatency)
	default:
		span := float64(l.Max - l.Min)
		return time.Duration(l.Min) + time.Duration(span*Float(seed, n, "latency"))
	}
}
