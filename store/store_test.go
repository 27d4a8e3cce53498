package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// MustOpenDB opens a database for a test: in memory, or a file in a
// temporary directory when path is "file".
func MustOpenDB(tb testing.TB, path string) *store.DB {
	tb.Helper()
	if path == "file" {
		path = filepath.Join(tb.TempDir(), "test.db")
	}
	db := store.New(path)
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustWorkspace(tb testing.TB, db *store.DB, id string) {
	tb.Helper()
	err := db.CreateWorkspace(context.Background(), store.Workspace{ID: id, Credentials: []store.Credential{{Vendor: "whippy", Credential: "key-" + id}}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
}

func TestResources(t *testing.T) {
	for _, path := range []string{":memory:", "file"} {
		t.Run(path, func(t *testing.T) {
			db := MustOpenDB(t, path)
			ctx := context.Background()
			mustWorkspace(t, db, "a")
			mustWorkspace(t, db, "b")
			if ws, ok := db.Resolve("whippy", "key-a"); !ok || ws != "a" {
				t.Fatalf("Resolve = %q, %v; want a, true", ws, ok)
			}
			err := db.Update(ctx, "a", func(tx *store.Tx) error {
				for i, phone := range []string{"+14155550001", "+14155550002", "+14155550003"} {
					r := &store.Resource{Vendor: "v", Kind: "contact", ID: phone, Doc: []byte(`{}`),
						CreatedAt: tx.Now().Add(time.Duration(i) * time.Second),
						Keys:      []store.Key{store.K("phone", phone), store.K("name", "name "+phone)}}
					if err := tx.Insert(r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.View(ctx, "a", func(tx *store.Tx) error {
				got, total, err := tx.List(store.Query{Vendor: "v", Kind: "contact", Limit: 2, Count: true})
				if err != nil {
					return err
				}
				if total != 3 || len(got) != 2 || got[0].ID != "+14155550003" {
					t.Errorf("List = %d items (first %v), total %d; want 2 newest-first of 3", len(got), got[0].ID, total)
				}
				got, _, err = tx.List(store.Query{Vendor: "v", Kind: "contact", Filters: []store.Filter{{Name: "name", Op: store.OpContains, Values: []string{"0002"}}}})
				if err != nil {
					return err
				}
				if len(got) != 1 || got[0].ID != "+14155550002" {
					t.Errorf("List contains = %v; want the one contact", got)
				}
				r, err := tx.Lookup("v", "contact", "phone", "+14155550001")
				if err != nil || r.ID != "+14155550001" {
					t.Errorf("Lookup = %v, %v", r, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.View(ctx, "b", func(tx *store.Tx) error {
				_, err := tx.Get("v", "contact", "+14155550001")
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Get in other workspace = %v; want ErrNotFound", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(ctx, "a", func(tx *store.Tx) error {
				return tx.Insert(&store.Resource{Vendor: "v", Kind: "contact", ID: "+14155550001", Doc: []byte(`{}`)})
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Errorf("duplicate Insert = %v; want ErrConflict", err)
			}
			if err := db.ResetWorkspace(ctx, "a", nil); err != nil {
				t.Fatal(err)
			}
			db.View(ctx, "a", func(tx *store.Tx) error {
				_, total, err := tx.List(store.Query{Vendor: "v", Kind: "contact", Count: true})
				if err != nil || total != 0 {
					t.Errorf("after reset total = %d, %v; want 0", total, err)
				}
				return nil
			})
		})
	}
}

func TestListTotalFollowsInsertsAndDeletes(t *testing.T) {
	db := MustOpenDB(t, ":memory:")
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	total := func() int {
		var n int
		db.View(ctx, "a", func(tx *store.Tx) error {
			_, n, _ = tx.List(store.Query{Vendor: "v", Kind: "k", Count: true, Limit: 1})
			return nil
		})
		return n
	}
	db.Update(ctx, "a", func(tx *store.Tx) error {
		for _, id := range []string{"1", "2", "3"} {
			if err := tx.Insert(&store.Resource{Vendor: "v", Kind: "k", ID: id, Doc: []byte("{}")}); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	if n := total(); n != 3 {
		t.Fatalf("total %d after 3 inserts, want 3", n)
	}
	// A failed transaction leaves the count alone.
	db.Update(ctx, "a", func(tx *store.Tx) error {
		tx.Insert(&store.Resource{Vendor: "v", Kind: "k", ID: "4", Doc: []byte("{}")})
		return errors.New("roll back")
	})
	db.Update(ctx, "a", func(tx *store.Tx) error { return tx.Delete("v", "k", "2") })
	if n := total(); n != 2 {
		t.Fatalf("total %d after a rollback and a delete, want 2", n)
	}
	db.ResetWorkspace(ctx, "a", nil)
	if n := total(); n != 0 {
		t.Fatalf("total %d after reset, want 0", n)
	}
}

func TestSetKeys(t *testing.T) {
	db := MustOpenDB(t, ":memory:")
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	find := func(name, value string) []string {
		var ids []string
		db.View(ctx, "a", func(tx *store.Tx) error {
			rs, _, err := tx.List(store.Query{Vendor: "v", Kind: "k", Filters: []store.Filter{{Name: name, Values: []string{value}}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			return nil
		})
		return ids
	}
	err := db.Update(ctx, "a", func(tx *store.Tx) error {
		if err := tx.Insert(&store.Resource{Vendor: "v", Kind: "k", ID: "1", Doc: []byte("{}"), Keys: []store.Key{store.K("status", "open"), store.K("tag", "x")}}); err != nil {
			return err
		}
		if err := tx.SetKeys("v", "k", "1", store.K("status", "closed"), store.K("new", "n")); err != nil {
			return err
		}
		return tx.SetKeys("v", "k", "1", store.K("tag", "y"), store.K("tag", "z"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, value string
		want        int
	}{{"status", "open", 0}, {"status", "closed", 1}, {"new", "n", 1}, {"tag", "x", 0}, {"tag", "y", 1}, {"tag", "z", 1}} {
		if got := find(tc.name, tc.value); len(got) != tc.want {
			t.Errorf("%s=%s finds %v; want %d", tc.name, tc.value, got, tc.want)
		}
	}
	err = db.Update(ctx, "a", func(tx *store.Tx) error { return tx.SetKeys("v", "k", "missing", store.K("status", "x")) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetKeys on a missing resource = %v; want ErrNotFound", err)
	}
}

func TestPruneJournal(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t, ":memory:")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var entries []store.JournalEntry
	for i := range 100 {
		entries = append(entries, store.JournalEntry{At: base.Add(time.Duration(i) * time.Second), Vendor: "whippy", Method: "GET", Path: fmt.Sprintf("/p/%d", i), Status: 200})
	}
	if err := db.AppendJournal(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := db.PruneJournal(ctx, 30, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, total, err := db.Journal(ctx, store.JournalFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if total != 30 || len(got) != 30 || got[0].Path != "/p/99" || got[29].Path != "/p/70" {
		t.Fatalf("after keeping 30: total %d, %d entries, newest %q, oldest %q", total, len(got), got[0].Path, got[len(got)-1].Path)
	}
	if err := db.PruneJournal(ctx, 0, base.Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, total, err = db.Journal(ctx, store.JournalFilter{}); err != nil || total != 10 {
		t.Fatalf("after pruning before 90s: total %d, err %v; want 10", total, err)
	}
}

// TestListByKey: every resource of the kind with the key value, oldest
// first, in the transaction's workspace only.
func TestListByKey(t *testing.T) {
	db := MustOpenDB(t, ":memory:")
	ctx := context.Background()
	for _, ws := range []string{"a", "b"} {
		mustWorkspace(t, db, ws)
	}
	put := func(ws, id, contact string) {
		t.Helper()
		err := db.Update(ctx, ws, func(tx *store.Tx) error {
			return tx.Insert(&store.Resource{Vendor: "whippy", Kind: "conversation", ID: id, Doc: []byte(`{}`), Keys: []store.Key{store.K("contact", contact)}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put("a", "c1", "x")
	put("a", "c2", "y")
	put("a", "c3", "x")
	put("b", "c4", "x")
	var got []string
	err := db.View(ctx, "a", func(tx *store.Tx) error {
		rs, err := tx.ListByKey("whippy", "conversation", "contact", "x")
		for _, r := range rs {
			got = append(got, r.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "c1,c3" {
		t.Errorf("ListByKey = %v, want [c1 c3]", got)
	}
}
