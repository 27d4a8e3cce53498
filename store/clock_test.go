package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// fakeClock is a settable real clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A frozen or fast clock: tx.Now(), WorkspaceNow, NextDue and the claims'
// due-time queries all read the same virtual time, and other workspaces
// keep real time.
func TestClock_FrozenAndFast(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	db := store.New(":memory:")
	db.Now = clk.now
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, ws := range []string{"fast", "frozen", "normal"} {
		if err := db.CreateWorkspace(ctx, store.Workspace{ID: ws}, nil); err != nil {
			t.Fatal(err)
		}
	}
	schedule := func(ws string, in time.Duration) {
		t.Helper()
		err := db.Update(ctx, ws, func(tx *store.Tx) error {
			return tx.Schedule(&store.Job{Vendor: "test", Kind: "k", Payload: []byte("{}"), RunID: ws + in.String(), DueAt: tx.Now().Add(in)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	start := clk.now()
	if err := db.SetClockSpeed(ctx, "fast", 10); err != nil {
		t.Fatal(err)
	}
	if err := db.SetClockSpeed(ctx, "frozen", 0); err != nil {
		t.Fatal(err)
	}
	for _, ws := range []string{"fast", "frozen", "normal"} {
		schedule(ws, 10*time.Second)
		schedule(ws, 11*time.Second)
	}
	if next, ok, err := db.NextDue(ctx, nil); err != nil || !ok || !next.Equal(start.Add(time.Second)) {
		t.Fatalf("NextDue = %v %v %v; want the fast workspace's 10s step, due 1s of real time from now", next, ok, err)
	}
	clk.add(time.Second)
	if got := db.WorkspaceNow("fast"); !got.Equal(start.Add(10 * time.Second)) {
		t.Errorf("fast now %s; want 10s after the start", got)
	}
	if got := db.WorkspaceNow("frozen"); !got.Equal(start) {
		t.Errorf("frozen now %s; want the start", got)
	}
	var txNow time.Time
	db.View(ctx, "fast", func(tx *store.Tx) error { txNow = tx.Now(); return nil })
	if !txNow.Equal(start.Add(10 * time.Second)) {
		t.Errorf("tx.Now() %s in the fast workspace; want 10s after the start", txNow)
	}
	jobs, err := db.ClaimJobs(ctx, store.Claim{Limit: 10, Lease: 100 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].WorkspaceID != "fast" || jobs[0].RunID != "fast10s" {
		t.Fatalf("claimed %+v; want the fast workspace's 10s step only", jobs)
	}
	clk.add(time.Hour)
	jobs, _ = db.ClaimJobs(ctx, store.Claim{Limit: 10, Lease: 100 * time.Hour})
	for _, j := range jobs {
		if j.WorkspaceID == "frozen" {
			t.Errorf("claimed %+v of a frozen workspace", j)
		}
	}
	if len(jobs) != 3 {
		t.Errorf("claimed %d; want fast's 11s and normal's two", len(jobs))
	}
	// Back to real speed, without a jump.
	before := db.WorkspaceNow("frozen")
	if err := db.SetClockSpeed(ctx, "frozen", 1); err != nil {
		t.Fatal(err)
	}
	if got := db.WorkspaceNow("frozen"); !got.Equal(before) || db.ClockSpeed("frozen") != 1 {
		t.Errorf("resumed clock reads %s (speed %v); want %s at speed 1", got, db.ClockSpeed("frozen"), before)
	}
	clk.add(11 * time.Second)
	jobs, _ = db.ClaimJobs(ctx, store.Claim{Limit: 10, Lease: 100 * time.Hour})
	if len(jobs) != 2 {
		t.Errorf("claimed %d after resuming; want the frozen workspace's two", len(jobs))
	}
	if err := db.SetClockSpeed(ctx, "nobody", 2); err != store.ErrNotFound {
		t.Errorf("unknown workspace: %v", err)
	}
}
