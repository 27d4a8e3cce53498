package whereby

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
)

// rateLimiter spends Whereby's points: each organization (workspace) has a
// budget per minute, and a request costs by its kind (read, write,
// delete). Over budget, the answer is a 429 with the milliseconds left in
// data.msLeft and the rate-limit headers.
type rateLimiter struct {
	cfg RateLimit
	// now is the limiter's clock (real time: the vendor's limit is not
	// virtual), replaced by SetRateLimitClock in tests.
	now func() time.Time

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	spent int
}

func newRateLimiter(cfg RateLimit) *rateLimiter {
	return &rateLimiter{cfg: cfg, now: time.Now, windows: map[string]*window{}}
}

// cost is what an operation costs.
func (l *rateLimiter) cost(op string) int {
	switch {
	case strings.HasPrefix(op, "list"), strings.HasPrefix(op, "get"):
		return l.cfg.ReadPoints
	case strings.HasPrefix(op, "delete"), strings.HasPrefix(op, "bulkDelete"):
		return l.cfg.DeletePoints
	}
	return l.cfg.WritePoints
}

// spend takes points from the workspace's window: it reports whether they
// were there, what remains and when the window ends.
func (l *rateLimiter) spend(ws string, points int) (ok bool, remaining int, reset time.Time, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now = l.now()
	w := l.windows[ws]
	if w == nil || now.Sub(w.start) >= time.Minute {
		w = &window{start: now}
		l.windows[ws] = w
	}
	reset = w.start.Add(time.Minute)
	if w.spent+points > l.cfg.PointsPerMinute {
		return false, max(0, l.cfg.PointsPerMinute-w.spent), reset, now
	}
	w.spent += points
	return true, l.cfg.PointsPerMinute - w.spent, reset, now
}

func (l *rateLimiter) wrap(op string, h mocks.Handler) mocks.Handler {
	points := l.cost(op)
	return func(w http.ResponseWriter, r *http.Request) error {
		ws := mocks.Workspace(r.Context())
		ok, remaining, reset, now := l.spend(ws, points)
		hd := http.Header{
			"X-Ratelimit-Limit":     {strconv.Itoa(l.cfg.PointsPerMinute)},
			"X-Ratelimit-Remaining": {strconv.Itoa(remaining)},
			"X-Ratelimit-Reset":     {reset.UTC().Format(http.TimeFormat)},
		}
		if ok {
			for k, v := range hd {
				w.Header()[k] = v
			}
			return h(w, r)
		}
		left := max(1, reset.Sub(now).Milliseconds())
		hd.Set("Retry-After", strconv.FormatInt((left+999)/1000, 10))
		return &mocks.Error{
			Code:    mocks.ERATELIMITED,
			Message: fmt.Sprintf("Rate limit active for throttle key: organization:%s", ws),
			Details: map[string]any{"msLeft": left},
			Header:  hd,
		}
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
