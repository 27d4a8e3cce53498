package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The client's subcommands go through run, errors and all.
func TestRun_ClientCommands(t *testing.T) {
	dead := "http://" + deadAddr(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"requests", "count", "--url", dead}, env(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "cannot reach vendorsim at "+dead) {
		t.Errorf("server down: %v", err)
	}
	err = run(context.Background(), []string{"clock", "show", "--bogus"}, env(map[string]string{"VENDORSIM_URL": dead}), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "-bogus") {
		t.Errorf("bad flag: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"-h"}, env(nil), &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "vendorsim deliveries list|wait|replay ID|flush") {
		t.Errorf("-h: %v\n%s", err, stdout.String())
	}
}

func get(tb testing.TB, url string, h http.Header) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if h != nil {
		req.Header = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// --control-addr serves the control API on its own listener, and the main
// one keeps only its health check; --control-token guards it there.
func TestRun_ControlAddrAndToken(t *testing.T) {
	control := deadAddr(t)
	p := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--control-addr", control}, []string{"VENDORSIM_CONTROL_TOKEN=proc-token-123456"})
	p.waitHealthy(t)
	if got := get(t, p.url("/_sandbox/workspaces"), http.Header{"X-Sandbox-Token": {"proc-token-123456"}}); got != http.StatusNotFound {
		t.Errorf("control API on the main listener: %d, want 404", got)
	}
	if got := get(t, p.url("/whippy/v1/contacts"), http.Header{"X-Whippy-Key": {"proc-key"}}); got != http.StatusOK {
		t.Errorf("vendor API on the main listener: %d", got)
	}
	base := "http://" + control
	if got := get(t, base+"/_sandbox/workspaces", http.Header{"X-Sandbox-Token": {"proc-token-123456"}}); got != http.StatusOK {
		t.Errorf("control API on its listener: %d", got)
	}
	if got := get(t, base+"/_sandbox/workspaces", nil); got != http.StatusUnauthorized {
		t.Errorf("control API without the token: %d", got)
	}
	if got := get(t, base+"/_sandbox/health", nil); got != http.StatusOK {
		t.Errorf("health on the control listener: %d", got)
	}
	if got := get(t, base+"/whippy/v1/contacts", http.Header{"X-Whippy-Key": {"proc-key"}}); got != http.StatusNotFound {
		t.Errorf("vendor API on the control listener: %d, want 404", got)
	}
	if strings.Contains(p.log(), "proc-token-123456") {
		t.Errorf("the token is in the log:\n%s", p.log())
	}
}
