package whippy

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
)

// rateLimiter applies Whippy's documented limits per API key: a standard
// budget per second, a small per-minute budget for writes on campaigns,
// contact lists and sequences, and a larger budget for /organization.
type rateLimiter struct {
	cfg RateLimit
	// now is the limiter's clock (real time: Whippy's limits are not
	// virtual), replaced by SetRateLimitClock in tests.
	now func() time.Time

	// key names the budget a request spends: its API key.
	key     func(*http.Request) string
	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	count int
}

func newRateLimiter(cfg RateLimit, key func(*http.Request) string) *rateLimiter {
	return &rateLimiter{cfg: cfg, key: key, now: time.Now, windows: map[string]*window{}}
}

// limit returns the budget and window of an operation.
func (l *rateLimiter) limit(op string) (class string, n int, per time.Duration) {
	switch {
	case op == "getOrganization":
		return "org-read", l.cfg.OrganizationReadsPerSecond, time.Second
	case op == "createOrganizationIntegration":
		return "org-write", l.cfg.OrganizationWritesPerSecond, time.Second
	case op == "sendCampaign" || op == "sendSmsCampaign" || op == "addSequenceContacts" || strings.HasPrefix(op, "upsertContacts"):
		return "slow-write", l.cfg.SlowWritesPerMinute, time.Minute
	}
	return "standard", l.cfg.StandardPerSecond, time.Second
}

// allow counts one request and returns how long until the window resets
// when it is over the limit.
func (l *rateLimiter) allow(key, op string) (bool, time.Duration) {
	class, n, per := l.limit(op)
	if n <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.windows[key+"\x00"+class]
	if w == nil || now.Sub(w.start) >= per {
		w = &window{start: now}
		l.windows[key+"\x00"+class] = w
	}
	if w.count >= n {
		return false, per - now.Sub(w.start)
	}
	w.count++
	return true, 0
}

func (l *rateLimiter) wrap(op string, h mocks.Handler) mocks.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		ok, wait := l.allow(l.key(r), op)
		if !ok {
			ms := max(1, wait.Milliseconds())
			return &mocks.Error{Code: mocks.ERATELIMITED, Message: "Too many requests",
				Header: http.Header{"X-Ratelimit-Remaining-Interval-Milliseconds": {fmt.Sprint(ms)}}}
		}
		return h(w, r)
	}
}

// SetRateLimitClock makes the rate limiter read now instead of the real
// time, so that a test can move its windows without waiting. It does
// nothing when rate limiting is off.
func (m *Mock) SetRateLimitClock(now func() time.Time) {
	if m.limiter == nil {
		return
	}
	m.limiter.mu.Lock()
	m.limiter.now = now
	m.limiter.mu.Unlock()
}
