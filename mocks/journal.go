package mocks

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// Journal records served requests off the request path: Record only queues
// an entry, and one goroutine writes queued entries in batches. The writer
// is woken when a batch is full (or by its ticker), not by every entry: a
// wake-up per request put the writer ahead of the requests waiting to run.
type Journal struct {
	db            *store.DB
	log           *slog.Logger
	bodyLimit     int
	responseLimit int
	retention     int
	maxAge        time.Duration

	// queue holds the entries recorded and not yet taken by the writer,
	// at most queueSize; full is signalled when it reaches a batch.
	mu        sync.Mutex
	queue     []store.JournalEntry
	queueSize int
	full      chan struct{}
	flushes   chan chan error
	dropped   atomic.Int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// JournalOptions configure a Journal.
type JournalOptions struct {
	// BodyLimit caps stored request bodies, ResponseBodyLimit response
	// bodies (bytes).
	BodyLimit         int
	ResponseBodyLimit int
	// Retention is how many entries to keep (0 keeps all).
	Retention int
	// MaxAge prunes older entries (0 keeps them).
	MaxAge time.Duration
	// QueueSize bounds entries waiting to be written; when full, entries
	// are dropped and counted rather than slowing requests down.
	QueueSize int
	Logger    *slog.Logger
}

const journalBatch = 512

// NewJournal returns a journal writing to db, which then never shows more
// than opts.Retention entries (store.DB.SetJournalRetention). Call Open to
// start it.
func NewJournal(db *store.DB, opts JournalOptions) *Journal {
	db.SetJournalRetention(opts.Retention)
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Journal{
		db:            db,
		log:           opts.Logger.With("component", "journal"),
		bodyLimit:     opts.BodyLimit,
		responseLimit: opts.ResponseBodyLimit,
		retention:     opts.Retention,
		maxAge:        opts.MaxAge,
		queue:         make([]store.JournalEntry, 0, journalBatch),
		queueSize:     opts.QueueSize,
		full:          make(chan struct{}, 1),
		flushes:       make(chan chan error),
	}
}

// Open starts the writer.
func (j *Journal) Open() {
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel = cancel
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		j.loop(ctx)
	}()
}

// Close writes what is queued and stops the writer.
func (j *Journal) Close(ctx context.Context) error {
	err := j.Flush(ctx)
	if j.cancel != nil {
		j.cancel()
	}
	j.wg.Wait()
	return err
}

// Record queues e. It never blocks on the writer.
func (j *Journal) Record(e store.JournalEntry) {
	j.mu.Lock()
	if len(j.queue) >= j.queueSize {
		j.mu.Unlock()
		if j.dropped.Add(1)%1000 == 1 {
			j.log.Warn("journal queue full, dropping entries", "dropped", j.dropped.Load())
		}
		return
	}
	j.queue = append(j.queue, e)
	n := len(j.queue)
	j.mu.Unlock()
	if n == journalBatch {
		select {
		case j.full <- struct{}{}:
		default:
		}
	}
}

// take swaps the queued entries for spare (emptied), returning them.
func (j *Journal) take(spare []store.JournalEntry) []store.JournalEntry {
	clear(spare[:cap(spare)])
	j.mu.Lock()
	out := j.queue
	j.queue = spare[:0]
	j.mu.Unlock()
	return out
}

// Dropped reports how many entries were dropped because the queue was full.
func (j *Journal) Dropped() int64 { return j.dropped.Load() }

// Flush returns once every entry recorded before the call is written, so a
// reader of the journal sees its own requests.
func (j *Journal) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case j.flushes <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (j *Journal) loop(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// batch and the queue trade places: each write takes what is queued.
	batch := make([]store.JournalEntry, 0, journalBatch)
	written := 0
	write := func() error {
		batch = j.take(batch)
		if len(batch) == 0 {
			return nil
		}
		err := j.db.AppendJournal(context.WithoutCancel(ctx), batch)
		if err != nil {
			j.log.Error("write journal", "entries", len(batch), "err", err)
		}
		written += len(batch)
		// Prune about every retention/4 entries so the table stays near
		// its bound without a prune per batch.
		if (j.retention > 0 && written >= max(j.retention/4, journalBatch)) || (j.maxAge > 0 && written >= journalBatch*8) {
			written = 0
			var before time.Time
			if j.maxAge > 0 {
				before = time.Now().Add(-j.maxAge)
			}
			if err := j.db.PruneJournal(context.WithoutCancel(ctx), j.retention, before); err != nil {
				j.log.Error("prune journal", "err", err)
			}
		}
		return err
	}
	for {
		select {
		case <-ctx.Done():
			write()
			return
		case <-j.full:
			write()
		case done := <-j.flushes:
			done <- write()
		case <-tick.C:
			write()
		}
	}
}
