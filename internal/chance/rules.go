package chance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vendorsim/vendorsim/store"
)

// ErrExists is Rules.Add's error for an id already in use.
var ErrExists = errors.New("a rule with that id exists")

// Keyed is a rule a Rules list holds: it has an id, which the list may
// give it (IDPrefix and a number), the workspace it belongs to ("" for
// every workspace) and its counter. A rule is stored as its JSON, which
// the decode function given to Open reads back.
type Keyed interface {
	Key() (id, workspace string)
	SetID(id string)
	IDPrefix() string
	Counter() *Counter
	// SeedWith gives the rule seed when it has none of its own.
	SeedWith(seed int64)
}

// Store keeps a rule list durable; *store.DB implements it.
type Store interface {
	Rules(ctx context.Context, kind string) ([]store.Rule, error)
	RuleIDs(ctx context.Context, kind string) (int64, error)
	PutRule(ctx context.Context, r store.Rule) error
	DeleteRule(ctx context.Context, kind, ws, id string) error
	ClearRules(ctx context.Context, kind, ws string) error
	SaveRuleCounts(ctx context.Context, rules []store.Rule) error
}

var _ Store = (*store.DB)(nil)

// Rules is a list of rules that requests read without a lock (a
// copy-on-write slice) and the control API changes. The zero value is an
// empty list in memory only; after Open, every change is written to a
// Store before it takes effect, and Flush saves the counters. Requests
// never touch the store: matching a rule counts in memory.
type Rules[R Keyed] struct {
	// Seed is the seed Add and Put give a rule that has none.
	Seed int64

	mu   sync.Mutex
	list atomic.Pointer[[]R]
	n    int
	st   Store
	kind string
}

// Open loads the rules of kind from st (in the order they apply, with
// their counters as last saved), replacing the list's, and makes later
// changes write through st. decode reads a stored rule's JSON; a rule it
// refuses (stored by another version) is left out, kept in the store, and
// logged on log. Ids the list gives go on after the highest it ever gave
// (kept by st, so that the id of a rule deleted before a restart is not
// given again) and after the loaded ones.
func (s *Rules[R]) Open(ctx context.Context, st Store, kind string, decode func([]byte) (R, error), log *slog.Logger) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := st.Rules(ctx, kind)
	if err != nil {
		return err
	}
	given, err := st.RuleIDs(ctx, kind)
	if err != nil {
		return err
	}
	s.n = max(s.n, int(given))
	list := make([]R, 0, len(stored))
	for _, sr := range stored {
		r, err := decode(sr.Doc)
		if err != nil {
			if log != nil {
				log.Warn("stored rule not loaded", "kind", kind, "id", sr.ID, "workspace", sr.Workspace, "err", err)
			}
			continue
		}
		c := r.Counter()
		c.matched.Store(sr.Matched)
		c.applied.Store(sr.Applied)
		c.saved = [2]int64{sr.Matched, sr.Applied}
		list = append(list, r)
		// Ids given later continue after the loaded ones.
		if n, err := strconv.Atoi(strings.TrimPrefix(sr.ID, r.IDPrefix())); err == nil && strings.HasPrefix(sr.ID, r.IDPrefix()) && n > s.n {
			s.n = n
		}
	}
	s.list.Store(&list)
	s.st, s.kind = st, kind
	return nil
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

func has[R Keyed](list []R, id string) bool {
	return slices.ContainsFunc(list, func(x R) bool { xid, _ := x.Key(); return xid == id })
}

// Add appends r, giving it the next free id when it has none. It returns
// ErrExists for an id in use (in any workspace), or the store's error, in
// which case nothing changed.
func (s *Rules[R]) Add(ctx context.Context, r R) (R, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.SeedWith(s.Seed)
	cur := s.All()
	if id, _ := r.Key(); id != "" && has(cur, id) {
		var zero R
		return zero, ErrExists
	}
	if err := s.add(ctx, cur, r); err != nil {
		var zero R
		return zero, err
	}
	return r, nil
}

