package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
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
//
// FTS5 answers an AND of trigrams by walking every one's list of rows, so
// a query that includes a trigram most rows have costs a walk of most rows.
// text_grams keeps, per workspace and kind, the number of text rows that
// hold each trigram (and, under gram '', the number of rows): a search
// looks up its trigrams' numbers and matches only the rarest few (see
// textQueryOf). The numbers are kept in step with the index when a
// transaction's update ends: a rewritten or deleted row's old values are
// read from resource_keys before they change (holdText). They choose the
// plan only: a wrong number costs time, never a wrong answer.

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

// textNames is the set of text key names, by vendor and kind, as committed,
// and the committed changes to the trigram numbers not yet written.
type textNames struct {
	mu    sync.RWMutex
	names map[[2]string][]string

	// grams are changes to text_grams that committed transactions made:
	// the writer writes them in a transaction of its own once there are
	// gramsFlushSize of them or gramsFlushEvery has passed (flushGrams),
	// and at Close, so that a single write does not pay an upsert per
	// trigram. Readers add them to what they read. A crash loses them:
	// the numbers then drift from the rows by what it lost, which costs
	// searches time, never answers.
	gmu        sync.Mutex
	grams      map[gramKey]int
	gramsSince time.Time
}

// Thresholds of flushGrams.
const (
	gramsFlushSize  = 32768
	gramsFlushEvery = time.Second
)

// txGrams is what a transaction did to the trigram numbers.
type txGrams struct {
	d        map[gramKey]int
	reset    []string // workspaces whose numbers it deleted
	resetAll bool     // it deleted every number
}

// publish adds the changes of a committed transaction to the pending ones.
func (t *textNames) publish(g txGrams) {
	if g.d == nil && g.reset == nil && !g.resetAll {
		return
	}
	t.gmu.Lock()
	defer t.gmu.Unlock()
	if g.resetAll {
		t.grams = nil
	}
	if len(g.reset) > 0 {
		for k := range t.grams {
			if slices.Contains(g.reset, k.ws) {
				delete(t.grams, k)
			}
		}
	}
	if len(g.d) > 0 && t.grams == nil {
		t.grams = map[gramKey]int{}
	}
	for k, d := range g.d {
		t.grams[k] += d
	}
}

// flushGrams writes the pending changes to the trigram numbers when there
// are enough of them or they have waited long enough (or with force). It
// runs on the writer's goroutine, between batches. Readers wait for it:
// they would otherwise see the numbers neither pending nor written.
func (db *DB) flushGrams(force bool) {
	t := &db.text
	t.gmu.Lock()
	defer t.gmu.Unlock()
	if len(t.grams) == 0 || (!force && len(t.grams) < gramsFlushSize && time.Since(t.gramsSince) < gramsFlushEvery) {
		return
	}
	b, err := gramsJSON(t.grams)
	if err == nil {
		err = db.exec("BEGIN IMMEDIATE")
	}
	if err == nil {
		bg := context.Background()
		var st *sql.Stmt
		if st, err = db.writer.stmt(bg, gramsUpsert); err == nil {
			_, err = st.ExecContext(bg, b)
		}
		if err == nil {
			err = db.exec("COMMIT")
		}
		if err != nil {
			db.exec("ROLLBACK")
		}
	}
	if err != nil {
		// Kept for a later batch.
		return
	}
	t.grams, t.gramsSince = nil, time.Now()
}

// pendingGrams adds to n the pending changes to the numbers of grams of a
// workspace's kind, and those of transaction tx (a write transaction reads
// its own).
func (db *DB) pendingGrams(tx *Tx, ws, vendor, kind string, grams []string, n map[string]int) {
	db.text.gmu.Lock()
	defer db.text.gmu.Unlock()
	for _, g := range grams {
		k := gramKey{ws, vendor, kind, g}
		n[g] += db.text.grams[k] + tx.grams.d[k]
	}
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
	rows.Close()
	return db.countStoredText(ctx)
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
	before := tx.textNamesOf(vendor, kind)
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
		// The row holds the values of the names known before this one.
		if err := tx.holdText(r.ws, vendor, kind, r.seq, before, true); err != nil {
			return err
		}
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
	tx.db.text.publish(tx.grams)
	tx.grams = txGrams{}
}

