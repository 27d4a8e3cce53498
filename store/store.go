// Package store holds all of vendorsim's SQL: the schema and its migrations,
// workspaces and their credentials and clocks, vendor-agnostic resources, the
// request journal, the webhook outbox and scheduled jobs.
//
// Vendor packages own the shape of their documents; store only keeps them as
// JSON with a few lookup keys, keyed by workspace. Every write happens inside
// an Update transaction that carries one "now" (the workspace's virtual time),
// so a state change, the webhook events it causes and the jobs it schedules
// commit together or not at all.
//
// The backend is SQLite through modernc.org/sqlite (no cgo): one writer
// connection, a pool of readers in WAL mode for a file database, and a single
// shared connection for ":memory:".
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Vendor packages map them to their own error bodies.
var (
	// ErrNotFound means the addressed row does not exist in the workspace.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a row with the same identity already exists.
	ErrConflict = errors.New("conflict")
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the database. It is safe for concurrent use.
type DB struct {
	// Path is the file path, or ":memory:".
	Path string
	// Now is the real ("base") clock. Workspace clocks are Now plus the
	// workspace's offset. Set it before Open; tests replace it.
	Now func() time.Time
	// OnEnqueue, when set, runs after a transaction that enqueued
	// deliveries or scheduled jobs commits (the dispatcher's wake-up).
	OnEnqueue func()

	pool *sql.DB
	// writer is the connection of the writer goroutine (see Update), and,
	// for an in-memory database, of every transaction.
	writer     *conn
	readers    chan *conn
	queue      chan *writeReq
	stopping   chan struct{}
	stopped    chan struct{}
	writerDone chan struct{}
	// checkpointDone closes when the checkpointer has stopped.
	checkpointDone chan struct{}

	wsMu    sync.RWMutex
	offsets map[string]time.Duration // workspace clock offsets
	rates   map[string]clockRate     // clocks not at real speed
	creds   map[credKey]string       // credential -> workspace id

	// gens counts committed writes per workspace, and epoch writes that
	// may touch every workspace, for read caches (see Generation).
	gens  sync.Map // string -> *atomic.Uint64
	epoch atomic.Uint64
	// commits counts committed write batches of any kind (see Commits).
	commits atomic.Uint64
	// fileDB is set for a database in a file, whose page cache the
	// writer grows for bulk updates (see growCache).
	fileDB bool
	// bigCache is set while the writer's page cache is grown.
	bigCache bool
	// walChecked is when the writer last looked at the WAL's size (see
	// writerCheckpoint).
	walChecked time.Time

	// hooks caches webhooks per workspace.
	hooks hookCache
	// journalKeep is the journal's retention (see SetJournalRetention).
	journalKeep atomic.Int64
	// text holds the committed text key names (see text.go).
	text textNames
}

type credKey struct{ vendor, credential string }

// conn is one SQLite connection with its prepared statements. Transactions
// are plain BEGIN/COMMIT statements on it, so statements prepared once serve
// every transaction.
type conn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func (c *conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	s, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(c.stmts) < 512 {
		c.stmts[query] = s
	}
	return s, nil
}

func (c *conn) close() error {
	for _, s := range c.stmts {
		s.Close()
	}
	return c.c.Close()
}

// New returns a DB for path that is not yet open.
func New(path string) *DB {
	return &DB{
		Path:    path,
		Now:     time.Now,
		offsets: map[string]time.Duration{},
		rates:   map[string]clockRate{},
		creds:   map[credKey]string{},
	}
}

// Open opens the database, applies pending migrations and loads the workspace
// caches.
func (db *DB) Open(ctx context.Context) error {
	if db.Path == "" {
		return errors.New("open database: no path")
	}
	memory := db.Path == ":memory:"
	dsn := "file::memory:?_pragma=foreign_keys(1)&_pragma=temp_store(memory)"
	nReaders := 0
	if !memory {
		u := url.URL{Scheme: "file", Opaque: db.Path}
		dsn = u.String() + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_pragma=foreign_keys(1)&_pragma=temp_store(memory)&_pragma=journal_size_limit(67108864)"
		nReaders = max(2, runtime.GOMAXPROCS(0)*2)
	}
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	pool.SetMaxOpenConns(2 + nReaders)
	pool.SetMaxIdleConns(2 + nReaders)
	pool.SetConnMaxLifetime(0)
	pool.SetConnMaxIdleTime(0)
	db.pool = pool
	// The writer connects first so that WAL mode is set before readers open.
	c, err := pool.Conn(ctx)
	if err != nil {
		pool.Close()
		return fmt.Errorf("open database %s: %w", db.Path, err)
	}
	db.writer = &conn{c: c, stmts: map[string]*sql.Stmt{}}
	db.readers = make(chan *conn, nReaders)
	for range nReaders {
		c, err := pool.Conn(ctx)
		if err == nil {
			_, err = c.ExecContext(ctx, "PRAGMA query_only = 1")
		}
		if err != nil {
			db.Close()
			return fmt.Errorf("open database %s: %w", db.Path, err)
		}
		db.readers <- &conn{c: c, stmts: map[string]*sql.Stmt{}}
	}
	db.queue = make(chan *writeReq, 1024)
	db.stopping, db.stopped, db.writerDone = make(chan struct{}), make(chan struct{}), make(chan struct{})
	db.fileDB = !memory
	go db.write()
	if !memory {
		// Checkpoints copy the WAL into the database file (with fsyncs).
		// A goroutine of their own does them, off the writer's path.
		if _, err := db.writer.c.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
			db.Close()
			return fmt.Errorf("open database %s: %w", db.Path, err)
		}
		cp, err := pool.Conn(ctx)
		if err != nil {
			db.Close()
			return fmt.Errorf("open database %s: %w", db.Path, err)
		}
		db.checkpointDone = make(chan struct{})
		go db.checkpoint(cp)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return err
	}
	if err := db.loadCaches(ctx); err != nil {
		db.Close()
		return err
	}
	if err := db.loadText(ctx); err != nil {
		db.Close()
		return err
	}
	return nil
}

