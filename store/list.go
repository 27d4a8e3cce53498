package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Op is a key filter comparison.
type Op string

// Key filter comparisons. Values compare as text; vendor packages store
// times as fixed-width UTC text so that they order correctly.
const (
	OpIn       Op = "in"       // equals any of Values
	OpContains Op = "contains" // contains Values[0], ignoring ASCII case
	OpPrefix   Op = "prefix"   // starts with Values[0]
	OpLess     Op = "<"        // less than Values[0]
	OpGreater  Op = ">"        // greater than Values[0]
)

// Filter restricts a query to resources with a matching key.
type Filter struct {
	Name   string
	Op     Op
	Values []string
	// Not inverts the filter: resources with no matching key.
	Not bool
}

// Query selects resources of one kind.
type Query struct {
	Vendor, Kind string
	// Parent, when HasParent, selects children of one parent.
	Parent    string
	HasParent bool
	Filters   []Filter
	// Time ranges on created_at and updated_at (exclusive; zero = open).
	CreatedBefore, CreatedAfter time.Time
	UpdatedBefore, UpdatedAfter time.Time
	// OrderBy is "created_at" (default) or "updated_at"; Asc flips the
	// default newest-first order. Ties break on insertion order.
	OrderBy string
	Asc     bool
	// After, when set, is a Page.Next of the same query: the list goes on
	// after that position (Offset then counts from there). A position is a
	// place in the order, not a count of rows, so pages do not shift when
	// resources are added before it, and each page costs the same however
	// deep it is.
	After  string
	Offset int
	// Limit of 0 means no limit.
	Limit int
	// Count asks for the total number of matches (ignoring After, Offset
	// and Limit).
	Count bool
}

// ErrInvalidCursor means a Query.After that is not a position of the
// query's order.
var ErrInvalidCursor = errors.New("invalid cursor")

// Page is one page of a list.
type Page struct {
	Resources []Resource
	// Total is the number of matches when Query.Count was set, and the
	// number of resources on the page otherwise.
	Total int
	// Next is the position after the last resource of the page, for
	// Query.After, or empty when no resource follows.
	Next string
}

// List returns the resources matching q and, when q.Count, the total. See
// ListPage.
func (tx *Tx) List(q Query) ([]Resource, int, error) {
	p, err := tx.ListPage(q)
	return p.Resources, p.Total, err
}

// planCap bounds the counts that choose a query's plan: a source of fewer
// candidates than this is read whole and sorted; beyond it, a source read
// in the list's order (or the kind's order index) is walked until the
// page is full.
const planCap = 500

// ListPage returns one page of the resources matching q, its position for
// the next page, and, when q.Count, the total. It returns ErrInvalidCursor
// when q.After is not a position of q's order.
//
// How it reads (SQLite's planner cannot tell a rare key value from a
// common one in a table that holds every key of every kind, so the store
// measures and pins the index itself): each filter that an index can
// serve (an exact value, a range of values, a substring or prefix of three
// characters or more of a text key, a parent) is a source of candidates,
// counted up to planCap from its index (a substring's few candidates are
// checked at once, see textSource). The smallest source under planCap is read
// whole, every other condition is checked on its candidates, and they are
// sorted. Otherwise the list walks, in the list's order, the smallest
// source that is kept in that order (an exact value or a parent in
// created_at order) or the kind's order index, checking the other
// conditions, until the page is full. The total is counted from the
// smallest source's index (from a maintained counter for a whole kind).
// An offset costs a step of an index per row skipped, counted from
// whichever end of the list is nearer.
func (tx *Tx) ListPage(q Query) (Page, error) {
	pl, err := tx.plan(q)
	if err != nil {
		return Page{}, err
	}
	var p Page
	for _, s := range pl.srcs {
		if s.n == 0 {
			// Every source holds every match: one without candidates
			// answers at once.
			return p, nil
		}
	}
	if q.Count {
		n, err := pl.count()
		if err != nil {
			return Page{}, fmt.Errorf("count %s: %w", q.Kind, err)
		}
		p.Total = n
		if n == 0 || (q.Limit > 0 && q.Offset >= n && q.After == "") {
			return p, nil
		}
	}
	out, seqs, more, err := pl.page(p.Total)
	if err != nil {
		return Page{}, fmt.Errorf("list %s: %w", q.Kind, err)
	}
	p.Resources = out
	if !q.Count {
		p.Total = len(out)
	}
	if more && len(out) > 0 {
		last := out[len(out)-1]
		v := last.CreatedAt
		if pl.order == "updated_at" {
			v = last.UpdatedAt
		}
		p.Next = pl.encodeCursor(cursor{val: micros(v), seq: seqs[len(seqs)-1]})
	}
	return p, nil
}