// add appends r to cur, which holds no rule of r's id and workspace,
// giving it an id when it has none.
func (s *Rules[R]) add(ctx context.Context, cur []R, r R) error {
	given := 0
	if id, _ := r.Key(); id == "" {
		prefix := r.IDPrefix()
		given = s.n
		for {
			given++
			if id := prefix + strconv.Itoa(given); !has(s.All(), id) {
				r.SetID(id)
				break
			}
		}
	}
	if err := s.save(ctx, r, int64(given)); err != nil {
		return err
	}
	s.n = max(s.n, given)
	next := append(slices.Clip(cur), r)
	s.list.Store(&next)
	return nil
}

// save stores r, with given, when not 0, the highest id number the list
// has given out.
func (s *Rules[R]) save(ctx context.Context, r R, given int64) error {
	if s.st == nil {
		return nil
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode rule: %w", err)
	}
	id, ws := r.Key()
	c := r.Counter()
	m, a := c.Matched(), c.Applied()
	if err := s.st.PutRule(ctx, store.Rule{Kind: s.kind, Workspace: ws, ID: id, Doc: doc, Matched: m, Applied: a, Given: given}); err != nil {
		return err
	}
	c.saved = [2]int64{m, a}
	return nil
}

// Put adds r, replacing the rule of the same id and workspace (a scenario
// step applied again); rules of other workspaces may have the same id. A
// rule without an id gets one. On the store's error nothing changed.
func (s *Rules[R]) Put(ctx context.Context, r R) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.SeedWith(s.Seed)
	id, ws := r.Key()
	cur := slices.DeleteFunc(slices.Clone(s.All()), func(x R) bool { xid, xws := x.Key(); return id != "" && xid == id && xws == ws })
	return s.add(ctx, cur, r)
}

// Delete removes rule id, if workspace ws ("" for any) owns it, and
// reports whether it did. On the store's error nothing changed.
func (s *Rules[R]) Delete(ctx context.Context, ws, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.All()
	i := slices.IndexFunc(cur, func(x R) bool { xid, xws := x.Key(); return xid == id && (ws == "" || xws == ws) })
	if i < 0 {
		return false, nil
	}
	if s.st != nil {
		_, rws := cur[i].Key()
		if err := s.st.DeleteRule(ctx, s.kind, rws, id); err != nil {
			return false, err
		}
	}
	next := slices.Delete(slices.Clone(cur), i, i+1)
	s.list.Store(&next)
	return true, nil
}

// Clear removes the rules of workspace ws (every rule for "") and returns
// how many it removed. On the store's error nothing changed.
func (s *Rules[R]) Clear(ctx context.Context, ws string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		if err := s.st.ClearRules(ctx, s.kind, ws); err != nil {
			return 0, err
		}
	}
	cur := s.All()
	next := slices.DeleteFunc(slices.Clone(cur), func(x R) bool { _, xws := x.Key(); return ws == "" || xws == ws })
	s.list.Store(&next)
	return len(cur) - len(next), nil
}

// Flush saves the counters that changed since they were last saved (none
// before Open). Matches counted meanwhile are saved by the next Flush.
func (s *Rules[R]) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st == nil {
		return nil
	}
	var batch []store.Rule
	var counters []*Counter
	for _, r := range s.All() {
		c := r.Counter()
		m, a := c.Matched(), c.Applied()
		if m == c.saved[0] && a == c.saved[1] {
			continue
		}
		id, ws := r.Key()
		batch = append(batch, store.Rule{Kind: s.kind, Workspace: ws, ID: id, Matched: m, Applied: a})
		counters = append(counters, c)
	}
	if len(batch) == 0 {
		return nil
	}
	if err := s.st.SaveRuleCounts(ctx, batch); err != nil {
		return err
	}
	for i, c := range counters {
		c.saved = [2]int64{batch[i].Matched, batch[i].Applied}
	}
	return nil
}
