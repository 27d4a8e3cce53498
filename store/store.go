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
	// writeMu serialises write transactions on writer (and, for an
	// in-memory database, every transaction: there is one connection).
	writeMu sync.Mutex
	writer  *conn
	readers chan *conn

	wsMu    sync.RWMutex
	offsets map[string]time.Duration // workspace clock offsets
	creds   map[credKey]string       // credential -> workspace id

	// gens counts committed writes per workspace, and epoch writes that
	// may touch every workspace, for read caches (see Generation).
	gens  sync.Map // string -> *atomic.Uint64
	epoch atomic.Uint64
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
	dsn := "file::memory:?_pragma=foreign_keys(1)"
	nReaders := 0
	if !memory {
		u := url.URL{Scheme: "file", Opaque: db.Path}
		dsn = u.String() + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_pragma=foreign_keys(1)&_pragma=mmap_size(268435456)"
		nReaders = max(2, runtime.GOMAXPROCS(0)*2)
	}
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	pool.SetMaxOpenConns(1 + nReaders)
	pool.SetMaxIdleConns(1 + nReaders)
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
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return err
	}
	if err := db.loadCaches(ctx); err != nil {
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
	if db.writer != nil {
		db.writeMu.Lock()
		if e := db.writer.close(); e != nil {
			err = e
		}
		db.writer = nil
		db.writeMu.Unlock()
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
	db  *DB
	c   *conn
	ws  string
	now time.Time

	onCommit []func()
	// hooks memoises webhook subscriptions by vendor for Subscribers.
	hooks map[string][]Webhook
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
	s, err := tx.c.stmt(tx.ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(tx.ctx, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	s, err := tx.c.stmt(tx.ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(tx.ctx, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	s, err := tx.c.stmt(tx.ctx, query)
	if err != nil {
		// The connection reports the same preparation error through Scan.
		return tx.c.c.QueryRowContext(tx.ctx, query, args...)
	}
	return s.QueryRowContext(tx.ctx, args...)
}

// Update runs fn in a write transaction in workspace ws and commits it when fn
// returns nil. Writes are serialised.
func (db *DB) Update(ctx context.Context, ws string, fn func(*Tx) error) error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	if db.writer == nil {
		return errors.New("database is closed")
	}
	return db.run(ctx, db.writer, "BEGIN IMMEDIATE", ws, fn)
}

// View runs fn in a read-only transaction in workspace ws. On a file database
// views run concurrently with each other and with a writer.
func (db *DB) View(ctx context.Context, ws string, fn func(*Tx) error) error {
	if cap(db.readers) == 0 {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
		if db.writer == nil {
			return errors.New("database is closed")
		}
		return db.run(ctx, db.writer, "BEGIN", ws, fn)
	}
	var c *conn
	select {
	case c = <-db.readers:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { db.readers <- c }()
	return db.run(ctx, c, "BEGIN", ws, fn)
}

func (db *DB) run(ctx context.Context, c *conn, begin, ws string, fn func(*Tx) error) error {
	tx := &Tx{ctx: ctx, db: db, c: c, ws: ws, now: db.WorkspaceNow(ws)}
	if _, err := tx.exec(begin); err != nil {
		return formatError(fmt.Errorf("begin: %w", err))
	}
	if err := fn(tx); err != nil {
		// Roll back even when ctx is done, so the connection is clean for
		// the next transaction.
		tx.ctx = context.WithoutCancel(ctx)
		tx.exec("ROLLBACK")
		return formatError(err)
	}
	if _, err := tx.exec("COMMIT"); err != nil {
		tx.ctx = context.WithoutCancel(ctx)
		tx.exec("ROLLBACK")
		return formatError(fmt.Errorf("commit: %w", err))
	}
	if begin != "BEGIN" && ws != "" {
		db.bump(ws)
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
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