// plan plans q.
func (tx *Tx) plan(q Query) (*listPlan, error) {
	pl := &listPlan{tx: tx, q: &q, order: "created_at", desc: !q.Asc}
	if q.OrderBy == "updated_at" {
		pl.order = "updated_at"
	}
	for _, f := range q.Filters {
		if len(f.Values) > 0 {
			pl.filters = append(pl.filters, f)
		}
	}
	if q.After != "" {
		c, err := pl.decodeCursor(q.After)
		if err != nil {
			return nil, err
		}
		pl.after = &c
	}
	if err := pl.sources(); err != nil {
		return nil, fmt.Errorf("list %s: %w", q.Kind, err)
	}
	return pl, nil
}

// listPlan is one List being planned and run.
type listPlan struct {
	tx      *Tx
	q       *Query
	order   string
	desc    bool
	filters []Filter // those with values
	after   *cursor
	srcs    []source
	// probes are the statements that counted the sources (for tests).
	probes []probe
}

type probe struct {
	sql  string
	args []any
}

// source is a filter an index can serve, with its candidates counted up to
// planCap.
type source struct {
	fi   int    // index in filters, or -1 for the parent
	text string // FTS5 query of a substring filter
	// seqs lists a substring filter's matches (JSON) when it has fewer
	// than planCap candidates: they are checked against the key index
	// once (exact), and the count and the page read only them.
	seqs  string
	exact bool
	// scan marks a filter no index range serves (a short substring, a
	// prefix): its key's values are read and compared, one by one.
	scan   bool
	n      int
	single bool // one exact value: its keys are in created_at order
}

// scanCost is the count given to a scan source: more than any other.
const scanCost = 1 << 30

func (pl *listPlan) sources() error {
	q := pl.q
	if q.HasParent {
		s := source{fi: -1, single: true}
		if err := pl.countProbe(&s.n, `SELECT COUNT(*) FROM (SELECT 1 FROM resources INDEXED BY resources_by_parent
			WHERE workspace_id = ? AND vendor = ? AND kind = ? AND parent = ? LIMIT ?)`,
			pl.tx.ws, q.Vendor, q.Kind, q.Parent, planCap); err != nil {
			return err
		}
		pl.srcs = append(pl.srcs, s)
	}
	for i, f := range pl.filters {
		if f.Not {
			continue
		}
		s := source{fi: i}
		var grams []queryGram
		if (f.Op == OpContains || f.Op == OpPrefix) && pl.tx.db.text.has(q.Vendor, q.Kind, f.Name) {
			// A prefix is a substring too: the trigram index proposes
			// candidates, checked with the prefix's own comparison.
			grams = queryGrams(f.Values[0])
		}
		switch {
		case (f.Op == OpPrefix || f.Op == OpContains) && grams == nil:
			// A prefix ignores ASCII case, which no one range of the
			// key index holds; a substring of fewer than three characters
			// has no trigram to look up; a key that is not text has no
			// trigrams. Each reads every value of its key from the key
			// index (not the resources), when no other source is smaller.
			s.scan, s.n = true, scanCost
		case f.Op == OpContains || f.Op == OpPrefix:
			if err := pl.textSource(&s, grams); err != nil {
				return err
			}
		default:
			s.single = (f.Op == OpIn || f.Op == "") && len(f.Values) == 1
			rng, args := pl.keyRange(f)
			if err := pl.countProbe(&s.n, `SELECT COUNT(*) FROM (SELECT 1 FROM resource_keys k NOT INDEXED WHERE `+rng+` LIMIT ?)`,
				append(args, planCap)...); err != nil {
				return err
			}
		}
		pl.srcs = append(pl.srcs, s)
	}
	return nil
}

