package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the vendorsim binary built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vendorsim-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "vendorsim")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env returns a getenv reading only vars.
func env(vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// writeFile writes content to name in a temporary directory.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// deadAddr returns a local address where nothing listens.
func deadAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRun_ConfigErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	unknownKey := writeFile(t, "unknown.yaml", "server:\n  colour: red\n")
	badValue := writeFile(t, "bad.yaml", "server:\n  log_level: loud\n")
	badYAML := writeFile(t, "broken.yaml", "server: [\n")
	badWorkspace := writeFile(t, "ws.yaml", "workspaces:\n  - id: has spaces\n")
	missingDir := filepath.Join(t.TempDir(), "no-such-dir")
	badDir := writeFile(t, "dir.yaml", "scenarios:\n  dir: "+missingDir+"\n")
	badChannel := writeFile(t, "ch.yaml", "workspaces:\n  - id: a\n    whippy:\n      channels:\n        - {phone: \"555\"}\n")

	tests := []struct {
		name  string
		args  []string
		vars  map[string]string
		names []string // the error must contain each
	}{
		{"LogLevelFlag", []string{"--log-level=loud"}, nil, []string{"--log-level", "loud"}},
		{"LogFormatFlag", []string{"--log-format", "xml"}, nil, []string{"--log-format", "xml"}},
		{"LogLevelEnv", nil, map[string]string{"VENDORSIM_LOG_LEVEL": "shouty"}, []string{"VENDORSIM_LOG_LEVEL", "shouty"}},
		{"SeedEnv", nil, map[string]string{"VENDORSIM_SEED": "abc"}, []string{"VENDORSIM_SEED", "abc"}},
		{"SpeedEnv", nil, map[string]string{"VENDORSIM_SPEED": "fast"}, []string{"VENDORSIM_SPEED", "fast"}},
		{"NegativeSpeed", []string{"--speed=-1"}, nil, []string{"--speed", "negative"}},
		{"NegativeSpeedEnv", nil, map[string]string{"VENDORSIM_SPEED": "-1"}, []string{"VENDORSIM_SPEED", "negative"}},
		{"ZeroSpeed", []string{"--speed", "0"}, nil, []string{"--speed", "zero", "0"}},
		{"ZeroSpeedEnv", nil, map[string]string{"VENDORSIM_SPEED": "0"}, []string{"VENDORSIM_SPEED", "zero"}},
		{"MissingScenariosDir", []string{"--config", badDir}, nil, []string{"scenarios.dir", missingDir}},
		{"MissingScenariosDirFlag", []string{"--scenarios-dir", missingDir}, nil, []string{"--scenarios-dir", missingDir}},
		{"MissingScenariosDirEnv", nil, map[string]string{"VENDORSIM_SCENARIOS_DIR": missingDir}, []string{"VENDORSIM_SCENARIOS_DIR", missingDir}},
		{"StrictAuthEnv", nil, map[string]string{"VENDORSIM_STRICT_AUTH": "maybe"}, []string{"VENDORSIM_STRICT_AUTH", "maybe"}},
		{"SeedFlag", []string{"--seed=x"}, nil, []string{"seed", "x"}},
		{"UnknownFlag", []string{"--colour=red"}, nil, []string{"colour"}},
		{"Positional", []string{"serve"}, nil, []string{`"serve"`}},
		{"MissingConfig", []string{"--config", "/nonexistent/vendorsim.yaml"}, nil, []string{"/nonexistent/vendorsim.yaml"}},
		{"UnknownConfigKey", []string{"--config", unknownKey}, nil, []string{unknownKey, "colour"}},
		{"UnknownConfigKeyByEnv", nil, map[string]string{"VENDORSIM_CONFIG": unknownKey}, []string{unknownKey, "colour"}},
		{"InvalidConfigValue", []string{"--config", badValue}, nil, []string{"log_level", "loud"}},
		{"BrokenYAML", []string{"--config", badYAML}, nil, []string{badYAML}},
		{"BadWorkspaceID", []string{"--config", badWorkspace}, nil, []string{"workspaces[0].id", "has spaces"}},
		{"BadChannelPhone", []string{"--config", badChannel}, nil, []string{"workspaces[0].whippy.channels[0].phone", "555"}},
		{"FlagBeatsValidEnv", []string{"--log-format=yaml"}, map[string]string{"VENDORSIM_LOG_FORMAT": "json"}, []string{"--log-format", "yaml"}},
		{"AddressInUse", []string{"--addr", busy.Addr().String(), "--db", ":memory:"}, nil, []string{"listen", busy.Addr().String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tt.args, env(tt.vars), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run(%q) succeeded, want an error", tt.args)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
			for _, n := range tt.names {
				if !strings.Contains(msg, n) {
					t.Errorf("error %q does not name %q", msg, n)
				}
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("run wrote output before failing: stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

func TestLoadConfig_WarnsAboutUnknownVariables(t *testing.T) {
	environ := []string{"HOME=/root", "VENDORSIM_SPEED=2", "VENDORSIM_SPEEED=3", "VENDORSIM_LOGLEVEL=debug"}
	cfg, _, warnings, err := loadConfig(nil, environ, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "VENDORSIM_LOGLEVEL") || !strings.Contains(warnings[1], "VENDORSIM_SPEEED") {
		t.Fatalf("warnings %q; want one naming VENDORSIM_LOGLEVEL and one naming VENDORSIM_SPEEED", warnings)
	}
	if !strings.Contains(warnings[0], "VENDORSIM_LOG_LEVEL") {
		t.Errorf("warning %q does not list the settings", warnings[0])
	}
	if cfg.Scenarios.Speed != 2 {
		t.Errorf("speed %g; want 2, from the environment given", cfg.Scenarios.Speed)
	}
}

func TestRun_VersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("version: %v", err)
	}
	if got, want := out.String(), "vendorsim "+version+"\n"; got != want {
		t.Errorf("version printed %q, want %q", got, want)
	}
	out.Reset()
	if err := run(context.Background(), []string{"-h"}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, s := range []string{"Usage", "-addr", "VENDORSIM_"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("help does not mention %q:\n%s", s, out.String())
		}
	}
}

func TestRun_Healthcheck(t *testing.T) {
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_sandbox/health" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"status":"ok","version":"x"}`)
	}))
	defer ready.Close()
	starting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer starting.Close()
	hostport := func(u string) string { return strings.TrimPrefix(u, "http://") }
	dead := deadAddr(t)

	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		wantErr string // "" for success
	}{
		{"Ready", []string{"--addr", hostport(ready.URL)}, nil, ""},
		{"ReadyByEnv", nil, map[string]string{"VENDORSIM_ADDR": hostport(ready.URL)}, ""},
		{"Starting", []string{"--addr", hostport(starting.URL)}, nil, "HTTP 503"},
		{"DeadPort", []string{"--addr", dead, "--timeout", "2s"}, nil, "healthcheck"},
		{"DeadPortByEnv", nil, map[string]string{"VENDORSIM_ADDR": dead}, "healthcheck"},
		{"PortZero", []string{"--addr", "127.0.0.1:0"}, nil, "no fixed port"},
		{"NoPort", []string{"--addr", "localhost"}, nil, "localhost"},
		{"BadFlag", []string{"--verbose"}, nil, "verbose"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"healthcheck"}, tt.args...), env(tt.vars), &out, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("healthcheck: %v", err)
			case tt.wantErr == "" && out.String() != "ok\n":
				t.Errorf("healthcheck printed %q, want ok", out.String())
			case tt.wantErr != "" && err == nil:
				t.Fatal("healthcheck succeeded, want an error")
			case tt.wantErr != "" && (!strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n")):
				t.Errorf("error %q, want one line naming %q", err, tt.wantErr)
			}
		})
	}
}

