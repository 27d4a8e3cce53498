package store

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Substring search. A Contains (or Prefix) filter on a key name that
// vendors write as a text key (T) reads the FTS5 table resource_text, tokenized in trigrams
// and folded to lower case, instead of testing every resource of the kind.
// resource_text holds one row per resource: the values of its text keys,
// one per line. Its rowid is the resource's seq in the low 40 bits and a
// hash of the resource's workspace, vendor and kind above them, so that a
// search reads the range of its own workspace and kind only. The index
// only proposes candidates: each is checked against resource_keys with the
// filter's own comparison, so a hash collision, a trigram spanning two
// lines, or Unicode case folding (wider than LIKE's ASCII folding) costs a
// check, never a wrong answer.
//
// A trigram index cannot serve a substring of fewer than three characters:
// such a filter scans the key's values (see List).

// textSeqBits is the width of the seq in a resource_text rowid.
const textSeqBits = 40

// textMinRunes is the shortest substring the trigram index serves.
const textMinRunes = 3

// textRowid is the resource_text rowid of resource seq in space (see
// textSpace).
func textRowid(space, seq int64) int64 { return space<<textSeqBits | seq }

// textSpace is the high part of the resource_text rowids of a workspace's
// resources of one kind: 23 bits of a hash, so that rowids stay positive.
func textSpace(ws, vendor, kind string) int64 {
	h := fnv.New64a()
	h.Write([]byte(ws))
	h.Write([]byte{0})
	h.Write([]byte(vendor))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	return int64(h.Sum64() >> (64 - 23))
}

// textNames is the set of text key names, by vendor and kind, as committed.
type textNames struct {
	mu    sync.RWMutex
	names map[[2]string][]string
}

func (t *textNames) of(vendor, kind string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.names[[2]string{vendor, kind}]
}

func (t *textNames) has(vendor, kind, name string) bool {
	for _, n := range t.of(vendor, kind) {
		if n == name {
			return true
		}
	}
	return false
}

func (t *textNames) add(vendor, kind, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.names == nil {
		t.names = map[[2]string][]string{}
	}
	k := [2]string{vendor, kind}
	for _, n := range t.names[k] {
		if n == name {
			return
		}
	}
	t.names[k] = append(append([]string(nil), t.names[k]...), name)
}

