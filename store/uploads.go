package store

import (
	"context"
	"fmt"
	"time"
)

// ScenarioUpload is a scenario file a client uploaded, as the store keeps
// it so that a restart loads it again.
type ScenarioUpload struct {
	// Seq orders the uploads: they are loaded in this order.
	Seq  int64
	File string
	Body []byte
	// Names are the scenarios the upload still provides, sorted: a later
	// upload of one of its names, or a delete, takes that name away.
	Names      []string
	UploadedAt time.Time
}

// ScenarioUploads returns the stored uploads in the order they were made,
// each with the names it still provides.
func (db *DB) ScenarioUploads(ctx context.Context) ([]ScenarioUpload, error) {
	var out []ScenarioUpload
	err := db.View(ctx, "", func(tx *Tx) error {
		rows, err := tx.query(`SELECT u.seq, u.file, u.body, u.uploaded_at, n.name
			FROM scenario_uploads u JOIN scenario_upload_names n ON n.upload = u.seq
			ORDER BY u.seq, n.name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var up ScenarioUpload
			var at int64
			var name string
			if err := rows.Scan(&up.Seq, &up.File, &up.Body, &at, &name); err != nil {
				return err
			}
			if n := len(out); n > 0 && out[n-1].Seq == up.Seq {
				out[n-1].Names = append(out[n-1].Names, name)
				continue
			}
			up.UploadedAt, up.Names = fromMicros(at), []string{name}
			out = append(out, up)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("load scenario uploads: %w", err)
	}
	return out, nil
}

// PutScenarioUpload stores an upload of file, whose scenarios are names,
// after every other, and returns it. The names it defines are taken from
// the earlier uploads that provided them; an earlier upload left with no
// name is deleted. On error nothing changed.
func (db *DB) PutScenarioUpload(ctx context.Context, file string, body []byte, names []string) (ScenarioUpload, error) {
	up := ScenarioUpload{File: file, Body: body, Names: names}
	err := db.Update(ctx, "", func(tx *Tx) error {
		up.UploadedAt = tx.now
		if err := tx.queryRow(`INSERT INTO scenario_uploads (file, body, uploaded_at) VALUES (?, ?, ?) RETURNING seq`,
			file, body, micros(tx.now)).Scan(&up.Seq); err != nil {
			return err
		}
		for _, n := range names {
			if _, err := tx.exec(`INSERT INTO scenario_upload_names (name, upload) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET upload = excluded.upload`, n, up.Seq); err != nil {
				return err
			}
		}
		return tx.deleteBareUploads()
	})
	if err != nil {
		return ScenarioUpload{}, fmt.Errorf("save scenario upload %s: %w", file, err)
	}
	return up, nil
}

// DeleteScenarioUpload deletes the uploaded scenario name (the upload that
// provided it goes when it provides nothing else) and, when cancelRuns,
// cancels in the same transaction the steps not yet finished of every run
// of name, in every workspace (a step running meanwhile is refused when it
// finishes, as CancelRunJobs does). It returns how many runs it cancelled,
// or ErrNotFound when no upload provides name. A run is found by its jobs'
// payload, whose "scenario" member names the scenario (the engine's
// format).
func (db *DB) DeleteScenarioUpload(ctx context.Context, name string, cancelRuns bool) (int, error) {
	var runs int
	err := db.Update(ctx, "", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM scenario_upload_names WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if err := tx.deleteBareUploads(); err != nil {
			return err
		}
		if !cancelRuns {
			return nil
		}
		const unfinished = `run_id != '' AND state IN ('pending', 'running') AND json_extract(CAST(payload AS TEXT), '$.scenario') = ?`
		if err := tx.queryRow(`SELECT COUNT(DISTINCT workspace_id || ' ' || run_id) FROM jobs WHERE `+unfinished, name).Scan(&runs); err != nil {
			return err
		}
		_, err = tx.exec(`UPDATE jobs SET state = ?, last_error = 'cancelled: its scenario was deleted', lease_until = 0, updated_at = ?
			WHERE `+unfinished, JobCancelled, micros(tx.now), name)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete scenario upload %s: %w", name, err)
	}
	return runs, nil
}

// deleteBareUploads deletes the uploads that provide no scenario.
func (tx *Tx) deleteBareUploads() error {
	_, err := tx.exec(`DELETE FROM scenario_uploads WHERE seq NOT IN (SELECT upload FROM scenario_upload_names)`)
	return err
}