// proc is a vendorsim process.
type proc struct {
	cmd  *exec.Cmd
	addr string

	mu      sync.Mutex
	lines   []string
	done    chan struct{}
	waitErr error
}

var listeningText = regexp.MustCompile(`\bmsg=listening addr=(\S+)`)

// cleanEnv is the test's environment without VENDORSIM_* variables, plus
// extra.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VENDORSIM_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// start runs the binary and waits for the address it logs on stderr.
func start(tb testing.TB, args []string, environ []string) *proc {
	tb.Helper()
	p := &proc{cmd: exec.Command(binary, args...), done: make(chan struct{})}
	p.cmd.Env = cleanEnv(environ...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
			if addr := listeningAddr(line); addr != "" {
				select {
				case addrs <- addr:
				default:
				}
			}
		}
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case p.addr = <-addrs:
	case <-p.done:
		tb.Fatalf("vendorsim exited before listening (%v):\n%s", p.waitErr, p.log())
	case <-time.After(30 * time.Second):
		tb.Fatalf("vendorsim logged no listening address:\n%s", p.log())
	}
	return p
}

// listeningAddr reads the address of a "listening" log line in text or
// JSON format.
func listeningAddr(line string) string {
	if m := listeningText.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	var rec struct{ Msg, Addr string }
	if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
		return rec.Addr
	}
	return ""
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

