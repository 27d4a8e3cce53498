package store

import "strings"

// ExplainList returns SQLite's query plans (EXPLAIN QUERY PLAN, one line
// per step, indented by depth) of the statements List runs for q: those
// that count its sources, the count (when q.Count and the query is
// filtered) and the page (as planned without the total).
func (tx *Tx) ExplainList(q Query) (probes, count, page []string, err error) {
	pl, err := tx.plan(q)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, p := range pl.probes {
		lines, err := tx.explain(p.sql, p.args)
		if err != nil {
			return nil, nil, nil, err
		}
		probes = append(probes, lines...)
	}
	if q.Count && !pl.unfiltered() {
		text, args := pl.countSQL()
		if count, err = tx.explain(text, args); err != nil {
			return nil, nil, nil, err
		}
	}
	text, args := pl.pageSQL(-1)
	page, err = tx.explain(text, args)
	return probes, count, page, err
}

func (tx *Tx) explain(query string, args []any) ([]string, error) {
	rows, err := tx.c.c.QueryContext(tx.sqlCtx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	depth := map[int]int{}
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, err
		}
		depth[id] = depth[parent] + 1
		out = append(out, strings.Repeat("  ", depth[id]-1)+detail)
	}
	return out, rows.Err()
}

// TextRows returns the number of rows of resource_text in the range of a
// workspace's resources of one kind.
func (tx *Tx) TextRows(vendor, kind string) (int, error) {
	space := textSpace(tx.ws, vendor, kind)
	var n int
	err := tx.queryRow(`SELECT COUNT(*) FROM resource_text WHERE rowid BETWEEN ? AND ?`,
		textRowid(space, 0), textRowid(space, 1<<textSeqBits-1)).Scan(&n)
	return n, err
}

// TextGrams returns the trigram numbers of the transaction workspace's
// resources of one kind (gram "" is the number of text rows), leaving out
// zeros.
func (tx *Tx) TextGrams(vendor, kind string) (map[string]int, error) {
	rows, err := tx.query(`SELECT gram, n FROM text_grams WHERE workspace_id = ? AND vendor = ? AND kind = ? AND n != 0`, tx.ws, vendor, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, err
		}
		out[g] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tx.db.text.gmu.Lock()
	for k, d := range tx.db.text.grams {
		if k.ws == tx.ws && k.vendor == vendor && k.kind == kind {
			out[k.gram] += d
		}
	}
	tx.db.text.gmu.Unlock()
	for g, n := range out {
		if n == 0 {
			delete(out, g)
		}
	}
	return out, nil
}

// PendingGrams returns the number of trigram number changes not yet
// written.
func (db *DB) PendingGrams() int {
	db.text.gmu.Lock()
	defer db.text.gmu.Unlock()
	return len(db.text.grams)
}

// TextMatches returns the FTS5 queries of q's substring sources, in filter
// order ("" for one whose key's values are compared instead).
func (tx *Tx) TextMatches(q Query) ([]string, error) {
	pl, err := tx.plan(q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range pl.srcs {
		if s.fi >= 0 && (pl.filters[s.fi].Op == OpContains || pl.filters[s.fi].Op == OpPrefix) {
			out = append(out, s.text)
		}
	}
	return out, nil
}

// GramsFlushSize is how many pending trigram numbers make the writer write
// them.
const GramsFlushSize = gramsFlushSize
