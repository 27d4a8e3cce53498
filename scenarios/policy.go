package scenarios

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/vendorsim/vendorsim/internal/config"
)

// Signer signs one delivery attempt. Vendors implement it; the dispatcher
// calls it at send time, on every attempt, so that timestamps are fresh.
type Signer interface {
	Sign(h http.Header, body []byte, secret string, now time.Time) error
}

// VendorPolicy is how a vendor delivers webhooks.
type VendorPolicy struct {
	Retry config.RetryPolicy
	// Signer signs attempts; nil sends them unsigned.
	Signer Signer
	// Header is added to every attempt (Content-Type, User-Agent).
	Header http.Header
}

// retryable reports whether an attempt that got status (0 when no answer
// came) or err should be tried again under the policy.
func retryable(p config.RetryPolicy, status int, err error) bool {
	if err != nil || status == 0 {
		return true // network errors and timeouts
	}
	if status >= 200 && status < 300 {
		return false
	}
	if p.RetryOn == "5xx" {
		// Whereby retries only server errors; a 4xx is the receiver's
		// final word.
		return status >= 500
	}
	return true
}

// backoff returns the delay before retry number n (1 for the first retry),
// with deterministic jitter derived from the delivery id.
func backoff(p config.RetryPolicy, n int, deliveryID int64) time.Duration {
	d := float64(p.InitialBackoff) * math.Pow(p.Multiplier, float64(n-1))
	if p.MaxBackoff > 0 && d > float64(p.MaxBackoff) {
		d = float64(p.MaxBackoff)
	}
	if p.Jitter > 0 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%d", deliveryID, n)
		// A fraction in [-1, 1).
		f := float64(h.Sum64()%20000)/10000 - 1
		d += d * p.Jitter * f
	}
	return time.Duration(d)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// nextAttempt decides what follows a failed attempt number n: the virtual
// time of the next attempt, or ok false when the policy gives up.
func nextAttempt(p config.RetryPolicy, n int, deliveryID int64, first, now time.Time, after time.Duration) (time.Time, bool) {
	if p.MaxRetries >= 0 && n > p.MaxRetries {
		return time.Time{}, false
	}
	d := backoff(p, n, deliveryID)
	if after > 0 {
		d = after
	}
	next := now.Add(d)
	if p.GiveUpAfter > 0 && next.Sub(first) > p.GiveUpAfter {
		return time.Time{}, false
	}
	return next, true
}