// waitHealthy polls /_sandbox/health until it answers 200.
func (p *proc) waitHealthy(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url("/_sandbox/health"))
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not healthy within 30s (last: %v):\n%s", err, p.log())
		}
		select {
		case <-p.done:
			tb.Fatalf("vendorsim exited (%v):\n%s", p.waitErr, p.log())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and wants a clean exit.
func (p *proc) stop(tb testing.TB) {
	tb.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("vendorsim did not stop within 30s of SIGTERM:\n%s", p.log())
	}
	if p.waitErr != nil {
		tb.Fatalf("vendorsim exited with %v after SIGTERM, want status 0:\n%s", p.waitErr, p.log())
	}
}

// call sends a request with the Whippy key and decodes the JSON answer.
func call(tb testing.TB, method, url, key, body string, want int) map[string]any {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-WHIPPY-KEY", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d; body %s", method, url, resp.StatusCode, want, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("%s %s: body %s: %v", method, url, b, err)
	}
	return out
}

// healthcheckCmd runs the built binary's healthcheck subcommand.
func healthcheckCmd(environ []string, args ...string) ([]byte, error) {
	cmd := exec.Command(binary, append([]string{"healthcheck"}, args...)...)
	cmd.Env = cleanEnv(environ...)
	return cmd.CombinedOutput()
}

func TestProcess_RestartKeepsData(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	args := []string{"--addr", "127.0.0.1:0", "--db", db}
	p := start(t, args, nil)
	p.waitHealthy(t)
	if out, err := healthcheckCmd(nil, "--addr", p.addr); err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("vendorsim healthcheck --addr %s: %v, output %q", p.addr, err, out)
	}

	created := call(t, "POST", p.url("/whippy/v1/contacts"), "restart-key", `{"phone":"+13125551200","name":"Survives Restart"}`, http.StatusCreated)
	contact := created["data"].(map[string]any)
	id := contact["id"].(string)
	p.stop(t)
	if !strings.Contains(p.log(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", p.log())
	}
	if out, err := healthcheckCmd(nil, "--addr", p.addr, "--timeout", "2s"); err == nil {
		t.Errorf("healthcheck of a stopped server succeeded: %s", out)
	} else {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("healthcheck of a stopped server: %v, want exit status 1", err)
		}
	}

	p2 := start(t, args, nil)
	p2.waitHealthy(t)
	got := call(t, "GET", p2.url("/whippy/v1/contacts/"+id), "restart-key", "", http.StatusOK)["data"].(map[string]any)
	if got["phone"] != "+13125551200" || got["name"] != "Survives Restart" || got["created_at"] != contact["created_at"] {
		t.Errorf("after restart the contact is %v, want %v", got, contact)
	}
	list := call(t, "GET", p2.url("/whippy/v1/contacts"), "restart-key", "", http.StatusOK)
	if list["total"] != 1.0 {
		t.Errorf("after restart the workspace has %v contacts, want 1", list["total"])
	}
	p2.stop(t)
}

