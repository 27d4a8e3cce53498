package ui_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/ui"
)

func TestHandler_Assets(t *testing.T) {
	h := ui.New(ui.Options{})
	tests := []struct {
		path, wantType string
		want           int
	}{
		{ui.Prefix, "text/html; charset=utf-8", http.StatusOK},
		{ui.Prefix + "index.html", "text/html; charset=utf-8", http.StatusOK},
		{ui.Prefix + "app.js", "text/javascript; charset=utf-8", http.StatusOK},
		{ui.Prefix + "app.css", "text/css; charset=utf-8", http.StatusOK},
		{ui.Prefix + "login.js", "text/javascript; charset=utf-8", http.StatusOK},
		{ui.Prefix + "nope.js", "", http.StatusNotFound},
		{ui.Prefix + "login.html", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := fetch(t, h, tt.path, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.wantType != "" && resp.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.want == http.StatusOK && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("no same-origin Content-Security-Policy: %q", resp.Header.Get("Content-Security-Policy"))
			}
		})
	}
	t.Run("Redirect", func(t *testing.T) {
		resp := fetch(t, h, strings.TrimSuffix(ui.Prefix, "/"), nil)
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != ui.Prefix {
			t.Errorf("status %d to %q, want 301 to %s", resp.StatusCode, resp.Header.Get("Location"), ui.Prefix)
		}
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, ui.Prefix, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST answered %d, want 405", w.Code)
		}
	})
}

func TestTokenGuard(t *testing.T) {
	if ui.TokenGuard("") != nil {
		t.Fatal("an empty token should guard nothing")
	}
	const token = "s3cret token/42"
	h := ui.New(ui.Options{Authorized: ui.TokenGuard(token)})
	tests := []struct {
		name string
		mod  func(*http.Request)
		want int
	}{
		{"None", nil, http.StatusUnauthorized},
		{"Header", func(r *http.Request) { r.Header.Set(ui.TokenHeader, token) }, http.StatusOK},
		{"WrongHeader", func(r *http.Request) { r.Header.Set(ui.TokenHeader, token+"x") }, http.StatusUnauthorized},
		// The page writes the cookie with encodeURIComponent.
		{"Cookie", func(r *http.Request) { r.Header.Set("Cookie", ui.TokenCookie+"=s3cret%20token%2F42") }, http.StatusOK},
		{"WrongCookie", func(r *http.Request) { r.Header.Set("Cookie", ui.TokenCookie+"=s3cret") }, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := fetch(t, h, ui.Prefix, tt.mod)
			b := body(t, resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("page: status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.Contains(b, `id="login-token"`) {
				t.Errorf("a refused page does not offer the token form:\n%s", b)
			}
			if tt.want == http.StatusOK && !strings.Contains(b, `id="page-requests"`) {
				t.Errorf("an allowed page is not the dashboard")
			}
			if tt.want == http.StatusUnauthorized {
				// The stream is guarded by the same check.
				if resp := fetch(t, h, ui.Prefix+"events", tt.mod); resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("events: status %d, want 401", resp.StatusCode)
				}
			}
		})
	}
	// Assets are code without data: the token form needs its script.
	if resp := fetch(t, h, ui.Prefix+"login.js", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("login.js: status %d, want 200", resp.StatusCode)
	}
}

// TestEvents reads the stream: a hello with the counter, then one change
// event each time the counter moves, with its new value.
func TestEvents(t *testing.T) {
	var commits atomic.Uint64
	commits.Store(7)
	h := ui.New(ui.Options{Commits: commits.Load, Interval: 5 * time.Millisecond, Heartbeat: time.Hour})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+ui.Prefix+"events", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	// next returns the next event as "name data".
	next := func() string {
		t.Helper()
		var name, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && name != "":
				return name + " " + data
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return ""
	}
	if got := next(); got != "hello 7" {
		t.Fatalf("first event %q, want hello 7", got)
	}
	commits.Add(3) // one event however many writes came between looks
	if got := next(); got != "change 10" {
		t.Fatalf("event %q, want change 10", got)
	}
	commits.Add(1)
	if got := next(); got != "change 11" {
		t.Fatalf("event %q, want change 11", got)
	}
}
