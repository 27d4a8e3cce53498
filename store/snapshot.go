package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A snapshot is a workspace's state as a versioned document: its
// identity, credentials and definition, its clock offset, its resources
// (with their keys), counters, webhooks and scenario steps. It leaves out
// history: the journal and the delivery log. A checksum over the rest
// makes a hand-edited or damaged file fail to load rather than load
// something else.

// SnapshotFormat names the document; SnapshotVersion is the newest version
// this build reads and the one it writes.
const (
	SnapshotFormat  = "vendorsim-snapshot"
	SnapshotVersion = 1
)

// Snapshot is one workspace's state.
type Snapshot struct {
	Format    string            `json:"format"`
	Version   int               `json:"version"`
	CreatedAt time.Time         `json:"created_at"`
	Workspace SnapshotWorkspace `json:"workspace"`
	State     SnapshotState     `json:"state"`
	// Checksum is "sha256:" and the hex SHA-256 of the document's JSON
	// without it (Encode).
	Checksum string `json:"checksum"`
}

// SnapshotWorkspace is the workspace's identity.
type SnapshotWorkspace struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Source string `json:"source"`
	// Definition is what a reset replays (Workspace.Seed).
	Definition  json.RawMessage `json:"definition"`
	Credentials []Credential    `json:"credentials"`
}

// SnapshotState is what the workspace holds.
type SnapshotState struct {
	ClockOffsetMicros int64              `json:"clock_offset_us"`
	Resources         []SnapshotResource `json:"resources"`
	Counters          []SnapshotCounter  `json:"counters"`
	Webhooks          []SnapshotWebhook  `json:"webhooks"`
	Jobs              []SnapshotJob      `json:"jobs"`
	// Rules are the workspace's request fault and webhook chaos rules
	// (not those of every workspace). ImportState leaves them to the
	// caller, which keeps the rules that apply (see Rule).
	Rules []SnapshotRule `json:"rules,omitempty"`
}

// SnapshotRule is a fault or chaos rule of the workspace with its
// counters as last saved.
type SnapshotRule struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Rule    json.RawMessage `json:"rule"`
	Matched int64           `json:"matched"`
	Applied int64           `json:"applied"`
}