func (pl *listPlan) countProbe(n *int, query string, args ...any) error {
	pl.probes = append(pl.probes, probe{query, args})
	return pl.tx.queryRow(query, args...).Scan(n)
}

// textScan is how many times cheaper reading a key's value from the key
// index and comparing it is than checking a candidate of the trigram index
// (a walk of its lists, a read of the resource, a look-up of its key): of a
// substring that more than one row in textScan of its kind may contain, the
// key's values are compared one by one instead.
const textScan = 16

// textSource makes substring source s of the trigrams grams: it looks up
// their numbers, matches the rarest few (see textQueryOf) and reads the
// candidates (textCandidates). Should they be many, and many more expected,
// the key's values are compared instead (a scan source).
func (pl *listPlan) textSource(s *source, grams []queryGram) error {
	// A write transaction reads its own text rows and numbers.
	if err := pl.tx.flushText(); err != nil {
		return err
	}
	folded := make([]string, 0, len(grams)+1)
	folded = append(folded, "")
	for _, g := range grams {
		folded = append(folded, g.folded)
	}
	b, err := json.Marshal(folded)
	if err != nil {
		return err
	}
	query := `SELECT gram, n FROM text_grams WHERE workspace_id = ? AND vendor = ? AND kind = ? AND gram IN (SELECT value FROM json_each(?))`
	args := []any{pl.tx.ws, pl.q.Vendor, pl.q.Kind, string(b)}
	pl.probes = append(pl.probes, probe{query, args})
	rows, err := pl.tx.query(query, args...)
	if err != nil {
		return err
	}
	n := map[string]int{}
	for rows.Next() {
		var g string
		var c int
		if err := rows.Scan(&g, &c); err != nil {
			rows.Close()
			return err
		}
		n[g] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	pl.tx.db.pendingGrams(pl.tx, pl.tx.ws, pl.q.Vendor, pl.q.Kind, folded, n)
	var est int
	s.text, est = textQueryOf(grams, n, n[""])
	if err := pl.textCandidates(s); err != nil {
		return err
	}
	if all := textQueryAll(grams, n); s.n >= planCap && n[""] > 0 && all != s.text {
		// Too many candidates to check at once: the trigrams the
		// estimate left out may still narrow them below planCap.
		s.text, s.n = all, 0
		if err := pl.textCandidates(s); err != nil {
			return err
		}
	}
	if s.n >= planCap && est > n[""]/textScan {
		*s = source{fi: s.fi, scan: true, n: scanCost}
	}
	return nil
}

// textCandidates reads the candidates of substring source s, keeping them
// when there are fewer than planCap.
func (pl *listPlan) textCandidates(s *source) error {
	lo, hi := pl.textRange()
	query := `SELECT rowid - ? FROM resource_text WHERE resource_text MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?`
	args := []any{lo, s.text, lo, hi, planCap}
	pl.probes = append(pl.probes, probe{query, args})
	rows, err := pl.tx.query(query, args...)
	if err != nil {
		return err
	}
	b := []byte{'['}
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return err
		}
		if s.n > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, seq, 10)
		s.n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if s.n >= planCap {
		return nil
	}
	// Few candidates: checked at once with the filter's own comparison,
	// from the key index in seq order (the order of the candidates), so
	// that the count and the page read the matches only.
	f := pl.filters[s.fi]
	cond, cargs := filterSQL("x.value", f)
	query = `SELECT DISTINCT x.seq FROM resource_keys x INDEXED BY resource_keys_seq
		WHERE x.seq IN (SELECT value FROM json_each(?)) AND x.name = ? AND ` + cond + ` AND x.workspace_id = ? AND x.vendor = ? AND x.kind = ?`
	args = append(append([]any{string(append(b, ']')), f.Name}, cargs...), pl.tx.ws, pl.q.Vendor, pl.q.Kind)
	pl.probes = append(pl.probes, probe{query, args})
	matches, err := pl.tx.query(query, args...)
	if err != nil {
		return err
	}
	defer matches.Close()
	b, s.n = append(b[:0], '['), 0
	for matches.Next() {
		var seq int64
		if err := matches.Scan(&seq); err != nil {
			return err
		}
		if s.n > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, seq, 10)
		s.n++
	}
	if err := matches.Err(); err != nil {
		return err
	}
	s.seqs, s.exact = string(append(b, ']')), true
	return nil
}

