package zipwhip

import "sync"

// maxEnded bounds how many logged-out sessions the mock remembers.
const maxEnded = 4096

// endedSessions remembers the workspace of session keys that user/logout
// ended, the most recent maxEnded, so that a call made with one afterwards
// (refused) is still journaled under its workspace: a test sees its own
// call with a stale session.
type endedSessions struct {
	mu    sync.Mutex
	ws    map[string]string
	order []string // keys, oldest first
}

// add remembers that key belonged to workspace ws.
func (e *endedSessions) add(key, ws string) {
	if key == "" || ws == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ws == nil {
		e.ws = map[string]string{}
	}
	if _, ok := e.ws[key]; !ok {
		e.order = append(e.order, key)
	}
	e.ws[key] = ws
	for len(e.order) > maxEnded {
		delete(e.ws, e.order[0])
		e.order = e.order[1:]
	}
}

// workspace returns the workspace an ended key belonged to, or "".
func (e *endedSessions) workspace(key string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ws[key]
}
