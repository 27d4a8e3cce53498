package faults_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
)

// BenchmarkWhippyGet is the Whippy GET of scripts/load.sh
// (/contacts?limit=10) with no fault rules and with 100 that match nothing
// (other operations, paths, workspaces and body fields): the fault stage's
// cost on every request.
func BenchmarkWhippyGet(b *testing.B) {
	for _, n := range []int{0, 100} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			s := apptest.New(b)
			key := "bench-fault-key"
			addBenchRules(b, s, key, n)
			benchGet(b, s, key)
		})
	}
}

// BenchmarkWhippyGetDurable is BenchmarkWhippyGet as docker-compose runs
// it: a database file, and the rules loaded from it by a restart (the
// rules are written through to the file; requests that match none must
// not touch it).
func BenchmarkWhippyGetDurable(b *testing.B) {
	for _, n := range []int{0, 100} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.db")
			file := apptest.WithConfig(func(c *config.Config) { c.Server.DB = path })
			key := "bench-fault-key"
			s := apptest.New(b, file)
			addBenchRules(b, s, key, n)
			s.Stop()
			s = apptest.New(b, file)
			if got := len(s.App.Faults.List("")); got != n {
				b.Fatalf("%d rules loaded, want %d", got, n)
			}
			benchGet(b, s, key)
		})
	}
}

// addBenchRules adds n rules that match nothing the benchmark sends (other
// operations, paths, methods and body fields).
func addBenchRules(b *testing.B, s *apptest.Server, key string, n int) {
	sb := s.Sandbox(whippyKey(key))
	for i := range n {
		var rule M
		switch i % 4 {
		case 0:
			rule = M{"operation_id": fmt.Sprintf("noSuchOperation%d", i), "status": 429}
		case 1:
			rule = M{"path": fmt.Sprintf("/whippy/v1/nothing/%d*", i), "status": 429}
		case 2:
			rule = M{"method": "DELETE", "vendor": "whippy", "status": 429}
		default:
			rule = M{"body": M{"field": "to", "equals": fmt.Sprint(i)}, "method": "POST", "status": 429}
		}
		apptest.Want(b, sb.Post(b, "/faults", rule), http.StatusCreated)
	}
}

// benchGet runs the GET of scripts/load.sh in parallel.
func benchGet(b *testing.B, s *apptest.Server, key string) {
	apptest.Want(b, s.Whippy(key).Get(b, "/contacts?limit=10"), http.StatusOK)
	url := s.URL + "/whippy/v1/contacts?limit=10"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("X-WHIPPY-KEY", key)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkApply is the fault stage alone on the same GET, with 100 rules
// that match nothing: compare with BenchmarkWhippyGet's time per request.
func BenchmarkApply(b *testing.B) {
	set := &faults.Set{}
	set.Seed = 1
	for i := range 100 {
		var raw string
		switch i % 4 {
		case 0:
			raw = fmt.Sprintf(`{"operation_id":"noSuchOperation%d","status":429}`, i)
		case 1:
			raw = fmt.Sprintf(`{"path":"/whippy/v1/nothing/%d*","status":429}`, i)
		case 2:
			raw = `{"method":"DELETE","vendor":"whippy","status":429}`
		default:
			raw = fmt.Sprintf(`{"body":{"field":"to","equals":"%d"},"method":"POST","status":429}`, i)
		}
		r, err := faults.Parse([]byte(raw))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := set.Add(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
	api := &mocks.API{Name: "whippy"}
	req := httptest.NewRequest(http.MethodGet, "/whippy/v1/contacts?limit=10", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		if handled, err := set.Apply(w, req, api, "listContacts"); handled || err != nil {
			b.Fatal("a rule matched")
		}
	}
}
