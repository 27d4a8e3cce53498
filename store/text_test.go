package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/vendorsim/vendorsim/store"
)

func search(t *testing.T, db *store.DB, ws, kind, name, sub string) []string {
	t.Helper()
	var got []string
	err := db.View(context.Background(), ws, func(tx *store.Tx) error {
		rs, _, err := tx.List(store.Query{Vendor: "v", Kind: kind, Asc: true, Filters: []store.Filter{{Name: name, Op: store.OpContains, Values: []string{sub}}}})
		got = ids(rs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func textRows(t *testing.T, db *store.DB, ws, kind string) int {
	t.Helper()
	var n int
	err := db.View(context.Background(), ws, func(tx *store.Tx) (err error) {
		n, err = tx.TextRows("v", kind)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTextKeys follows the substring index through the life of a text key:
// values written before the name was text, SetKeys, Update, Delete and a
// workspace reset.
func TestTextKeys(t *testing.T) {
	db := MustOpenDB(t, "file")
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	mustWorkspace(t, db, "b")
	put := func(ws, id string, key store.Key) {
		t.Helper()
		err := db.Update(ctx, ws, func(tx *store.Tx) error {
			return tx.Insert(&store.Resource{Vendor: "v", Kind: "camp", ID: id, Doc: []byte(`{}`), Keys: []store.Key{key, store.K("status", "x")}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Written before anyone said the name is text: found by a scan.
	put("a", "old1", store.K("title", "spring sale"))
	put("b", "old2", store.K("title", "spring sale"))
	if got := search(t, db, "a", "camp", "title", "spring"); !slices.Equal(got, []string{"old1"}) {
		t.Errorf("before text: %v", got)
	}
	// The first text key indexes the old values too, in every workspace.
	put("a", "new1", store.T("title", "Summer SPRING"))
	if n := textRows(t, db, "b", "camp"); n != 1 {
		t.Errorf("workspace b has %d text rows, want 1", n)
	}
	if got := search(t, db, "a", "camp", "title", "spring"); !slices.Equal(got, []string{"old1", "new1"}) {
		t.Errorf("after text: %v", got)
	}
	if got := search(t, db, "b", "camp", "title", "spring"); !slices.Equal(got, []string{"old2"}) {
		t.Errorf("workspace b: %v", got)
	}
	// A plain key of a text name is indexed as well.
	put("a", "plain", store.K("title", "springfield"))
	if got := search(t, db, "a", "camp", "title", "springf"); !slices.Equal(got, []string{"plain"}) {
		t.Errorf("plain key of a text name: %v", got)
	}
	steps := []struct {
		name string
		fn   func(tx *store.Tx) error
		sub  string
		want []string
	}{
		{"SetKeys", func(tx *store.Tx) error { return tx.SetKeys("v", "camp", "old1", store.T("title", "autumn")) }, "spring", []string{"new1", "plain"}},
		{"SetKeysNew", nil, "autumn", []string{"old1"}},
		{"AddKeys", func(tx *store.Tx) error { return tx.AddKeys("v", "camp", "old1", store.T("title", "winter")) }, "winter", []string{"old1"}},
		{"AddKeysKeeps", nil, "autumn", []string{"old1"}},
		{"Update", func(tx *store.Tx) error {
			return tx.Update(&store.Resource{Vendor: "v", Kind: "camp", ID: "new1", Doc: []byte(`{}`), Keys: []store.Key{store.K("status", "y")}})
		}, "spring", []string{"plain"}},
		{"Delete", func(tx *store.Tx) error { return tx.Delete("v", "camp", "plain") }, "spring", nil},
	}
	for _, s := range steps {
		if s.fn != nil {
			if err := db.Update(ctx, "a", s.fn); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		if got := search(t, db, "a", "camp", "title", s.sub); !slices.Equal(got, s.want) {
			t.Errorf("%s: search %q = %v; want %v", s.name, s.sub, got, s.want)
		}
	}
	if n := textRows(t, db, "a", "camp"); n != 1 {
		t.Errorf("text rows of a = %d; want 1 (old1)", n)
	}
	if err := db.ResetWorkspace(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if n := textRows(t, db, "a", "camp"); n != 0 {
		t.Errorf("text rows of a after reset = %d; want 0", n)
	}
	if n := textRows(t, db, "b", "camp"); n != 1 {
		t.Errorf("text rows of b after a's reset = %d; want 1", n)
	}
	// The registry survives a restart.
	path := db.Path
	db.Close()
	db = store.New(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err := db.View(ctx, "b", func(tx *store.Tx) error {
		count, _, _, err := tx.ExplainList(store.Query{Vendor: "v", Kind: "camp", Count: true,
			Filters: []store.Filter{{Name: "title", Op: store.OpContains, Values: []string{"spring"}}}})
		if err == nil && !slices.ContainsFunc(count, func(l string) bool { return strings.Contains(l, "resource_text") }) {
			t.Errorf("after a restart planning reads no text index:\n%v", count)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, "b", "camp", "title", "spring"); !slices.Equal(got, []string{"old2"}) {
		t.Errorf("after a restart: %v", got)
	}
}

// TestMigrationCarriesKeys opens a database written by the schema before
// keys carried created_at (migrations up to 0007) and finds its resources
// by their keys, in order.
func TestMigrationCarriesKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob("migrations/*.sql")
	sort.Strings(names)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	for _, n := range names {
		if filepath.Base(n) >= "0008" {
			break
		}
		body, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		exec(string(body))
		exec(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)`, "migrations/"+filepath.Base(n))
	}
	exec(`INSERT INTO workspaces (id, created_at) VALUES ('a', 0)`)
	for i, id := range []string{"x", "y", "z"} {
		exec(`INSERT INTO resources (seq, workspace_id, vendor, kind, id, created_at, updated_at, doc) VALUES (?, 'a', 'v', 'c', ?, ?, ?, '{}')`,
			i+1, id, 1000-i, 1000-i)
		exec(`INSERT INTO resource_keys (seq, workspace_id, vendor, kind, name, value) VALUES (?, 'a', 'v', 'c', 'status', 'open')`, i+1)
		exec(`INSERT INTO resource_keys (seq, workspace_id, vendor, kind, name, value) VALUES (?, 'a', 'v', 'c', 'name', ?)`, i+1, "Name "+id)
	}
	// A value given twice, as an old insert could store it.
	exec(`INSERT INTO resource_keys (seq, workspace_id, vendor, kind, name, value) VALUES (1, 'a', 'v', 'c', 'status', 'open')`)
	raw.Close()

	db := MustOpenDB(t, path)
	err = db.View(context.Background(), "a", func(tx *store.Tx) error {
		rs, total, err := tx.List(store.Query{Vendor: "v", Kind: "c", Count: true, Filters: []store.Filter{{Name: "status", Values: []string{"open"}}}})
		if err != nil {
			return err
		}
		if !slices.Equal(ids(rs), []string{"x", "y", "z"}) || total != 3 {
			t.Errorf("status=open: %v, total %d; want x y z (newest first), 3", ids(rs), total)
		}
		rs, err = tx.ListByKey("v", "c", "status", "open")
		if err != nil {
			return err
		}
		if !slices.Equal(ids(rs), []string{"z", "y", "x"}) {
			t.Errorf("ListByKey: %v; want z y x (oldest first)", ids(rs))
		}
		r, err := tx.Lookup("v", "c", "name", "Name y")
		if err != nil || r.ID != "y" {
			t.Errorf("Lookup = %v, %v; want y", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search(t, db, "a", "c", "name", "name z"); !slices.Equal(got, []string{"z"}) {
		t.Errorf("substring: %v", got)
	}
}

// gramsOf counts, the straightforward way, the rows holding each trigram
// of the values of rows (lower-cased rune by rune), and under "" the rows
// with a value.
func gramsOf(rows map[string][]string) map[string]int {
	out := map[string]int{}
	for _, vals := range rows {
		if len(vals) == 0 {
			continue
		}
		out[""]++
		seen := map[string]bool{}
		for _, v := range vals {
			rs := []rune(strings.Map(unicode.ToLower, v))
			for i := 0; i+3 <= len(rs); i++ {
				g := string(rs[i : i+3])
				if !seen[g] {
					seen[g] = true
					out[g]++
				}
			}
		}
	}
	return out
}

// TestTextGrams keeps the trigram numbers that choose a substring's plan
// in step with the rows through inserts, updates, key changes, deletes,
// a reset and a database written before the numbers were kept; and checks
// the answers of substrings whose trigrams are nearly all in every row
// (as the load scripts' names are), all in every row, absent from the
// index, and three or four characters long, against a scan.
func TestTextGrams(t *testing.T) {
	db := MustOpenDB(t, "file")
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	mustWorkspace(t, db, "b")
	const n = 1200
	model := map[string]map[string][]string{"a": {}, "b": {}}
	nameOf := func(i int) string {
		if i%7 == 3 {
			return fmt.Sprintf("Åsa Öberg %d", i)
		}
		return fmt.Sprintf("Mixed 1 Person%d", i)
	}
	for _, ws := range []string{"a", "b"} {
		err := db.Update(store.Bulk(ctx), ws, func(tx *store.Tx) error {
			for i := range n {
				if ws == "b" && i >= 100 {
					break
				}
				id := fmt.Sprintf("c%d", i)
				keys := []store.Key{store.T("name", nameOf(i)), store.K("status", "open")}
				model[ws][id] = []string{nameOf(i)}
				if i%5 == 0 {
					keys = append(keys, store.T("name", fmt.Sprintf("nick%d", i)))
					model[ws][id] = append(model[ws][id], fmt.Sprintf("nick%d", i))
				}
				if err := tx.Insert(&store.Resource{Vendor: "v", Kind: "contact", ID: id, Doc: []byte(`{}`), Keys: keys}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Changes, with a read between them in one transaction (a write
	// transaction searches its own rows).
	err := db.Update(ctx, "a", func(tx *store.Tx) error {
		for i := 0; i < 60; i++ {
			id := fmt.Sprintf("c%d", i*17)
			switch i % 4 {
			case 0:
				v := fmt.Sprintf("Renamed Ünïcode %d", i)
				model["a"][id] = []string{v}
				if err := tx.Update(&store.Resource{Vendor: "v", Kind: "contact", ID: id, Doc: []byte(`{}`), Keys: []store.Key{store.T("name", v)}}); err != nil {
					return err
				}
			case 1:
				delete(model["a"], id)
				if err := tx.Delete("v", "contact", id); err != nil {
					return err
				}
			case 2:
				v := fmt.Sprintf("set %d", i)
				model["a"][id] = []string{v}
				if err := tx.SetKeys("v", "contact", id, store.T("name", v)); err != nil {
					return err
				}
			case 3:
				v := fmt.Sprintf("also %d", i)
				model["a"][id] = append(model["a"][id], v)
				if err := tx.AddKeys("v", "contact", id, store.T("name", v)); err != nil {
					return err
				}
			}
			if i == 30 {
				if _, _, err := tx.List(store.Query{Vendor: "v", Kind: "contact", Filters: []store.Filter{{Name: "name", Op: store.OpContains, Values: []string{"renamed"}}}}); err != nil {
					return err
				}
			}
		}
		// A key written before its name was text, then a text key of
		// that name: the rows that have it are indexed again.
		model["a"]["c1"] = append(model["a"]["c1"], "old alias")
		if err := tx.AddKeys("v", "contact", "c1", store.K("alias", "old alias")); err != nil {
			return err
		}
		model["a"]["aliased"] = []string{"Mixed 1 Person1", "new alias"}
		if err := tx.Insert(&store.Resource{Vendor: "v", Kind: "contact", ID: "aliased", Doc: []byte(`{}`),
			Keys: []store.Key{store.T("name", "Mixed 1 Person1"), store.T("alias", "new alias")}}); err != nil {
			return err
		}
		// Written and rewritten in one transaction.
		model["a"]["fresh"] = []string{"twice written"}
		if err := tx.Insert(&store.Resource{Vendor: "v", Kind: "contact", ID: "fresh", Doc: []byte(`{}`), Keys: []store.Key{store.T("name", "once")}}); err != nil {
			return err
		}
		return tx.SetKeys("v", "contact", "fresh", store.T("name", "twice written"))
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGrams := func(when string) {
		t.Helper()
		for ws, rows := range model {
			err := db.View(ctx, ws, func(tx *store.Tx) error {
				got, err := tx.TextGrams("v", "contact")
				if err != nil {
					return err
				}
				want := gramsOf(rows)
				if len(got) != len(want) {
					t.Errorf("%s: workspace %s has %d trigram numbers, want %d", when, ws, len(got), len(want))
				}
				for g, w := range want {
					if got[g] != w {
						t.Errorf("%s: workspace %s trigram %q = %d, want %d", when, ws, g, got[g], w)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	checkGrams("after writes")

	find := func(ws, sub string) ([]string, int, []string) {
		t.Helper()
		var got []string
		var total int
		var match []string
		err := db.View(ctx, ws, func(tx *store.Tx) error {
			q := store.Query{Vendor: "v", Kind: "contact", Count: true, Filters: []store.Filter{{Name: "name", Op: store.OpContains, Values: []string{sub}}}}
			rs, n, err := tx.List(q)
			got, total = ids(rs), n
			if err == nil {
				match, err = tx.TextMatches(q)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		return got, total, match
	}
	want := func(ws, sub string) []string {
		var out []string
		for id, vals := range model[ws] {
			if slices.ContainsFunc(vals, func(v string) bool { return strings.Contains(asciiFold(v), asciiFold(sub)) }) {
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, tt := range []struct {
		sub   string
		match string // the FTS5 query chosen ("" for a scan of the key's values), or "*" for any
	}{
		{"Mixed 1 Person1000", "*"}, // nearly every trigram is in every row
		{"mixed 1 person", ""},      // every one is: comparing the values is cheaper
		{"person", ""},
		{"Mixed 1 Personq", `"onq"`}, // a trigram no row has: no candidates, no other trigram read
		{"zzz", `"zzz"`},
		{"son", "*"}, // three characters, in nearly every row
		{"n11", "*"},
		{"rson", "*"}, // four
		{"n119", "*"},
		{"öberg 10", "*"},
		{"ÅSA ÖBERG 1", "*"},
		{"ünïcode", "*"},
		{"twice", "*"},
		{"once", "*"},
		{"nick10", "*"},
		{"also 1", "*"},
	} {
		got, total, match := find("a", tt.sub)
		w := want("a", tt.sub)
		if !slices.Equal(got, w) || total != len(w) {
			t.Errorf("%q: %d ids (total %d), want %d\ngot  %.200v\nwant %.200v", tt.sub, len(got), total, len(w), got, w)
		}
		if len(match) != 1 || (tt.match != "*" && match[0] != tt.match) {
			t.Errorf("%q: FTS5 queries %q, want %q", tt.sub, match, tt.match)
		}
		if len(match) == 1 && strings.Contains(strings.ToLower(match[0]), `"mix"`) {
			t.Errorf("%q: matches %s, a trigram of every row", tt.sub, match[0])
		}
	}
	if got, _, _ := find("b", "Mixed 1 Person1000"); len(got) != 0 {
		t.Errorf("workspace b has %v", got)
	}

	// The numbers waiting to be written are written at Close.
	path := db.Path
	db.Close()
	db = store.New(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if n := db.PendingGrams(); n != 0 {
		t.Errorf("%d changes pending after a restart", n)
	}
	checkGrams("after a restart")

	// A database written before the numbers were kept counts them at open.
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM text_grams`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db = store.New(path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkGrams("after counting at open")

	if err := db.ResetWorkspace(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	model["a"] = map[string][]string{}
	checkGrams("after a reset")
	if err := db.ReplaceAll(ctx, []store.Workspace{{ID: "b"}}, nil); err != nil {
		t.Fatal(err)
	}
	model = map[string]map[string][]string{"b": {}}
	checkGrams("after replacing every workspace")
}

// TestTextGramsFlush checks that the writer writes the pending changes to
// the trigram numbers once there are many: a load of many distinct
// trigrams leaves none pending after the writer's next batch.
func TestTextGramsFlush(t *testing.T) {
	db := MustOpenDB(t, ":memory:")
	ctx := context.Background()
	mustWorkspace(t, db, "a")
	// A first change, written at the next batch (the first is due at
	// once): the next is due by time only a while later.
	for range 2 {
		err := db.Update(ctx, "a", func(tx *store.Tx) error {
			return tx.Insert(&store.Resource{Vendor: "v", Kind: "first", ID: "x", Doc: []byte(`{}`), Keys: []store.Key{store.T("name", "first")}})
		})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			t.Fatal(err)
		}
	}
	// More distinct trigrams than the threshold, from 36 letters.
	const abc = "abcdefghijklmnopqrstuvwxyz0123456789"
	n := store.GramsFlushSize + 1000
	if n > 36*36*36 {
		t.Fatalf("the threshold %d is past the %d trigrams the test makes", store.GramsFlushSize, 36*36*36)
	}
	err := db.Update(store.Bulk(ctx), "a", func(tx *store.Tx) error {
		for i := range n {
			v := string([]byte{abc[i%36], abc[i/36%36], abc[i/1296%36]})
			if err := tx.Insert(&store.Resource{Vendor: "v", Kind: "k", ID: v, Doc: []byte(`{}`), Keys: []store.Key{store.T("name", v)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The writer flushes after a batch: the next update waits for it.
	if err := db.Update(ctx, "a", func(tx *store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if p := db.PendingGrams(); p != 0 {
		t.Errorf("%d changes pending after %d distinct trigrams", p, n)
	}
	err = db.View(ctx, "a", func(tx *store.Tx) error {
		got, err := tx.TextGrams("v", "k")
		if err == nil && (len(got) != n+1 || got["abc"] != 1 || got[""] != n) {
			t.Errorf("%d numbers, abc %d, rows %d; want %d, 1, %d", len(got), got["abc"], got[""], n+1, n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
