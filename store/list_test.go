package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// corpusNames are names of a corpus: mixed case, formats and unicode, and
// the characters LIKE treats specially.
var corpusNames = []string{
	"Ada Lovelace", "ADA KING", "åsa öberg", "Åsa Öberg", "José Núñez", "JOSÉ NÚÑEZ", "straße", "STRASSE",
	"İstanbul Ltd", "o'neil", "100% Real", "under_score", "back\\slash", "日本語テキスト", "emoji 🎉 party",
	"Zoë", "zo", "ab", "x", "", "Grace Hopper", "grace  hopper", "Ελληνικά", "ελληνικά",
}

type corpusItem struct {
	id               string
	created, updated time.Time
	parent           string
	keys             []store.Key
}

// seedCorpus stores n resources of kind "contact" (and, under parents,
// "message") in workspace a, the same values in workspace b and in kind
// "other", and returns what it stored in workspace a's contacts, in
// insertion order.
func seedCorpus(tb testing.TB, db *store.DB, n int) []corpusItem {
	tb.Helper()
	ctx := context.Background()
	mustWorkspace(tb, db, "a")
	mustWorkspace(tb, db, "b")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var items []corpusItem
	for i := range n {
		name := corpusNames[i%len(corpusNames)]
		if i >= len(corpusNames) {
			name = fmt.Sprintf("%s %d", name, i)
		}
		status := "open"
		switch {
		case i%20 == 7:
			status = "closed"
		case i == 3 || i == 400 || i == 999:
			status = "spam"
		}
		keys := []store.Key{
			store.K("phone", fmt.Sprintf("+1415555%04d", i)),
			store.K("email", fmt.Sprintf("User%d@Example.COM", i)),
			store.T("name", name),
			store.K("status", status),
			store.K("channel", "ch-a"),
			store.K("date", base.Add(time.Duration(i)*time.Hour).Format("2006-01-02T15:04:05Z")),
		}
		if i%3 == 0 {
			keys = append(keys, store.K("channel", "ch-b"))
		}
		if i%2 == 0 {
			keys = append(keys, store.K("external_id", fmt.Sprintf("ext-%d", i/2)))
		}
		// created_at is not insertion order everywhere: ties and steps back.
		created := base.Add(time.Duration(i/3) * time.Minute)
		if i%50 == 49 {
			created = base.Add(-time.Duration(i) * time.Second)
		}
		updated := created.Add(time.Duration((i*7919)%1000) * time.Second)
		items = append(items, corpusItem{id: fmt.Sprintf("c%04d", i), created: created, updated: updated, parent: fmt.Sprintf("p%d", i%4), keys: keys})
	}
	for _, ws := range []string{"a", "b"} {
		err := db.Update(store.Bulk(ctx), ws, func(tx *store.Tx) error {
			for _, it := range items {
				for _, kind := range []string{"contact", "other"} {
					if ws == "b" && kind == "other" {
						continue
					}
					r := &store.Resource{Vendor: "v", Kind: kind, ID: it.id, Parent: it.parent, CreatedAt: it.created, UpdatedAt: it.updated,
						Doc: []byte(`{}`), Keys: it.keys}
					if err := tx.Insert(r); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return items
}

// TestListPlans checks that every filter an index can serve reads that
// index, for the page and for the total, and that nothing scans a kind:
// a later change cannot silently fall back to testing every resource.
func TestListPlans(t *testing.T) {
	db := MustOpenDB(t, ":memory:")
	seedCorpus(t, db, 1500)
	key := func(cond string) string {
		return "SEARCH k USING PRIMARY KEY (workspace_id=? AND vendor=? AND kind=? AND name=? AND " + cond + ")"
	}
	const fts = "SCAN resource_text VIRTUAL TABLE INDEX 0:M1><"
	const candidates = "SCAN json_each VIRTUAL TABLE"
	f := func(name string, op store.Op, vals ...string) []store.Filter {
		return []store.Filter{{Name: name, Op: op, Values: vals}}
	}
	tests := []struct {
		name      string
		q         store.Query
		page, cnt string
		probe     string // a step of the statements that count sources
	}{
		{"ExactRare", store.Query{Filters: f("phone", store.OpIn, "+14155550042")}, key("value=?"), key("value=?"), ""},
		{"ExactEmail", store.Query{Filters: f("email", store.OpIn, "User7@Example.COM")}, key("value=?"), key("value=?"), ""},
		{"ExactExternalID", store.Query{Filters: f("external_id", store.OpIn, "ext-3")}, key("value=?"), key("value=?"), ""},
		{"ExactCommon", store.Query{Filters: f("status", store.OpIn, "open")}, key("value=?"), key("value=?"), ""},
		{"ExactCommonByUpdated", store.Query{OrderBy: "updated_at", Filters: f("status", store.OpIn, "open")},
			"SEARCH r USING INDEX resources_by_updated (workspace_id=? AND vendor=? AND kind=?)", key("value=?"), ""},
		{"ExactRareByUpdated", store.Query{OrderBy: "updated_at", Filters: f("status", store.OpIn, "closed")}, key("value=?"), key("value=?"), ""},
		{"MultiValue", store.Query{Filters: f("status", store.OpIn, "spam", "closed")}, key("value=?"), key("value=?"), ""},
		{"MultiValuedKey", store.Query{Filters: f("channel", store.OpIn, "ch-b")}, key("value=?"), key("value=?"), ""},
		{"Range", store.Query{Filters: f("date", store.OpLess, "2024-01-02")}, key("value<?"), key("value<?"), ""},
		{"RangeAbove", store.Query{Filters: f("date", store.OpGreater, "2024-03-01")}, key("value>?"), key("value>?"), ""},
		{"Substring", store.Query{Filters: f("name", store.OpContains, "ada")}, candidates, candidates, fts},
		{"SubstringUnicode", store.Query{Filters: f("name", store.OpContains, "öberg")}, candidates, candidates, fts},
		{"SubstringLong", store.Query{Filters: f("name", store.OpContains, "grace hopper 1")}, candidates, candidates, fts},
		{"PrefixOfText", store.Query{Filters: f("name", store.OpPrefix, "grace")}, candidates, candidates, fts},
		{"SubstringNumbers", store.Query{Filters: f("name", store.OpContains, "grace hopper 1")}, candidates, candidates,
			"SEARCH text_grams USING PRIMARY KEY (workspace_id=? AND vendor=? AND kind=? AND gram=?)"},
		{"SubstringChecked", store.Query{Filters: f("name", store.OpContains, "ada lov")}, candidates, candidates,
			"SEARCH x USING COVERING INDEX resource_keys_seq (seq=? AND name=?)"},
		{"SubstringShort", store.Query{Filters: f("name", store.OpContains, "zo")},
			"SEARCH r USING INDEX resources_by_created (workspace_id=? AND vendor=? AND kind=?)",
			"SEARCH k USING PRIMARY KEY (workspace_id=? AND vendor=? AND kind=? AND name=?)", ""},
		{"Parent", store.Query{Parent: "p1", HasParent: true}, "SEARCH r USING INDEX resources_by_parent (workspace_id=? AND vendor=? AND kind=? AND parent=?)",
			"SEARCH r USING COVERING INDEX resources_by_parent (workspace_id=? AND vendor=? AND kind=? AND parent=?)", ""},
		{"Combined", store.Query{Filters: []store.Filter{{Name: "status", Values: []string{"open"}}, {Name: "phone", Values: []string{"+14155550042"}}}},
			key("value=?"), key("value=?"), ""},
		{"CombinedWithParent", store.Query{Parent: "p2", HasParent: true, Filters: f("email", store.OpIn, "User6@Example.COM")}, key("value=?"), key("value=?"), ""},
		{"CreatedRange", store.Query{CreatedAfter: time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)},
			"SEARCH r USING INDEX resources_by_created (workspace_id=? AND vendor=? AND kind=? AND created_at>?)", "created_at>?", ""},
		{"ExactWithCreatedRange", store.Query{Filters: f("status", store.OpIn, "open"), CreatedBefore: time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)},
			key("value=? AND created_at<?"), key("value=? AND created_at<?"), ""},
		{"Cursor", store.Query{After: "", Filters: f("status", store.OpIn, "open")}, key("value=?"), key("value=?"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Vendor, q.Kind, q.Count, q.Limit = "v", "contact", true, 10
			err := db.View(context.Background(), "a", func(tx *store.Tx) error {
				probes, count, page, err := tx.ExplainList(q)
				if err != nil {
					return err
				}
				for _, plan := range []struct {
					what  string
					lines []string
					want  string
				}{{"page", page, tt.page}, {"count", count, tt.cnt}, {"probe", probes, tt.probe}} {
					text := strings.Join(plan.lines, "\n")
					if !strings.Contains(text, plan.want) {
						t.Errorf("%s plan:\n%s\nwant a step %q", plan.what, text, plan.want)
					}
					for _, l := range plan.lines {
						// A scan of a table or of an index (not of a subquery's
						// rows or of the text index).
						if w := strings.Fields(l); w[0] == "SCAN" && slices.Contains([]string{"r", "k", "x", "resources", "resource_keys"}, w[1]) {
							t.Errorf("%s plan:\n%s\nscans: %q", plan.what, text, l)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// asciiFold lowers ASCII letters only, as SQLite's LIKE compares.
func asciiFold(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// matches is the straightforward reading of a filter on one item's keys.
func matches(it corpusItem, f store.Filter) bool {
	hit := false
	for _, k := range it.keys {
		if k.Name != f.Name {
			continue
		}
		switch f.Op {
		case store.OpContains:
			hit = hit || strings.Contains(asciiFold(k.Value), asciiFold(f.Values[0]))
		case store.OpPrefix:
			hit = hit || strings.HasPrefix(asciiFold(k.Value), asciiFold(f.Values[0]))
		case store.OpLess:
			hit = hit || k.Value < f.Values[0]
		case store.OpGreater:
			hit = hit || k.Value > f.Values[0]
		default:
			hit = hit || slices.Contains(f.Values, k.Value)
		}
	}
	return hit != f.Not
}

// scan answers q over items (in insertion order) by testing each.
func scan(items []corpusItem, q store.Query) []string {
	type row struct {
		at  time.Time
		seq int
		id  string
	}
	var rows []row
	for seq, it := range items {
		ok := (!q.HasParent || it.parent == q.Parent) &&
			(q.CreatedBefore.IsZero() || it.created.Before(q.CreatedBefore)) &&
			(q.CreatedAfter.IsZero() || it.created.After(q.CreatedAfter)) &&
			(q.UpdatedBefore.IsZero() || it.updated.Before(q.UpdatedBefore)) &&
			(q.UpdatedAfter.IsZero() || it.updated.After(q.UpdatedAfter))
		for _, f := range q.Filters {
			ok = ok && matches(it, f)
		}
		if ok {
			at := it.created
			if q.OrderBy == "updated_at" {
				at = it.updated
			}
			rows = append(rows, row{at, seq, it.id})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if q.Asc {
			a, b = b, a
		}
		if !a.at.Equal(b.at) {
			return a.at.After(b.at)
		}
		return a.seq > b.seq
	})
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.id)
	}
	return ids
}

func ids(rs []store.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// TestListMatchesScan compares indexed answers with a straightforward scan
// of the same rows, on a corpus of mixed case, formats and unicode: every
// page by offset (from both ends), every page by cursor, and the totals.
func TestListMatchesScan(t *testing.T) {
	db := MustOpenDB(t, "file")
	items := seedCorpus(t, db, 1300)
	f := func(name string, op store.Op, vals ...string) store.Filter {
		return store.Filter{Name: name, Op: op, Values: vals}
	}
	at := func(h int) time.Time { return time.Date(2024, 1, 1, h, 0, 0, 0, time.UTC) }
	var queries []store.Query
	for _, s := range []string{"ada", "ADA", "Ada", "åsa", "Åsa", "öberg", "josé", "JOSÉ", "NÚÑEZ", "stra", "straße", "%", "100%", "_", "r_s",
		"\\", "back\\s", "日本", "日本語", "🎉", "emoji 🎉", "zo", "zoë", "o'n", "x", "grace  h", "ελλ", "ΕΛΛ", "ληνι", "1 1", "12", "123", "nothing-like-it"} {
		queries = append(queries, store.Query{Filters: []store.Filter{f("name", store.OpContains, s)}})
	}
	queries = append(queries,
		store.Query{},
		store.Query{Asc: true},
		store.Query{OrderBy: "updated_at"},
		store.Query{Filters: []store.Filter{f("phone", store.OpIn, "+14155550042")}},
		store.Query{Filters: []store.Filter{f("phone", store.OpIn, "+14155550042", "+14155550043", "4155550044")}},
		store.Query{Filters: []store.Filter{f("email", store.OpIn, "User7@Example.COM")}},
		store.Query{Filters: []store.Filter{f("email", store.OpIn, "user7@example.com")}},
		store.Query{Filters: []store.Filter{f("status", store.OpIn, "open")}},
		store.Query{Filters: []store.Filter{f("status", store.OpIn, "open")}, OrderBy: "updated_at"},
		store.Query{Filters: []store.Filter{f("status", store.OpIn, "closed")}, OrderBy: "updated_at", Asc: true},
		store.Query{Filters: []store.Filter{f("status", store.OpIn, "spam", "closed")}},
		store.Query{Filters: []store.Filter{{Name: "status", Values: []string{"open"}, Not: true}}},
		store.Query{Filters: []store.Filter{f("channel", store.OpIn, "ch-b")}},
		store.Query{Filters: []store.Filter{f("channel", store.OpIn, "ch-a", "ch-b")}},
		store.Query{Filters: []store.Filter{f("channel", store.OpIn, "ch-a", "ch-b"), f("status", store.OpIn, "closed")}},
		store.Query{Filters: []store.Filter{f("external_id", store.OpIn, "ext-3")}},
		store.Query{Filters: []store.Filter{f("date", store.OpLess, "2024-01-05")}},
		store.Query{Filters: []store.Filter{f("date", store.OpGreater, "2024-02-20"), f("date", store.OpLess, "2024-02-22")}},
		store.Query{Filters: []store.Filter{f("date", store.OpPrefix, "2024-01-1")}},
		store.Query{Filters: []store.Filter{f("name", store.OpPrefix, "ADA")}},
		store.Query{Filters: []store.Filter{f("name", store.OpPrefix, "ada lov")}},
		store.Query{Filters: []store.Filter{f("name", store.OpPrefix, "lovelace")}},
		store.Query{Filters: []store.Filter{f("name", store.OpPrefix, "åsa")}},
		store.Query{Filters: []store.Filter{f("name", store.OpPrefix, "grace  ho"), f("status", store.OpIn, "open")}},
		store.Query{Filters: []store.Filter{f("name", store.OpContains, "ada"), f("status", store.OpIn, "open")}},
		store.Query{Filters: []store.Filter{f("name", store.OpContains, "ada"), f("channel", store.OpIn, "ch-b")}, Asc: true},
		store.Query{Filters: []store.Filter{f("status", store.OpIn, "open"), f("channel", store.OpIn, "ch-b")}},
		store.Query{Parent: "p1", HasParent: true},
		store.Query{Parent: "p1", HasParent: true, OrderBy: "updated_at"},
		store.Query{Parent: "p3", HasParent: true, Filters: []store.Filter{f("status", store.OpIn, "closed")}},
		store.Query{CreatedAfter: at(1), CreatedBefore: at(3)},
		store.Query{UpdatedAfter: at(2), Filters: []store.Filter{f("status", store.OpIn, "open")}},
		store.Query{CreatedBefore: at(2), Filters: []store.Filter{f("status", store.OpIn, "open")}, Asc: true},
	)
	for i, q := range queries {
		q.Vendor, q.Kind = "v", "contact"
		want := scan(items, q)
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			err := db.View(context.Background(), "a", func(tx *store.Tx) error {
				all := q
				all.Count = true
				got, total, err := tx.List(all)
				if err != nil {
					return err
				}
				if !slices.Equal(ids(got), want) || total != len(want) {
					t.Errorf("List(%+v) = %d ids, total %d; want %d\ngot  %.200v\nwant %.200v", q, len(got), total, len(want), ids(got), want)
					return nil
				}
				for _, limit := range []int{1, 7, 50} {
					if limit == 1 && len(want) > 100 {
						continue // a page per resource: long, and no more telling
					}
					for offset := 0; offset < len(want)+limit; offset += max(1, len(want)/5) {
						pq := all
						pq.Limit, pq.Offset = limit, offset
						got, total, err := tx.List(pq)
						if err != nil {
							return err
						}
						w := want[min(offset, len(want)):min(offset+limit, len(want))]
						if !slices.Equal(ids(got), w) || total != len(want) {
							t.Errorf("List(%+v) limit %d offset %d = %v, total %d; want %v, %d", q, limit, offset, ids(got), total, w, len(want))
						}
					}
					var paged []string
					cq := q
					cq.Limit = limit
					for range len(want) + 2 {
						p, err := tx.ListPage(cq)
						if err != nil {
							return err
						}
						paged = append(paged, ids(p.Resources)...)
						if p.Next == "" {
							break
						}
						cq.After = p.Next
					}
					if !slices.Equal(paged, want) {
						t.Errorf("pages of %d by cursor (%+v) = %.200v; want %.200v", limit, q, paged, want)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestListCursor checks that cursor pages are stable when resources are
// added before the position, and that a cursor of another order is
// refused.
func TestListCursor(t *testing.T) {
	db := MustOpenDB(t, ":memory:")
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	insert := func(kind string, from, to int) {
		t.Helper()
		err := db.Update(ctx, "a", func(tx *store.Tx) error {
			for i := from; i < to; i++ {
				r := &store.Resource{Vendor: "v", Kind: kind, ID: fmt.Sprintf("r%03d", i), Doc: []byte(`{}`),
					CreatedAt: time.Unix(int64(1000+i/2), 0), Keys: []store.Key{store.K("status", "open")}}
				if err := tx.Insert(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	insert("k", 0, 25)
	insert("j", 0, 25)
	for kind, filters := range map[string][]store.Filter{"k": nil, "j": {{Name: "status", Values: []string{"open"}}}} {
		q := store.Query{Vendor: "v", Kind: kind, Limit: 10, Filters: filters}
		var seen []string
		page := func() store.Page {
			t.Helper()
			var p store.Page
			err := db.View(ctx, "a", func(tx *store.Tx) (err error) {
				p, err = tx.ListPage(q)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ids(p.Resources)...)
			q.After = p.Next
			return p
		}
		page()
		// Newer resources go before the position: the next pages neither
		// repeat nor skip.
		insert(kind, 100, 110)
		page()
		if p := page(); p.Next != "" || len(p.Resources) != 5 {
			t.Errorf("last page: %d resources, next %q; want 5 and none", len(p.Resources), p.Next)
		}
		var want []string
		for i := 24; i >= 0; i-- {
			want = append(want, fmt.Sprintf("r%03d", i))
		}
		if !slices.Equal(seen, want) {
			t.Errorf("pages (filters %v) = %v; want %v", filters, seen, want)
		}
	}
	err := db.View(ctx, "a", func(tx *store.Tx) error {
		p, err := tx.ListPage(store.Query{Vendor: "v", Kind: "k", Limit: 3})
		if err != nil || p.Next == "" {
			return fmt.Errorf("first page: next %q, %v", p.Next, err)
		}
		for _, q := range []store.Query{
			{Vendor: "v", Kind: "k", After: p.Next, Asc: true},
			{Vendor: "v", Kind: "k", After: p.Next, OrderBy: "updated_at"},
			{Vendor: "v", Kind: "k", After: "not a cursor"},
			{Vendor: "v", Kind: "k", After: p.Next[:len(p.Next)-2]},
		} {
			if _, err := tx.ListPage(q); !errors.Is(err, store.ErrInvalidCursor) {
				t.Errorf("ListPage(After %q, Asc %v, OrderBy %q) = %v; want ErrInvalidCursor", q.After, q.Asc, q.OrderBy, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
