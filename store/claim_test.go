package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// clockDB is a database whose real time the test sets.
func clockDB(t *testing.T) (*store.DB, *time.Time) {
	t.Helper()
	db := MustOpenDB(t, "file")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db, &now
}

func schedule(t *testing.T, db *store.DB, ws, kind string, due time.Time) {
	t.Helper()
	err := db.Update(context.Background(), ws, func(tx *store.Tx) error {
		return tx.Schedule(&store.Job{Vendor: "whippy", Kind: kind, RunID: kind, DueAt: due})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func claimKinds(t *testing.T, db *store.DB, c store.Claim) []string {
	t.Helper()
	jobs, err := db.ClaimJobs(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, j := range jobs {
		kinds = append(kinds, j.Kind)
	}
	return kinds
}

func TestClaimJobsByEachWorkspaceClock(t *testing.T) {
	db, now := clockDB(t)
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	mustWorkspace(t, db, "b")
	if err := db.SetClockOffset(ctx, "b", time.Hour); err != nil {
		t.Fatal(err)
	}
	// Both due half an hour from now in their own time: only b's clock,
	// an hour ahead, has reached it.
	schedule(t, db, "a", "a-later", now.Add(30*time.Minute))
	schedule(t, db, "b", "b-due", now.Add(30*time.Minute))
	schedule(t, db, "b", "b-later", now.Add(2*time.Hour))
	if got := claimKinds(t, db, store.Claim{Limit: 10, Lease: time.Minute}); len(got) != 1 || got[0] != "b-due" {
		t.Fatalf("claimed %v, want [b-due]", got)
	}
	next, ok, err := db.NextDue(ctx, nil)
	if err != nil || !ok || !next.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("NextDue = %v, %v, %v; want a-later's %v", next, ok, err, now.Add(30*time.Minute))
	}
	// b-later is due at 2h virtual, 1h real: the earliest in real time.
	schedule(t, db, "b", "b-soon", now.Add(80*time.Minute))
	if next, _, _ := db.NextDue(ctx, nil); !next.Equal(now.Add(20 * time.Minute)) {
		t.Fatalf("NextDue = %v, want b-soon's %v (80m virtual, 20m real)", next, now.Add(20*time.Minute))
	}
	if next, _, _ := db.NextDue(ctx, []string{"b"}); !next.Equal(now.Add(30 * time.Minute)) {
		t.Fatalf("NextDue without b = %v, want %v", next, now.Add(30*time.Minute))
	}
	// Half an hour on, a-later and b-soon are due, and b-due, never
	// finished, is back: its lease ran out.
	*now = now.Add(30 * time.Minute)
	if got := claimKinds(t, db, store.Claim{Limit: 10, Lease: time.Minute}); strings.Join(got, " ") != "a-later b-due b-soon" {
		t.Fatalf("claimed %v, want [a-later b-due b-soon] (by due time, then id)", got)
	}
}

func TestClaimJobsAgainAfterLease(t *testing.T) {
	db, now := clockDB(t)
	mustWorkspace(t, db, "a")
	schedule(t, db, "a", "job", *now)
	if got := claimKinds(t, db, store.Claim{Limit: 10, Lease: time.Minute}); len(got) != 1 {
		t.Fatalf("claimed %v, want the job", got)
	}
	if got := claimKinds(t, db, store.Claim{Limit: 10, Lease: time.Minute}); len(got) != 0 {
		t.Fatalf("claimed %v while leased", got)
	}
	*now = now.Add(2 * time.Minute)
	if got := claimKinds(t, db, store.Claim{Limit: 10, Lease: time.Minute}); len(got) != 1 {
		t.Fatalf("claimed %v after the lease ran out, want the job again", got)
	}
}
