package chance_test

import (
	"errors"
	"testing"

	"github.com/vendorsim/vendorsim/internal/chance"
)

type rule struct{ id, ws string }

func (r *rule) Key() (string, string) { return r.id, r.ws }
func (r *rule) SetID(id string)       { r.id = id }
func (r *rule) IDPrefix() string      { return "t" }

func ids(rs []*rule) (out []string) {
	for _, r := range rs {
		out = append(out, r.id+"@"+r.ws)
	}
	return out
}

func TestRules(t *testing.T) {
	var s chance.Rules[*rule]
	a, _ := s.Add(&rule{ws: "a"})
	s.Add(&rule{id: "t2", ws: ""})
	if _, err := s.Add(&rule{id: a.id}); !errors.Is(err, chance.ErrExists) {
		t.Errorf("a taken id: %v, want ErrExists", err)
	}
	b, _ := s.Add(&rule{ws: "b"}) // t2 is taken: t3
	if a.id != "t1" || b.id != "t3" {
		t.Errorf("ids %s, %s; want t1, t3", a.id, b.id)
	}
	if got := ids(s.Visible("a")); len(got) != 2 || got[0] != "t1@a" || got[1] != "t2@" {
		t.Errorf("workspace a sees %v", got)
	}
	s.Put(&rule{id: "t1", ws: "a"}) // replaces, moves to the end
	if got := ids(s.All()); len(got) != 3 || got[2] != "t1@a" {
		t.Errorf("after Put: %v", got)
	}
	if s.Delete("b", "t1") {
		t.Error("workspace b deleted workspace a's rule")
	}
	if n := s.Clear("a"); n != 1 || len(s.All()) != 2 {
		t.Errorf("Clear(a) removed %d, left %v", n, ids(s.All()))
	}
	if n := s.Clear(""); n != 2 || len(s.All()) != 0 {
		t.Errorf("Clear() removed %d, left %v", n, ids(s.All()))
	}
}
