package faults_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/store"
)

// counting is a store that counts the calls made to it.
type counting struct {
	calls atomic.Int64
	saved []store.Rule
}

func (c *counting) Rules(context.Context, string) ([]store.Rule, error) {
	c.calls.Add(1)
	return nil, nil
}
func (c *counting) PutRule(context.Context, store.Rule) error { c.calls.Add(1); return nil }
func (c *counting) RuleIDs(context.Context, string) (int64, error) {
	c.calls.Add(1)
	return 0, nil
}
func (c *counting) DeleteRule(context.Context, string, string, string) error {
	c.calls.Add(1)
	return nil
}
func (c *counting) ClearRules(context.Context, string, string) error { c.calls.Add(1); return nil }
func (c *counting) SaveRuleCounts(_ context.Context, rs []store.Rule) error {
	c.calls.Add(1)
	c.saved = append(c.saved, rs...)
	return nil
}

var _ chance.Store = (*counting)(nil)

// Requests never touch the store, whether a rule matches them or not; a
// Flush saves the counters of the rules that matched, and only those.
func TestSet_RequestsDoNotTouchTheStore(t *testing.T) {
	ctx := context.Background()
	st := &counting{}
	set := &faults.Set{}
	set.Seed = 1
	if err := set.Open(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`{"operation_id":"noSuchOperation","status":429}`, `{"operation_id":"listContacts","effect":"latency","latency":{"fixed":1}}`} {
		r, err := faults.Parse([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := set.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	before := st.calls.Load()
	api := &mocks.API{Name: "whippy"}
	for range 100 {
		req := httptest.NewRequest(http.MethodGet, "/whippy/v1/contacts", nil)
		set.Apply(httptest.NewRecorder(), req, api, "listChannels") // matches no rule
		req = httptest.NewRequest(http.MethodGet, "/whippy/v1/contacts", nil)
		set.Apply(httptest.NewRecorder(), req, api, "listContacts") // matches f2
	}
	if n := st.calls.Load() - before; n != 0 {
		t.Fatalf("200 requests made %d calls to the store, want none", n)
	}
	if err := set.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(st.saved) != 1 || st.saved[0].ID != "f2" || st.saved[0].Matched != 100 || st.saved[0].Applied != 100 {
		t.Errorf("Flush saved %+v, want f2's 100 matches only", st.saved)
	}
	calls := st.calls.Load()
	if err := set.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st.calls.Load() != calls {
		t.Errorf("a Flush with nothing new called the store (saved %+v)", st.saved[1:])
	}
}
