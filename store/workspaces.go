package store

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Workspace sources.
const (
	SourceConfig = "config" // seeded from the configuration file
	SourceAuto   = "auto"   // created on first use of an unknown credential
	SourceAPI    = "api"    // created through the control API
)

// Workspace is a tenant.
type Workspace struct {
	ID     string
	Name   string
	Source string
	// Seed is the JSON definition replayed when the workspace is reset.
	Seed        []byte
	ClockOffset time.Duration
	CreatedAt   time.Time
	Credentials []Credential
}

// Credential maps a vendor credential to a workspace.
type Credential struct {
	Vendor     string `json:"vendor"`
	Credential string `json:"credential"`
}

// workspaceTables lists the tables whose rows belong to one workspace, in an
// order that respects foreign keys when deleting.
// The journal is kept in pages of several workspaces: see deleteJournal.
var workspaceTables = []string{"resource_keys", "resources", "resource_counts", "text_grams", "counters", "attempts", "deliveries", "events", "webhooks", "jobs"}

func (db *DB) loadCaches(ctx context.Context) error {
	rows, err := db.writer.c.QueryContext(ctx, `SELECT id, clock_offset, clock_speed, clock_ref FROM workspaces`)
	if err != nil {
		return fmt.Errorf("load workspaces: %w", err)
	}
	offsets := map[string]time.Duration{}
	rates := map[string]clockRate{}
	for rows.Next() {
		var id string
		var off, ref int64
		var speed float64
		if err := rows.Scan(&id, &off, &speed, &ref); err != nil {
			rows.Close()
			return fmt.Errorf("load workspaces: %w", err)
		}
		offsets[id] = time.Duration(off) * time.Microsecond
		if speed != 1 {
			rates[id] = clockRate{speed: speed, ref: ref}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load workspaces: %w", err)
	}
	rows, err = db.writer.c.QueryContext(ctx, `SELECT vendor, credential, workspace_id FROM credentials`)
	if err != nil {
		return fmt.Errorf("load credentials: %w", err)
	}
	defer rows.Close()
	creds := map[credKey]string{}
	for rows.Next() {
		var k credKey
		var ws string
		if err := rows.Scan(&k.vendor, &k.credential, &ws); err != nil {
			return fmt.Errorf("load credentials: %w", err)
		}
		creds[k] = ws
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load credentials: %w", err)
	}
	db.wsMu.Lock()
	db.offsets, db.creds, db.rates = offsets, creds, rates
	db.wsMu.Unlock()
	return nil
}

// clockRate is a workspace clock that does not run at real speed: its
// virtual time (µs) is ref + offset + (real - ref) * speed (0 for a frozen
// clock), as virtualNowSQL computes it in queries.
type clockRate struct {
	speed float64
	ref   int64 // µs of real time
}

// virtualNowSQL is a workspace's virtual now (µs) in a query, with w the
// workspaces row and one parameter, real time (µs). It is computed as
// virtualMicros does, so that a transaction's now and what falls due agree.
const virtualNowSQL = `(w.clock_ref + w.clock_offset + CAST((? - w.clock_ref) * w.clock_speed AS INTEGER))`

// virtualMicros is the virtual time (µs) at real time real (µs) of a clock
// with offset off and rate r.
func virtualMicros(real int64, off time.Duration, r clockRate, ok bool) int64 {
	if !ok {
		return real + off.Microseconds()
	}
	return r.ref + off.Microseconds() + int64(float64(real-r.ref)*r.speed)
}

// WorkspaceNow returns the virtual time of workspace ws: real time plus the
// workspace's clock offset, in UTC, truncated to microseconds; for a clock
// frozen or running at another speed, its time by that speed (SetClockSpeed).
func (db *DB) WorkspaceNow(ws string) time.Time {
	db.wsMu.RLock()
	off := db.offsets[ws]
	r, ok := db.rates[ws]
	db.wsMu.RUnlock()
	if !ok {
		return db.Now().Add(off).UTC().Truncate(time.Microsecond)
	}
	return fromMicros(virtualMicros(micros(db.Now()), off, r, true)).UTC()
}

// ClockOffset returns the workspace clock's offset: how far it is ahead of
// real time, for a clock at real speed (see OffsetFor for the others).
func (db *DB) ClockOffset(ws string) time.Duration {
	db.wsMu.RLock()
	defer db.wsMu.RUnlock()
	return db.offsets[ws]
}

// ClockSpeed returns how many virtual seconds workspace ws's clock moves
// per real second: 1 normally, 0 when frozen.
func (db *DB) ClockSpeed(ws string) float64 {
	db.wsMu.RLock()
	defer db.wsMu.RUnlock()
	if r, ok := db.rates[ws]; ok {
		return r.speed
	}
	return 1
}

// OffsetFor returns the offset that would make workspace ws's clock read t
// now (for SetClockOffset).
func (db *DB) OffsetFor(ws string, t time.Time) time.Duration {
	db.wsMu.RLock()
	r, ok := db.rates[ws]
	db.wsMu.RUnlock()
	real := micros(db.Now())
	base := virtualMicros(real, 0, r, ok)
	return time.Duration(micros(t)-base) * time.Microsecond
}

// rateClocks returns the clocks that do not run at real speed, with their
// offsets.
func (db *DB) rateClocks() map[string]struct {
	rate clockRate
	off  int64
} {
	db.wsMu.RLock()
	defer db.wsMu.RUnlock()
	out := make(map[string]struct {
		rate clockRate
		off  int64
	}, len(db.rates))
	for ws, r := range db.rates {
		out[ws] = struct {
			rate clockRate
			off  int64
		}{r, db.offsets[ws].Microseconds()}
	}
	return out
}

// maxClockOffset returns how far the furthest-ahead workspace clock is
// ahead of real time (at least 0).
func (db *DB) maxClockOffset() time.Duration {
	db.wsMu.RLock()
	defer db.wsMu.RUnlock()
	var m time.Duration
	real := micros(db.Now())
	for ws, off := range db.offsets {
		if r, ok := db.rates[ws]; ok {
			// A fast clock may be further ahead than its offset; one
			// microsecond more covers the rounding.
			m = max(m, time.Duration(virtualMicros(real, off, r, true)-real+1)*time.Microsecond)
			continue
		}
		m = max(m, off)
	}
	return m
}

// SetClockOffset moves workspace ws's clock to real time plus off (for a
// clock at another speed, to OffsetFor's reading). It returns ErrNotFound
// for an unknown workspace.
func (db *DB) SetClockOffset(ctx context.Context, ws string, off time.Duration) error {
	err := db.Update(ctx, ws, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE workspaces SET clock_offset = ? WHERE id = ?`, off.Microseconds(), ws)
		if err != nil {
			return fmt.Errorf("set clock: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.wsMu.Lock()
	db.offsets[ws] = off
	db.wsMu.Unlock()
	return nil
}

// MaxClockSpeed bounds SetClockSpeed.
const MaxClockSpeed = 100000

// SetClockSpeed makes workspace ws's clock move speed virtual seconds per
// real second from now on (0 freezes it, 1 is real time), without a jump:
// its virtual now stays what it is. It returns ErrNotFound for an unknown
// workspace.
func (db *DB) SetClockSpeed(ctx context.Context, ws string, speed float64) error {
	if speed < 0 || speed > MaxClockSpeed || speed != speed {
		return fmt.Errorf("clock speed %v is not between 0 and %d", speed, MaxClockSpeed)
	}
	var off time.Duration
	var ref int64
	err := db.Update(ctx, ws, func(tx *Tx) error {
		// The writer runs one transaction at a time: nobody moves the clock
		// between this reading and the update.
		ref = micros(db.Now())
		db.wsMu.RLock()
		cur, ok := db.rates[ws]
		old := db.offsets[ws]
		db.wsMu.RUnlock()
		v := virtualMicros(ref, old, cur, ok)
		off = time.Duration(v-ref) * time.Microsecond
		res, err := tx.exec(`UPDATE workspaces SET clock_offset = ?, clock_speed = ?, clock_ref = ? WHERE id = ?`, off.Microseconds(), speed, ref, ws)
		if err != nil {
			return fmt.Errorf("set clock speed: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.wsMu.Lock()
	db.offsets[ws] = off
	if speed == 1 {
		delete(db.rates, ws)
	} else {
		db.rates[ws] = clockRate{speed: speed, ref: ref}
	}
	db.wsMu.Unlock()
	return nil
}

// Resolve returns the workspace of a vendor credential, from memory.
func (db *DB) Resolve(vendor, credential string) (string, bool) {
	db.wsMu.RLock()
	defer db.wsMu.RUnlock()
	ws, ok := db.creds[credKey{vendor, credential}]
	return ws, ok
}

// CreateWorkspace creates ws with its credentials and runs seed in the same
// transaction. It returns ErrConflict when the id or a credential is taken.
func (db *DB) CreateWorkspace(ctx context.Context, ws Workspace, seed func(*Tx) error) error {
	if ws.Seed == nil {
		ws.Seed = []byte("{}")
	}
	if ws.Source == "" {
		ws.Source = SourceAuto
	}
	return db.Update(ctx, ws.ID, func(tx *Tx) error {
		// First, so that a seed's own clock (ImportState) comes after.
		tx.OnCommit(func() {
			db.wsMu.Lock()
			db.offsets[ws.ID] = 0
			for _, c := range ws.Credentials {
				db.creds[credKey{c.Vendor, c.Credential}] = ws.ID
			}
			db.wsMu.Unlock()
		})
		return tx.createWorkspace(ws, seed)
	})
}

func (tx *Tx) createWorkspace(ws Workspace, seed func(*Tx) error) error {
	if ws.Seed == nil {
		ws.Seed = []byte("{}")
	}
	if ws.Source == "" {
		ws.Source = SourceAuto
	}
	if _, err := tx.exec(`INSERT INTO workspaces (id, name, source, seed, clock_offset, created_at) VALUES (?, ?, ?, ?, 0, ?)`,
		ws.ID, ws.Name, ws.Source, ws.Seed, micros(tx.db.Now())); err != nil {
		return fmt.Errorf("create workspace %s: %w", ws.ID, formatError(err))
	}
	for _, c := range ws.Credentials {
		if err := tx.addCredential(c); err != nil {
			return err
		}
	}
	if seed != nil {
		return seed(tx)
	}
	return nil
}

func (tx *Tx) addCredential(c Credential) error {
	if _, err := tx.exec(`INSERT INTO credentials (vendor, credential, workspace_id, created_at) VALUES (?, ?, ?, ?)`,
		c.Vendor, c.Credential, tx.ws, micros(tx.now)); err != nil {
		return fmt.Errorf("add %s credential: %w", c.Vendor, err)
	}
	return nil
}

// AddCredential maps one more credential to the transaction's workspace (a
// Zipwhip login creates a session, for example). Resolve sees it once the
// transaction commits.
func (tx *Tx) AddCredential(vendor, credential string) error {
	if err := tx.addCredential(Credential{Vendor: vendor, Credential: credential}); err != nil {
		return err
	}
	ws := tx.ws
	tx.OnCommit(func() {
		tx.db.wsMu.Lock()
		tx.db.creds[credKey{vendor, credential}] = ws
		tx.db.wsMu.Unlock()
	})
	return nil
}

// RemoveCredential drops a credential of the transaction's workspace.
func (tx *Tx) RemoveCredential(vendor, credential string) error {
	if _, err := tx.exec(`DELETE FROM credentials WHERE vendor = ? AND credential = ? AND workspace_id = ?`, vendor, credential, tx.ws); err != nil {
		return fmt.Errorf("remove credential: %w", err)
	}
	ws := tx.ws
	tx.OnCommit(func() {
		tx.db.wsMu.Lock()
		if tx.db.creds[credKey{vendor, credential}] == ws {
			delete(tx.db.creds, credKey{vendor, credential})
		}
		tx.db.wsMu.Unlock()
	})
	return nil
}

// GetWorkspace returns one workspace with its credentials.
func (db *DB) GetWorkspace(ctx context.Context, id string) (*Workspace, error) {
	all, err := db.listWorkspaces(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, ErrNotFound
	}
	return &all[0], nil
}

// Workspaces lists all workspaces, oldest first, with their credentials.
func (db *DB) Workspaces(ctx context.Context) ([]Workspace, error) {
	return db.listWorkspaces(ctx, "")
}

func (db *DB) listWorkspaces(ctx context.Context, id string) ([]Workspace, error) {
	q := `SELECT id, name, source, seed, clock_offset, created_at FROM workspaces`
	args := []any{}
	if id != "" {
		q += ` WHERE id = ?`
		args = append(args, id)
	}
	var out []Workspace
	index := map[string]int{}
	err := db.View(ctx, "", func(tx *Tx) error {
		rows, err := tx.query(q+` ORDER BY created_at, id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w Workspace
			var off, created int64
			if err := rows.Scan(&w.ID, &w.Name, &w.Source, &w.Seed, &off, &created); err != nil {
				return err
			}
			w.ClockOffset = time.Duration(off) * time.Microsecond
			w.CreatedAt = fromMicros(created)
			index[w.ID] = len(out)
			out = append(out, w)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	db.wsMu.RLock()
	for k, ws := range db.creds {
		if i, ok := index[ws]; ok {
			out[i].Credentials = append(out[i].Credentials, Credential{Vendor: k.vendor, Credential: k.credential})
		}
	}
	db.wsMu.RUnlock()
	for i := range out {
		sort.Slice(out[i].Credentials, func(a, b int) bool {
			ca, cb := out[i].Credentials[a], out[i].Credentials[b]
			if ca.Vendor != cb.Vendor {
				return ca.Vendor < cb.Vendor
			}
			return ca.Credential < cb.Credential
		})
	}
	return out, nil
}

// ResetWorkspace deletes everything workspace id holds except its identity
// and credentials, sets its clock back to real time, and runs seed in the same
// transaction.
func (db *DB) ResetWorkspace(ctx context.Context, id string, seed func(*Tx) error) error {
	err := db.Update(ctx, id, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM workspaces WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := tx.deleteText(id); err != nil {
			return err
		}
		tx.counts = nil
		for _, t := range workspaceTables {
			if _, err := tx.exec(`DELETE FROM `+t+` WHERE workspace_id = ?`, id); err != nil {
				return fmt.Errorf("reset %s: %w", t, err)
			}
		}
		tx.hooksChanged()
		if _, err := tx.deleteJournal(JournalFilter{WorkspaceID: id}); err != nil {
			return fmt.Errorf("reset journal: %w", err)
		}
		if _, err := tx.exec(`UPDATE workspaces SET clock_offset = 0, clock_speed = 1, clock_ref = 0 WHERE id = ?`, id); err != nil {
			return err
		}
		// Before the seed's, so that a seed's own clock (ImportState)
		// comes after.
		tx.OnCommit(func() {
			db.wsMu.Lock()
			db.offsets[id] = 0
			delete(db.rates, id)
			db.wsMu.Unlock()
		})
		tx.now = db.Now().UTC().Truncate(time.Microsecond)
		if seed != nil {
			return seed(tx)
		}
		return nil
	})
	return err
}

// DeleteAll deletes every workspace and everything in it.
func (db *DB) DeleteAll(ctx context.Context) error { return db.ReplaceAll(ctx, nil, nil) }

// ReplaceAll deletes every workspace and everything in it and creates
// workspaces, each seeded by the seed of the same index (nil for none), in
// one transaction: a request racing with it is served either before the
// wipe or after the new workspaces exist, never in between (where its
// credential would resolve to nothing). It returns ErrConflict when two
// workspaces share an id or a credential. The journal keeps numbering its
// entries where it was (journal ids are not reused).
func (db *DB) ReplaceAll(ctx context.Context, workspaces []Workspace, seeds []func(*Tx) error) error {
	err := db.Update(ctx, "", func(tx *Tx) error {
		// First, so that a seed's own clock (ImportState) comes after.
		tx.OnCommit(func() {
			db.wsMu.Lock()
			db.offsets = map[string]time.Duration{}
			db.rates = map[string]clockRate{}
			db.creds = map[credKey]string{}
			for _, ws := range workspaces {
				db.offsets[ws.ID] = 0
				for _, c := range ws.Credentials {
					db.creds[credKey{c.Vendor, c.Credential}] = ws.ID
				}
			}
			db.wsMu.Unlock()
		})
		tx.counts = nil
		if err := tx.deleteAllText(); err != nil {
			return err
		}
		for _, t := range append(append([]string{}, workspaceTables...), "journal_pages", "credentials", "workspaces") {
			q := `DELETE FROM ` + t
			if t == "counters" {
				q += ` WHERE workspace_id != ''`
			}
			if _, err := tx.exec(q); err != nil {
				return fmt.Errorf("delete %s: %w", t, err)
			}
		}
		for i, ws := range workspaces {
			var seed func(*Tx) error
			if i < len(seeds) {
				seed = seeds[i]
			}
			if err := tx.inWorkspace(ws.ID, func() error { return tx.createWorkspace(ws, seed) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.epoch.Add(1)
	db.hooks.epoch.Add(1)
	return nil
}

// inWorkspace runs fn with the transaction moved to workspace ws (at its
// real-time now: its clock starts at zero offset).
func (tx *Tx) inWorkspace(ws string, fn func() error) error {
	saved, savedNow, savedHooks := tx.ws, tx.now, tx.hooks
	tx.ws, tx.now, tx.hooks = ws, tx.db.Now().UTC().Truncate(time.Microsecond), nil
	defer func() { tx.ws, tx.now, tx.hooks = saved, savedNow, savedHooks }()
	return fn()
}

// NextSeq returns the next value (from 1) of the named per-workspace counter.
func (tx *Tx) NextSeq(name string) (int64, error) {
	var v int64
	err := tx.queryRow(`INSERT INTO counters (workspace_id, name, value) VALUES (?, ?, 1)
		ON CONFLICT (workspace_id, name) DO UPDATE SET value = value + 1 RETURNING value`, tx.ws, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("next %s: %w", name, err)
	}
	return v, nil
}