// SnapshotResource is one resource with its keys.
type SnapshotResource struct {
	Vendor    string          `json:"vendor"`
	Kind      string          `json:"kind"`
	ID        string          `json:"id"`
	Parent    string          `json:"parent,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	Doc       json.RawMessage `json:"doc"`
	Keys      [][2]string     `json:"keys,omitempty"`
}

// SnapshotCounter is a per-workspace sequence (NextSeq).
type SnapshotCounter struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// SnapshotWebhook is a subscription, with its secret.
type SnapshotWebhook struct {
	ID        string    `json:"id"`
	Vendor    string    `json:"vendor"`
	Owner     string    `json:"owner,omitempty"`
	URL       string    `json:"url"`
	Method    string    `json:"method"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret"`
	Active    bool      `json:"active"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

// SnapshotJob is a scenario step; one that was running is pending again.
type SnapshotJob struct {
	Vendor    string          `json:"vendor"`
	Kind      string          `json:"kind"`
	Payload   json.RawMessage `json:"payload"`
	RunID     string          `json:"run_id"`
	Step      int             `json:"step"`
	State     string          `json:"state"`
	DueAt     time.Time       `json:"due_at"`
	Attempts  int             `json:"attempts"`
	LastError string          `json:"last_error"`
	CreatedAt time.Time       `json:"created_at"`
}

// ErrSnapshot means a snapshot cannot be loaded: another format, a newer
// version, or a checksum that does not match.
var ErrSnapshot = errors.New("snapshot refused")

// ExportSnapshot returns workspace ws's state, or ErrNotFound.
func (db *DB) ExportSnapshot(ctx context.Context, ws string) (*Snapshot, error) {
	w, err := db.GetWorkspace(ctx, ws)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		Format: SnapshotFormat, Version: SnapshotVersion, CreatedAt: db.Now().UTC().Truncate(time.Microsecond),
		Workspace: SnapshotWorkspace{ID: w.ID, Name: w.Name, Source: w.Source, Definition: compactJSON(w.Seed, "{}"), Credentials: w.Credentials},
		State: SnapshotState{ClockOffsetMicros: w.ClockOffset.Microseconds(), Resources: []SnapshotResource{}, Counters: []SnapshotCounter{},
			Webhooks: []SnapshotWebhook{}, Jobs: []SnapshotJob{}},
	}
	if s.Workspace.Credentials == nil {
		s.Workspace.Credentials = []Credential{}
	}
	err = db.View(ctx, ws, func(tx *Tx) error { return tx.exportState(&s.State) })
	if err != nil {
		return nil, fmt.Errorf("export workspace %s: %w", ws, err)
	}
	return s, nil
}

func (tx *Tx) exportState(st *SnapshotState) error {
	rows, err := tx.query(`SELECT seq, vendor, kind, id, parent, created_at, updated_at, doc FROM resources WHERE workspace_id = ? ORDER BY seq`, tx.ws)
	if err != nil {
		return err
	}
	index := map[int64]int{}
	for rows.Next() {
		var r SnapshotResource
		var seq, created, updated int64
		var doc []byte
		if err := rows.Scan(&seq, &r.Vendor, &r.Kind, &r.ID, &r.Parent, &created, &updated, &doc); err != nil {
			rows.Close()
			return err
		}
		r.CreatedAt, r.UpdatedAt, r.Doc = fromMicros(created), fromMicros(updated), compactJSON(doc, "null")
		index[seq] = len(st.Resources)
		st.Resources = append(st.Resources, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.query(`SELECT seq, name, value FROM resource_keys WHERE workspace_id = ? ORDER BY seq, name, value`, tx.ws)
	if err != nil {
		return err
	}
	for rows.Next() {
		var seq int64
		var k [2]string
		if err := rows.Scan(&seq, &k[0], &k[1]); err != nil {
			rows.Close()
			return err
		}
		if i, ok := index[seq]; ok {
			st.Resources[i].Keys = append(st.Resources[i].Keys, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.query(`SELECT name, value FROM counters WHERE workspace_id = ? ORDER BY name`, tx.ws)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c SnapshotCounter
		if err := rows.Scan(&c.Name, &c.Value); err != nil {
			rows.Close()
			return err
		}
		st.Counters = append(st.Counters, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	hooks, err := tx.Webhooks("")
	if err != nil {
		return err
	}
	for _, h := range hooks {
		st.Webhooks = append(st.Webhooks, SnapshotWebhook{ID: h.ID, Vendor: h.Vendor, Owner: h.Owner, URL: h.URL, Method: h.Method,
			Events: nonNilStrings(h.Events), Secret: h.Secret, Active: h.Active, Source: h.Source, CreatedAt: h.CreatedAt})
	}
	if err := tx.exportRules(st); err != nil {
		return err
	}
	rows, err = tx.query(`SELECT vendor, kind, payload, run_id, step, state, due_at, attempts, last_error, created_at FROM jobs
		WHERE workspace_id = ? AND state != ? ORDER BY id`, tx.ws, JobCancelled)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var j SnapshotJob
		var payload []byte
		var due, created int64
		if err := rows.Scan(&j.Vendor, &j.Kind, &payload, &j.RunID, &j.Step, &j.State, &due, &j.Attempts, &j.LastError, &created); err != nil {
			return err
		}
		if j.State == JobRunning {
			j.State = JobPending
		}
		j.Payload, j.DueAt, j.CreatedAt = compactJSON(payload, "{}"), fromMicros(due), fromMicros(created)
		st.Jobs = append(st.Jobs, j)
	}
	return rows.Err()
}

// compactJSON returns b compacted, or def when b is empty or not JSON (a
// snapshot holds JSON only).
func compactJSON(b []byte, def string) json.RawMessage {
	var out bytes.Buffer
	if len(b) == 0 || json.Compact(&out, b) != nil {
		return json.RawMessage(def)
	}
	return out.Bytes()
}

// body is the JSON the checksum covers: the document without it, HTML
// characters unescaped (as resource documents are stored).
func (s *Snapshot) body() ([]byte, error) {
	c := *s
	c.Checksum = ""
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sum is the checksum: the SHA-256 of the canonical JSON of the document
// without its checksum (object keys sorted, numbers as written, HTML
// characters unescaped), so that a tool that re-encodes the file without
// changing it (reordering keys, escaping "<") does not break it.
func (s *Snapshot) sum() (string, error) {
	b, err := s.body()
	if err != nil {
		return "", err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var canon bytes.Buffer
	enc := json.NewEncoder(&canon)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	h := sha256.Sum256(canon.Bytes())
	return "sha256:" + hex.EncodeToString(h[:]), nil
}

// Encode writes s with its checksum, indented.
func (s *Snapshot) Encode() ([]byte, error) {
	sum, err := s.sum()
	if err != nil {
		return nil, err
	}
	s.Checksum = sum
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeSnapshot reads a snapshot document and checks it: its format, a
// version this build reads, and its checksum. Errors wrap ErrSnapshot and
// say why.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: not a snapshot document: %v", ErrSnapshot, err)
	}
	if head.Format != SnapshotFormat {
		return nil, fmt.Errorf("%w: format is %q, not %q", ErrSnapshot, head.Format, SnapshotFormat)
	}
	if head.Version > SnapshotVersion {
		return nil, fmt.Errorf("%w: it has format version %d, newer than this vendorsim reads (%d): load it with a newer vendorsim", ErrSnapshot, head.Version, SnapshotVersion)
	}
	if head.Version < 1 {
		return nil, fmt.Errorf("%w: format version %d is not a version", ErrSnapshot, head.Version)
	}
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	want, err := s.sum()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	if s.Checksum != want {
		return nil, fmt.Errorf("%w: its checksum does not match its content (the file was changed or damaged after export)", ErrSnapshot)
	}
	return &s, nil
}

// CheckImport reports, without changing anything, whether st can be
// imported into workspace ws (ImportState): ErrConflict when one of its
// webhook ids belongs to another workspace.
func (db *DB) CheckImport(ctx context.Context, ws string, st *SnapshotState) error {
	return db.View(ctx, ws, func(tx *Tx) error {
		for _, h := range st.Webhooks {
			if err := tx.checkWebhookID(h.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

func (tx *Tx) checkWebhookID(id string) error {
	var owner string
	err := tx.queryRow(`SELECT workspace_id FROM webhooks WHERE id = ?`, id).Scan(&owner)
	if err == nil && owner != tx.ws {
		return fmt.Errorf("webhook %s belongs to workspace %s: %w", id, owner, ErrConflict)
	}
	return nil
}

// ImportState writes a snapshot's state into the transaction's workspace,
// which must hold nothing yet (just created, or emptied by a reset), and
// sets its clock offset. Resource documents and keys are written as they
// were; webhooks keep their ids and secrets. A webhook id that another
// workspace uses is ErrConflict.
func (tx *Tx) ImportState(st *SnapshotState) error {
	for i := range st.Resources {
		r := &st.Resources[i]
		res := &Resource{Vendor: r.Vendor, Kind: r.Kind, ID: r.ID, Parent: r.Parent, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Doc: compactJSON(r.Doc, "null")}
		for _, k := range r.Keys {
			res.Keys = append(res.Keys, K(k[0], k[1]))
		}
		if err := tx.Insert(res); err != nil {
			return fmt.Errorf("import %s %s %s: %w", r.Vendor, r.Kind, r.ID, err)
		}
	}
	for _, c := range st.Counters {
		if _, err := tx.exec(`INSERT INTO counters (workspace_id, name, value) VALUES (?, ?, ?)
			ON CONFLICT (workspace_id, name) DO UPDATE SET value = excluded.value`, tx.ws, c.Name, c.Value); err != nil {
			return fmt.Errorf("import counter %s: %w", c.Name, err)
		}
	}
	for _, h := range st.Webhooks {
		if err := tx.checkWebhookID(h.ID); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		wh := &Webhook{ID: h.ID, Vendor: h.Vendor, Owner: h.Owner, URL: h.URL, Method: h.Method, Events: h.Events, Secret: h.Secret,
			Active: h.Active, Source: h.Source, CreatedAt: h.CreatedAt}
		if err := tx.PutWebhook(wh); err != nil {
			return fmt.Errorf("import webhook %s: %w", h.ID, err)
		}
	}
	for _, j := range st.Jobs {
		if _, err := tx.exec(`INSERT INTO jobs (workspace_id, vendor, kind, payload, run_id, step, state, due_at, attempts, last_error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tx.ws, j.Vendor, j.Kind, []byte(compactJSON(j.Payload, "{}")), j.RunID, j.Step, j.State, micros(j.DueAt), j.Attempts, j.LastError, micros(j.CreatedAt), micros(tx.now)); err != nil {
			return fmt.Errorf("import step %d of run %s: %w", j.Step, j.RunID, err)
		}
	}
	if len(st.Jobs) > 0 && tx.db.OnEnqueue != nil {
		tx.OnCommit(tx.db.OnEnqueue)
	}
	off := time.Duration(st.ClockOffsetMicros) * time.Microsecond
	// An imported clock runs at real speed.
	if _, err := tx.exec(`UPDATE workspaces SET clock_offset = ?, clock_speed = 1, clock_ref = 0 WHERE id = ?`, st.ClockOffsetMicros, tx.ws); err != nil {
		return fmt.Errorf("import clock: %w", err)
	}
	ws := tx.ws
	tx.OnCommit(func() {
		tx.db.wsMu.Lock()
		tx.db.offsets[ws] = off
		delete(tx.db.rates, ws)
		tx.db.wsMu.Unlock()
	})
	return nil
}
