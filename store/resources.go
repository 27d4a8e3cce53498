package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Resource is one vendor document in a workspace.
type Resource struct {
	Vendor string
	Kind   string
	ID     string
	// Parent groups children under one owner (messages under a
	// conversation); empty for top-level resources.
	Parent    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Doc is the JSON document, owned by the vendor package.
	Doc []byte
	// Keys are lookup and filter values. On Update they replace the old set.
	Keys []Key
}

// Key is a named lookup value of a resource.
type Key struct {
	Name  string
	Value string
}

// K is shorthand for building keys.
func K(name, value string) Key { return Key{Name: name, Value: value} }

const resourceCols = `seq, vendor, kind, id, parent, created_at, updated_at, doc`

func scanResource(sc interface{ Scan(...any) error }) (Resource, int64, error) {
	var r Resource
	var seq, created, updated int64
	if err := sc.Scan(&seq, &r.Vendor, &r.Kind, &r.ID, &r.Parent, &created, &updated, &r.Doc); err != nil {
		return r, 0, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return r, seq, nil
}

// Get returns one resource by identity, or ErrNotFound.
func (tx *Tx) Get(vendor, kind, id string) (*Resource, error) {
	r, _, err := scanResource(tx.queryRow(`SELECT `+resourceCols+` FROM resources
		WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ?`, tx.ws, vendor, kind, id))
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	return &r, nil
}

// Lookup returns the oldest resource of a kind whose key name has value, or
// ErrNotFound.
func (tx *Tx) Lookup(vendor, kind, name, value string) (*Resource, error) {
	r, _, err := scanResource(tx.queryRow(`SELECT r.seq, r.vendor, r.kind, r.id, r.parent, r.created_at, r.updated_at, r.doc
		FROM resource_keys k JOIN resources r ON r.seq = k.seq
		WHERE k.workspace_id = ? AND k.vendor = ? AND k.kind = ? AND k.name = ? AND k.value = ?
		ORDER BY k.seq LIMIT 1`, tx.ws, vendor, kind, name, value))
	if err == sql.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lookup %s by %s: %w", kind, name, err)
	}
	return &r, nil
}

