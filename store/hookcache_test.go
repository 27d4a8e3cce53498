package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/vendorsim/vendorsim/store"
)

// TestSubscribersFollowChanges: subscribers come from a cache, which every
// change of the webhooks (committed or rolled back) and every reset must
// leave right.
func TestSubscribersFollowChanges(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t, "file")
	mustWorkspace(t, db, "a")
	subs := func() int {
		t.Helper()
		var n int
		err := db.Update(ctx, "a", func(tx *store.Tx) error {
			hs, err := tx.Subscribers("whippy", "message.created")
			n = len(hs)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	put := func(id string) error {
		return db.Update(ctx, "a", func(tx *store.Tx) error {
			return tx.PutWebhook(&store.Webhook{ID: id, Vendor: "whippy", URL: "http://127.0.0.1:1/" + id, Active: true})
		})
	}
	if n := subs(); n != 0 {
		t.Fatalf("%d subscribers before any webhook", n)
	}
	if err := put("h1"); err != nil {
		t.Fatal(err)
	}
	if n := subs(); n != 1 {
		t.Fatalf("%d subscribers after adding one", n)
	}
	// A webhook added by an update that fails is not there.
	boom := errors.New("boom")
	err := db.Update(ctx, "a", func(tx *store.Tx) error {
		if err := tx.PutWebhook(&store.Webhook{ID: "h2", Vendor: "whippy", URL: "http://127.0.0.1:1/h2", Active: true}); err != nil {
			return err
		}
		if hs, _ := tx.Subscribers("whippy", "message.created"); len(hs) != 2 {
			t.Errorf("inside its update, %d subscribers, want 2", len(hs))
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update = %v", err)
	}
	if n := subs(); n != 1 {
		t.Fatalf("%d subscribers after a rolled-back addition, want 1", n)
	}
	if err := db.Update(ctx, "a", func(tx *store.Tx) error { return tx.DeleteWebhook("h1") }); err != nil {
		t.Fatal(err)
	}
	if n := subs(); n != 0 {
		t.Fatalf("%d subscribers after deleting the webhook", n)
	}
	if err := put("h3"); err != nil {
		t.Fatal(err)
	}
	if n := subs(); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	if err := db.ResetWorkspace(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if n := subs(); n != 0 {
		t.Fatalf("%d subscribers after a reset", n)
	}
}
