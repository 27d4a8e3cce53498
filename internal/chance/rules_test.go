package chance_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/store"
)

type rule struct {
	ID        string `json:"id"`
	Workspace string `json:"workspace"`
	chance.Selector
	c chance.Counter
}

func (r *rule) Key() (string, string)    { return r.ID, r.Workspace }
func (r *rule) SetID(id string)          { r.ID = id }
func (r *rule) IDPrefix() string         { return "t" }
func (r *rule) Counter() *chance.Counter { return &r.c }
func decode(b []byte) (*rule, error)     { var r rule; return &r, json.Unmarshal(b, &r) }
func mk(id, ws string) *rule             { return &rule{ID: id, Workspace: ws} }
func ids(rs []*rule) (out []string) {
	for _, r := range rs {
		out = append(out, r.ID+"@"+r.Workspace)
	}
	return out
}

var ctx = context.Background()

func TestRules(t *testing.T) {
	var s chance.Rules[*rule]
	a, _ := s.Add(ctx, mk("", "a"))
	s.Add(ctx, mk("t2", ""))
	if _, err := s.Add(ctx, mk(a.ID, "")); !errors.Is(err, chance.ErrExists) {
		t.Errorf("a taken id: %v, want ErrExists", err)
	}
	b, _ := s.Add(ctx, mk("", "b")) // t2 is taken: t3
	if a.ID != "t1" || b.ID != "t3" {
		t.Errorf("ids %s, %s; want t1, t3", a.ID, b.ID)
	}
	if got := ids(s.Visible("a")); len(got) != 2 || got[0] != "t1@a" || got[1] != "t2@" {
		t.Errorf("workspace a sees %v", got)
	}
	s.Put(ctx, mk("t1", "a")) // replaces, moves to the end
	if got := ids(s.All()); len(got) != 3 || got[2] != "t1@a" {
		t.Errorf("after Put: %v", got)
	}
	// A scenario step in another workspace may use the same id: it
	// neither replaces a's rule nor is refused.
	s.Put(ctx, mk("t1", "b"))
	if got := ids(s.All()); len(got) != 4 || got[2] != "t1@a" || got[3] != "t1@b" {
		t.Errorf("after Put in b: %v", got)
	}
	if ok, _ := s.Delete(ctx, "c", "t1"); ok {
		t.Error("workspace c deleted another workspace's rule")
	}
	if ok, _ := s.Delete(ctx, "b", "t1"); !ok || len(s.All()) != 3 {
		t.Errorf("Delete(b, t1): %v, left %v", ok, ids(s.All()))
	}
	if n, _ := s.Clear(ctx, "a"); n != 1 || len(s.All()) != 2 {
		t.Errorf("Clear(a) removed %d, left %v", n, ids(s.All()))
	}
	if n, _ := s.Clear(ctx, ""); n != 2 || len(s.All()) != 0 {
		t.Errorf("Clear() removed %d, left %v", n, ids(s.All()))
	}
}

