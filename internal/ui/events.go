package ui

import (
	"fmt"
	"net/http"
	"time"
)

// events serves /_sandbox/ui/events, a server-sent event stream: a
// "change" event whenever the store's commit counter moved since the last
// look (at most one per Interval, however many writes there were), with
// the counter as data, and a comment every Heartbeat. The page answers a
// change by fetching what it shows again through the control API, so the
// stream carries no data of its own and needs no filter.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout; each write gets its
	// own deadline instead.
	rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var last uint64
	if h.opts.Commits != nil {
		last = h.opts.Commits()
	}
	// retry: tells EventSource how soon to reconnect after a drop.
	if !h.send(w, rc, fmt.Sprintf("retry: 2000\nevent: hello\ndata: %d\n\n", last)) {
		return
	}
	tick := time.NewTicker(h.opts.Interval)
	defer tick.Stop()
	idle := time.Now()
	for {
		select {
		case <-r.Context().Done():
			return
		case now := <-tick.C:
			if h.opts.Commits != nil {
				if c := h.opts.Commits(); c != last {
					last = c
					idle = now
					if !h.send(w, rc, fmt.Sprintf("event: change\ndata: %d\n\n", c)) {
						return
					}
					continue
				}
			}
			if now.Sub(idle) >= h.opts.Heartbeat {
				idle = now
				if !h.send(w, rc, ": heartbeat\n\n") {
					return
				}
			}
		}
	}
}

// send writes one event and flushes it, with a write deadline so that a
// reader that stopped reading does not hold the stream forever.
func (h *Handler) send(w http.ResponseWriter, rc *http.ResponseController, s string) bool {
	rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprint(w, s); err != nil {
		return false
	}
	return rc.Flush() == nil
}