// smallest returns the source with the fewest candidates (preferring one
// kept in created_at order), among those that ok accepts, or nil.
func (pl *listPlan) smallest(ok func(source) bool) *source {
	var best *source
	for i := range pl.srcs {
		s := &pl.srcs[i]
		if !ok(*s) {
			continue
		}
		if best == nil || s.n < best.n || (s.n == best.n && s.single && !best.single) {
			best = s
		}
	}
	return best
}

func anySource(source) bool { return true }

// textRange is the rowid range of the query's workspace and kind in
// resource_text.
func (pl *listPlan) textRange() (lo, hi int64) {
	space := textSpace(pl.tx.ws, pl.q.Vendor, pl.q.Kind)
	return textRowid(space, 0), textRowid(space, 1<<textSeqBits-1)
}

// keyRange is the condition on resource_keys k of filter f's index range.
func (pl *listPlan) keyRange(f Filter) (string, []any) {
	cond, args := filterSQL("k.value", f)
	return `k.workspace_id = ? AND k.vendor = ? AND k.kind = ? AND k.name = ? AND ` + cond,
		append([]any{pl.tx.ws, pl.q.Vendor, pl.q.Kind, f.Name}, args...)
}

// cols names the columns the conditions of a plan read: the resource's seq
// and created_at may come from its key row; parent and updated_at are the
// resource's own ("" when the plan does not read the resource).
type cols struct{ seq, created, updated, parent string }

var resourceColumns = cols{seq: "r.seq", created: "r.created_at", updated: "r.updated_at", parent: "r.parent"}

// needsResource reports whether the conditions read columns only the
// resource row has.
func (pl *listPlan) needsResource() bool {
	q := pl.q
	return q.HasParent || !q.UpdatedBefore.IsZero() || !q.UpdatedAfter.IsZero()
}

// where returns the conditions of the query (each starting with " AND ")
// but those its source guarantees: the filter skip (-1: none) and, with
// skipParent, the parent. With cursor, it includes the position of After.
func (pl *listPlan) where(c cols, skip int, skipParent, cursor bool) (string, []any) {
	q := pl.q
	var b strings.Builder
	var args []any
	if q.HasParent && !skipParent {
		b.WriteString(` AND ` + c.parent + ` = ?`)
		args = append(args, q.Parent)
	}
	timeRange := func(col string, before, after time.Time) {
		if !before.IsZero() {
			b.WriteString(` AND ` + col + ` < ?`)
			args = append(args, micros(before))
		}
		if !after.IsZero() {
			b.WriteString(` AND ` + col + ` > ?`)
			args = append(args, micros(after))
		}
	}
	timeRange(c.created, q.CreatedBefore, q.CreatedAfter)
	timeRange(c.updated, q.UpdatedBefore, q.UpdatedAfter)
	for i, f := range pl.filters {
		if i == skip {
			continue
		}
		cond, fargs := filterSQL("x.value", f)
		not := ""
		if f.Not {
			not = "NOT "
		}
		b.WriteString(` AND ` + not + `EXISTS (SELECT 1 FROM resource_keys x INDEXED BY resource_keys_seq WHERE x.seq = ` +
			c.seq + ` AND x.name = ? AND ` + cond + `)`)
		args = append(args, f.Name)
		args = append(args, fargs...)
	}
	if cursor && pl.after != nil {
		col := c.created
		if pl.order == "updated_at" {
			col = c.updated
		}
		// col <= v bounds the index range; the rest breaks the tie.
		op := ">"
		if pl.desc {
			op = "<"
		}
		b.WriteString(` AND ` + col + ` ` + op + `= ? AND (` + col + ` ` + op + ` ? OR ` + c.seq + ` ` + op + ` ?)`)
		args = append(args, pl.after.val, pl.after.val, pl.after.seq)
	}
	return b.String(), args
}