// Close closes the database. Transactions must have finished.
func (db *DB) Close() error {
	var err error
	if db.readers != nil {
		for n := cap(db.readers); n > 0; n-- {
			select {
			case c := <-db.readers:
				c.close()
			default:
			}
		}
	}
	if db.stopping != nil {
		close(db.stopped)
		close(db.stopping)
		<-db.writerDone
		if db.checkpointDone != nil {
			<-db.checkpointDone
		}
		db.stopping = nil
	}
	if db.writer != nil {
		if e := db.writer.close(); e != nil {
			err = e
		}
		db.writer = nil
	}
	if db.pool != nil {
		if e := db.pool.Close(); e != nil {
			err = e
		}
	}
	return err
}

func (db *DB) migrate(ctx context.Context) error {
	c := db.writer.c
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	return db.Update(ctx, "", func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		if _, err := tx.c.c.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.exec(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, micros(db.Now()))
		return err
	})
}

// Tx is one unit of work in one workspace. Its Now is fixed for its life.
type Tx struct {
	ctx context.Context
	// sqlCtx is ctx without its cancellation, for statements: the driver
	// starts a goroutine per statement to watch a cancellable context, and
	// statements here are short (ctx is checked before a transaction runs).
	sqlCtx context.Context
	db     *DB
	c      *conn
	ws     string
	now    time.Time

	onCommit []func()
	// hooks memoises webhook subscriptions by vendor for Subscribers.
	hooks map[string][]Webhook
	// hooksDirty is set when the transaction changed webhooks.
	hooksDirty bool
	// newText lists the text key names (vendor, kind, name) the
	// transaction registered, published once it commits.
	newText [][3]string
	// textPending holds the text rows to write, by rowid, in textOrder
	// (see flushText).
	textPending map[int64]*pendingText
	textOrder   []int64
	// grams holds the transaction's changes to the trigram numbers,
	// published when it commits (see publishText).
	grams txGrams
	// counts holds the changes to resource_counts (see addCount).
	counts map[countKey]int
}

func (db *DB) newTx(ctx context.Context, c *conn, ws string) *Tx {
	return &Tx{ctx: ctx, sqlCtx: context.WithoutCancel(ctx), db: db, c: c, ws: ws, now: db.WorkspaceNow(ws)}
}

