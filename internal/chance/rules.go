package chance

import (
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// ErrExists is Rules.Add's error for an id already in use.
var ErrExists = errors.New("a rule with that id exists")

// Keyed is a rule a Rules list holds: it has an id, which the list may
// give it (IDPrefix and a number), and the workspace it belongs to ("" for
// every workspace).
type Keyed interface {
	Key() (id, workspace string)
	SetID(id string)
	IDPrefix() string
}

// Rules is a list of rules that requests read without a lock (a
// copy-on-write slice) and the control API changes. The zero value is an
// empty list.
type Rules[R Keyed] struct {
	mu   sync.Mutex
	list atomic.Pointer[[]R]
	n    int
}

// All returns the rules, in the order they apply. The slice is shared:
// do not change it.
func (s *Rules[R]) All() []R {
	if p := s.list.Load(); p != nil {
		return *p
	}
	return nil
}

// Visible returns the rules a call selecting workspace ws ("" for none)
// sees: a workspace sees its own and those of every workspace.
func (s *Rules[R]) Visible(ws string) []R {
	var out []R
	for _, r := range s.All() {
		if _, rws := r.Key(); ws == "" || rws == "" || rws == ws {
			out = append(out, r)
		}
	}
	return out
}

func (s *Rules[R]) has(list []R, id string) bool {
	return slices.ContainsFunc(list, func(x R) bool { xid, _ := x.Key(); return xid == id })
}

// Add appends r, giving it the next free id when it has none. It returns
// ErrExists for an id in use.
func (s *Rules[R]) Add(r R) (R, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(s.All(), r)
}

func (s *Rules[R]) add(cur []R, r R) (R, error) {
	if id, _ := r.Key(); id == "" {
		prefix := r.IDPrefix()
		for {
			s.n++
			if id := prefix + strconv.Itoa(s.n); !s.has(cur, id) {
				r.SetID(id)
				break
			}
		}
	} else if s.has(cur, id) {
		var zero R
		return zero, ErrExists
	}
	next := append(slices.Clip(cur), r)
	s.list.Store(&next)
	return r, nil
}

// Put adds r, replacing the rule of the same id and workspace (a scenario
// step applied again).
func (s *Rules[R]) Put(r R) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ws := r.Key()
	cur := slices.DeleteFunc(slices.Clone(s.All()), func(x R) bool { xid, xws := x.Key(); return id != "" && xid == id && xws == ws })
	s.add(cur, r)
}

// Delete removes rule id, if workspace ws ("" for any) owns it, and
// reports whether it did.
func (s *Rules[R]) Delete(ws, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.All()
	i := slices.IndexFunc(cur, func(x R) bool { xid, xws := x.Key(); return xid == id && (ws == "" || xws == ws) })
	if i < 0 {
		return false
	}
	next := slices.Delete(slices.Clone(cur), i, i+1)
	s.list.Store(&next)
	return true
}

// Clear removes the rules of workspace ws (every rule for "") and returns
// how many it removed.
func (s *Rules[R]) Clear(ws string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.All()
	next := slices.DeleteFunc(slices.Clone(cur), func(x R) bool { _, xws := x.Key(); return ws == "" || xws == ws })
	s.list.Store(&next)
	return len(cur) - len(next)
}