// Insert stores a new resource. Zero timestamps become the transaction's
// Now. It returns ErrConflict when the identity is taken.
func (tx *Tx) Insert(r *Resource) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = tx.now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	var seq int64
	err := tx.queryRow(`INSERT INTO resources (workspace_id, vendor, kind, id, parent, created_at, updated_at, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		tx.ws, r.Vendor, r.Kind, r.ID, r.Parent, micros(r.CreatedAt), micros(r.UpdatedAt), r.Doc).Scan(&seq)
	if err != nil {
		return fmt.Errorf("insert %s %s: %w", r.Kind, r.ID, formatError(err))
	}
	if err := tx.addCount(r.Vendor, r.Kind, 1); err != nil {
		return err
	}
	return tx.insertKeys(seq, r)
}

// addCount keeps resource_counts in step with inserts and deletes.
func (tx *Tx) addCount(vendor, kind string, d int) error {
	if _, err := tx.exec(`INSERT INTO resource_counts (workspace_id, vendor, kind, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace_id, vendor, kind) DO UPDATE SET n = n + excluded.n`, tx.ws, vendor, kind, d); err != nil {
		return fmt.Errorf("count %s: %w", kind, err)
	}
	return nil
}

func (tx *Tx) insertKeys(seq int64, r *Resource) error {
	for _, k := range r.Keys {
		if _, err := tx.exec(`INSERT INTO resource_keys (seq, workspace_id, vendor, kind, name, value) VALUES (?, ?, ?, ?, ?, ?)`,
			seq, tx.ws, r.Vendor, r.Kind, k.Name, k.Value); err != nil {
			return fmt.Errorf("insert %s key %s: %w", r.Kind, k.Name, err)
		}
	}
	return nil
}

// Update replaces a resource's document, parent and keys, and sets UpdatedAt
// to the transaction's Now unless it is later. It returns ErrNotFound when
// the resource does not exist.
func (tx *Tx) Update(r *Resource) error {
	if r.UpdatedAt.Before(tx.now) {
		r.UpdatedAt = tx.now
	}
	var seq, created int64
	err := tx.queryRow(`UPDATE resources SET doc = ?, parent = ?, updated_at = ?
		WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ? RETURNING seq, created_at`,
		r.Doc, r.Parent, micros(r.UpdatedAt), tx.ws, r.Vendor, r.Kind, r.ID).Scan(&seq, &created)
	if err == sql.ErrNoRows {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update %s %s: %w", r.Kind, r.ID, err)
	}
	r.CreatedAt = fromMicros(created)
	if _, err := tx.exec(`DELETE FROM resource_keys WHERE seq = ?`, seq); err != nil {
		return fmt.Errorf("update %s keys: %w", r.Kind, err)
	}
	return tx.insertKeys(seq, r)
}

// Delete removes a resource and its keys, or returns ErrNotFound.
func (tx *Tx) Delete(vendor, kind, id string) error {
	var seq int64
	err := tx.queryRow(`DELETE FROM resources WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ? RETURNING seq`,
		tx.ws, vendor, kind, id).Scan(&seq)
	if err == sql.ErrNoRows {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	if _, err := tx.exec(`DELETE FROM resource_keys WHERE seq = ?`, seq); err != nil {
		return fmt.Errorf("delete %s keys: %w", kind, err)
	}
	return tx.addCount(vendor, kind, -1)
}

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
	Offset  int
	// Limit of 0 means no limit.
	Limit int
	// Count asks for the total number of matches (ignoring Offset and Limit).
	Count bool
}

// List returns the resources matching q and, when q.Count, the total.
func (tx *Tx) List(q Query) ([]Resource, int, error) {
	var where strings.Builder
	args := []any{tx.ws, q.Vendor, q.Kind}
	where.WriteString(`r.workspace_id = ? AND r.vendor = ? AND r.kind = ?`)
	if q.HasParent {
		where.WriteString(` AND r.parent = ?`)
		args = append(args, q.Parent)
	}
	timeRange := func(col string, before, after time.Time) {
		if !before.IsZero() {
			where.WriteString(` AND r.` + col + ` < ?`)
			args = append(args, micros(before))
		}
		if !after.IsZero() {
			where.WriteString(` AND r.` + col + ` > ?`)
			args = append(args, micros(after))
		}
	}
	timeRange("created_at", q.CreatedBefore, q.CreatedAfter)
	timeRange("updated_at", q.UpdatedBefore, q.UpdatedAfter)
	for _, f := range q.Filters {
		if len(f.Values) == 0 {
			continue
		}
		cond, fargs := filterSQL(f)
		if f.Not {
			where.WriteString(` AND NOT EXISTS (SELECT 1 FROM resource_keys k WHERE k.seq = r.seq AND k.name = ? AND ` + cond + `)`)
		} else {
			where.WriteString(` AND EXISTS (SELECT 1 FROM resource_keys k WHERE k.seq = r.seq AND k.name = ? AND ` + cond + `)`)
		}
		args = append(args, f.Name)
		args = append(args, fargs...)
	}
	total := 0
	if q.Count {
		var err error
		if q.unfiltered() {
			err = tx.queryRow(`SELECT COALESCE((SELECT n FROM resource_counts WHERE workspace_id = ? AND vendor = ? AND kind = ?), 0)`,
				tx.ws, q.Vendor, q.Kind).Scan(&total)
		} else {
			err = tx.queryRow(`SELECT COUNT(*) FROM resources r WHERE `+where.String(), args...).Scan(&total)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("count %s: %w", q.Kind, err)
		}
		if total == 0 || (q.Limit > 0 && q.Offset >= total) {
			return nil, total, nil
		}
	}
	order := "created_at"
	if q.OrderBy == "updated_at" {
		order = "updated_at"
	}
	dir := "DESC"
	if q.Asc {
		dir = "ASC"
	}
	sqlText := `SELECT ` + prefixed(resourceCols, "r.") + ` FROM resources r WHERE ` + where.String() +
		` ORDER BY r.` + order + ` ` + dir + `, r.seq ` + dir
	if q.Limit > 0 || q.Offset > 0 {
		limit := q.Limit
		if limit <= 0 {
			limit = -1
		}
		sqlText += ` LIMIT ? OFFSET ?`
		args = append(args, limit, q.Offset)
	}
	out, err := tx.resources(sqlText, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", q.Kind, err)
	}
	if !q.Count {
		total = len(out)
	}
	return out, total, nil
}

// ListByKey returns every resource of a kind whose key name has value,
// oldest first. Unlike a List with the same filter, which walks the kind
// in created_at order and tests each row (the better plan for a page of a
// filter that many rows pass), it reads only the matching entries of the
// key index: for a key that few resources share (a conversation's contact)
// its cost does not grow with the kind.
func (tx *Tx) ListByKey(vendor, kind, name, value string) ([]Resource, error) {
	// CROSS JOIN keeps the key index as the outer loop.
	out, err := tx.resources(`SELECT `+prefixed(resourceCols, "r.")+` FROM resource_keys k CROSS JOIN resources r ON r.seq = k.seq
		WHERE k.workspace_id = ? AND k.vendor = ? AND k.kind = ? AND k.name = ? AND k.value = ?
		ORDER BY r.created_at, r.seq`, tx.ws, vendor, kind, name, value)
	if err != nil {
		return nil, fmt.Errorf("list %s by %s: %w", kind, name, err)
	}
	return out, nil
}

// resources runs a query of resourceCols and scans its rows.
func (tx *Tx) resources(query string, args ...any) ([]Resource, error) {
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Resource
	for rows.Next() {
		r, _, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// unfiltered reports whether q selects every resource of its kind.
func (q *Query) unfiltered() bool {
	if q.HasParent || !q.CreatedBefore.IsZero() || !q.CreatedAfter.IsZero() || !q.UpdatedBefore.IsZero() || !q.UpdatedAfter.IsZero() {
		return false
	}
	for _, f := range q.Filters {
		if len(f.Values) > 0 {
			return false
		}
	}
	return true
}

func filterSQL(f Filter) (string, []any) {
	switch f.Op {
	case OpContains:
		return `k.value LIKE ? ESCAPE '\'`, []any{"%" + escapeLike(f.Values[0]) + "%"}
	case OpPrefix:
		return `k.value LIKE ? ESCAPE '\'`, []any{escapeLike(f.Values[0]) + "%"}
	case OpLess:
		return `k.value < ?`, []any{f.Values[0]}
	case OpGreater:
		return `k.value > ?`, []any{f.Values[0]}
	default:
		args := make([]any, len(f.Values))
		for i, v := range f.Values {
			args[i] = v
		}
		return `k.value IN (` + placeholders(len(f.Values)) + `)`, args
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

// UpdateDoc replaces a resource's document and sets UpdatedAt like Update,
// leaving its keys alone. It returns ErrNotFound when the resource does not
// exist.
func (tx *Tx) UpdateDoc(r *Resource) error {
	if r.UpdatedAt.Before(tx.now) {
		r.UpdatedAt = tx.now
	}
	var created int64
	err := tx.queryRow(`UPDATE resources SET doc = ?, updated_at = ?
		WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ? RETURNING created_at`,
		r.Doc, micros(r.UpdatedAt), tx.ws, r.Vendor, r.Kind, r.ID).Scan(&created)
	if err == sql.ErrNoRows {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("update %s %s: %w", r.Kind, r.ID, err)
	}
	r.CreatedAt = fromMicros(created)
	return nil
}

// SetKeys replaces the values of the named keys of one resource (other keys
// stay). Several keys with one name give it several values. It returns
// ErrNotFound when the resource does not exist.
func (tx *Tx) SetKeys(vendor, kind, id string, keys ...Key) error {
	count := map[string]int{}
	for _, k := range keys {
		count[k.Name]++
	}
	var multi []Key
	for _, k := range keys {
		if count[k.Name] > 1 {
			multi = append(multi, k)
			continue
		}
		// One value: update it in place, or add it.
		res, err := tx.exec(`UPDATE resource_keys SET value = ? WHERE name = ? AND seq =
			(SELECT seq FROM resources WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ?)`,
			k.Value, k.Name, tx.ws, vendor, kind, id)
		if err != nil {
			return fmt.Errorf("set %s key %s: %w", kind, k.Name, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			continue
		}
		if err := tx.replaceKeys(vendor, kind, id, []Key{k}); err != nil {
			return err
		}
	}
	if len(multi) > 0 {
		return tx.replaceKeys(vendor, kind, id, multi)
	}
	return nil
}

// seqOf returns the row number of a resource, or ErrNotFound.
func (tx *Tx) seqOf(vendor, kind, id string) (int64, error) {
	var seq int64
	err := tx.queryRow(`SELECT seq FROM resources WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ?`,
		tx.ws, vendor, kind, id).Scan(&seq)
	if err == sql.ErrNoRows {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("find %s %s: %w", kind, id, err)
	}
	return seq, nil
}

// replaceKeys deletes every value of the keys' names and inserts keys.
func (tx *Tx) replaceKeys(vendor, kind, id string, keys []Key) error {
	seq, err := tx.seqOf(vendor, kind, id)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, k := range keys {
		if !done[k.Name] {
			done[k.Name] = true
			if _, err := tx.exec(`DELETE FROM resource_keys WHERE seq = ? AND name = ?`, seq, k.Name); err != nil {
				return fmt.Errorf("set %s keys: %w", kind, err)
			}
		}
	}
	return tx.insertKeys(seq, &Resource{Vendor: vendor, Kind: kind, Keys: keys})
}

// AddKeys adds key values to one resource, skipping values it already has.
func (tx *Tx) AddKeys(vendor, kind, id string, keys ...Key) error {
	seq, err := tx.seqOf(vendor, kind, id)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := tx.exec(`INSERT INTO resource_keys (seq, workspace_id, vendor, kind, name, value)
			SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM resource_keys WHERE seq = ? AND name = ? AND value = ?)`,
			seq, tx.ws, vendor, kind, k.Name, k.Value, seq, k.Name, k.Value); err != nil {
			return fmt.Errorf("add %s key %s: %w", kind, k.Name, err)
		}
	}
	return nil
}
