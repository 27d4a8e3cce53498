package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestProcess_KillNineLosesNoDelivery kills the server with SIGKILL while
// webhook deliveries are queued and in flight, restarts it on the same
// database, and checks that every event reaches the receiver at least once.
func TestProcess_KillNineLosesNoDelivery(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	var mu sync.Mutex
	seen := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Event     string `json:"event"`
			RequestID string `json:"request_id"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &ev) == nil && ev.Event == "contact.created" {
			mu.Lock()
			seen[ev.RequestID]++
			mu.Unlock()
		}
		if slow.Load() {
			time.Sleep(150 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rcv.Close()
	distinct := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}

	db := filepath.Join(t.TempDir(), "crash.db")
	args := []string{"--addr", "127.0.0.1:0", "--db", db}
	const key = "crash-key"
	p := start(t, args, nil)
	p.waitHealthy(t)
	app := call(t, "POST", p.url("/whippy/v1/developers/applications"), key, `{"name":"crash"}`, 201)
	appID := app["data"].(map[string]any)["id"].(string)
	call(t, "POST", p.url("/whippy/v1/developers/endpoints"), key,
		fmt.Sprintf(`{"developer_application_id":%q,"url":%q,"event_types":["contact.created"]}`, appID, rcv.URL), 201)
	const n = 40
	for i := range n {
		call(t, "POST", p.url("/whippy/v1/contacts"), key, fmt.Sprintf(`{"phone":"+1206555%04d"}`, 3000+i), 201)
	}
	// Let a few go out, so that some are delivered, one is in flight and
	// the rest are queued, then kill without warning.
	deadline := time.Now().Add(20 * time.Second)
	for distinct() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no deliveries before the kill:\n%s", p.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	before := distinct()
	if before >= n {
		t.Fatalf("all %d events went out before the kill; the test proves nothing", n)
	}
	t.Logf("%d of %d events delivered before SIGKILL", before, n)

	slow.Store(false)
	p2 := start(t, args, nil)
	p2.waitHealthy(t)
	deadline = time.Now().Add(30 * time.Second)
	for distinct() < n {
		if time.Now().After(deadline) {
			t.Fatalf("after restart %d of %d events arrived:\n%s", distinct(), n, p2.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The log agrees: every delivery ended delivered.
	req, _ := http.NewRequest("GET", p2.url("/_sandbox/deliveries?limit=1000"), nil)
	req.Header.Set("X-WHIPPY-KEY", key)
	deadline = time.Now().Add(10 * time.Second)
	for {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var log struct {
			Data []struct {
				State string `json:"state"`
			} `json:"data"`
		}
		json.NewDecoder(resp.Body).Decode(&log)
		resp.Body.Close()
		done := 0
		for _, d := range log.Data {
			if d.State == "delivered" {
				done++
			}
		}
		if len(log.Data) == n && done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log: %d deliveries, %d delivered; want %d delivered", len(log.Data), done, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p2.stop(t)
}
