package scenarios_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

// benchEngine is a manual engine over a file database, delivering Whippy
// events (signed) to a local receiver that answers 200 at once.
func benchEngine(b *testing.B) (*store.DB, *scenarios.Engine, string) {
	b.Helper()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(rcv.Close)
	db := store.New(filepath.Join(b.TempDir(), "bench.db"))
	if err := db.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.CreateWorkspace(context.Background(), store.Workspace{ID: "bench"}, nil); err != nil {
		b.Fatal(err)
	}
	e := &scenarios.Engine{DB: db, Manual: true, Concurrency: 8,
		Vendors: map[string]scenarios.VendorPolicy{"whippy": {Retry: defaultRetry("whippy"), Signer: mocks.NewSigner(whippySig)}}}
	if err := e.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close(context.Background()) })
	return db, e, rcv.URL
}

// enqueueN queues n events of a realistic size, spread over endpoints.
func enqueueN(b *testing.B, db *store.DB, url string, n, endpoints, offset int) {
	b.Helper()
	body := []byte(`{"data":{"id":"5e09c7cc-27e8-4d91-89ee-4ea5bafaaa15","to":"+14244023931","body":"The answer is 42.","from":"+12183925232","direction":"OUTBOUND","channel_id":"be1ecaf2-9ce7-448c-8755-e5009ccc4345","created_at":"2023-08-24T10:05:18.432652Z","delivery_status":"pending"},"event":"message.created","request_id":"00552b38-d0e7-460f-9877-a7c8c8b2ff8c"}`)
	err := db.Update(context.Background(), "bench", func(tx *store.Tx) error {
		hooks := make([]store.Webhook, endpoints)
		for i := range hooks {
			hooks[i] = store.Webhook{ID: fmt.Sprintf("ep-%d", i), Vendor: "whippy", URL: fmt.Sprintf("%s/ep/%d", url, i), Secret: "key", Active: true, Source: store.WebhookFromSandbox}
			if err := tx.PutWebhook(&hooks[i]); err != nil {
				return err
			}
		}
		for i := range n {
			h := hooks[i%endpoints : i%endpoints+1]
			if err := tx.Enqueue(store.Event{ID: fmt.Sprintf("ev-%d", offset+i), Vendor: "whippy", Type: "message.created", Body: body}, h); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func benchmarkDispatch(b *testing.B, endpoints int) {
	db, e, url := benchEngine(b)
	b.StopTimer()
	enqueueN(b, db, url, b.N, endpoints, 0)
	b.StartTimer()
	sum, err := e.Flush(context.Background(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if sum.Delivered != b.N {
		b.Fatalf("delivered %d of %d", sum.Delivered, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkDispatch measures signed deliveries per second to one endpoint
// (sent in order, one at a time) and spread over eight.
func BenchmarkDispatch(b *testing.B) {
	b.Run("one-endpoint", func(b *testing.B) { benchmarkDispatch(b, 1) })
	b.Run("eight-endpoints", func(b *testing.B) { benchmarkDispatch(b, 8) })
}

// BenchmarkDrain10k measures the time to drain 10,000 queued deliveries.
func BenchmarkDrain10k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db, e, url := benchEngine(b)
		enqueueN(b, db, url, 10000, 8, 0)
		b.StartTimer()
		start := time.Now()
		sum, err := e.Flush(context.Background(), "bench")
		if err != nil || sum.Delivered != 10000 {
			b.Fatalf("flush %+v, %v", sum, err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/10k")
	}
}

// BenchmarkMemory100k passes 100,000 deliveries through in batches of
// 10,000 and reports the Go heap after the first and the last batch: flat
// memory means the two are close.
func BenchmarkMemory100k(b *testing.B) {
	for range b.N {
		db, e, url := benchEngine(b)
		var first, last, peak uint64
		for batch := range 10 {
			enqueueN(b, db, url, 10000, 8, batch*10000)
			if sum, err := e.Flush(context.Background(), "bench"); err != nil || sum.Delivered != 10000 {
				b.Fatalf("batch %d: %+v, %v", batch, sum, err)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if batch == 0 {
				first = ms.HeapInuse
			}
			last = ms.HeapInuse
			peak = max(peak, ms.HeapInuse)
		}
		b.ReportMetric(float64(first)/(1<<20), "MB-heap-after-10k")
		b.ReportMetric(float64(last)/(1<<20), "MB-heap-after-100k")
		b.ReportMetric(float64(peak)/(1<<20), "MB-heap-peak")
	}
}