// writeText stores the text row of resource seq from its keys, registering
// names it marks as text: for a new resource, or one whose keys were all
// replaced (replaced reports that an old row may exist).
//
// A replacing caller holds the row first (holdText), before the keys change.
func (tx *Tx) writeText(seq int64, r *Resource, replaced bool) error {
	var vals []string
	if !replaced && slices.ContainsFunc(r.Keys, func(k Key) bool { return k.Text }) {
		// A new resource has no row yet, whatever registering a name
		// reads of its keys.
		if err := tx.holdText(tx.ws, r.Vendor, r.Kind, seq, nil, false); err != nil {
			return err
		}
	}
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
// the transaction's update ends (see flushText). A row that may exist
// (replaced) must have been held (holdText), for its old values.
func (tx *Tx) putText(ws, vendor, kind string, seq int64, vals []string, replaced bool) {
	rowid := textRowid(textSpace(ws, vendor, kind), seq)
	if p, ok := tx.textPending[rowid]; ok {
		p.vals, p.replaced, p.written = vals, p.replaced || replaced, true
		return
	}
	tx.pend(rowid, &pendingText{ws: ws, vendor: vendor, kind: kind, vals: vals, replaced: replaced, written: true})
}

func (tx *Tx) pend(rowid int64, p *pendingText) {
	if tx.textPending == nil {
		tx.textPending = map[int64]*pendingText{}
	}
	tx.textPending[rowid] = p
	tx.textOrder = append(tx.textOrder, rowid)
}

// holdText records what the index holds for resource seq before a change
// (the values of names, read from resource_keys; none for a new resource
// or without names), so that flushText can take them out of the trigram
// numbers. A row already pending keeps what it holds.
func (tx *Tx) holdText(ws, vendor, kind string, seq int64, names []string, replaced bool) error {
	rowid := textRowid(textSpace(ws, vendor, kind), seq)
	if _, ok := tx.textPending[rowid]; ok {
		return nil
	}
	var old []string
	if len(names) > 0 {
		var err error
		if old, err = tx.textValues(kind, seq, names); err != nil {
			return err
		}
	}
	tx.pend(rowid, &pendingText{ws: ws, vendor: vendor, kind: kind, vals: old, replaced: replaced, old: old})
	return nil
}

// holdTextOf holds the text row of resource seq of the transaction's
// workspace, when its kind has text keys.
func (tx *Tx) holdTextOf(vendor, kind string, seq int64) error {
	names := tx.textNamesOf(vendor, kind)
	if len(names) == 0 {
		return nil
	}
	return tx.holdText(tx.ws, vendor, kind, seq, names, true)
}

// pendingText is a text row to write.
type pendingText struct {
	ws, vendor, kind string
	vals             []string
	replaced         bool     // an older row may exist
	old              []string // the values the index holds now
	written          bool     // vals are new (a held row may stay as it is)
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
	if tx.grams.d == nil {
		tx.grams.d = map[gramKey]int{}
	}
	grams := tx.grams.d
	for _, rowid := range tx.textOrder {
		p := tx.textPending[rowid]
		if !p.written {
			continue
		}
		countGrams(grams, p.ws, p.vendor, p.kind, p.old, -1)
		countGrams(grams, p.ws, p.vendor, p.kind, p.vals, 1)
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
	vals, err := tx.textValues(kind, seq, names)
	if err != nil {
		return err
	}
	tx.putText(ws, vendor, kind, seq, vals, true)
	return nil
}

// textValues returns the stored values of resource seq's keys names.
func (tx *Tx) textValues(kind string, seq int64, names []string) ([]string, error) {
	args := []any{seq}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := tx.query(`SELECT value FROM resource_keys INDEXED BY resource_keys_seq
		WHERE seq = ? AND name IN (`+placeholders(len(names))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("index %s text: %w", kind, err)
	}
	defer rows.Close()
	var vals []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("index %s text: %w", kind, err)
		}
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index %s text: %w", kind, err)
	}
	return vals, nil
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
			p.vals, p.replaced, p.written = nil, true, true
			tx.textPending[rowid] = p
		}
	}
	if err := tx.flushText(); err != nil {
		return err
	}
	// The workspace's numbers go with its other rows (workspaceTables).
	for k := range tx.grams.d {
		if k.ws == ws {
			delete(tx.grams.d, k)
		}
	}
	tx.grams.reset = append(tx.grams.reset, ws)
	for _, k := range kinds {
		if _, err := tx.exec(`DELETE FROM resource_text WHERE rowid IN
			(SELECT ? + seq FROM resources WHERE workspace_id = ? AND vendor = ? AND kind = ?)`,
			textRowid(textSpace(ws, k[0], k[1]), 0), ws, k[0], k[1]); err != nil {
			return fmt.Errorf("delete %s text: %w", k[1], err)
		}
	}
	return nil
}

// gramKey names one trigram's number in text_grams.
type gramKey struct{ ws, vendor, kind, gram string }

