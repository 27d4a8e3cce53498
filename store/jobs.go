package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Job states.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
	// JobCancelled is a step that will not run: its workspace is being
	// reset.
	JobCancelled = "cancelled"
)

// ErrCancelled means the work a transaction was finishing was cancelled
// meanwhile (a reset): FinishJob fails with it, so that the step's action
// is rolled back with it.
var ErrCancelled = errors.New("cancelled")

// Job is one scheduled scenario step.
type Job struct {
	ID          int64
	WorkspaceID string
	Vendor      string
	// Kind names the action to run.
	Kind    string
	Payload []byte
	RunID   string
	Step    int
	State   string
	// DueAt is in the workspace's virtual time.
	DueAt     time.Time
	Attempts  int
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Schedule adds a pending job to the transaction's workspace.
func (tx *Tx) Schedule(j *Job) error {
	j.WorkspaceID, j.State = tx.ws, JobPending
	j.CreatedAt, j.UpdatedAt = tx.now, tx.now
	if j.Payload == nil {
		j.Payload = []byte("{}")
	}
	err := tx.queryRow(`INSERT INTO jobs (workspace_id, vendor, kind, payload, run_id, step, state, due_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		tx.ws, j.Vendor, j.Kind, j.Payload, j.RunID, j.Step, j.State, micros(j.DueAt), micros(tx.now), micros(tx.now)).Scan(&j.ID)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", j.Kind, err)
	}
	if tx.db.OnEnqueue != nil {
		tx.OnCommit(tx.db.OnEnqueue)
	}
	return nil
}

// FinishJob marks a claimed (running) job done or failed (with its error).
// It returns ErrCancelled when the job is no longer running: a reset
// cancelled or deleted it since it was claimed.
func (tx *Tx) FinishJob(id int64, state, errText string) error {
	res, err := tx.exec(`UPDATE jobs SET state = ?, last_error = ?, attempts = attempts + 1, lease_until = 0, updated_at = ? WHERE id = ? AND state = ?`,
		state, errText, micros(tx.now), id, JobRunning)
	if err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish job %d: %w", id, ErrCancelled)
	}
	return nil
}

const jobCols = `id, workspace_id, vendor, kind, payload, run_id, step, state, due_at, attempts, last_error, created_at, updated_at`

func scanJobs(rows *sql.Rows) ([]Job, error) {
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var due, created, updated int64
		if err := rows.Scan(&j.ID, &j.WorkspaceID, &j.Vendor, &j.Kind, &j.Payload, &j.RunID, &j.Step, &j.State, &due,
			&j.Attempts, &j.LastError, &created, &updated); err != nil {
			return nil, err
		}
		j.DueAt, j.CreatedAt, j.UpdatedAt = fromMicros(due), fromMicros(created), fromMicros(updated)
		out = append(out, j)
	}
	return out, rows.Err()
}

// ClaimJobs marks up to c.Limit due jobs as running, oldest due first.
func (db *DB) ClaimJobs(ctx context.Context, c Claim) ([]Job, error) {
	if c.Limit <= 0 {
		c.Limit = 100
	}
	real := micros(db.Now())
	w := c.where("jobs", real, db.maxClockOffset())
	var out []Job
	err := db.Update(ctx, "", func(tx *Tx) error {
		if err := tx.reclaim("jobs", real); err != nil {
			return err
		}
		rows, err := tx.query(`UPDATE jobs SET state = ?, lease_until = ? WHERE id IN (
			SELECT t.id FROM jobs t JOIN workspaces w ON w.id = t.workspace_id WHERE `+w.sql+`
			ORDER BY t.due_at, t.id LIMIT ?) RETURNING `+jobCols,
			append(append([]any{JobRunning, real + c.Lease.Microseconds()}, w.args...), c.Limit)...)
		if err != nil {
			return err
		}
		out, err = scanJobs(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	sortJobs(out)
	return out, nil
}

func sortJobs(js []Job) {
	for i := 1; i < len(js); i++ {
		for k := i; k > 0 && (js[k].DueAt.Before(js[k-1].DueAt) || (js[k].DueAt.Equal(js[k-1].DueAt) && js[k].ID < js[k-1].ID)); k-- {
			js[k], js[k-1] = js[k-1], js[k]
		}
	}
}

// RunJobs returns the jobs of one scenario run of the transaction's
// workspace, by step, or ErrNotFound. A run is nothing but its jobs: the
// first carries the scenario and its params, and each schedules the next.
func (tx *Tx) RunJobs(id string) ([]Job, error) {
	rows, err := tx.query(`SELECT `+jobCols+` FROM jobs WHERE run_id = ? AND workspace_id = ? ORDER BY step, id`, id, tx.ws)
	if err != nil {
		return nil, fmt.Errorf("run jobs: %w", err)
	}
	jobs, err := scanJobs(rows)
	if err == nil && len(jobs) == 0 {
		err = ErrNotFound
	}
	return jobs, err
}

// CancelRunJobs cancels the steps of scenario run id of the transaction's
// workspace that have not finished (a running one is refused when it
// finishes: FinishJob returns ErrCancelled). It returns ErrNotFound for a
// run the workspace does not have.
func (tx *Tx) CancelRunJobs(id string) error {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM jobs WHERE run_id = ? AND workspace_id = ?`, id, tx.ws).Scan(&n); err != nil {
		return fmt.Errorf("cancel run: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	if _, err := tx.exec(`UPDATE jobs SET state = ?, last_error = 'cancelled', lease_until = 0, updated_at = ?
		WHERE run_id = ? AND workspace_id = ? AND state IN ('pending', 'running')`, JobCancelled, micros(tx.now), id, tx.ws); err != nil {
		return fmt.Errorf("cancel run: %w", err)
	}
	return nil
}

// RunFilter selects scenario runs for Runs. State is a run's state as the
// state of its last step tells it: running (pending or running), done,
// failed or cancelled.
type RunFilter struct {
	// WorkspaceID is "" for every workspace.
	WorkspaceID string
	State       string
	// Limit is 20 when not set; Offset skips that many runs.
	Limit, Offset int
}

// RunRef names one scenario run.
type RunRef struct {
	WorkspaceID string
	ID          string
}

// Runs returns the scenario runs the filter selects, newest (the run
// whose first job was scheduled last) first, and how many there are.
func (db *DB) Runs(ctx context.Context, f RunFilter) ([]RunRef, int, error) {
	where, args := "run_id != ''", []any{}
	if f.WorkspaceID != "" {
		where += " AND workspace_id = ?"
		args = append(args, f.WorkspaceID)
	}
	// The last step's state is the run's (a step done schedules the next
	// in the same transaction, so a last step done is the run done).
	runs := `WITH r AS (SELECT workspace_id, run_id, MIN(id) AS first FROM jobs WHERE ` + where + ` GROUP BY workspace_id, run_id),
	s AS (SELECT workspace_id, run_id, first, (SELECT CASE state WHEN 'pending' THEN 'running' ELSE state END FROM jobs j
		WHERE j.run_id = r.run_id AND j.workspace_id = r.workspace_id ORDER BY step DESC, id DESC LIMIT 1) AS state FROM r)`
	cond := ""
	if f.State != "" {
		cond = " WHERE state = ?"
		args = append(args, f.State)
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	var out []RunRef
	var total int
	err := db.View(ctx, "", func(tx *Tx) error {
		if err := tx.queryRow(runs+` SELECT COUNT(*) FROM s`+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.query(runs+` SELECT workspace_id, run_id FROM s`+cond+` ORDER BY first DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r RunRef
			if err := rows.Scan(&r.WorkspaceID, &r.ID); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list runs: %w", err)
	}
	return out, total, nil
}
