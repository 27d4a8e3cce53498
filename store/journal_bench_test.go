package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// BenchmarkJournal appends journal entries shaped like a listed page of
// contacts (1 KiB of response, a few headers) in batches of 512, pruning to
// 10,000 entries as the journal writer does: with the same answer for every
// request (a list served from cache), and with a different one each time.
func BenchmarkJournal(b *testing.B) {
	b.Run("same", func(b *testing.B) { benchJournal(b, false) })
	b.Run("distinct", func(b *testing.B) { benchJournal(b, true) })
}

func benchJournal(b *testing.B, distinct bool) {
	db := MustOpenDB(b, "file")
	ctx := context.Background()
	e := store.JournalEntry{
		At: time.Now(), WorkspaceID: "auto-0123456789abcdef", Vendor: "whippy", OperationID: "listContacts",
		Method: "GET", Path: "/whippy/v1/contacts", Query: "limit=10", Status: 200, Duration: time.Millisecond,
		RequestID:      "0123456789abcdef0123456789abcdef",
		RequestHeaders: []byte(`{"Accept-Encoding":["gzip"],"User-Agent":["hey/0.0.1"],"X-Whippy-Key":["load…key"]}`),
		ResponseBody:   []byte(strings.Repeat("x", 1024)),
	}
	batch := make([]store.JournalEntry, 512)
	b.ResetTimer()
	written := 0
	for i := 0; i < b.N; i += len(batch) {
		for j := range batch {
			batch[j] = e
			batch[j].RequestID = fmt.Sprintf("%032x", i+j)
			if distinct {
				batch[j].ResponseBody = []byte(fmt.Sprintf("%032x%s", i+j, e.ResponseBody[32:]))
			}
		}
		if err := db.AppendJournal(ctx, batch); err != nil {
			b.Fatal(err)
		}
		if written += len(batch); written >= 2500 {
			written = 0
			if err := db.PruneJournal(ctx, 10000, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkJournalQuery reads the newest ten of 10,000 entries, each with
// its own 1 KiB answer, with the total count: what a test's look at the
// journal costs when it is full.
func BenchmarkJournalQuery(b *testing.B) {
	db := MustOpenDB(b, "file")
	ctx := context.Background()
	batch := make([]store.JournalEntry, 500)
	for i := 0; i < 10000; i += len(batch) {
		for j := range batch {
			batch[j] = store.JournalEntry{
				At: time.Now(), WorkspaceID: fmt.Sprintf("ws-%d", j%4), Vendor: "whippy", Method: "POST", Path: "/whippy/v1/messaging/sms",
				Status: 201, RequestID: fmt.Sprintf("%032x", i+j), RequestBody: []byte(`{"to":"+14155550100","body":"hi"}`),
				ResponseBody: []byte(fmt.Sprintf("%032x%s", i+j, strings.Repeat("y", 992))),
			}
		}
		if err := db.AppendJournal(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		got, total, err := db.Journal(ctx, store.JournalFilter{WorkspaceID: "ws-1", Limit: 10})
		if err != nil || len(got) != 10 || total != 2500 {
			b.Fatalf("got %d of %d, %v", len(got), total, err)
		}
	}
}
