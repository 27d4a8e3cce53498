package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// JournalEntry is one request served, with its answer.
type JournalEntry struct {
	ID          int64
	At          time.Time
	WorkspaceID string
	Vendor      string
	OperationID string
	Method      string
	Path        string
	Query       string
	Status      int
	Duration    time.Duration
	RequestID   string
	// Fault is the id of the fault rule that answered instead of the
	// handler (or delayed it), "" for none.
	Fault          string
	RequestHeaders []byte // JSON object of header name to values
	RequestBody    []byte
	ResponseBody   []byte
	// ResponseHeaders is a JSON object of the answer's header names to
	// values (as set by the server; nil for entries journaled before
	// answer headers were kept).
	ResponseHeaders []byte
}

// JournalFilter selects journal entries. Zero fields do not filter.
type JournalFilter struct {
	WorkspaceID string
	Vendor      string
	OperationID string
	Method      string
	// Path matches exactly, or as a prefix when it ends in "*".
	Path string
	// RequestID matches the request's X-Request-Id exactly (a delivery's
	// request_id names the request that emitted its event).
	RequestID string
	Status    int
	Since     time.Time
	// Before keeps the entries with an id below it (0: all), so that a
	// scan of the whole journal reads each page once (not Offset pages
	// again on every call).
	Before int64
	// Limit caps the entries returned (newest first); 0 means 100.
	Limit  int
	Offset int
}

// Pages are written with at most pageEntries entries; a page smaller than
// pageMergeBytes takes the next entries in, so that a quiet server does not
// leave a page per request.
const (
	pageEntries    = 256
	pageMergeBytes = 64 << 10
)

// SetJournalRetention bounds the journal to the newest keep entries (0
// keeps all): Journal never returns or counts more, and AppendJournal
// drops the pages that hold only older ones, so that at most the page
// straddling the bound (fewer than 256 entries) is stored beyond it until
// PruneJournal rewrites that page.
func (db *DB) SetJournalRetention(keep int) { db.journalKeep.Store(int64(max(keep, 0))) }

// journalCut returns the id at or below which entries are beyond the
// retention (0 when none are).
func (tx *Tx) journalCut() (int64, error) {
	keep := tx.db.journalKeep.Load()
	if keep <= 0 {
		return 0, nil
	}
	var last int64
	err := tx.queryRow(`SELECT value FROM counters WHERE workspace_id = '' AND name = 'journal'`).Scan(&last)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return max(last-keep, 0), nil
}

// AppendJournal writes entries (in the order served) and gives them ids.
func (db *DB) AppendJournal(ctx context.Context, entries []JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return db.Update(ctx, "", func(tx *Tx) error {
		if err := tx.appendJournal(entries); err != nil {
			return err
		}
		// Pages wholly beyond the retention go now: page ids and entry
		// ids grow together, so they are the oldest pages.
		cut, err := tx.journalCut()
		if err != nil || cut == 0 {
			return err
		}
		if _, err := tx.exec(`DELETE FROM journal_pages WHERE id IN (SELECT id FROM journal_pages WHERE last_entry <= ? ORDER BY id)`, cut); err != nil {
			return fmt.Errorf("append journal: %w", err)
		}
		return nil
	})
}

func (tx *Tx) appendJournal(entries []JournalEntry) error {
	var last int64
	if err := tx.queryRow(`INSERT INTO counters (workspace_id, name, value) VALUES ('', 'journal', ?)
		ON CONFLICT (workspace_id, name) DO UPDATE SET value = value + excluded.value RETURNING value`, len(entries)).Scan(&last); err != nil {
		return fmt.Errorf("append journal: %w", err)
	}
	page := make([]pageEntry, 0, len(entries))
	var in interner
	for i, e := range entries {
		e.ID = last - int64(len(entries)) + int64(i) + 1
		headers, response, answerHeaders := e.RequestHeaders, e.ResponseBody, e.ResponseHeaders
		e.RequestHeaders, e.ResponseBody, e.ResponseHeaders = nil, nil, nil
		p := newPageEntry(e)
		if headers != nil {
			p.f[fHeaders] = in.string(headers)
		}
		p.f[fResponseBody] = in.string(response)
		p.f[fResponseHeaders] = in.string(answerHeaders)
		page = append(page, p)
	}
	// Top up the newest page while it is small.
	var id, n, size int64
	err := tx.queryRow(`SELECT id, entries, length(meta) + length(bodies) FROM journal_pages ORDER BY id DESC LIMIT 1`).Scan(&id, &n, &size)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return fmt.Errorf("append journal: %w", err)
	case size < pageMergeBytes && int(n)+len(page) <= pageEntries:
		// A page that cannot be read is left as it is.
		if old, err := tx.readPage(id); err == nil {
			return tx.writePage(id, append(old, page...))
		}
	}
	for len(page) > 0 {
		n := min(len(page), pageEntries)
		if err := tx.writePage(0, page[:n]); err != nil {
			return err
		}
		page = page[n:]
	}
	return nil
}

