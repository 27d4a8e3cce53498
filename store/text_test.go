package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

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
