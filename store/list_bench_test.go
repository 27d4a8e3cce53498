package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/vendorsim/vendorsim/store"
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

// BenchmarkList100k times single lists over 100,000 contacts (BENCH_CONTACTS
// to change), shaped like scripts/mixed.sh's: unique phone, email and
// name, a channel every contact shares and a status most share.
func BenchmarkList100k(b *testing.B) {
	n := 100000
	if s := os.Getenv("BENCH_CONTACTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	db := MustOpenDB(b, "file")
	ctx := context.Background()
	mustWorkspace(b, db, "ws")
	for from := 0; from < n; from += 1000 {
		err := db.Update(store.Bulk(ctx), "ws", func(tx *store.Tx) error {
			for i := from; i < min(from+1000, n); i++ {
				status := "open"
				if i%100 == 0 {
					status = "closed"
				}
				r := &store.Resource{Vendor: "whippy", Kind: "contact", ID: fmt.Sprintf("c%d", i), Doc: []byte(`{"id":"x"}`),
					Keys: []store.Key{store.K("phone", fmt.Sprintf("+1206%07d", 2000000+i)), store.K("email", fmt.Sprintf("mixed%d@example.com", i)),
						store.T("name", fmt.Sprintf("mixed 1 person%d", i)), store.K("channel", "ch"), store.K("status", status)}}
				if err := tx.Insert(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	q := func(limit, offset int, fs ...store.Filter) store.Query {
		return store.Query{Vendor: "whippy", Kind: "contact", Limit: limit, Offset: offset, Count: true, Filters: fs}
	}
	f := func(name string, op store.Op, v string) store.Filter {
		return store.Filter{Name: name, Op: op, Values: []string{v}}
	}
	mid := n / 2
	for _, bc := range []struct {
		name string
		q    store.Query
		want int
	}{
		{"phone", q(50, 0, f("phone", store.OpIn, fmt.Sprintf("+1206%07d", 2000000+mid))), 1},
		{"email", q(50, 0, f("email", store.OpIn, fmt.Sprintf("mixed%d@example.com", mid))), 1},
		{"name-full", q(50, 0, f("name", store.OpContains, fmt.Sprintf("mixed 1 person%d", mid))), 1},
		{"name-rare", q(50, 0, f("name", store.OpContains, fmt.Sprintf("son%d", mid))), 1},
		{"name-all", q(10, 0, f("name", store.OpContains, "son")), 10},
		{"name-short", q(10, 0, f("name", store.OpContains, "n9")), 10},
		{"offset-end", q(10, n-10), 10},
		{"offset-mid", q(10, mid), 10},
		{"status-rare", q(10, 0, f("status", store.OpIn, "closed")), 10},
		{"status-common", q(10, 0, f("status", store.OpIn, "open")), 10},
		{"channel-and-phone", q(10, 0, f("channel", store.OpIn, "ch"), f("phone", store.OpIn, fmt.Sprintf("+1206%07d", 2000000+mid))), 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				listOrFail(b, db, bc.q, bc.want)
			}
		})
	}
}

// BenchmarkNames100k times substring lookups of names over 100,000 contacts
// (BENCH_CONTACTS to change) named as the whippy seed names them
// (gofakeit, first and last): a stored full name, a stored last name, and
// the first three letters of a first name; cycling through 100 of each.
func BenchmarkNames100k(b *testing.B) {
	n := 100000
	if s := os.Getenv("BENCH_CONTACTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	db := MustOpenDB(b, "file")
	ctx := context.Background()
	mustWorkspace(b, db, "ws")
	fake := gofakeit.New(11)
	var full, last, first []string
	for from := 0; from < n; from += 1000 {
		err := db.Update(store.Bulk(ctx), "ws", func(tx *store.Tx) error {
			for i := from; i < min(from+1000, n); i++ {
				f, l := fake.FirstName(), fake.LastName()
				if i%(n/100) == 0 {
					full, last, first = append(full, f+" "+l), append(last, l), append(first, f[:min(3, len(f))])
				}
				r := &store.Resource{Vendor: "whippy", Kind: "contact", ID: fmt.Sprintf("c%d", i), Doc: []byte(`{"id":"x"}`),
					Keys: []store.Key{store.K("phone", fmt.Sprintf("+1206%07d", 2000000+i)), store.T("name", f+" "+l)}}
				if err := tx.Insert(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name  string
		subs  []string
		limit int
	}{{"full", full, 50}, {"last", last, 50}, {"first3", first, 10}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := range b.N {
				err := db.View(ctx, "ws", func(tx *store.Tx) error {
					got, total, err := tx.List(store.Query{Vendor: "whippy", Kind: "contact", Limit: bc.limit, Count: true,
						Filters: []store.Filter{{Name: "name", Op: store.OpContains, Values: []string{bc.subs[i%len(bc.subs)]}}}})
					if err == nil && (len(got) == 0 || total < len(got)) {
						err = fmt.Errorf("%q: %d resources, total %d", bc.subs[i%len(bc.subs)], len(got), total)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInsertContact stores one contact per transaction, as POST
// /contacts does: a phone, an email and a text name (the trigram index and
// its numbers), among 10,000 others.
func BenchmarkInsertContact(b *testing.B) {
	db := MustOpenDB(b, "file")
	ctx := context.Background()
	mustWorkspace(b, db, "ws")
	insert := func(ctx context.Context, from, to int) {
		err := db.Update(ctx, "ws", func(tx *store.Tx) error {
			for i := from; i < to; i++ {
				r := &store.Resource{Vendor: "whippy", Kind: "contact", ID: fmt.Sprintf("c%d", i), Doc: []byte(`{"id":"x"}`),
					Keys: []store.Key{store.K("phone", fmt.Sprintf("+1206%07d", 2000000+i)), store.K("email", fmt.Sprintf("new%d@example.com", i)),
						store.T("name", fmt.Sprintf("New %d", i))}}
				if err := tx.Insert(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	insert(store.Bulk(ctx), 0, 10000)
	b.ResetTimer()
	for i := range b.N {
		insert(ctx, 10000+i, 10001+i)
	}
}
