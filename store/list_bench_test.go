package store_test

import (
	"context"
	"fmt"
	"testing"

	"vendorsim/store"
)

// BenchmarkListByKey lists the one conversation of a contact among 5,000,
// as saving a contact does, with a List filter and with ListByKey; and a
// page of a filter that every conversation passes.
func BenchmarkListByKey(b *testing.B) {
	db := MustOpenDB(b, "file")
	ctx := context.Background()
	mustWorkspace(b, db, "ws")
	err := db.Update(ctx, "ws", func(tx *store.Tx) error {
		for i := range 5000 {
			r := &store.Resource{Vendor: "whippy", Kind: "conversation", ID: fmt.Sprintf("conv-%d", i), Doc: []byte(`{}`),
				Keys: []store.Key{store.K("contact", fmt.Sprintf("contact-%d", i)), store.K("status", "open")}}
			if err := tx.Insert(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("selective", func(b *testing.B) {
		for i := range b.N {
			want := fmt.Sprintf("contact-%d", i%5000)
			listOrFail(b, db, store.Query{Vendor: "whippy", Kind: "conversation", Filters: []store.Filter{{Name: "contact", Values: []string{want}}}}, 1)
		}
	})
	b.Run("by-key", func(b *testing.B) {
		for i := range b.N {
			want := fmt.Sprintf("contact-%d", i%5000)
			err := db.View(ctx, "ws", func(tx *store.Tx) error {
				got, err := tx.ListByKey("whippy", "conversation", "contact", want)
				if err == nil && (len(got) != 1 || got[0].ID != fmt.Sprintf("conv-%d", i%5000)) {
					err = fmt.Errorf("got %d conversations", len(got))
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	// A page of a filter that every resource passes: GET
	// /conversations?status=open&limit=10.
	b.Run("page-of-all", func(b *testing.B) {
		for range b.N {
			listOrFail(b, db, store.Query{Vendor: "whippy", Kind: "conversation", Limit: 10, Count: true, Filters: []store.Filter{{Name: "status", Values: []string{"open"}}}}, 10)
		}
	})
}

func listOrFail(b *testing.B, db *store.DB, q store.Query, want int) {
	err := db.View(context.Background(), "ws", func(tx *store.Tx) error {
		got, _, err := tx.List(q)
		if err == nil && len(got) != want {
			err = fmt.Errorf("got %d resources, want %d", len(got), want)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
