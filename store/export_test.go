package store

import "strings"

// ExplainList returns SQLite's query plans (EXPLAIN QUERY PLAN, one line
// per step, indented by depth) of the statements List runs for q: the
// count (when q.Count and the query is filtered) and the page.
func (tx *Tx) ExplainList(q Query) (count, page []string, err error) {
	pl, err := tx.plan(q)
	if err != nil {
		return nil, nil, err
	}
	if q.Count && !pl.unfiltered() {
		text, args := pl.countSQL()
		if count, err = tx.explain(text, args); err != nil {
			return nil, nil, err
		}
	}
	text, args := pl.pageSQL()
	page, err = tx.explain(text, args)
	return count, page, err
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
