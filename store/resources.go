package store

import (
	"database/sql"
	"fmt"
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
	// Text marks a value that Contains filters search: the store indexes
	// every value of a name once one has been written as text (see
	// text.go). A name is text for every resource of its kind or for
	// none, so write it with T everywhere.
	Text bool
}

// K is shorthand for building keys.
func K(name, value string) Key { return Key{Name: name, Value: value} }

// T is shorthand for building a text key (see Key.Text).
func T(name, value string) Key { return Key{Name: name, Value: value, Text: true} }

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

// Lookup returns the oldest resource (by created_at, then insertion) of a
// kind whose key name has value, or ErrNotFound. It reads one entry of the
// key index, in that order.
func (tx *Tx) Lookup(vendor, kind, name, value string) (*Resource, error) {
	r, _, err := scanResource(tx.queryRow(`SELECT r.seq, r.vendor, r.kind, r.id, r.parent, r.created_at, r.updated_at, r.doc
		FROM resource_keys k NOT INDEXED CROSS JOIN resources r ON r.seq = k.seq
		WHERE k.workspace_id = ? AND k.vendor = ? AND k.kind = ? AND k.name = ? AND k.value = ?
		ORDER BY k.created_at, k.seq LIMIT 1`, tx.ws, vendor, kind, name, value))
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
	if err := tx.insertKeys(seq, micros(r.CreatedAt), r.Vendor, r.Kind, r.Keys); err != nil {
		return err
	}
	return tx.writeText(seq, r, false)
}

// addCount keeps resource_counts in step with inserts and deletes. The
// changes add up in the transaction and are written when its update ends
// (flushCounts): one statement per kind instead of one per resource.
func (tx *Tx) addCount(vendor, kind string, d int) error {
	if tx.counts == nil {
		tx.counts = map[countKey]int{}
	}
	tx.counts[countKey{tx.ws, vendor, kind}] += d
	return nil
}

type countKey struct{ ws, vendor, kind string }

// flushCounts writes the count changes of the transaction.
func (tx *Tx) flushCounts() error {
	for k, d := range tx.counts {
		if d == 0 {
			continue
		}
		if _, err := tx.exec(`INSERT INTO resource_counts (workspace_id, vendor, kind, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace_id, vendor, kind) DO UPDATE SET n = n + excluded.n`, k.ws, k.vendor, k.kind, d); err != nil {
			return fmt.Errorf("count %s: %w", k.kind, err)
		}
	}
	tx.counts = nil
	return nil
}

// insertKeys adds keys to resource seq, created at created (micros),
// skipping values it already has.
func (tx *Tx) insertKeys(seq, created int64, vendor, kind string, keys []Key) error {
	for _, k := range keys {
		if _, err := tx.exec(`INSERT OR IGNORE INTO resource_keys (workspace_id, vendor, kind, name, value, created_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tx.ws, vendor, kind, k.Name, k.Value, created, seq); err != nil {
			return fmt.Errorf("insert %s key %s: %w", kind, k.Name, err)
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
	if err := tx.holdTextOf(r.Vendor, r.Kind, seq); err != nil {
		return err
	}
	if _, err := tx.exec(`DELETE FROM resource_keys WHERE seq = ?`, seq); err != nil {
		return fmt.Errorf("update %s keys: %w", r.Kind, err)
	}
	if err := tx.insertKeys(seq, created, r.Vendor, r.Kind, r.Keys); err != nil {
		return err
	}
	return tx.writeText(seq, r, true)
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
	if err := tx.holdTextOf(vendor, kind, seq); err != nil {
		return err
	}
	if _, err := tx.exec(`DELETE FROM resource_keys WHERE seq = ?`, seq); err != nil {
		return fmt.Errorf("delete %s keys: %w", kind, err)
	}
	if len(tx.textNamesOf(vendor, kind)) > 0 {
		tx.putText(tx.ws, vendor, kind, seq, nil, true)
	}
	return tx.addCount(vendor, kind, -1)
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
	text, err := tx.touchesText(vendor, kind, keys)
	if err != nil {
		return err
	}
	seq, created, err := tx.seqOf(vendor, kind, id)
	if err != nil {
		return err
	}
	if text {
		if err := tx.holdTextOf(vendor, kind, seq); err != nil {
			return err
		}
	}
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
		// One value: update it in place (OR REPLACE: should the name
		// have had several values, they become this one), or add it.
		res, err := tx.exec(`UPDATE OR REPLACE resource_keys SET value = ? WHERE seq = ? AND name = ?`, k.Value, seq, k.Name)
		if err != nil {
			return fmt.Errorf("set %s key %s: %w", kind, k.Name, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			continue
		}
		if err := tx.insertKeys(seq, created, vendor, kind, []Key{k}); err != nil {
			return err
		}
	}
	if len(multi) > 0 {
		if err := tx.replaceKeys(seq, created, vendor, kind, multi); err != nil {
			return err
		}
	}
	if text {
		return tx.reindexText(tx.ws, vendor, kind, seq)
	}
	return nil
}

// seqOf returns the row number and creation time (micros) of a resource,
// or ErrNotFound.
func (tx *Tx) seqOf(vendor, kind, id string) (seq, created int64, err error) {
	err = tx.queryRow(`SELECT seq, created_at FROM resources WHERE workspace_id = ? AND vendor = ? AND kind = ? AND id = ?`,
		tx.ws, vendor, kind, id).Scan(&seq, &created)
	if err == sql.ErrNoRows {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("find %s %s: %w", kind, id, err)
	}
	return seq, created, nil
}

// replaceKeys deletes every value of the keys' names and inserts keys.
func (tx *Tx) replaceKeys(seq, created int64, vendor, kind string, keys []Key) error {
	done := map[string]bool{}
	for _, k := range keys {
		if !done[k.Name] {
			done[k.Name] = true
			if _, err := tx.exec(`DELETE FROM resource_keys WHERE seq = ? AND name = ?`, seq, k.Name); err != nil {
				return fmt.Errorf("set %s keys: %w", kind, err)
			}
		}
	}
	return tx.insertKeys(seq, created, vendor, kind, keys)
}

// AddKeys adds key values to one resource, skipping values it already has.
func (tx *Tx) AddKeys(vendor, kind, id string, keys ...Key) error {
	text, err := tx.touchesText(vendor, kind, keys)
	if err != nil {
		return err
	}
	seq, created, err := tx.seqOf(vendor, kind, id)
	if err != nil {
		return err
	}
	if text {
		if err := tx.holdTextOf(vendor, kind, seq); err != nil {
			return err
		}
	}
	if err := tx.insertKeys(seq, created, vendor, kind, keys); err != nil {
		return err
	}
	if text {
		return tx.reindexText(tx.ws, vendor, kind, seq)
	}
	return nil
}
