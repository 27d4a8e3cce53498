package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Event is something a vendor emits: one body, delivered to every
// subscribed webhook.
type Event struct {
	ID        string
	Vendor    string
	Type      string
	Body      []byte
	CreatedAt time.Time
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting for its due time
	DeliverySending   = "sending"   // claimed by a dispatcher
	DeliveryDelivered = "delivered" // answered with success
	DeliveryDead      = "dead"      // retries exhausted or a final failure
	// DeliveryCancelled is a delivery that will not be attempted again:
	// its webhook was deleted or deactivated, or its workspace is being
	// reset.
	DeliveryCancelled = "cancelled"
)

// ErrEndpointGone means a delivery's webhook was deleted or deactivated
// (Replay refuses to send it). It wraps ErrConflict.
var ErrEndpointGone = fmt.Errorf("%w: the delivery's webhook was deleted or is inactive", ErrConflict)

// Subscribers returns the active webhooks of vendor that want eventType.
// The subscriptions are read once per transaction.
func (tx *Tx) Subscribers(vendor, eventType string) ([]Webhook, error) {
	if tx.hooks == nil {
		tx.hooks = map[string][]Webhook{}
	}
	all, ok := tx.hooks[vendor]
	if !ok {
		var err error
		if all, err = tx.cachedWebhooks(vendor); err != nil {
			return nil, err
		}
		tx.hooks[vendor] = all
	}
	var out []Webhook
	for _, h := range all {
		if h.Wants(eventType) {
			out = append(out, h)
		}
	}
	return out, nil
}

// requestIDKey carries the id of the vendor request an update serves.
type requestIDKey struct{}

// WithRequestID returns ctx marked as serving the vendor request id (its
// X-Request-Id, the journal's request_id): the deliveries of the events an
// update run with it enqueues name that request (Delivery.RequestID).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestID returns the vendor request the transaction serves, or "".
func (tx *Tx) requestID() string {
	id, _ := tx.ctx.Value(requestIDKey{}).(string)
	return id
}

// Enqueue stores ev and one pending delivery per webhook, due now. It does
// nothing without webhooks. The deliveries name the vendor request the
// transaction serves, if any (WithRequestID).
func (tx *Tx) Enqueue(ev Event, hooks []Webhook) error {
	if len(hooks) == 0 {
		return nil
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = tx.now
	}
	if _, err := tx.exec(`INSERT INTO events (id, workspace_id, vendor, type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.ID, tx.ws, ev.Vendor, ev.Type, ev.Body, micros(ev.CreatedAt)); err != nil {
		return fmt.Errorf("enqueue %s: %w", ev.Type, formatError(err))
	}
	rid := tx.requestID()
	for _, h := range hooks {
		if _, err := tx.exec(`INSERT INTO deliveries (event_id, workspace_id, vendor, event_type, webhook_id, url, method, secret, state, due_at, request_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ev.ID, tx.ws, ev.Vendor, ev.Type, h.ID, h.URL, h.Method, h.Secret, DeliveryPending, micros(ev.CreatedAt), rid, micros(tx.now), micros(tx.now)); err != nil {
			return fmt.Errorf("enqueue %s: %w", ev.Type, err)
		}
	}
	if tx.db.OnEnqueue != nil {
		tx.OnCommit(tx.db.OnEnqueue)
	}
	return nil
}

// Delivery is one event on its way to one webhook.
type Delivery struct {
	ID          int64
	EventID     string
	WorkspaceID string
	Vendor      string
	EventType   string
	WebhookID   string
	URL         string
	Method      string
	Secret      string
	State       string
	Attempts    int
	// DueAt is when the next attempt is due, in the workspace's virtual
	// time; FirstAttemptAt is when the first one was made (virtual).
	DueAt          time.Time
	FirstAttemptAt time.Time
	LastStatus     int
	LastError      string
	ReplayOf       int64
	// RequestID is the X-Request-Id of the vendor request whose
	// transaction emitted the event ("" for a scenario step, a simulator
	// or a control call): the journal's request_id of that request.
	RequestID  string
	CreatedAt  time.Time
	Body       []byte
	AttemptLog []Attempt
}

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	DeliveryID int64
	N          int
	// At is real time; VirtualAt the workspace's virtual time.
	At              time.Time
	VirtualAt       time.Time
	RequestHeaders  []byte
	Status          int
	Latency         time.Duration
	ResponseHeaders []byte
	ResponseBody    []byte
	Error           string
	// Chaos says what a webhook chaos rule did to the attempt ("" for
	// nothing).
	Chaos string
}