// unfiltered reports whether the query selects every resource of its kind.
func (pl *listPlan) unfiltered() bool {
	q := pl.q
	return len(pl.filters) == 0 && !q.HasParent && q.CreatedBefore.IsZero() && q.CreatedAfter.IsZero() &&
		q.UpdatedBefore.IsZero() && q.UpdatedAfter.IsZero()
}

// seqsOf is a subquery of the seqs of source s's candidates.
func (pl *listPlan) seqsOf(s *source) (string, []any) {
	q := pl.q
	switch {
	case s.fi < 0:
		return `SELECT seq FROM resources INDEXED BY resources_by_parent WHERE workspace_id = ? AND vendor = ? AND kind = ? AND parent = ?`,
			[]any{pl.tx.ws, q.Vendor, q.Kind, q.Parent}
	case s.seqs != "":
		return `SELECT value FROM json_each(?)`, []any{s.seqs}
	case s.text != "":
		lo, hi := pl.textRange()
		return `SELECT rowid - ? FROM resource_text WHERE resource_text MATCH ? AND rowid BETWEEN ? AND ?`, []any{lo, s.text, lo, hi}
	default:
		rng, args := pl.keyRange(pl.filters[s.fi])
		return `SELECT k.seq FROM resource_keys k NOT INDEXED WHERE ` + rng, args
	}
}

// skipOf is the filter a source guarantees (a substring's candidates are
// only candidates, until checked: then it guarantees its filter).
func skipOf(s *source) int {
	if s == nil || (s.text != "" && !s.exact) {
		return -1
	}
	return s.fi
}

func (pl *listPlan) base() (string, []any) {
	return `r.workspace_id = ? AND r.vendor = ? AND r.kind = ?`, []any{pl.tx.ws, pl.q.Vendor, pl.q.Kind}
}

// count returns the number of matches.
func (pl *listPlan) count() (int, error) {
	q := pl.q
	var n int
	if pl.unfiltered() {
		// A write transaction counts its own inserts.
		if err := pl.tx.flushCounts(); err != nil {
			return 0, err
		}
		err := pl.tx.queryRow(`SELECT COALESCE((SELECT n FROM resource_counts WHERE workspace_id = ? AND vendor = ? AND kind = ?), 0)`,
			pl.tx.ws, q.Vendor, q.Kind).Scan(&n)
		return n, err
	}
	if s := pl.smallest(anySource); s != nil && s.exact && len(pl.filters) == 1 && !q.HasParent &&
		q.CreatedBefore.IsZero() && q.CreatedAfter.IsZero() && q.UpdatedBefore.IsZero() && q.UpdatedAfter.IsZero() {
		// The substring's checked matches are the answer.
		return s.n, nil
	}
	sqlText, args := pl.countSQL()
	err := pl.tx.queryRow(sqlText, args...).Scan(&n)
	return n, err
}

func (pl *listPlan) countSQL() (string, []any) {
	s := pl.smallest(anySource)
	base, args := pl.base()
	switch {
	case s == nil:
		w, wargs := pl.where(resourceColumns, -1, false, false)
		return `SELECT COUNT(*) FROM resources r WHERE ` + base + w, append(args, wargs...)
	case s.fi < 0:
		w, wargs := pl.where(resourceColumns, -1, true, false)
		return `SELECT COUNT(*) FROM resources r INDEXED BY resources_by_parent WHERE ` + base + ` AND r.parent = ?` + w,
			append(append(args, pl.q.Parent), wargs...)
	case s.text != "":
		sub, sargs := pl.seqsOf(s)
		w, wargs := pl.where(resourceColumns, skipOf(s), false, false)
		return `SELECT COUNT(*) FROM resources r NOT INDEXED WHERE r.seq IN (` + sub + `) AND ` + base + w,
			append(append(sargs, args...), wargs...)
	default:
		// From the key index alone unless a condition reads the resource.
		c := cols{seq: "k.seq", created: "k.created_at"}
		from := `resource_keys k NOT INDEXED`
		if pl.needsResource() {
			c.updated, c.parent = "r.updated_at", "r.parent"
			from += ` CROSS JOIN resources r ON r.seq = k.seq`
		}
		what := "COUNT(*)"
		if !s.single {
			// Several values of one name may match one resource.
			what = "COUNT(DISTINCT k.seq)"
		}
		rng, rargs := pl.keyRange(pl.filters[s.fi])
		w, wargs := pl.where(c, s.fi, false, false)
		return `SELECT ` + what + ` FROM ` + from + ` WHERE ` + rng + w, append(rargs, wargs...)
	}
}

