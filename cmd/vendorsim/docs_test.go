package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The command-line block of docs/testing.md runs as written, top to
// bottom, with bash, curl and sed, against a fresh server: only the
// server's address and the webhook handler's (a receiver here) are put in.
func TestDocs_TestingCommandLineBlockRuns(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the docs block needs %s: %v", tool, err)
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "testing.md"))
	if err != nil {
		t.Fatal(err)
	}
	const first = "```sh\nexport VENDORSIM_URL=http://localhost:8080\n"
	i := strings.Index(string(doc), first)
	if i < 0 {
		t.Fatal("docs/testing.md has no command-line block starting with export VENDORSIM_URL")
	}
	block := string(doc[i+len("```sh\n"):])
	block = block[:strings.Index(block, "\n```\n")+1]

	var mu sync.Mutex
	var paths []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	}))
	defer recv.Close()
	p := start(t, []string{"--addr", "127.0.0.1:0", "--db", ":memory:"}, nil)
	p.waitHealthy(t)
	script := strings.NewReplacer("http://localhost:8080", "http://"+p.addr, "http://localhost:3000", recv.URL).Replace(block)

	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = cleanEnv("PATH=" + filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the block failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"ok: 1 requests where operation_id equals \"sendSms\"", "queued delivery #", "of whippy.sms.failed: running",
		"loaded qa.sms.slow (whippy)", "of qa.sms.slow: cancelled", "deleted qa.sms.slow", "loaded ws.json as workspace auto-",
		"-> 200 OK",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the block's output lacks %q:\n%s", want, out)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(paths, " ")
	for _, want := range []string{"/hooks/whippy", "/hooks/whereby"} {
		if !strings.Contains(got, want) {
			t.Errorf("the receiver got %s, want %s among them (invoke)", got, want)
		}
	}
}