// Outcome is how an attempt ends for its delivery.
type Outcome struct {
	Attempt Attempt
	// State is DeliveryDelivered, DeliveryDead or DeliveryPending (retry
	// at NextDue, virtual time).
	State   string
	NextDue time.Time
}

// Claim selects due work.
type Claim struct {
	// Workspace limits the claim to one workspace ("" for all).
	Workspace string
	// Exclude skips these workspaces.
	Exclude []string
	// Cutoff, with Workspace, claims what is due at or before this virtual
	// time; otherwise due means at or before each workspace's now.
	Cutoff time.Time
	Limit  int
	// Lease is how long the claim holds against other claimers.
	Lease time.Duration
}

// where selects pending work that is due. The bound real+maxOffset (no
// workspace's clock is further ahead) lets the due_at index end the scan;
// the exact per-workspace test follows. Expired leases are handed back by
// reclaim first, so one index range covers everything claimable.
func (c Claim) where(table string, real int64, maxOffset time.Duration) whereClause {
	pending := DeliveryPending
	if table == "jobs" {
		pending = JobPending
	}
	b := []string{"t.state = ?"}
	args := []any{pending}
	if c.Workspace != "" {
		b = append(b, "t.workspace_id = ?")
		args = append(args, c.Workspace)
	}
	if len(c.Exclude) > 0 {
		b = append(b, "t.workspace_id NOT IN ("+placeholders(len(c.Exclude))+")")
		for _, ws := range c.Exclude {
			args = append(args, ws)
		}
	}
	if c.Workspace != "" && !c.Cutoff.IsZero() {
		b = append(b, "t.due_at <= ?")
		args = append(args, micros(c.Cutoff))
	} else {
		b = append(b, "t.due_at <= ?", "t.due_at <= "+virtualNowSQL)
		args = append(args, real+maxOffset.Microseconds(), real)
	}
	return whereClause{joinAnd(b), args}
}

// reclaim returns work whose lease has expired (its claimer stopped or
// stalled) to pending.
func (tx *Tx) reclaim(table string, real int64) error {
	pending, running := DeliveryPending, DeliverySending
	if table == "jobs" {
		pending, running = JobPending, JobRunning
	}
	_, err := tx.exec(`UPDATE `+table+` SET state = ?, lease_until = 0 WHERE state = ? AND lease_until < ?`, pending, running, real)
	return err
}

type whereClause struct {
	sql  string
	args []any
}

func joinAnd(conds []string) string {
	out := ""
	for i, c := range conds {
		if i > 0 {
			out += " AND "
		}
		out += c
	}
	return out
}

