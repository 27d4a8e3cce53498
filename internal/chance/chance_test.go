package chance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/chance"
)

// A long-tailed latency has the median and 99th percentile it is given;
// a uniform one stays in its bounds; the same seed draws the same values.
func TestLatency_Draw(t *testing.T) {
	long := chance.Latency{P50: chance.Duration(100 * time.Millisecond), P99: chance.Duration(time.Second)}
	var ds []time.Duration
	for n := int64(1); n <= 20000; n++ {
		ds = append(ds, long.Draw(7, n))
	}
	if long.Draw(7, 5) != ds[4] {
		t.Fatal("the same seed and match drew another value")
	}
	slices.Sort(ds)
	p50, p99 := ds[len(ds)/2], ds[len(ds)*99/100]
	if p50 < 90*time.Millisecond || p50 > 110*time.Millisecond || p99 < 800*time.Millisecond || p99 > 1250*time.Millisecond {
		t.Errorf("p50 %s, p99 %s; want about 100ms and 1s", p50, p99)
	}
	uni := chance.Latency{Min: chance.Duration(10 * time.Millisecond), Max: chance.Duration(20 * time.Millisecond)}
	for n := int64(1); n <= 1000; n++ {
		if d := uni.Draw(1, n); d < 10*time.Millisecond || d > 20*time.Millisecond {
			t.Fatalf("uniform drew %s", d)
		}
	}
}

func TestSelector_Next(t *testing.T) {
	s := chance.Selector{Probability: 0.3, Seed: 5}
	var c chance.Counter
	hits := 0
	for range 10000 {
		if _, ok := s.Next(&c); ok {
			hits++
		}
	}
	if hits < 2700 || hits > 3300 || c.Applied() != int64(hits) || c.Matched() != 10000 {
		t.Errorf("probability 0.3 picked %d of 10000 (applied %d, matched %d)", hits, c.Applied(), c.Matched())
	}
}