// TestProcess_ComposeContract starts the binary as docker-compose.yml and
// the Dockerfile do: no flags, the example configuration, JSON logs, and
// settings from VENDORSIM_* variables (only the address and database path
// differ, to fit a test).
func TestProcess_ComposeContract(t *testing.T) {
	cfg, err := filepath.Abs("../../examples/vendorsim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	environ := []string{
		"VENDORSIM_ADDR=127.0.0.1:0",
		"VENDORSIM_DB=" + filepath.Join(t.TempDir(), "vendorsim.db"),
		"VENDORSIM_CONFIG=" + cfg,
		"VENDORSIM_LOG_FORMAT=json",
		"VENDORSIM_LOG_LEVEL=info",
	}
	p := start(t, nil, environ)
	p.waitHealthy(t)

	// The image's HEALTHCHECK runs "vendorsim healthcheck" with no flags;
	// the address comes from VENDORSIM_ADDR.
	if out, err := healthcheckCmd([]string{"VENDORSIM_ADDR=" + p.addr}); err != nil {
		t.Errorf("healthcheck with VENDORSIM_ADDR=%s: %v, output %q", p.addr, err, out)
	}

	const key = "demo-whippy-key"
	chans := call(t, "GET", p.url("/whippy/v1/channels"), key, "", http.StatusOK)
	var phones []string
	for _, ch := range chans["data"].([]any) {
		if ph, ok := ch.(map[string]any)["phone"].(string); ok {
			phones = append(phones, ph)
		}
	}
	if len(phones) != 1 || phones[0] != "+12065550000" {
		t.Errorf("demo workspace channel phones %v, want [+12065550000]", phones)
	}
	contacts := call(t, "GET", p.url("/whippy/v1/contacts?phone=%2B12065551000"), key, "", http.StatusOK)
	if contacts["total"] != 1.0 {
		t.Errorf("demo workspace has no seeded contact +12065551000: %v", contacts)
	}
	org := call(t, "GET", p.url("/whippy/v1/organization"), key, "", http.StatusOK)["data"].(map[string]any)
	if org["name"] != "Demo Staffing" {
		t.Errorf("organization %v, want Demo Staffing", org["name"])
	}
	call(t, "POST", p.url("/whippy/v1/messaging/sms"), key, `{"from":"+12065550000","to":"+12065551000","body":"compose check"}`, http.StatusCreated)
	health := call(t, "GET", p.url("/_sandbox/health"), "", "", http.StatusOK)
	if health["status"] != "ok" {
		t.Errorf("health %v", health)
	}
	p.stop(t)

	for _, line := range strings.Split(p.log(), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil || rec["level"] == nil || rec["time"] == nil {
			t.Errorf("log line is not a JSON record with time, level and msg: %q", line)
		}
	}
}

func TestLoadConfig_PprofAddr(t *testing.T) {
	_, rt, _, err := loadConfig(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rt.pprofAddr != "" {
		t.Errorf("pprof on %q by default; want off", rt.pprofAddr)
	}
	_, rt, _, err = loadConfig(nil, env(map[string]string{"VENDORSIM_PPROF_ADDR": "127.0.0.1:6061"}), io.Discard)
	if err != nil || rt.pprofAddr != "127.0.0.1:6061" {
		t.Errorf("from the variable: %q, %v", rt.pprofAddr, err)
	}
	_, rt, _, err = loadConfig([]string{"--pprof-addr", "127.0.0.1:6060"}, env(map[string]string{"VENDORSIM_PPROF_ADDR": "127.0.0.1:6061"}), io.Discard)
	if err != nil || rt.pprofAddr != "127.0.0.1:6060" {
		t.Errorf("the flag over the variable: %q, %v", rt.pprofAddr, err)
	}
}

func TestRun_PprofListener(t *testing.T) {
	p := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:", "--pprof-addr", "127.0.0.1:0"}, nil)
	p.waitHealthy(t)
	var addr string
	for _, line := range strings.Split(p.log(), "\n") {
		if m := regexp.MustCompile(`\bmsg="pprof listening" addr=(\S+)`).FindStringSubmatch(line); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no pprof listening line:\n%s", p.log())
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET /debug/pprof/goroutine: %d %.200s", resp.StatusCode, body)
	}
	// Not on the API's address.
	resp, err = http.Get(p.url("/debug/pprof/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("the profiler answers on the API's address too")
	}
}
