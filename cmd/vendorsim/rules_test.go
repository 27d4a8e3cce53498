package main

import (
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
)

// TestProcess_FaultRulesSurviveRestart restarts the binary on its database
// file as docker compose does (SIGTERM), then kills it (SIGKILL): a fault
// rule keeps answering with its count going on after the stop, and a rule
// added just before the kill is there after it (rules are written through
// when added; only counts of the last moments may be lost).
func TestProcess_FaultRulesSurviveRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rules.db")
	args := []string{"--addr", "127.0.0.1:0", "--db", db}
	const key = "rules-process-key"
	sandbox := func(p *proc, method, path, body string, want int) map[string]any {
		return call(t, method, p.url("/_sandbox"+path), key, body, want)
	}
	p := start(t, args, nil)
	p.waitHealthy(t)
	sandbox(p, "POST", "/faults", `{"operation_id":"listContacts","status":503,"first":2}`, http.StatusCreated)
	call(t, "GET", p.url("/whippy/v1/contacts"), key, "", http.StatusServiceUnavailable)
	p.stop(t)

	p = start(t, args, nil)
	p.waitHealthy(t)
	call(t, "GET", p.url("/whippy/v1/contacts"), key, "", http.StatusServiceUnavailable)
	call(t, "GET", p.url("/whippy/v1/contacts"), key, "", http.StatusOK)
	sandbox(p, "POST", "/faults", `{"operation_id":"listChannels","status":429}`, http.StatusCreated)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done

	p = start(t, args, nil)
	p.waitHealthy(t)
	list, _ := sandbox(p, "GET", "/faults", "", http.StatusOK)["data"].([]any)
	if len(list) != 2 {
		t.Fatalf("after SIGKILL the rules are %v, want both", list)
	}
	call(t, "GET", p.url("/whippy/v1/channels"), key, "", http.StatusTooManyRequests)
	p.stop(t)
}