// loadText reads the text key names at open.
func (db *DB) loadText(ctx context.Context) error {
	rows, err := db.writer.c.QueryContext(ctx, `SELECT vendor, kind, name FROM text_keys`)
	if err != nil {
		return fmt.Errorf("load text keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v, k, n string
		if err := rows.Scan(&v, &k, &n); err != nil {
			return fmt.Errorf("load text keys: %w", err)
		}
		db.text.add(v, k, n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load text keys: %w", err)
	}
	return nil
}

// isText reports whether name is a text key of vendor and kind, committed
// or registered by this transaction.
func (tx *Tx) isText(vendor, kind, name string) bool {
	if tx.db.text.has(vendor, kind, name) {
		return true
	}
	for _, n := range tx.newText {
		if n == [3]string{vendor, kind, name} {
			return true
		}
	}
	return false
}

// textNamesOf returns the text key names of vendor and kind, committed or
// registered by this transaction.
func (tx *Tx) textNamesOf(vendor, kind string) []string {
	names := tx.db.text.of(vendor, kind)
	for _, n := range tx.newText {
		if n[0] == vendor && n[1] == kind {
			names = append(append([]string(nil), names...), n[2])
		}
	}
	return names
}

// registerText makes name a text key of vendor and kind: it records the
// name and indexes the values the kind already has, in every workspace
// (rows written before the name was known as text). Readers use the index
// for the name only once this is committed (see publishText).
func (tx *Tx) registerText(vendor, kind, name string) error {
	if tx.isText(vendor, kind, name) {
		return nil
	}
	res, err := tx.exec(`INSERT OR IGNORE INTO text_keys (vendor, kind, name) VALUES (?, ?, ?)`, vendor, kind, name)
	if err != nil {
		return fmt.Errorf("register text key %s: %w", name, err)
	}
	tx.newText = append(tx.newText, [3]string{vendor, kind, name})
	if n, _ := res.RowsAffected(); n == 0 {
		// Registered by an earlier update of this batch, not yet published.
		return nil
	}
	rows, err := tx.query(`SELECT DISTINCT seq, workspace_id FROM resource_keys
		WHERE workspace_id IN (SELECT id FROM workspaces) AND vendor = ? AND kind = ? AND name = ?`, vendor, kind, name)
	if err != nil {
		return fmt.Errorf("index text key %s: %w", name, err)
	}
	type row struct {
		seq int64
		ws  string
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.ws); err != nil {
			rows.Close()
			return fmt.Errorf("index text key %s: %w", name, err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index text key %s: %w", name, err)
	}
	for _, r := range todo {
		if err := tx.reindexText(r.ws, vendor, kind, r.seq); err != nil {
			return err
		}
	}
	return nil
}

// publishText makes the text key names tx registered visible to readers,
// once tx is committed.
func (tx *Tx) publishText() {
	for _, n := range tx.newText {
		tx.db.text.add(n[0], n[1], n[2])
	}
	tx.newText = nil
}

// writeText stores the text row of resource seq from its keys, registering
// names it marks as text: for a new resource, or one whose keys were all
// replaced (replaced reports that an old row may exist).
func (tx *Tx) writeText(seq int64, r *Resource, replaced bool) error {
	var vals []string
	for _, k := range r.Keys {
		if k.Text {
			if err := tx.registerText(r.Vendor, r.Kind, k.Name); err != nil {
				return err
			}
		}
	}
	names := tx.textNamesOf(r.Vendor, r.Kind)
	if len(names) == 0 {
		return nil
	}
	for _, k := range r.Keys {
		for _, n := range names {
			if k.Name == n {
				vals = append(vals, k.Value)
				break
			}
		}
	}
	tx.putText(tx.ws, r.Vendor, r.Kind, seq, vals, replaced)
	return nil
}

// putText writes (or, with no values, deletes) the text row of seq, when
// the transaction's update ends (see flushText).
func (tx *Tx) putText(ws, vendor, kind string, seq int64, vals []string, replaced bool) {
	rowid := textRowid(textSpace(ws, vendor, kind), seq)
	if p, ok := tx.textPending[rowid]; ok {
		p.vals, p.replaced = vals, p.replaced || replaced
		return
	}
	if tx.textPending == nil {
		tx.textPending = map[int64]*pendingText{}
	}
	tx.textPending[rowid] = &pendingText{ws: ws, vals: vals, replaced: replaced}
	tx.textOrder = append(tx.textOrder, rowid)
}

// pendingText is a text row to write.
type pendingText struct {
	ws       string
	vals     []string
	replaced bool // an older row may exist
}

// flushText writes the text rows the transaction changed. They wait until
// its update ends because FTS5 writes what it holds in memory to disk (a
// segment of the index, merged later) at every statement savepoint, and
// nearly every statement of a write opens one: written as they come, a
// bulk insert made a segment per resource.
func (tx *Tx) flushText() error {
	if len(tx.textOrder) == 0 {
		return nil
	}
	// One statement per kind of write (each statement may flush).
	var del, ins, repl []any
	for _, rowid := range tx.textOrder {
		p := tx.textPending[rowid]
		switch {
		case len(p.vals) == 0 && p.replaced:
			del = append(del, rowid)
		case len(p.vals) == 0:
		case p.replaced:
			repl = append(repl, []any{rowid, strings.Join(p.vals, "\n")})
		default:
			ins = append(ins, []any{rowid, strings.Join(p.vals, "\n")})
		}
	}
	tx.textPending, tx.textOrder = nil, nil
	for _, w := range []struct {
		query string
		rows  []any
	}{
		{`DELETE FROM resource_text WHERE rowid IN (SELECT value FROM json_each(?))`, del},
		{`INSERT OR REPLACE INTO resource_text (rowid, value) SELECT value ->> 0, value ->> 1 FROM json_each(?)`, repl},
		{`INSERT INTO resource_text (rowid, value) SELECT value ->> 0, value ->> 1 FROM json_each(?)`, ins},
	} {
		if len(w.rows) == 0 {
			continue
		}
		b, err := json.Marshal(w.rows)
		if err != nil {
			return fmt.Errorf("index text: %w", err)
		}
		if _, err := tx.exec(w.query, string(b)); err != nil {
			return fmt.Errorf("index text: %w", err)
		}
	}
	return nil
}

// reindexText rewrites the text row of resource seq from its stored keys.
func (tx *Tx) reindexText(ws, vendor, kind string, seq int64) error {
	names := tx.textNamesOf(vendor, kind)
	if len(names) == 0 {
		return nil
	}
	args := []any{seq}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := tx.query(`SELECT value FROM resource_keys INDEXED BY resource_keys_seq
		WHERE seq = ? AND name IN (`+placeholders(len(names))+`)`, args...)
	if err != nil {
		return fmt.Errorf("index %s text: %w", kind, err)
	}
	var vals []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("index %s text: %w", kind, err)
		}
		vals = append(vals, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index %s text: %w", kind, err)
	}
	tx.putText(ws, vendor, kind, seq, vals, true)
	return nil
}

// touchesText reports whether keys include a text key of vendor and kind,
// registering the names they mark as text.
func (tx *Tx) touchesText(vendor, kind string, keys []Key) (bool, error) {
	touched := false
	for _, k := range keys {
		if k.Text {
			if err := tx.registerText(vendor, kind, k.Name); err != nil {
				return false, err
			}
		}
		if k.Text || tx.isText(vendor, kind, k.Name) {
			touched = true
		}
	}
	return touched, nil
}

// deleteText deletes the text rows of a workspace's resources of the
// kinds that have text keys (before the resources themselves go).
func (tx *Tx) deleteText(ws string) error {
	tx.db.text.mu.RLock()
	var kinds [][2]string
	for k := range tx.db.text.names {
		kinds = append(kinds, k)
	}
	tx.db.text.mu.RUnlock()
	for _, n := range tx.newText {
		kinds = append(kinds, [2]string{n[0], n[1]})
	}
	for rowid, p := range tx.textPending {
		if p.ws == ws {
			p.vals, p.replaced = nil, true
			tx.textPending[rowid] = p
		}
	}
	if err := tx.flushText(); err != nil {
		return err
	}
	for _, k := range kinds {
		if _, err := tx.exec(`DELETE FROM resource_text WHERE rowid IN
			(SELECT ? + seq FROM resources WHERE workspace_id = ? AND vendor = ? AND kind = ?)`,
			textRowid(textSpace(ws, k[0], k[1]), 0), ws, k[0], k[1]); err != nil {
			return fmt.Errorf("delete %s text: %w", k[1], err)
		}
	}
	return nil
}

// textTokens bounds the trigrams of a substring's FTS5 query: each costs
// a walk of its doclist, and every candidate is checked anyway.
const textTokens = 6

// textQuery is the FTS5 query of trigrams of s: every one must be present
// (in any order: the index keeps no positions, and each candidate is
// checked anyway). Of a long s it takes textTokens trigrams spread from its
// start to its end. ok is false when s is too short for the index.
func textQuery(s string) (q string, ok bool) {
	rs := []rune(s)
	if len(rs) < textMinRunes || !utf8.ValidString(s) {
		return "", false
	}
	n := len(rs) - textMinRunes + 1 // trigrams
	var b strings.Builder
	seen := map[string]bool{}
	for j := range min(n, textTokens) {
		i := j
		if n > textTokens {
			i = j * (n - 1) / (textTokens - 1)
		}
		g := string(rs[i : i+textMinRunes])
		if seen[g] {
			continue
		}
		seen[g] = true
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(g, `"`, `""`) + `"`)
	}
	return b.String(), true
}