// page reads the page. With the total known, an offset beyond the middle
// is counted from the other end.
func (pl *listPlan) page(total int) ([]Resource, []int64, bool, error) {
	q := pl.q
	limit, offset := q.Limit, q.Offset
	flip := q.Count && q.After == "" && limit > 0 && offset > total/2
	if flip {
		pl.desc = !pl.desc
		offset = total - q.Offset - q.Limit
		if offset < 0 {
			limit += offset
			offset = 0
		}
	}
	known := -1
	if q.Count {
		known = total
	}
	sqlText, args := pl.pageSQL(known)
	fetch := limit
	if limit > 0 && !flip {
		fetch = limit + 1 // one more tells whether a next page exists
	}
	if fetch > 0 || offset > 0 {
		if fetch <= 0 {
			fetch = -1
		}
		sqlText += ` LIMIT ? OFFSET ?`
		args = append(args, fetch, offset)
	}
	out, seqs, err := pl.tx.resourcesSeqs(sqlText, args...)
	if err != nil {
		return nil, nil, false, err
	}
	more := false
	if flip {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
			seqs[i], seqs[j] = seqs[j], seqs[i]
		}
		pl.desc = !pl.desc
		more = q.Offset+len(out) < total
	} else if limit > 0 && len(out) > limit {
		out, seqs, more = out[:limit], seqs[:limit], true
	}
	return out, seqs, more, nil
}

// pageSQL is the page's statement; total is the number of matches, or -1
// when it was not counted.
func (pl *listPlan) pageSQL(total int) (string, []any) {
	dir := "ASC"
	if pl.desc {
		dir = "DESC"
	}
	sel := prefixed(resourceCols, "r.")
	base, args := pl.base()
	ordered := func(s source) bool { return s.single && pl.order == "created_at" }
	s := pl.smallest(anySource)
	// A scan source of few matches (the total says so) is read whole too:
	// walking the kind for them would test every resource.
	few := s != nil && (s.n < planCap || (s.scan && total >= 0 && total < planCap))
	switch {
	case few && !ordered(*s):
		// Few candidates: read them all and sort.
		sub, sargs := pl.seqsOf(s)
		w, wargs := pl.where(resourceColumns, skipOf(s), s.fi < 0, true)
		return `SELECT ` + sel + ` FROM resources r NOT INDEXED WHERE r.seq IN (` + sub + `) AND ` + base + w +
				` ORDER BY r.` + pl.order + ` ` + dir + `, r.seq ` + dir,
			append(append(sargs, args...), wargs...)
	case s != nil && !few:
		s = pl.smallest(ordered)
	}
	switch {
	case s == nil:
		// The kind's order index, walked until the page is full.
		w, wargs := pl.where(resourceColumns, -1, false, true)
		return `SELECT ` + sel + ` FROM resources r INDEXED BY resources_by_` + strings.TrimSuffix(pl.order, "_at") +
				` WHERE ` + base + w + ` ORDER BY r.` + pl.order + ` ` + dir + `, r.seq ` + dir,
			append(args, wargs...)
	case s.fi < 0:
		// A parent's children, in created_at order.
		w, wargs := pl.where(resourceColumns, -1, true, true)
		return `SELECT ` + sel + ` FROM resources r INDEXED BY resources_by_parent WHERE ` + base + ` AND r.parent = ?` + w +
				` ORDER BY r.created_at ` + dir + `, r.seq ` + dir,
			append(append(args, pl.q.Parent), wargs...)
	default:
		// One exact key value, whose index range is in created_at order.
		rng, rargs := pl.keyRange(pl.filters[s.fi])
		w, wargs := pl.where(cols{seq: "k.seq", created: "k.created_at", updated: "r.updated_at", parent: "r.parent"}, s.fi, false, true)
		return `SELECT ` + sel + ` FROM resource_keys k NOT INDEXED CROSS JOIN resources r ON r.seq = k.seq WHERE ` + rng + w +
				` ORDER BY k.created_at ` + dir + `, k.seq ` + dir,
			append(rargs, wargs...)
	}
}