// OnCommit registers fn to run after the transaction commits successfully.
func (tx *Tx) OnCommit(fn func()) { tx.onCommit = append(tx.onCommit, fn) }

// Workspace returns the id of the workspace the transaction works in.
func (tx *Tx) Workspace() string { return tx.ws }

// Now returns the workspace's virtual time at the start of the transaction,
// truncated to microseconds (the resolution the store keeps).
func (tx *Tx) Now() time.Time { return tx.now }

// Context returns the transaction's context.
func (tx *Tx) Context() context.Context { return tx.ctx }

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	s, err := tx.c.stmt(tx.sqlCtx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(tx.sqlCtx, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	s, err := tx.c.stmt(tx.sqlCtx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(tx.sqlCtx, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	s, err := tx.c.stmt(tx.sqlCtx, query)
	if err != nil {
		// The connection reports the same preparation error through Scan.
		return tx.c.c.QueryRowContext(tx.sqlCtx, query, args...)
	}
	return s.QueryRowContext(tx.sqlCtx, args...)
}

// Update runs fn in a write transaction in workspace ws and commits it when fn
// returns nil; when fn fails, nothing it did is kept.
//
// Writes are group-committed: one writer goroutine runs queued updates one
// after another, each but the first of a transaction inside its own
// SAVEPOINT, and commits them together (see commitBatch). An update that
// fails rolls back without touching the others; Update returns only once
// its work is committed (or not). fn must not call Update or View itself.
func (db *DB) Update(ctx context.Context, ws string, fn func(*Tx) error) error {
	return db.submit(ctx, ws, fn, true)
}

// View runs fn in a read-only transaction in workspace ws. On a file database
// views run concurrently with each other and with the writer.
func (db *DB) View(ctx context.Context, ws string, fn func(*Tx) error) error {
	if cap(db.readers) == 0 {
		// An in-memory database has one connection: the writer's.
		return db.submit(ctx, ws, fn, false)
	}
	var c *conn
	select {
	case c = <-db.readers:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { db.readers <- c }()
	tx := db.newTx(ctx, c, ws)
	if _, err := tx.exec("BEGIN"); err != nil {
		return formatError(fmt.Errorf("begin: %w", err))
	}
	err := fn(tx)
	if _, cerr := tx.exec("COMMIT"); cerr != nil && err == nil {
		err = fmt.Errorf("end read: %w", cerr)
	}
	return formatError(err)
}

var errClosed = errors.New("database is closed")

type bulkKey struct{}

// Bulk marks the update run with the returned context as a bulk one (it
// may write thousands of rows): Update runs it first in a transaction, so
// that it needs no savepoint, whatever other updates are queued with it
// (see commitBatch).
func Bulk(ctx context.Context) context.Context { return context.WithValue(ctx, bulkKey{}, true) }

// writeReq is one queued Update (or, in memory, View).
type writeReq struct {
	ctx   context.Context
	ws    string
	fn    func(*Tx) error
	write bool
	// bulk updates run first in their transaction (see Bulk).
	bulk  bool
	tx    *Tx
	err   error
	panic any
	done  chan struct{}
}

func (db *DB) submit(ctx context.Context, ws string, fn func(*Tx) error, write bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{ctx: ctx, ws: ws, fn: fn, write: write, bulk: ctx.Value(bulkKey{}) != nil, done: make(chan struct{})}
	select {
	case db.queue <- req:
	case <-db.stopped:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, fn may be running: wait for it whatever ctx does (or
	// for the writer to have stopped without taking it).
	select {
	case <-req.done:
	case <-db.writerDone:
		select {
		case <-req.done:
		default:
			return errClosed
		}
	}
	if req.panic != nil {
		panic(req.panic)
	}
	if req.err != nil {
		return req.err
	}
	for _, f := range req.tx.onCommit {
		f()
	}
	return nil
}

// checkpointEvery is how often the checkpointer copies the WAL.
const checkpointEvery = 250 * time.Millisecond

// checkpoint copies committed WAL frames into the database file every
// checkpointEvery (PASSIVE: it never blocks readers or the writer), so that
// the copies and their fsyncs stay off the writer's path. SQLite rewinds a
// fully checkpointed WAL by itself; journal_size_limit bounds the file.
// Under sustained writes this checkpoint never quite catches up with the
// writer and the WAL grows without bound (329 MB during a bulk load): see
// writerCheckpoint.
func (db *DB) checkpoint(c *sql.Conn) {
	defer close(db.checkpointDone)
	defer c.Close()
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-db.stopping:
			c.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
			return
		case <-tick.C:
			c.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// walResetBytes is the WAL size past which the writer checkpoints itself,
// at most every walCheckEvery.
const (
	walResetBytes = 32 << 20
	walCheckEvery = 100 * time.Millisecond
)

// writerCheckpoint runs on the writer between batches. Once the WAL has
// grown past walResetBytes, the writer copies into the database itself
// (PASSIVE) the frames the checkpointer has not yet copied: no write can
// come in meanwhile, so the copy completes (up to the oldest snapshot a
// reader still holds), and the next write rewinds
// the WAL when no reader reads from it. Readers never wait for it (a
// TRUNCATE checkpoint blocked new readers while it waited for old ones:
// 200 ms stalls at p99). journal_size_limit then trims the file.
func (db *DB) writerCheckpoint() {
	if !db.fileDB || time.Since(db.walChecked) < walCheckEvery {
		return
	}
	db.walChecked = time.Now()
	if fi, err := os.Stat(db.Path + "-wal"); err == nil && fi.Size() > walResetBytes {
		// Failing leaves the WAL as it was, for a later batch.
		db.exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// maxBatch bounds how many updates share one commit.
const maxBatch = 64

// write is the writer goroutine: it takes whatever updates are queued and
// commits them as one transaction.
func (db *DB) write() {
	defer close(db.writerDone)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-db.queue:
			batch = append(batch[:0], req)
		case <-db.stopping:
			for {
				select {
				case req := <-db.queue:
					req.err = errClosed
					close(req.done)
				default:
					db.flushGrams(true)
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case req := <-db.queue:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		db.commitBatch(batch)
		db.writerCheckpoint()
		db.flushGrams(false)
	}
}

// commitBatch runs a batch of updates in one transaction, or in several
// when a bulk update must come first, and commits them.
//
// The first update that runs in a transaction needs no savepoint: when it
// fails, nothing else is in the transaction, so it is rolled back whole and
// the next update begins a new one. Every later update runs in a savepoint
// of its own. Savepoints cost a long update dearly: SQLite keeps in its
// in-memory sub-journal a copy of every page that existed before the
// savepoint and that the update has changed, and every statement that
// writes walks that journal from its start when it ends. An update of n
// statements over p old pages so takes time in n×p (quadratic for a
// campaign, whose statements and pages both grow with its recipients). A
// bulk update (see Bulk) behind others therefore commits them first and
// starts a transaction of its own.
func (db *DB) commitBatch(batch []*writeReq) {
	defer func() {
		for _, r := range batch {
			close(r.done)
		}
	}()
	begin := "BEGIN IMMEDIATE"
	writes := false
	for _, r := range batch {
		writes = writes || r.write
	}
	if !writes {
		begin = "BEGIN"
	}
	open := false // a transaction is open
	var ok []*writeReq
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		if r.bulk && len(ok) > 0 {
			db.commit(ok)
			open, ok = false, nil
		}
		if r.bulk {
			db.growCache(true)
		}
		if !open {
			if err := db.exec(begin); err != nil {
				for _, r := range batch[i:] {
					r.err = formatError(fmt.Errorf("begin: %w", err))
				}
				break
			}
			open = true
		}
		r.tx = db.newTx(r.ctx, db.writer, r.ws)
		if len(ok) == 0 {
			// First in the transaction: no savepoint (see above).
			if err := runFn(r); err != nil {
				// The statement that failed may have ended the
				// transaction already; ROLLBACK then fails harmlessly.
				db.exec("ROLLBACK")
				open = false
				r.tx.hooksSettled()
				r.err = formatError(err)
				continue
			}
			ok = append(ok, r)
			continue
		}
		if err := db.exec("SAVEPOINT tx"); err != nil {
			r.err = formatError(fmt.Errorf("savepoint: %w", err))
			continue
		}
		if err := runFn(r); err != nil {
			db.exec("ROLLBACK TO tx")
			db.exec("RELEASE tx")
			r.tx.hooksSettled()
			r.err = formatError(err)
			continue
		}
		if err := db.exec("RELEASE tx"); err != nil {
			r.tx.hooksSettled()
			r.err = formatError(fmt.Errorf("release: %w", err))
			continue
		}
		ok = append(ok, r)
	}
	if open {
		db.commit(ok)
	}
	db.growCache(false)
}

// Page cache sizes of the writer, in KiB: SQLite's default, and the size
// for a bulk update.
const (
	writerCacheKiB = 2000
	bulkCacheKiB   = 65536
)

// growCache grows the writer's page cache for a bulk update, or returns it
// to its usual size. A transaction that outgrows its cache spills pages to
// the WAL and writes and reads them again each time it changes them anew
// (a fifth of a large campaign's time with the default 2 MiB); a cache that
// stays large holds the whole working set of a busy server in memory (it
// tripled the resident size under sustained sends). Shrinking it frees the
// pages beyond the new size.
func (db *DB) growCache(grow bool) {
	if !db.fileDB || grow == db.bigCache {
		return
	}
	kib := writerCacheKiB
	if grow {
		kib = bulkCacheKiB
	}
	// Failing leaves the cache as it was: slower or larger, never wrong.
	if err := db.exec(fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err == nil {
		db.bigCache = grow
	}
}

// exec runs a statement without arguments on the writer's connection.
func (db *DB) exec(q string) error {
	bg := context.Background()
	s, err := db.writer.stmt(bg, q)
	if err == nil {
		_, err = s.ExecContext(bg)
	}
	return err
}

// commit commits the open transaction, in which the updates ok succeeded.
func (db *DB) commit(ok []*writeReq) {
	if err := db.exec("COMMIT"); err != nil {
		db.exec("ROLLBACK")
		// Caches filled from the batch's own writes are not to be believed.
		db.hooks.epoch.Add(1)
		for _, r := range ok {
			r.err = formatError(fmt.Errorf("commit: %w", err))
		}
		return
	}
	wrote := false
	for _, r := range ok {
		r.tx.hooksSettled()
		r.tx.publishText()
		if r.write && r.ws != "" {
			db.bump(r.ws)
		}
		wrote = wrote || r.write
	}
	if wrote {
		db.commits.Add(1)
	}
}

// Commits returns a value that changes whenever any write commits: vendor
// resources, the journal, the outbox and its attempts, jobs, workspaces.
// It costs an atomic load, so a watcher (the dashboard's live updates) may
// poll it often and read the store only when it moved.
func (db *DB) Commits() uint64 { return db.commits.Load() }

// runFn calls r.fn, turning a panic into an error here and a panic again in
// the caller's goroutine.
func runFn(r *writeReq) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panic = p
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if err := r.fn(r.tx); err != nil {
		return err
	}
	if err := r.tx.flushText(); err != nil {
		return err
	}
	return r.tx.flushCounts()
}

// Generation returns a value that changes whenever a write transaction in
// workspace ws (or one that may span workspaces) commits. A reader that
// takes the generation before reading can reuse what it read for as long as
// the generation stays the same.
func (db *DB) Generation(ws string) uint64 {
	g := db.epoch.Load() << 40
	if c, ok := db.gens.Load(ws); ok {
		g += c.(*atomic.Uint64).Load()
	}
	return g
}

// bump records a committed write in ws. Transactions without a workspace
// (journal, outbox bookkeeping) do not change vendor resources; DeleteAll
// moves the epoch instead.
func (db *DB) bump(ws string) {
	c, ok := db.gens.Load(ws)
	if !ok {
		c, _ = db.gens.LoadOrStore(ws, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
}

// formatError translates driver errors into the package's sentinels.
func formatError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// micros converts t to the stored representation: Unix microseconds.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros converts a stored time back, in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
