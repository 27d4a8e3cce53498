package zipwhip_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// benchServer is vendorsim on a file database (as deployed) with 1,000
// messages sent from one line; it returns the line's session.
func benchServer(b *testing.B) (*apptest.Server, string) {
	b.Helper()
	dir := b.TempDir()
	s := apptest.New(b, apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = filepath.Join(dir, "bench.db")
		c.Scenarios.Manual = true
	}))
	sess := login(b, s, "2065558000")
	for i := range 1000 {
		success(b, s, "message/send", form("session", sess, "contacts", fmt.Sprintf("+1206555%04d", 2000+i), "body", fmt.Sprintf("seed %d", i)))
	}
	return s, sess
}

// run posts the same form from parallel clients, b.N times in all.
func run(b *testing.B, s *apptest.Server, path string, body []byte) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.SetParallelism(16) // 32 clients on two cores, as the load script runs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkMessageList is POST /zipwhip/message/list (a form body) with
// 1,000 messages stored: a page of 10, as Whippy's BenchmarkListContacts.
func BenchmarkMessageList(b *testing.B) {
	s, sess := benchServer(b)
	run(b, s, "/zipwhip/message/list", []byte(form("session", sess, "limit", "10").Encode()))
}

// BenchmarkMessageSend is POST /zipwhip/message/send to an existing contact.
func BenchmarkMessageSend(b *testing.B) {
	s, sess := benchServer(b)
	run(b, s, "/zipwhip/message/send", []byte(form("session", sess, "contacts", "+12065552000", "body", "load test").Encode()))
}