// countGrams adds d to the numbers of the trigrams of a text row of vals
// (each counted once per row) and to the row count (gram "").
func countGrams(m map[gramKey]int, ws, vendor, kind string, vals []string, d int) {
	if len(vals) == 0 {
		return
	}
	m[gramKey{ws, vendor, kind, ""}] += d
	var seen map[string]bool
	if len(vals) > 1 {
		seen = map[string]bool{}
	}
	for _, v := range vals {
		eachGram(v, func(g string) {
			if seen != nil {
				if seen[g] {
					return
				}
				seen[g] = true
			}
			m[gramKey{ws, vendor, kind, g}] += d
		})
	}
}

// eachGram calls fn with each trigram of s folded to lower case, as the
// index folds it, once per distinct trigram. It reads s as text, as the
// tokenizer does; the index's Unicode folding may differ from Go's for a
// few characters, which costs a search time only.
func eachGram(s string, fn func(string)) {
	low := strings.ToLower(s)
	ascii := true
	for i := 0; i < len(low); i++ {
		if low[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	seen := map[string]bool{}
	emit := func(g string) {
		if !seen[g] {
			seen[g] = true
			fn(g)
		}
	}
	if ascii {
		for i := 0; i+textMinRunes <= len(low); i++ {
			emit(low[i : i+textMinRunes])
		}
		return
	}
	rs := []rune(strings.Map(unicode.ToLower, s))
	for i := 0; i+textMinRunes <= len(rs); i++ {
		emit(string(rs[i : i+textMinRunes]))
	}
}

// gramsUpsert adds changes (JSON rows of workspace, vendor, kind, gram
// and change) to the trigram numbers.
const gramsUpsert = `INSERT INTO text_grams (workspace_id, vendor, kind, gram, n)
	SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) WHERE true
	ON CONFLICT DO UPDATE SET n = n + excluded.n`

// gramsJSON encodes changes to the trigram numbers for gramsUpsert.
func gramsJSON(m map[gramKey]int) (string, error) {
	rows := make([]any, 0, len(m))
	for k, d := range m {
		if d != 0 {
			rows = append(rows, []any{k.ws, k.vendor, k.kind, k.gram, d})
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("count text: %w", err)
	}
	return string(b), nil
}

// addGrams writes changes to the trigram numbers in the transaction.
func (tx *Tx) addGrams(m map[gramKey]int) error {
	if len(m) == 0 {
		return nil
	}
	b, err := gramsJSON(m)
	if err != nil {
		return err
	}
	if _, err := tx.exec(gramsUpsert, b); err != nil {
		return fmt.Errorf("count text: %w", err)
	}
	return nil
}

// countStoredText fills text_grams from the stored keys, once, for a
// database whose text rows were written before the numbers were kept.
func (db *DB) countStoredText(ctx context.Context) error {
	db.text.mu.RLock()
	kinds := map[[2]string][]string{}
	for k, names := range db.text.names {
		kinds[k] = names
	}
	db.text.mu.RUnlock()
	if len(kinds) == 0 {
		return nil
	}
	var empty bool
	if err := db.writer.c.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM text_grams)`).Scan(&empty); err != nil {
		return fmt.Errorf("count text: %w", err)
	}
	if !empty {
		return nil
	}
	return db.Update(ctx, "", func(tx *Tx) error {
		for k, names := range kinds {
			args := []any{k[0], k[1]}
			for _, n := range names {
				args = append(args, n)
			}
			rows, err := tx.query(`SELECT workspace_id, seq, value FROM resource_keys
				WHERE workspace_id IN (SELECT id FROM workspaces) AND vendor = ? AND kind = ? AND name IN (`+placeholders(len(names))+`)`, args...)
			if err != nil {
				return fmt.Errorf("count %s text: %w", k[1], err)
			}
			type row struct {
				ws  string
				seq int64
			}
			vals := map[row][]string{}
			for rows.Next() {
				var r row
				var v string
				if err := rows.Scan(&r.ws, &r.seq, &v); err != nil {
					rows.Close()
					return fmt.Errorf("count %s text: %w", k[1], err)
				}
				vals[r] = append(vals[r], v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("count %s text: %w", k[1], err)
			}
			m := map[gramKey]int{}
			for r, vs := range vals {
				countGrams(m, r.ws, k[0], k[1], vs, 1)
			}
			if err := tx.addGrams(m); err != nil {
				return err
			}
		}
		return nil
	})
}

// queryGram is one trigram of a substring: as written (for the FTS5 query,
// which folds it) and folded (for its number).
type queryGram struct {
	text, folded string
	at           int // position of its first rune in the substring
}

// queryGrams returns the distinct trigrams of s, or nil when s is too short
// for the index.
func queryGrams(s string) []queryGram {
	rs := []rune(s)
	if len(rs) < textMinRunes || !utf8.ValidString(s) {
		return nil
	}
	var out []queryGram
	seen := map[string]bool{}
	for i := 0; i+textMinRunes <= len(rs); i++ {
		g := string(rs[i : i+textMinRunes])
		f := strings.Map(unicode.ToLower, g)
		if !seen[f] {
			seen[f] = true
			out = append(out, queryGram{g, f, i})
		}
	}
	return out
}

// deleteAllText empties the text index and the trigram numbers, for
// ReplaceAll (which deletes every resource).
func (tx *Tx) deleteAllText() error {
	tx.textPending, tx.textOrder = nil, nil
	tx.grams = txGrams{resetAll: true}
	if _, err := tx.exec(`INSERT INTO resource_text (resource_text) VALUES ('delete-all')`); err != nil {
		return fmt.Errorf("delete text: %w", err)
	}
	if _, err := tx.exec(`DELETE FROM text_grams`); err != nil {
		return fmt.Errorf("delete text: %w", err)
	}
	return nil
}

// textTokens bounds the trigrams of a substring's FTS5 query: each costs
// a walk of its doclist, and every candidate is checked anyway.
const textTokens = 4

// Choosing the trigrams to match: FTS5 walks each one's rows (about 7 ns
// a row here, plus some 25 µs to open it) and every candidate costs a
// check (some µs: textWalk rows of a walk; opening is textOpen). Past the rarest
// trigram, one more is matched while the candidates expected are more than
// textEnough and the checks it saves (of the candidates it leaves out)
// cost more than its walk. Trigrams next to one already matched are
// passed over: they share two of its characters, so they mostly hold the
// same rows.
const (
	textEnough = 16
	textWalk   = 500  // rows walked in the time of a check
	textOpen   = 4000 // rows walked in the time of opening a trigram
)

// textQueryOf is the FTS5 query of a substring of grams, given the number
// of rows that hold each (n, by folded trigram) among rows text rows: the
// rarest trigram, and the next rarest not next to one taken while they
// narrow the candidates enough to pay for their walk (see textEnough). est
// is the number of candidates expected, taking the trigrams as
// independent. Without numbers (rows 0) it takes up to textTokens trigrams
// spread over the substring. Every candidate is checked, so any choice
// gives the same answer.
func textQueryOf(grams []queryGram, n map[string]int, rows int) (q string, est int) {
	var pick []queryGram
	if rows <= 0 {
		for j := range min(len(grams), textTokens) {
			i := j
			if len(grams) > textTokens {
				i = j * (len(grams) - 1) / (textTokens - 1)
			}
			pick = append(pick, grams[i])
		}
		return matchOf(pick), 0
	}
	sorted := slices.Clone(grams)
	slices.SortStableFunc(sorted, func(a, b queryGram) int { return n[a.folded] - n[b.folded] })
	pick = sorted[:1]
	e := float64(n[sorted[0].folded])
	for _, g := range sorted[1:] {
		if len(pick) == textTokens || e <= textEnough {
			break
		}
		if slices.ContainsFunc(pick, func(p queryGram) bool { return g.at == p.at-1 || g.at == p.at+1 }) {
			continue
		}
		// It saves checking the candidates it leaves out; it costs a
		// walk of its rows. (Later ones hold more rows and leave out
		// fewer.)
		c := float64(n[g.folded])
		if c+textOpen >= e*(1-c/float64(rows))*textWalk {
			break
		}
		pick = append(pick, g)
		e = e * c / float64(rows)
	}
	return matchOf(pick), int(e)
}

// textQueryAll is the FTS5 query of the textTokens rarest of grams (by
// their numbers n), neighbours or not: for when textQueryOf's choice
// leaves too many candidates.
func textQueryAll(grams []queryGram, n map[string]int) string {
	sorted := slices.Clone(grams)
	slices.SortStableFunc(sorted, func(a, b queryGram) int { return n[a.folded] - n[b.folded] })
	return matchOf(sorted[:min(len(sorted), textTokens)])
}

// matchOf is the FTS5 query that every one of grams be present (in any
// order: the index keeps no positions, and each candidate is checked).
func matchOf(grams []queryGram) string {
	var b strings.Builder
	for _, g := range grams {
		if b.Len() > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.ReplaceAll(g.text, `"`, `""`) + `"`)
	}
	return b.String()
}
