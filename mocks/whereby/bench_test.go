package whereby_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// benchServer is vendorsim on a file database (as deployed) with 1,000
// meetings in the workspace of key "bench-key". NOJOURNAL=1 turns the
// request journal off, to measure what it costs.
func benchServer(b *testing.B) *api {
	b.Helper()
	dir := b.TempDir()
	a := newAPI(b, "bench-key", apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = filepath.Join(dir, "bench.db")
		c.Server.Journal.Disabled = os.Getenv("NOJOURNAL") != ""
	}))
	for range 1000 {
		a.meeting(b, nil)
	}
	return a
}

// run sends the same request from parallel clients, b.N times in all.
func run(b *testing.B, a *api, method, path string, body []byte, want int) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	// 16 goroutines per CPU: 32 clients on two cores, as the load script runs.
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(method, a.s.URL+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer bench-key")
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				b.Fatalf("status %d, want %d", resp.StatusCode, want)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkListMeetings is GET /whereby/v1/meetings?limit=10 with 1,000
// meetings stored.
func BenchmarkListMeetings(b *testing.B) {
	run(b, benchServer(b), http.MethodGet, "/whereby/v1/meetings?limit=10", nil, http.StatusOK)
}

// BenchmarkCreateMeeting is POST /whereby/v1/meetings.
func BenchmarkCreateMeeting(b *testing.B) {
	run(b, benchServer(b), http.MethodPost, "/whereby/v1/meetings", []byte(`{"endDate":"2099-01-01T00:00:00Z","fields":["hostRoomUrl"]}`), http.StatusCreated)
}
