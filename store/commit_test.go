package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCommitBatch_FailuresAndBulk queues updates behind a blocked one so
// that they share a batch, in a known order, and checks that each keeps or
// loses exactly its own writes: a failing first update (no savepoint), a
// failing later one (savepoint), and a bulk update, which commits the
// updates before it and runs first in a transaction of its own.
func TestCommitBatch_FailuresAndBulk(t *testing.T) {
	db := New(filepath.Join(t.TempDir(), "test.db"))
	ctx := context.Background()
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const ws = "batch"
	if err := db.CreateWorkspace(ctx, Workspace{ID: ws}, nil); err != nil {
		t.Fatal(err)
	}
	insert := func(tx *Tx, id string) error {
		return tx.Insert(&Resource{Vendor: "v", Kind: "k", ID: id, Doc: []byte(`{}`)})
	}
	errFail := errors.New("fail")
	// visibleB is what the bulk update sees of "b" from outside its
	// transaction, in a read of what is committed.
	var visibleB error
	updates := []struct {
		id   string
		bulk bool
		fail bool
	}{
		{id: "a", fail: true}, // first in the batch
		{id: "b"},             // first once a is rolled back
		{id: "c", fail: true}, // in a savepoint
		{id: "d", bulk: true}, // commits b, then first again
		{id: "e"},
		{id: "f", fail: true},
	}

	started, release := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		blocker <- db.Update(ctx, ws, func(tx *Tx) error {
			close(started)
			<-release
			return insert(tx, "blocker")
		})
	}()
	<-started
	results := make([]chan error, len(updates))
	for i, u := range updates {
		results[i] = make(chan error, 1)
		uctx := ctx
		if u.bulk {
			uctx = Bulk(ctx)
		}
		go func() {
			results[i] <- db.Update(uctx, ws, func(tx *Tx) error {
				if err := insert(tx, u.id); err != nil {
					return err
				}
				if u.bulk {
					visibleB = db.View(ctx, ws, func(rtx *Tx) error {
						_, err := rtx.Get("v", "k", "b")
						return err
					})
				}
				if u.fail {
					return errFail
				}
				return nil
			})
		}()
		// Queue the next one only once this one is queued.
		for deadline := time.Now().Add(5 * time.Second); len(db.queue) < i+1; {
			if time.Now().After(deadline) {
				t.Fatalf("update %s was not queued", u.id)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	for i, u := range updates {
		err := <-results[i]
		if u.fail != errors.Is(err, errFail) || (!u.fail && err != nil) {
			t.Errorf("update %s: %v, want failure %v", u.id, err, u.fail)
		}
	}
	if visibleB != nil {
		t.Errorf("the bulk update did not see b committed: %v", visibleB)
	}
	kept := 1 // the blocker
	err := db.View(ctx, ws, func(tx *Tx) error {
		for _, u := range updates {
			_, err := tx.Get("v", "k", u.id)
			if u.fail && !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of a failed update: %v, want not found", u.id, err)
			}
			if !u.fail {
				kept++
				if err != nil {
					t.Errorf("%s: %v", u.id, err)
				}
			}
		}
		_, n, err := tx.List(Query{Vendor: "v", Kind: "k", Count: true})
		if err == nil && n != kept {
			t.Errorf("count %d, want %d", n, kept)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
