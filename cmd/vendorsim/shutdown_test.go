package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// heldReceiver is a webhook endpoint whose first answer waits until the
// test releases it; it notes the X-Vendorsim-Attempt of every request.
type heldReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	attempts []string
	arrived  chan struct{}
	release  chan struct{}
}

func newHeldReceiver(t *testing.T) *heldReceiver {
	rc := &heldReceiver{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rc.mu.Lock()
		rc.attempts = append(rc.attempts, r.Header.Get("X-Vendorsim-Attempt"))
		first := len(rc.attempts) == 1
		rc.mu.Unlock()
		rc.arrived <- struct{}{}
		if first {
			select {
			case <-rc.release:
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *heldReceiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.attempts...)
}

func (rc *heldReceiver) wait(t *testing.T, p *proc) {
	t.Helper()
	select {
	case <-rc.arrived:
	case <-time.After(30 * time.Second):
		t.Fatalf("no webhook arrived:\n%s", p.log())
	}
}

// deliveryLog returns the deliveries of key's workspace.
func deliveryLog(t *testing.T, p *proc, key string) []struct {
	ID         int64  `json:"id"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	AttemptLog []struct {
		N      int `json:"n"`
		Status int `json:"status"`
	} `json:"attempt_log"`
} {
	t.Helper()
	var out struct {
		Data []struct {
			ID         int64  `json:"id"`
			State      string `json:"state"`
			Attempts   int    `json:"attempts"`
			AttemptLog []struct {
				N      int `json:"n"`
				Status int `json:"status"`
			} `json:"attempt_log"`
		} `json:"data"`
	}
	b, _ := json.Marshal(call(t, "GET", p.url("/_sandbox/deliveries"), key, "", 200))
	json.Unmarshal(b, &out)
	return out.Data
}

func subscribe(t *testing.T, p *proc, key, url string) {
	t.Helper()
	call(t, "POST", p.url("/_sandbox/webhooks"), key, fmt.Sprintf(`{"vendor":"whippy","url":%q,"events":["contact.created"]}`, url), 201)
}

// TestProcess_SigtermRecordsAttemptInFlight stops the server with SIGTERM
// while an attempt is in flight: shutdown waits for it and records it, so
// that after a restart it is neither lost nor sent again.
func TestProcess_SigtermRecordsAttemptInFlight(t *testing.T) {
	rc := newHeldReceiver(t)
	args := []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "term.db")}
	const key = "sigterm-key"
	p := start(t, args, nil)
	p.waitHealthy(t)
	subscribe(t, p, key, rc.URL)
	call(t, "POST", p.url("/whippy/v1/contacts"), key, `{"phone":"+12065554001"}`, 201)
	rc.wait(t, p)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.log(), "shutting down") {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown after SIGTERM:\n%s", p.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(rc.release)
	<-p.done

	p2 := start(t, args, nil)
	p2.waitHealthy(t)
	call(t, "POST", p2.url("/_sandbox/deliveries/flush"), key, "", 200)
	ds := deliveryLog(t, p2, key)
	if len(ds) != 1 || ds[0].State != "delivered" || ds[0].Attempts != 1 || len(ds[0].AttemptLog) != 1 || ds[0].AttemptLog[0].Status != 200 {
		t.Fatalf("after SIGTERM and restart the delivery is %+v; want delivered by its one recorded attempt", ds)
	}
	if got := rc.got(); len(got) != 1 {
		t.Errorf("receiver got attempts %v; want the one, not sent again after the restart", got)
	}
	p2.stop(t)
}

// TestProcess_AttemptNumbersNeverRepeat kills the server during an attempt:
// after the restart the delivery is sent again, numbered after the attempt
// that was cut short.
func TestProcess_AttemptNumbersNeverRepeat(t *testing.T) {
	rc := newHeldReceiver(t)
	args := []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "kill.db")}
	const key = "sigkill-key"
	p := start(t, args, nil)
	p.waitHealthy(t)
	subscribe(t, p, key, rc.URL)
	call(t, "POST", p.url("/whippy/v1/contacts"), key, `{"phone":"+12065554002"}`, 201)
	rc.wait(t, p)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p2 := start(t, args, nil)
	p2.waitHealthy(t)
	rc.wait(t, p2)
	call(t, "POST", p2.url("/_sandbox/deliveries/flush"), key, "", 200)
	if got := rc.got(); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("X-Vendorsim-Attempt of the requests: %v; want 1, then 2 after the restart", got)
	}
	ds := deliveryLog(t, p2, key)
	if len(ds) != 1 || ds[0].State != "delivered" || ds[0].Attempts != 2 {
		t.Fatalf("delivery %+v; want delivered at attempt 2", ds)
	}
	p2.stop(t)
	close(rc.release)
}