// ClaimDeliveries marks up to c.Limit due deliveries as sending, oldest due
// first, and returns them with their bodies. Claiming starts an attempt: it
// counts in Attempts (the number of the attempt about to be made) from
// then on, so that an attempt cut short by a crash is never numbered again
// (Release gives back what was claimed and not attempted).
func (db *DB) ClaimDeliveries(ctx context.Context, c Claim) ([]Delivery, error) {
	if c.Limit <= 0 {
		c.Limit = 100
	}
	real := micros(db.Now())
	w := c.where("deliveries", real, db.maxClockOffset())
	where, args := w.sql, w.args
	lease := real + c.Lease.Microseconds()
	var out []Delivery
	err := db.Update(ctx, "", func(tx *Tx) error {
		if err := tx.reclaim("deliveries", real); err != nil {
			return err
		}
		rows, err := tx.query(`UPDATE deliveries SET state = ?, lease_until = ?, attempts = attempts + 1 WHERE id IN (
			SELECT t.id FROM deliveries t JOIN workspaces w ON w.id = t.workspace_id WHERE `+where+`
			ORDER BY t.due_at, t.id LIMIT ?)
			RETURNING `+deliveryCols, append(append([]any{DeliverySending, lease}, args...), c.Limit)...)
		if err != nil {
			return err
		}
		out, err = scanDeliveries(rows)
		if err != nil {
			return err
		}
		return tx.loadBodies(out)
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	sortDeliveries(out)
	return out, nil
}

const deliveryCols = `id, event_id, workspace_id, vendor, event_type, webhook_id, url, method, secret, state, attempts, due_at, first_attempt_at, last_status, last_error, replay_of, request_id, created_at`

func scanDeliveries(rows *sql.Rows) ([]Delivery, error) {
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var due, first, created int64
		if err := rows.Scan(&d.ID, &d.EventID, &d.WorkspaceID, &d.Vendor, &d.EventType, &d.WebhookID, &d.URL, &d.Method, &d.Secret,
			&d.State, &d.Attempts, &due, &first, &d.LastStatus, &d.LastError, &d.ReplayOf, &d.RequestID, &created); err != nil {
			return nil, err
		}
		d.DueAt, d.FirstAttemptAt, d.CreatedAt = fromMicros(due), fromMicros(first), fromMicros(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

func sortDeliveries(ds []Delivery) {
	sort.Slice(ds, func(i, j int) bool {
		if !ds[i].DueAt.Equal(ds[j].DueAt) {
			return ds[i].DueAt.Before(ds[j].DueAt)
		}
		return ds[i].ID < ds[j].ID
	})
}

// loadBodies fills the event bodies of ds.
func (tx *Tx) loadBodies(ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	ids := map[string]bool{}
	var args []any
	for _, d := range ds {
		if !ids[d.EventID] {
			ids[d.EventID] = true
			args = append(args, d.EventID)
		}
	}
	bodies := map[string][]byte{}
	for start := 0; start < len(args); start += 500 {
		chunk := args[start:min(len(args), start+500)]
		rows, err := tx.c.c.QueryContext(tx.sqlCtx, `SELECT id, body FROM events WHERE id IN (`+placeholders(len(chunk))+`)`, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var body []byte
			if err := rows.Scan(&id, &body); err != nil {
				rows.Close()
				return err
			}
			bodies[id] = body
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i := range ds {
		ds[i].Body = bodies[ds[i].EventID]
	}
	return nil
}

// RecordOutcomes stores attempts and moves their deliveries on, in one
// transaction. Deliveries deleted meanwhile (a reset) are skipped; those
// cancelled meanwhile (their webhook was deleted) get the attempt in their
// log and stay cancelled.
func (db *DB) RecordOutcomes(ctx context.Context, outs []Outcome) error {
	if len(outs) == 0 {
		return nil
	}
	return db.Update(ctx, "", func(tx *Tx) error {
		for _, o := range outs {
			a := o.Attempt
			res, err := tx.exec(`UPDATE deliveries SET state = CASE WHEN state = 'cancelled' THEN state ELSE ? END, attempts = max(attempts, ?),
				due_at = CASE WHEN ? > 0 THEN ? ELSE due_at END,
				first_attempt_at = CASE WHEN first_attempt_at = 0 THEN ? ELSE first_attempt_at END,
				lease_until = 0, last_status = ?, last_error = ?, updated_at = ? WHERE id = ? AND state IN ('sending', 'cancelled')`,
				o.State, a.N, micros(o.NextDue), micros(o.NextDue), micros(a.VirtualAt), a.Status, a.Error, micros(a.At), a.DeliveryID)
			if err != nil {
				return fmt.Errorf("record attempt: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if _, err := tx.exec(`INSERT INTO attempts (delivery_id, workspace_id, n, at, virtual_at, request_headers, status, latency_us, response_headers, response_body, error, chaos)
				SELECT id, workspace_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM deliveries WHERE id = ?`,
				a.N, micros(a.At), micros(a.VirtualAt), nonNil(a.RequestHeaders, "{}"), a.Status, a.Latency.Microseconds(),
				nonNil(a.ResponseHeaders, "{}"), nonNil(a.ResponseBody, ""), a.Error, a.Chaos, a.DeliveryID); err != nil {
				return fmt.Errorf("record attempt: %w", err)
			}
		}
		return nil
	})
}

// DeliveryFilter selects deliveries. Zero fields do not filter.
type DeliveryFilter struct {
	WorkspaceID string
	Vendor      string
	EventType   string
	State       string
	// Endpoint matches a webhook id or a URL.
	Endpoint string
	EventID  string
	// Subject keeps the deliveries whose event body contains it (a
	// message's id, say: every event about the message).
	Subject string
	Limit   int
	Offset  int
}

// Deliveries lists deliveries matching f, newest first (as the journal
// lists requests), with their attempts and bodies, and the total number
// that match.
func (db *DB) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, int, error) {
	var conds []string
	var args []any
	add := func(cond string, vals ...any) {
		conds = append(conds, cond)
		args = append(args, vals...)
	}
	if f.WorkspaceID != "" {
		add("workspace_id = ?", f.WorkspaceID)
	}
	if f.Vendor != "" {
		add("vendor = ?", f.Vendor)
	}
	if f.EventType != "" {
		add("event_type = ?", f.EventType)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.Endpoint != "" {
		add("(webhook_id = ? OR url = ?)", f.Endpoint, f.Endpoint)
	}
	if f.EventID != "" {
		add("event_id = ?", f.EventID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + joinAnd(conds)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []Delivery
	var total int
	err := db.View(ctx, "", func(tx *Tx) error {
		if f.Subject != "" {
			// The events that name the subject, once (a scan of the
			// workspace's events), then their deliveries by event.
			ids, err := tx.eventsNaming(f.WorkspaceID, f.Subject)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			c := "event_id IN (" + placeholders(len(ids)) + ")"
			if where == "" {
				where = " WHERE " + c
			} else {
				where += " AND " + c
			}
			args = append(args, ids...)
		}
		if err := tx.queryRow(`SELECT COUNT(*) FROM deliveries`+where, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT `+deliveryCols+` FROM deliveries`+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
		if err != nil {
			return err
		}
		if out, err = scanDeliveries(rows); err != nil {
			return err
		}
		if err := tx.loadBodies(out); err != nil {
			return err
		}
		return tx.loadAttempts(out)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list deliveries: %w", err)
	}
	return out, total, nil
}

// eventsNaming returns the ids of the events of workspace ws ("" for
// all) whose body contains text, at most 1000 (the most recent kept).
func (tx *Tx) eventsNaming(ws, text string) ([]any, error) {
	q, args := `SELECT id FROM events WHERE instr(body, ?) > 0`, []any{[]byte(text)}
	if ws != "" {
		q, args = `SELECT id FROM events WHERE workspace_id = ? AND instr(body, ?) > 0`, []any{ws, []byte(text)}
	}
	rows, err := tx.query(q+` ORDER BY created_at DESC LIMIT 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// GetDelivery returns one delivery of workspace ws ("" for any), or
// ErrNotFound.
func (db *DB) GetDelivery(ctx context.Context, ws string, id int64) (*Delivery, error) {
	var d *Delivery
	err := db.View(ctx, ws, func(tx *Tx) error {
		rows, err := tx.query(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ? AND (? = '' OR workspace_id = ?)`, id, ws, ws)
		if err != nil {
			return err
		}
		ds, err := scanDeliveries(rows)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return ErrNotFound
		}
		if err := tx.loadBodies(ds); err != nil {
			return err
		}
		if err := tx.loadAttempts(ds); err != nil {
			return err
		}
		d = &ds[0]
		return nil
	})
	return d, err
}

func (tx *Tx) loadAttempts(ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	index := map[int64]int{}
	args := make([]any, 0, len(ds))
	for i, d := range ds {
		index[d.ID] = i
		args = append(args, d.ID)
	}
	for start := 0; start < len(args); start += 500 {
		chunk := args[start:min(len(args), start+500)]
		rows, err := tx.c.c.QueryContext(tx.sqlCtx, `SELECT delivery_id, n, at, virtual_at, request_headers, status, latency_us, response_headers, response_body, error, chaos
			FROM attempts WHERE delivery_id IN (`+placeholders(len(chunk))+`) ORDER BY delivery_id, n`, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a Attempt
			var at, vat, lat int64
			if err := rows.Scan(&a.DeliveryID, &a.N, &at, &vat, &a.RequestHeaders, &a.Status, &lat, &a.ResponseHeaders, &a.ResponseBody, &a.Error, &a.Chaos); err != nil {
				rows.Close()
				return err
			}
			a.At, a.VirtualAt, a.Latency = fromMicros(at), fromMicros(vat), time.Duration(lat)*time.Microsecond
			i := index[a.DeliveryID]
			ds[i].AttemptLog = append(ds[i].AttemptLog, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Replay queues a new delivery of the same event to the same webhook, due
// now in the workspace's time, naming the same request, and returns it. It returns ErrNotFound for
// an unknown delivery and ErrEndpointGone when its webhook no longer exists
// or is inactive.
func (db *DB) Replay(ctx context.Context, ws string, id int64) (*Delivery, error) {
	var newID int64
	err := db.Update(ctx, ws, func(tx *Tx) error {
		var active bool
		err := tx.queryRow(`SELECT coalesce((SELECT h.active FROM webhooks h WHERE h.id = d.webhook_id AND h.workspace_id = d.workspace_id), 0)
			FROM deliveries d WHERE d.id = ? AND (? = '' OR d.workspace_id = ?)`, id, ws, ws).Scan(&active)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if !active {
			return ErrEndpointGone
		}
		err = tx.queryRow(`INSERT INTO deliveries (event_id, workspace_id, vendor, event_type, webhook_id, url, method, secret, state, due_at, replay_of, request_id, created_at, updated_at)
			SELECT event_id, workspace_id, vendor, event_type, webhook_id, url, method, secret, ?, ?, id, request_id, ?, ? FROM deliveries WHERE id = ? AND (? = '' OR workspace_id = ?)
			RETURNING id`, DeliveryPending, micros(tx.now), micros(tx.now), micros(tx.now), id, ws, ws).Scan(&newID)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if db.OnEnqueue != nil {
			tx.OnCommit(db.OnEnqueue)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.GetDelivery(ctx, ws, newID)
}

// NextDue returns the earliest real time at which pending work (deliveries
// or jobs) falls due, across workspaces not in exclude; false when there is
// none.
func (db *DB) NextDue(ctx context.Context, exclude []string) (time.Time, bool, error) {
	maxOff := db.maxClockOffset().Microseconds()
	var next int64
	found := false
	err := db.View(ctx, "", func(tx *Tx) error {
		for _, table := range []string{"deliveries", "jobs"} {
			due, ok, err := tx.nextDue(table, exclude, maxOff)
			if err != nil {
				return err
			}
			if ok && (!found || due < next) {
				next, found = due, true
			}
		}
		// Clocks that do not run at real speed (few): each on its own.
		for ws, c := range db.rateClocks() {
			if c.rate.speed <= 0 || slices.Contains(exclude, ws) {
				continue
			}
			var due sql.NullInt64
			if err := tx.queryRow(`SELECT MIN(d) FROM (
				SELECT MIN(due_at) AS d FROM deliveries WHERE workspace_id = ? AND state = 'pending'
				UNION ALL SELECT MIN(due_at) FROM jobs WHERE workspace_id = ? AND state = 'pending')`, ws, ws).Scan(&due); err != nil {
				return err
			}
			if !due.Valid {
				continue
			}
			real := c.rate.ref + int64(float64(due.Int64-c.rate.ref-c.off)/c.rate.speed)
			if !found || real < next {
				next, found = real, true
			}
		}
		return nil
	})
	if err != nil || !found {
		return time.Time{}, false, err
	}
	return fromMicros(next), true, nil
}

// nextDue returns the earliest real due time (µs) of pending work in table.
// Work due at d in a workspace whose clock is off ahead is due in real time
// at d-off. With d0 the earliest d, nothing due after d0+maxOff can come
// first: only that index range is read.
func (tx *Tx) nextDue(table string, exclude []string, maxOff int64) (int64, bool, error) {
	cond, tcond, args := "", "", []any{}
	if len(exclude) > 0 {
		cond = " AND workspace_id NOT IN (" + placeholders(len(exclude)) + ")"
		tcond = " AND t.workspace_id NOT IN (" + placeholders(len(exclude)) + ")"
		for _, ws := range exclude {
			args = append(args, ws)
		}
	}
	var d0 int64
	err := tx.queryRow(`SELECT due_at FROM `+table+` WHERE state = 'pending'`+cond+` ORDER BY due_at LIMIT 1`, args...).Scan(&d0)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var next sql.NullInt64
	err = tx.queryRow(`SELECT MIN(t.due_at - w.clock_offset) FROM `+table+` t JOIN workspaces w ON w.id = t.workspace_id
		WHERE t.state = 'pending' AND t.due_at <= ? AND w.clock_speed = 1`+tcond,
		append([]any{d0 + maxOff}, args...)...).Scan(&next)
	if err != nil || !next.Valid {
		return 0, false, err
	}
	return next.Int64, true, nil
}

// NextDueIn returns the earliest virtual due time of pending work in one
// workspace; false when there is none.
func (db *DB) NextDueIn(ctx context.Context, ws string) (time.Time, bool, error) {
	var next sql.NullInt64
	err := db.View(ctx, ws, func(tx *Tx) error {
		return tx.queryRow(`SELECT MIN(due) FROM (
			SELECT MIN(due_at) AS due FROM deliveries WHERE workspace_id = ? AND state IN ('pending', 'sending')
			UNION ALL
			SELECT MIN(due_at) FROM jobs WHERE workspace_id = ? AND state IN ('pending', 'running'))`, ws, ws).Scan(&next)
	})
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	return fromMicros(next.Int64), true, nil
}

// Unclaim returns work claimed by a process that stopped (after a crash,
// leases of the previous run would otherwise delay it) to pending.
func (db *DB) Unclaim(ctx context.Context) error {
	return db.Update(ctx, "", func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE deliveries SET state = ?, lease_until = 0 WHERE state = ?`, DeliveryPending, DeliverySending); err != nil {
			return err
		}
		_, err := tx.exec(`UPDATE jobs SET state = ?, lease_until = 0 WHERE state = ?`, JobPending, JobRunning)
		return err
	})
}

// Release gives claimed deliveries that were not attempted back (a stop
// abandoned them in their queues), with their attempt counts as before the
// claim.
func (db *DB) Release(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return db.Update(ctx, "", func(tx *Tx) error {
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(len(ids), start+500)]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			if _, err := tx.exec(`UPDATE deliveries SET state = 'pending', lease_until = 0, attempts = max(attempts - 1, 0)
				WHERE state = 'sending' AND id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
				return fmt.Errorf("release deliveries: %w", err)
			}
		}
		return nil
	})
}

// cancelDeliveries cancels the deliveries of webhook id of the
// transaction's workspace that are not finished.
func (tx *Tx) cancelDeliveries(webhookID, why string) error {
	_, err := tx.exec(`UPDATE deliveries SET state = ?, last_error = ?, lease_until = 0, updated_at = ?
		WHERE workspace_id = ? AND webhook_id = ? AND state IN ('pending', 'sending')`, DeliveryCancelled, why, micros(tx.now), tx.ws, webhookID)
	if err != nil {
		return fmt.Errorf("cancel deliveries: %w", err)
	}
	return nil
}

// CancelWork marks the unfinished deliveries and scenario steps of
// workspace ws ("" for every workspace) cancelled, so that nothing claims
// them again (a reset is about to delete them).
func (db *DB) CancelWork(ctx context.Context, ws string) error {
	return db.Update(ctx, ws, func(tx *Tx) error {
		now := micros(tx.now)
		if _, err := tx.exec(`UPDATE deliveries SET state = ?, last_error = 'cancelled by a reset', lease_until = 0, updated_at = ?
			WHERE state IN ('pending', 'sending') AND (? = '' OR workspace_id = ?)`, DeliveryCancelled, now, ws, ws); err != nil {
			return fmt.Errorf("cancel deliveries: %w", err)
		}
		if _, err := tx.exec(`UPDATE jobs SET state = ?, last_error = 'cancelled by a reset', lease_until = 0, updated_at = ?
			WHERE state IN ('pending', 'running') AND (? = '' OR workspace_id = ?)`, JobCancelled, now, ws, ws); err != nil {
			return fmt.Errorf("cancel jobs: %w", err)
		}
		return nil
	})
}

// DueWorkspaces lists the workspaces with work due now in their own time:
// pending deliveries or jobs due, or claimed ones not yet finished.
func (db *DB) DueWorkspaces(ctx context.Context) ([]string, error) {
	real := micros(db.Now())
	bound := real + db.maxClockOffset().Microseconds()
	var out []string
	err := db.View(ctx, "", func(tx *Tx) error {
		rows, err := tx.query(`SELECT t.workspace_id FROM deliveries t JOIN workspaces w ON w.id = t.workspace_id
				WHERE t.state = 'sending' OR (t.state = 'pending' AND t.due_at <= ? AND t.due_at <= `+virtualNowSQL+`)
			UNION SELECT t.workspace_id FROM jobs t JOIN workspaces w ON w.id = t.workspace_id
				WHERE t.state = 'running' OR (t.state = 'pending' AND t.due_at <= ? AND t.due_at <= `+virtualNowSQL+`)`,
			bound, real, bound, real)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ws string
			if err := rows.Scan(&ws); err != nil {
				return err
			}
			out = append(out, ws)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("due workspaces: %w", err)
	}
	return out, nil
}

// WebhookGeneration returns a value that changes whenever the webhooks of
// workspace ws change: a dispatcher holding claimed deliveries checks them
// again (DeliveryState) when it has moved.
func (db *DB) WebhookGeneration(ws string) uint64 { return db.hooks.gen(ws) }

// WebhookChanges returns a value that changes whenever the webhooks of any
// workspace change.
func (db *DB) WebhookChanges() uint64 { return db.hooks.changes.Load() + db.hooks.epoch.Load() }

// DeliveryState returns the state of delivery id, or ErrNotFound.
func (db *DB) DeliveryState(ctx context.Context, id int64) (string, error) {
	var state string
	err := db.View(ctx, "", func(tx *Tx) error {
		return tx.queryRow(`SELECT state FROM deliveries WHERE id = ?`, id).Scan(&state)
	})
	if err == sql.ErrNoRows || errors.Is(err, ErrNotFound) {
		return "", ErrNotFound
	}
	return state, err
}

// PendingDeliveries counts deliveries not yet delivered or dead, in ws ("" for all).
func (db *DB) PendingDeliveries(ctx context.Context, ws string) (int, error) {
	var n int
	err := db.View(ctx, ws, func(tx *Tx) error {
		return tx.queryRow(`SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'sending') AND (? = '' OR workspace_id = ?)`, ws, ws).Scan(&n)
	})
	return n, err
}

// PruneOutbox deletes finished work older than before (real time):
// delivered, dead and cancelled deliveries with their attempts, events left
// without deliveries, and done, failed or cancelled jobs. It returns how many deliveries and
// jobs it deleted.
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (deliveries, jobs int, err error) {
	cut := micros(before)
	err = db.Update(ctx, "", func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM attempts WHERE delivery_id IN (
			SELECT id FROM deliveries WHERE state IN ('delivered', 'dead', 'cancelled') AND updated_at < ?)`, cut); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM deliveries WHERE state IN ('delivered', 'dead', 'cancelled') AND updated_at < ?`, cut)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		deliveries = int(n)
		if _, err := tx.exec(`DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)
			AND created_at - COALESCE((SELECT clock_offset FROM workspaces w WHERE w.id = events.workspace_id), 0) < ?`, cut); err != nil {
			return err
		}
		// Job times are virtual: compare them in each workspace's time.
		res, err = tx.exec(`DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled')
			AND updated_at - COALESCE((SELECT clock_offset FROM workspaces w WHERE w.id = jobs.workspace_id), 0) < ?`, cut)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		jobs = int(n)
		return nil
	})
	if err != nil {
		err = fmt.Errorf("prune outbox: %w", err)
	}
	return deliveries, jobs, err
}