// cursor is a position in a list: the order value and seq of a resource.
type cursor struct{ val, seq int64 }

// cursorTag names the order a cursor belongs to.
func (pl *listPlan) cursorTag() string {
	tag := "c"
	if pl.order == "updated_at" {
		tag = "u"
	}
	if pl.desc {
		tag += "d"
	} else {
		tag += "a"
	}
	return tag
}

func (pl *listPlan) encodeCursor(c cursor) string {
	s := pl.cursorTag() + "." + strconv.FormatInt(c.val, 36) + "." + strconv.FormatInt(c.seq, 36)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func (pl *listPlan) decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, ErrInvalidCursor
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || parts[0] != pl.cursorTag() {
		return cursor{}, ErrInvalidCursor
	}
	val, err1 := strconv.ParseInt(parts[1], 36, 64)
	seq, err2 := strconv.ParseInt(parts[2], 36, 64)
	if err1 != nil || err2 != nil {
		return cursor{}, ErrInvalidCursor
	}
	return cursor{val: val, seq: seq}, nil
}

// ListByKey returns every resource of a kind whose key name has value,
// oldest first, from the key index in that order: its cost does not grow
// with the kind.
func (tx *Tx) ListByKey(vendor, kind, name, value string) ([]Resource, error) {
	// CROSS JOIN keeps the key index as the outer loop.
	out, _, err := tx.resourcesSeqs(`SELECT `+prefixed(resourceCols, "r.")+` FROM resource_keys k NOT INDEXED CROSS JOIN resources r ON r.seq = k.seq
		WHERE k.workspace_id = ? AND k.vendor = ? AND k.kind = ? AND k.name = ? AND k.value = ?
		ORDER BY k.created_at, k.seq`, tx.ws, vendor, kind, name, value)
	if err != nil {
		return nil, fmt.Errorf("list %s by %s: %w", kind, name, err)
	}
	return out, nil
}

// resourcesSeqs runs a query of resourceCols and scans its rows, with their
// seqs.
func (tx *Tx) resourcesSeqs(query string, args ...any) ([]Resource, []int64, error) {
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []Resource
	var seqs []int64
	for rows.Next() {
		r, seq, err := scanResource(rows)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
		seqs = append(seqs, seq)
	}
	return out, seqs, rows.Err()
}

// filterSQL is the condition of filter f on the value column col (its Not
// aside).
func filterSQL(col string, f Filter) (string, []any) {
	switch f.Op {
	case OpContains:
		return col + ` LIKE ? ESCAPE '\'`, []any{"%" + escapeLike(f.Values[0]) + "%"}
	case OpPrefix:
		return col + ` LIKE ? ESCAPE '\'`, []any{escapeLike(f.Values[0]) + "%"}
	case OpLess:
		return col + ` < ?`, []any{f.Values[0]}
	case OpGreater:
		return col + ` > ?`, []any{f.Values[0]}
	default:
		args := make([]any, len(f.Values))
		for i, v := range f.Values {
			args[i] = v
		}
		if len(args) == 1 {
			return col + ` = ?`, args
		}
		return col + ` IN (` + placeholders(len(f.Values)) + `)`, args
	}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func prefixed(cols, prefix string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = prefix + p
	}
	return strings.Join(parts, ", ")
}