// interner turns byte slices into strings, once per slice: the server
// hands the journal the same slice for repeated header sets and for
// answers from its read cache, and a batch would otherwise copy each of
// them once per entry.
type interner map[sliceID]string

// sliceID names a byte slice by where it starts and how long it is.
type sliceID struct {
	at *byte
	n  int
}

func (in *interner) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	id := sliceID{&b[0], len(b)}
	if s, ok := (*in)[id]; ok {
		return s
	}
	if *in == nil {
		*in = interner{}
	}
	s := string(b)
	(*in)[id] = s
	return s
}

// writePage stores entries as page id (a new page for 0), or deletes the
// page when no entries are left.
func (tx *Tx) writePage(id int64, entries []pageEntry) error {
	if len(entries) == 0 {
		if _, err := tx.exec(`DELETE FROM journal_pages WHERE id = ?`, id); err != nil {
			return fmt.Errorf("write journal: %w", err)
		}
		return nil
	}
	r := rowOf(entries)
	meta, bodies := encodePage(entries)
	var err error
	if id == 0 {
		_, err = tx.exec(`INSERT INTO journal_pages (first_entry, last_entry, oldest_at, newest_at, entries, workspaces, meta, bodies)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.firstEntry, r.lastEntry, r.oldestAt, r.newestAt, len(entries), r.workspaces, meta, bodies)
	} else {
		_, err = tx.exec(`UPDATE journal_pages SET first_entry = ?, last_entry = ?, oldest_at = ?, newest_at = ?, entries = ?, workspaces = ?, meta = ?, bodies = ?
			WHERE id = ?`, r.firstEntry, r.lastEntry, r.oldestAt, r.newestAt, len(entries), r.workspaces, meta, bodies, id)
	}
	if err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// readPage reads and decodes a whole page.
func (tx *Tx) readPage(id int64) ([]pageEntry, error) {
	var meta, bodies []byte
	if err := tx.queryRow(`SELECT meta, bodies FROM journal_pages WHERE id = ?`, id).Scan(&meta, &bodies); err != nil {
		return nil, err
	}
	return decodePage(meta, bodies)
}

func nonNil(b []byte, def string) []byte {
	if b == nil {
		return []byte(def)
	}
	return b
}

// Journal returns the entries matching f, newest first, and how many match
// in all, within the retention (SetJournalRetention). Counting reads only
// the pages' meta; bodies are read for the entries returned.
func (db *DB) Journal(ctx context.Context, f JournalFilter) ([]JournalEntry, int, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	// picked is an entry to return: its page and place, and the entry
	// without bodies until they are read.
	type picked struct {
		page   int64
		index  int
		fields int // the page's body fields (pageMeta.bodyFields)
		e      pageEntry
	}
	var out []picked
	total := 0
	err := db.View(ctx, "", func(tx *Tx) error {
		cut, err := tx.journalCut()
		if err != nil {
			return err
		}
		where, args := f.pageWhere()
		if cut > 0 {
			if where == "" {
				where = " WHERE last_entry > ?"
			} else {
				where += " AND last_entry > ?"
			}
			args = append(args, cut)
		}
		rows, err := tx.query(`SELECT id, meta FROM journal_pages`+where+` ORDER BY id DESC`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			// Read in place: what is kept is copied out.
			var data sql.RawBytes
			if err := rows.Scan(&id, &data); err != nil {
				return err
			}
			m, err := decodeMeta(data)
			if err != nil {
				continue
			}
			for i := len(m.entries) - 1; i >= 0; i-- {
				if m.entries[i].id <= cut || !f.match(m, &m.entries[i]) {
					continue
				}
				if total >= f.Offset && len(out) < limit {
					out = append(out, picked{page: id, index: i, fields: m.bodyFields, e: m.pageEntry(i, &[journalFields - metaFields][]byte{})})
				}
				total++
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		// The bodies, a page at a time.
		for start := 0; start < len(out); {
			end := start
			for end < len(out) && out[end].page == out[start].page {
				end++
			}
			var n int
			var bodies []byte
			if err := tx.queryRow(`SELECT entries, bodies FROM journal_pages WHERE id = ?`, out[start].page).Scan(&n, &bodies); err != nil {
				return err
			}
			bs, err := decodeBodies(bodies, n, out[start].fields)
			for k := start; k < end; k++ {
				if err == nil && out[k].index < len(bs) {
					for j, b := range bs[out[k].index] {
						out[k].e.f[metaFields+j] = string(b)
					}
				}
			}
			start = end
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list journal: %w", err)
	}
	entries := make([]JournalEntry, len(out))
	for i := range out {
		entries[i] = out[i].e.entry()
	}
	return entries, total, nil
}

// DeleteJournal deletes the entries matching f (all of them for a zero
// filter) and returns how many it deleted.
func (db *DB) DeleteJournal(ctx context.Context, f JournalFilter) (int, error) {
	var n int
	err := db.Update(ctx, "", func(tx *Tx) error {
		var err error
		n, err = tx.deleteJournal(f)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete journal: %w", err)
	}
	return n, nil
}

func (tx *Tx) deleteJournal(f JournalFilter) (int, error) {
	if f == (JournalFilter{}) {
		var n int
		if err := tx.queryRow(`SELECT coalesce(sum(entries), 0) FROM journal_pages`).Scan(&n); err != nil {
			return 0, err
		}
		_, err := tx.exec(`DELETE FROM journal_pages`)
		return n, err
	}
	where, args := f.pageWhere()
	return tx.filterPages(where, args, func(m *pageMeta, e *metaEntry) bool { return !f.match(m, e) })
}

// filterPages keeps, in the pages that where selects, only the entries for
// which keep is true, and returns how many it dropped.
func (tx *Tx) filterPages(where string, args []any, keep func(*pageMeta, *metaEntry) bool) (int, error) {
	rows, err := tx.query(`SELECT id FROM journal_pages`+where, args...)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	dropped := 0
	for _, id := range ids {
		// Decide from meta; read the bodies only to rewrite.
		var data []byte
		if err := tx.queryRow(`SELECT meta FROM journal_pages WHERE id = ?`, id).Scan(&data); err != nil {
			return dropped, err
		}
		m, err := decodeMeta(data)
		if err != nil {
			continue
		}
		var drop []bool
		for i := range m.entries {
			if !keep(m, &m.entries[i]) {
				if drop == nil {
					drop = make([]bool, len(m.entries))
				}
				drop[i] = true
			}
		}
		if drop == nil {
			continue
		}
		entries, err := tx.readPage(id)
		if err != nil && !errors.Is(err, errBadPage) {
			return dropped, err
		}
		if err != nil || len(entries) != len(drop) {
			continue
		}
		kept := entries[:0]
		for i := range entries {
			if !drop[i] {
				kept = append(kept, entries[i])
			}
		}
		dropped += len(entries) - len(kept)
		if err := tx.writePage(id, kept); err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}

// PruneJournal keeps at most keep entries (0 keeps all) and deletes entries
// older than before (zero keeps all). Whole pages go with one statement;
// only a page straddling the bound is rewritten.
func (db *DB) PruneJournal(ctx context.Context, keep int, before time.Time) error {
	return db.Update(ctx, "", func(tx *Tx) error {
		if keep > 0 {
			// Ids are handed out in order: the newest keep entries are
			// those above max-keep (fewer remain after a filtered delete).
			var last int64
			if err := tx.queryRow(`SELECT coalesce(max(last_entry), 0) FROM journal_pages`).Scan(&last); err != nil {
				return fmt.Errorf("prune journal: %w", err)
			}
			if cut := last - int64(keep); cut > 0 {
				if _, err := tx.exec(`DELETE FROM journal_pages WHERE last_entry <= ?`, cut); err != nil {
					return fmt.Errorf("prune journal: %w", err)
				}
				if _, err := tx.filterPages(` WHERE first_entry <= ?`, []any{cut}, func(_ *pageMeta, e *metaEntry) bool { return e.id > cut }); err != nil {
					return fmt.Errorf("prune journal: %w", err)
				}
			}
		}
		if !before.IsZero() {
			us := micros(before)
			if _, err := tx.exec(`DELETE FROM journal_pages WHERE newest_at < ?`, us); err != nil {
				return fmt.Errorf("prune journal: %w", err)
			}
			if _, err := tx.filterPages(` WHERE oldest_at < ?`, []any{us}, func(_ *pageMeta, e *metaEntry) bool { return e.at >= us }); err != nil {
				return fmt.Errorf("prune journal: %w", err)
			}
		}
		return nil
	})
}
