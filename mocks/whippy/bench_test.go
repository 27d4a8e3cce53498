package whippy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// benchServer is vendorsim on a file database (as deployed) with 1,000
// contacts in the workspace of key "bench-key". NOJOURNAL=1 turns the
// request journal off, to measure what it costs.
func benchServer(b *testing.B) (*apptest.Server, string) {
	b.Helper()
	dir := b.TempDir()
	s := apptest.New(b, apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = filepath.Join(dir, "bench.db")
		c.Scenarios.Manual = true
		c.Server.Journal.Disabled = os.Getenv("NOJOURNAL") != ""
	}))
	c := s.Whippy("bench-key")
	for i := range 1000 {
		apptest.Want(b, c.Post(b, "/contacts", map[string]any{"phone": fmt.Sprintf("+1415555%04d", 2000+i), "name": fmt.Sprintf("Load %d", i)}), 201)
	}
	ch := apptest.Want(b, c.Get(b, "/channels"), 200).Map(b)
	return s, ch["data"].([]any)[0].(map[string]any)["phone"].(string)
}

// run sends the same request from parallel clients, b.N times in all.
func run(b *testing.B, s *apptest.Server, method, path string, body []byte, want int) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	// 16 goroutines per CPU: 32 clients on two cores, as the load script runs.
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
			req.Header.Set("X-WHIPPY-KEY", "bench-key")
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

// BenchmarkListContacts is GET /whippy/v1/contacts?limit=10 with 1,000
// contacts stored, validated against the spec and journaled.
func BenchmarkListContacts(b *testing.B) {
	s, _ := benchServer(b)
	run(b, s, http.MethodGet, "/whippy/v1/contacts?limit=10", nil, http.StatusOK)
}

// BenchmarkSendSMS is POST /whippy/v1/messaging/sms to an existing contact.
func BenchmarkSendSMS(b *testing.B) {
	s, from := benchServer(b)
	body := []byte(fmt.Sprintf(`{"to":"+14155553001","from":%q,"body":"load test"}`, from))
	run(b, s, http.MethodPost, "/whippy/v1/messaging/sms", body, http.StatusCreated)
}

// BenchmarkUpsertContacts is POST /whippy/v1/contacts/upsert of 500 new
// contacts per request, into a workspace that keeps growing (b.N batches:
// -benchtime 200x loads 100,000): the cost per batch stays the same when
// loading is linear.
func BenchmarkUpsertContacts(b *testing.B) {
	s, _ := benchServer(b)
	c := s.Whippy("bench-key")
	b.ResetTimer()
	for i := range b.N {
		var buf bytes.Buffer
		buf.WriteString(`{"contacts":[`)
		for j := range 500 {
			if j > 0 {
				buf.WriteByte(',')
			}
			n := i*500 + j
			fmt.Fprintf(&buf, `{"phone":"+1206%07d","name":"Mixed 1 Person%d","email":"mixed%d@example.com"}`, 2000000+n, n, n)
		}
		buf.WriteString(`]}`)
		apptest.Want(b, c.Post(b, "/contacts/upsert", json.RawMessage(buf.Bytes())), 200)
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "contacts/s")
}
