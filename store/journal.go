package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// JournalEntry is one request served, with its answer.
type JournalEntry struct {
	ID             int64
	At             time.Time
	WorkspaceID    string
	Vendor         string
	OperationID    string
	Method         string
	Path           string
	Query          string
	Status         int
	Duration       time.Duration
	RequestID      string
	RequestHeaders []byte // JSON object of header name to values
	RequestBody    []byte
	ResponseBody   []byte
}

// JournalFilter selects journal entries. Zero fields do not filter.
type JournalFilter struct {
	WorkspaceID string
	Vendor      string
	OperationID string
	Method      string
	// Path matches exactly, or as a prefix when it ends in "*".
	Path   string
	Status int
	Since  time.Time
	// Limit caps the entries returned (newest first); 0 means 100.
	Limit  int
	Offset int
}

// AppendJournal writes entries in one transaction, many rows per statement.
func (db *DB) AppendJournal(ctx context.Context, entries []JournalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	const perStatement = 32
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	return db.Update(ctx, "", func(tx *Tx) error {
		for start := 0; start < len(entries); start += perStatement {
			chunk := entries[start:min(len(entries), start+perStatement)]
			args := make([]any, 0, len(chunk)*13)
			for _, e := range chunk {
				args = append(args, micros(e.At), e.WorkspaceID, e.Vendor, e.OperationID, e.Method, e.Path, e.Query, e.Status,
					e.Duration.Microseconds(), e.RequestID, nonNil(e.RequestHeaders, "{}"), nonNil(e.RequestBody, ""), nonNil(e.ResponseBody, ""))
			}
			q := `INSERT INTO journal (at, workspace_id, vendor, operation_id, method, path, query, status, duration_us, request_id, request_headers, request_body, response_body) VALUES ` +
				strings.Repeat(row+", ", len(chunk)-1) + row
			if _, err := tx.exec(q, args...); err != nil {
				return fmt.Errorf("append journal: %w", err)
			}
		}
		return nil
	})
}

func nonNil(b []byte, def string) []byte {
	if b == nil {
		return []byte(def)
	}
	return b
}

func (f JournalFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.WorkspaceID != "" {
		add("workspace_id = ?", f.WorkspaceID)
	}
	if f.Vendor != "" {
		add("vendor = ?", f.Vendor)
	}
	if f.OperationID != "" {
		add("operation_id = ?", f.OperationID)
	}
	if f.Method != "" {
		add("method = ?", strings.ToUpper(f.Method))
	}
	if p, ok := strings.CutSuffix(f.Path, "*"); ok {
		add(`path LIKE ? ESCAPE '\'`, escapeLike(p)+"%")
	} else if f.Path != "" {
		add("path = ?", f.Path)
	}
	if f.Status != 0 {
		add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add("at >= ?", micros(f.Since))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Journal returns the entries matching f, newest first, and how many match
// in all.
func (db *DB) Journal(ctx context.Context, f JournalFilter) ([]JournalEntry, int, error) {
	where, args := f.where()
	var total int
	var out []JournalEntry
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	err := db.View(ctx, "", func(tx *Tx) error {
		if err := tx.queryRow(`SELECT COUNT(*) FROM journal`+where, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT id, at, workspace_id, vendor, operation_id, method, path, query, status, duration_us, request_id, request_headers, request_body, response_body
			FROM journal`+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e JournalEntry
			var at, dur int64
			if err := rows.Scan(&e.ID, &at, &e.WorkspaceID, &e.Vendor, &e.OperationID, &e.Method, &e.Path, &e.Query, &e.Status, &dur,
				&e.RequestID, &e.RequestHeaders, &e.RequestBody, &e.ResponseBody); err != nil {
				return err
			}
			e.At = fromMicros(at)
			e.Duration = time.Duration(dur) * time.Microsecond
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list journal: %w", err)
	}
	return out, total, nil
}

// DeleteJournal deletes the entries matching f (all of them for a zero
// filter) and returns how many it deleted.
func (db *DB) DeleteJournal(ctx context.Context, f JournalFilter) (int, error) {
	where, args := f.where()
	var n int64
	err := db.Update(ctx, "", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM journal`+where, args...)
		if err != nil {
			return fmt.Errorf("delete journal: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// PruneJournal keeps at most keep entries (0 keeps all) and deletes entries
// older than before (zero keeps all).
func (db *DB) PruneJournal(ctx context.Context, keep int, before time.Time) error {
	return db.Update(ctx, "", func(tx *Tx) error {
		if keep > 0 {
			// Ids are handed out in order, so the newest keep entries
			// are those above max(id)-keep: an index seek, where an
			// OFFSET would walk every kept row. After a filtered delete
			// has left gaps, fewer than keep may remain.
			if _, err := tx.exec(`DELETE FROM journal WHERE id <= (SELECT max(id) FROM journal) - ?`, keep); err != nil {
				return fmt.Errorf("prune journal: %w", err)
			}
		}
		if !before.IsZero() {
			if _, err := tx.exec(`DELETE FROM journal WHERE at < ?`, micros(before)); err != nil {
				return fmt.Errorf("prune journal: %w", err)
			}
		}
		return nil
	})
}