func openDB(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db := store.New(path)
	if err := db.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// match counts n matches of r, as requests do.
func match(r *rule, n int) {
	for range n {
		r.Next(r.Counter())
	}
}

// TestRules_Store: every change is written through, a list opened again
// on the same database has the same rules in the same order with their
// saved counters, and ids go on after the loaded ones.
func TestRules_Store(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.db")
	db := openDB(t, path)
	var s chance.Rules[*rule]
	if err := s.Open(ctx, db, "test", decode, nil); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Add(ctx, &rule{Workspace: "a", Selector: chance.Selector{First: 2}})
	b, _ := s.Add(ctx, mk("", ""))
	c, _ := s.Add(ctx, mk("", "b"))
	s.Put(ctx, mk("x", "a"))
	s.Delete(ctx, "", c.ID)
	match(a, 3)
	match(b, 1)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	match(b, 1) // not flushed: forgotten, as after a crash
	db.Close()

	db = openDB(t, path)
	var again chance.Rules[*rule]
	if err := again.Open(ctx, db, "test", decode, nil); err != nil {
		t.Fatal(err)
	}
	if got := ids(again.All()); len(got) != 3 || got[0] != "t1@a" || got[1] != "t2@" || got[2] != "x@a" {
		t.Fatalf("reopened: %v, want t1@a t2@ x@a", got)
	}
	ra, rb := again.All()[0], again.All()[1]
	if m, ap := ra.c.Matched(), ra.c.Applied(); m != 3 || ap != 2 {
		t.Errorf("t1 counters matched %d applied %d, want 3 and 2", m, ap)
	}
	if m := rb.c.Matched(); m != 1 {
		t.Errorf("t2 matched %d, want the saved 1", m)
	}
	if ra.First != 2 {
		t.Errorf("t1 lost its selector: %+v", ra.Selector)
	}
	// The saved count goes on: the 4th match of a first-2 rule does not apply.
	if _, ok := ra.Next(ra.Counter()); ok {
		t.Error("match 4 of a first-2 rule applied after the restart")
	}
	// Ids go on after the highest ever given: t3, deleted before the
	// restart, is not given again.
	if d, _ := again.Add(ctx, mk("", "")); d.ID != "t4" {
		t.Errorf("next id after reopening %s, want t4 (t3 was given before)", d.ID)
	}
	if n, _ := again.Clear(ctx, "a"); n != 2 {
		t.Errorf("Clear(a) removed %d, want 2", n)
	}
	stored, err := db.Rules(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || stored[0].ID != "t2" || stored[1].ID != "t4" {
		t.Errorf("stored after Clear(a): %+v", stored)
	}
	if other, _ := db.Rules(ctx, "other"); len(other) != 0 {
		t.Errorf("another kind sees %d rules", len(other))
	}
}

// failing is a store that refuses every change.
type failing struct{ chance.Store }

var errDown = errors.New("store down")

func (failing) PutRule(context.Context, store.Rule) error                { return errDown }
func (failing) DeleteRule(context.Context, string, string, string) error { return errDown }
func (failing) ClearRules(context.Context, string, string) error         { return errDown }
func (failing) Rules(context.Context, string) ([]store.Rule, error)      { return nil, nil }
func (failing) RuleIDs(context.Context, string) (int64, error)           { return 0, nil }

// TestRules_StoreFails: a change the store refuses does not happen.
func TestRules_StoreFails(t *testing.T) {
	var s chance.Rules[*rule]
	if err := s.Open(ctx, failing{}, "test", decode, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, mk("", "a")); !errors.Is(err, errDown) {
		t.Errorf("Add: %v, want the store's error", err)
	}
	if err := s.Put(ctx, mk("p", "a")); !errors.Is(err, errDown) {
		t.Errorf("Put: %v, want the store's error", err)
	}
	if n := len(s.All()); n != 0 {
		t.Errorf("%d rules after refused changes", n)
	}
}

// TestRules_IDsDurable: the id of a rule deleted before a restart is not
// given again after it, even when it was the highest and no rule is left
// (deleted one by one, or all cleared as a reset of every workspace
// does); an id a client chose is skipped as before.
func TestRules_IDsDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.db")
	reopen := func(db *store.DB) (*store.DB, *chance.Rules[*rule]) {
		t.Helper()
		if db != nil {
			db.Close()
		}
		db = openDB(t, path)
		var s chance.Rules[*rule]
		if err := s.Open(ctx, db, "test", decode, nil); err != nil {
			t.Fatal(err)
		}
		return db, &s
	}
	db, s := reopen(nil)
	s.Add(ctx, mk("", "a"))         // t1
	b, _ := s.Add(ctx, mk("", "a")) // t2
	s.Delete(ctx, "", b.ID)
	db, s = reopen(db)
	if c, _ := s.Add(ctx, mk("", "")); c.ID != "t3" {
		t.Fatalf("after t2 was deleted and a restart, the next id is %s, want t3", c.ID)
	}
	if n, _ := s.Clear(ctx, ""); n != 2 {
		t.Fatalf("Clear removed %d, want 2", n)
	}
	db, s = reopen(db)
	if len(s.All()) != 0 {
		t.Fatalf("cleared rules came back: %v", ids(s.All()))
	}
	s.Add(ctx, mk("t5", "")) // a client's id: skipped, not counted as given
	if d, _ := s.Add(ctx, mk("", "")); d.ID != "t4" {
		t.Errorf("after every rule was cleared and a restart, the next id is %s, want t4", d.ID)
	}
	if e, _ := s.Add(ctx, mk("", "")); e.ID != "t6" {
		t.Errorf("next id %s, want t6 (t5 is taken)", e.ID)
	}
	// A kind's counter is its own.
	var other chance.Rules[*rule]
	if err := other.Open(ctx, db, "other", decode, nil); err != nil {
		t.Fatal(err)
	}
	if f, _ := other.Add(ctx, mk("", "")); f.ID != "t1" {
		t.Errorf("another kind's first id is %s, want t1", f.ID)
	}
}

// Add and Put give the list's seed to a rule without one, and keep a
// rule's own.
func TestRules_Seed(t *testing.T) {
	s := chance.Rules[*rule]{Seed: 7}
	a, err := s.Add(ctx, mk("", "a"))
	if err != nil || a.Seed != 7 {
		t.Fatalf("added %+v, %v; want seed 7", a, err)
	}
	own := mk("", "a")
	own.Seed = 3
	if err := s.Put(ctx, own); err != nil || own.Seed != 3 {
		t.Fatalf("put %+v, %v; want its own seed 3", own, err)
	}
	put := mk("", "b")
	if err := s.Put(ctx, put); err != nil || put.Seed != 7 {
		t.Fatalf("put %+v, %v; want seed 7", put, err)
	}
}
