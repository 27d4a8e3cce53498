package faults_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

type M = map[string]any

func whippyKey(key string) http.Header { return http.Header{"X-Whippy-Key": {key}} }

// addFault adds a rule for key's workspace (none for "") and returns it.
func addFault(t *testing.T, s *apptest.Server, key string, rule M) M {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h = whippyKey(key)
	}
	return apptest.Want(t, s.Sandbox(h).Post(t, "/faults", rule), http.StatusCreated).Map(t)
}

// raw does a request with a plain client, without spec validation (a
// fault's answer need not be valid).
func raw(t *testing.T, s *apptest.Server, key, method, path string, body any) (*http.Response, []byte, error) {
	t.Helper()
	return rawCtx(context.Background(), t, s, key, method, path, body)
}

func rawCtx(ctx context.Context, t *testing.T, s *apptest.Server, key, method, path string, body any) (*http.Response, []byte, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-WHIPPY-KEY", key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// A fresh transport: a reset or truncated connection is not reused.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

type journalEntry struct {
	OperationID string  `json:"operation_id"`
	Status      int     `json:"status"`
	Fault       string  `json:"fault"`
	DurationMS  float64 `json:"duration_ms"`
	Path        string  `json:"path"`
}

func journal(t *testing.T, s *apptest.Server, key string) []journalEntry {
	t.Helper()
	var body struct{ Data []journalEntry }
	apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/requests"), http.StatusOK).JSON(t, &body)
	return body.Data
}

// journalOf waits (up to 2 s) for the workspace's journal to hold n
// entries: a request whose connection the fault closed is journaled when
// its handler returns, which can be after the client saw the close.
func journalOf(t *testing.T, s *apptest.Server, key string, n int) []journalEntry {
	t.Helper()
	var j []journalEntry
	for range 200 {
		if j = journal(t, s, key); len(j) >= n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return j
}

func TestStatus_VendorShapeAndHeaders(t *testing.T) {
	s := apptest.New(t)
	key := "fault-status-key"
	f := addFault(t, s, key, M{"vendor": "whippy", "operation_id": "listContacts", "status": 429, "retry_after": "30s",
		"headers": M{"X-Ratelimit-Remaining-Interval-Milliseconds": "30000"}})
	resp := s.Whippy(key).Get(t, "/contacts")
	if resp.Status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", resp.Status, resp.Body)
	}
	var body struct {
		Errors []struct{ Description string }
		Status int
	}
	resp.JSON(t, &body)
	if body.Status != 429 || len(body.Errors) != 1 || body.Errors[0].Description == "" {
		t.Errorf("body %s is not Whippy's error shape", resp.Body)
	}
	if got := resp.Header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After %q, want 30", got)
	}
	if got := resp.Header.Get("X-Ratelimit-Remaining-Interval-Milliseconds"); got != "30000" {
		t.Errorf("rate-limit header %q, want 30000", got)
	}
	// Another operation is untouched.
	apptest.Want(t, s.Whippy(key).Get(t, "/channels"), http.StatusOK)
	j := journal(t, s, key)
	var faulted, clean int
	for _, e := range j {
		switch {
		case e.OperationID == "listContacts" && e.Fault == f["id"] && e.Status == 429:
			faulted++
		case e.OperationID == "listChannels" && e.Fault == "":
			clean++
		}
	}
	if faulted != 1 || clean != 1 {
		t.Errorf("journal %+v: want the faulted request marked with %v and the other not", j, f["id"])
	}
}

// A code alone lets the vendor pick the status: Whippy's invalid is 422.
func TestStatus_CodeOnly(t *testing.T) {
	s := apptest.New(t)
	key := "fault-code-key"
	addFault(t, s, key, M{"operation_id": "listContacts", "code": "invalid", "message": "injected"})
	resp := s.Whippy(key).Get(t, "/contacts")
	if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), "injected") {
		t.Fatalf("got %d %s, want Whippy's 422 with the message", resp.Status, resp.Body)
	}
}

func TestLatency(t *testing.T) {
	s := apptest.New(t)
	key := "fault-latency-key"
	addFault(t, s, key, M{"operation_id": "listContacts", "latency": M{"fixed": "120ms"}})
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	j := journal(t, s, key)
	if len(j) != 1 || j[0].Fault == "" || j[0].Status != 200 || j[0].DurationMS < 120 {
		t.Fatalf("journal %+v: want one 200 that took at least 120ms, marked", j)
	}
}

func TestReset(t *testing.T) {
	s := apptest.New(t)
	key := "fault-reset-key"
	addFault(t, s, key, M{"operation_id": "listContacts", "effect": "reset"})
	_, _, err := raw(t, s, key, "GET", "/whippy/v1/contacts", nil)
	if err == nil {
		t.Fatal("the request got an answer; want a reset connection")
	}
	j := journalOf(t, s, key, 1)
	if len(j) != 1 || j[0].Status != 0 || j[0].Fault == "" {
		t.Errorf("journal %+v: want status 0 and the rule", j)
	}
}

func TestEmpty(t *testing.T) {
	s := apptest.New(t)
	key := "fault-empty-key"
	addFault(t, s, key, M{"operation_id": "listContacts", "effect": "empty", "status": 502})
	resp, body, err := raw(t, s, key, "GET", "/whippy/v1/contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 502 || len(body) != 0 {
		t.Fatalf("got %d %q, want an empty 502", resp.StatusCode, body)
	}
}

func TestTruncate(t *testing.T) {
	s := apptest.New(t)
	key := "fault-truncate-key"
	addFault(t, s, key, M{"operation_id": "listChannels", "effect": "truncate"})
	resp, body, err := raw(t, s, key, "GET", "/whippy/v1/channels", nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, %q, %v; want the body cut short (unexpected EOF)", resp, body, err)
	}
}

func TestMalformed(t *testing.T) {
	s := apptest.New(t)
	key := "fault-malformed-key"
	addFault(t, s, key, M{"operation_id": "listChannels", "effect": "malformed"})
	resp, body, err := raw(t, s, key, "GET", "/whippy/v1/channels", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(body) == 0 || json.Valid(body) {
		t.Fatalf("got %d %q; want a 200 whose body is not JSON", resp.StatusCode, body)
	}
	// The same request without the fault is valid JSON.
	apptest.Want(t, s.Sandbox(whippyKey(key)).Do(t, http.MethodDelete, "/faults", nil), http.StatusOK)
	resp, body, err = raw(t, s, key, "GET", "/whippy/v1/channels", nil)
	if err != nil || resp.StatusCode != 200 || !json.Valid(body) {
		t.Fatalf("after clearing: %v %v %q", err, resp, body)
	}
}

func TestHang_UntilTheClientGivesUp(t *testing.T) {
	s := apptest.New(t)
	key := "fault-hang-key"
	addFault(t, s, key, M{"operation_id": "listContacts", "effect": "hang"})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := rawCtx(ctx, t, s, key, "GET", "/whippy/v1/contacts", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want the client to give up", err)
	}
	// The server noticed and journaled the request with no answer.
	j := journalOf(t, s, key, 1)
	if len(j) != 1 || j[0].Status != 0 || j[0].Fault == "" {
		t.Fatalf("journal %+v: want one entry with status 0 and the rule", j)
	}
}

func sendSMS(t *testing.T, s *apptest.Server, key, to string) int {
	t.Helper()
	var ch struct {
		Data []struct {
			ID    string
			Phone string
		}
	}
	apptest.Want(t, s.Whippy(key).Get(t, "/channels"), http.StatusOK).JSON(t, &ch)
	resp := s.Whippy(key).Post(t, "/messaging/sms", M{"from": ch.Data[0].Phone, "to": to, "body": "hi"})
	return resp.Status
}

func TestMatch_BodyFieldMethodPath(t *testing.T) {
	s := apptest.New(t)
	key := "fault-body-key"
	addFault(t, s, key, M{"method": "POST", "path": "/whippy/v1/messaging/*", "body": M{"field": "to", "equals": "+12065550142"}, "status": 429})
	if got := sendSMS(t, s, key, "+12065550142"); got != 429 {
		t.Errorf("send to the matched number: %d, want 429", got)
	}
	if got := sendSMS(t, s, key, "+12065550143"); got != 201 {
		t.Errorf("send to another number: %d, want 201", got)
	}
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	addFault(t, s, key, M{"path_pattern": "^/whippy/v1/con[a-z]+$", "status": 429})
	if r := s.Whippy(key).Get(t, "/contacts"); r.Status != 429 {
		t.Errorf("path pattern: %d, want 429", r.Status)
	}
}

// outcomes runs n GETs and returns which were faulted ("x") or not (".").
func outcomes(t *testing.T, s *apptest.Server, key string, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		r, _, err := raw(t, s, key, "GET", "/whippy/v1/contacts", nil)
		if err != nil {
			t.Fatal(err)
		}
		switch r.StatusCode {
		case 200:
			b.WriteByte('.')
		case 503:
			b.WriteByte('x')
		default:
			t.Fatalf("status %d", r.StatusCode)
		}
	}
	return b.String()
}

func TestCounts(t *testing.T) {
	tests := []struct {
		name string
		rule M
		want string
	}{
		{"first", M{"first": 2}, "xx......"},
		{"every", M{"every": 3}, "..x..x.."},
		{"after", M{"after": 5}, ".....xxx"},
		{"times", M{"every": 2, "times": 2}, ".x.x...."},
		{"first and every", M{"first": 6, "every": 2}, ".x.x.x.."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := apptest.New(t)
			key := "fault-count-" + tt.name
			rule := M{"operation_id": "listContacts", "status": 503}
			for k, v := range tt.rule {
				rule[k] = v
			}
			addFault(t, s, key, rule)
			if got := outcomes(t, s, key, 8); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// The same seed and the same requests give the same outcomes, run after
// run; another seed gives others.
func TestProbability_Seeded(t *testing.T) {
	run := func(seed int) string {
		s := apptest.New(t)
		key := fmt.Sprintf("fault-seed-%d", seed)
		addFault(t, s, key, M{"operation_id": "listContacts", "status": 503, "probability": 0.5, "seed": seed})
		return outcomes(t, s, key, 40)
	}
	a, b := run(42), run(42)
	if a != b {
		t.Fatalf("seed 42 gave %s, then %s", a, b)
	}
	if n := strings.Count(a, "x"); n == 0 || n == 40 {
		t.Fatalf("probability 0.5 faulted %d of 40: %s", n, a)
	}
	if c := run(43); c == a {
		t.Errorf("seeds 42 and 43 gave the same outcomes %s", a)
	}
}

// A rule of one workspace never touches another's requests; a rule added
// without a workspace touches every vendor request but no control call.
func TestIsolation(t *testing.T) {
	s := apptest.New(t)
	addFault(t, s, "fault-iso-a", M{"status": 429})
	if r := s.Whippy("fault-iso-a").Get(t, "/contacts"); r.Status != 429 {
		t.Errorf("workspace a: %d, want 429", r.Status)
	}
	if r := s.Whippy("fault-iso-b").Get(t, "/contacts"); r.Status != 200 {
		t.Errorf("workspace b: %d, want 200", r.Status)
	}
	var list struct{ Data []M }
	apptest.Want(t, s.Sandbox(whippyKey("fault-iso-b")).Get(t, "/faults"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Errorf("workspace b sees rules %v", list.Data)
	}
	addFault(t, s, "", M{"status": 401, "first": 1})
	if r := s.Whippy("fault-iso-b").Get(t, "/contacts"); r.Status != 401 {
		t.Errorf("global rule: %d, want 401", r.Status)
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/health"), http.StatusOK)
}

func TestControl_ListDeleteAndErrors(t *testing.T) {
	s := apptest.New(t)
	key := "fault-control-key"
	sb := s.Sandbox(whippyKey(key))
	f := addFault(t, s, key, M{"id": "slow", "operation_id": "listContacts", "latency": M{"p50": "1ms", "p99": "5ms"}})
	if f["id"] != "slow" || f["effect"] != "latency" {
		t.Fatalf("rule %v", f)
	}
	apptest.Want(t, sb.Post(t, "/faults", M{"id": "slow", "status": 500}), http.StatusConflict)
	apptest.Want(t, s.Whippy(key).Get(t, "/contacts"), http.StatusOK)
	var list struct{ Data []M }
	apptest.Want(t, sb.Get(t, "/faults"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0]["matched"] != float64(1) || list.Data[0]["applied"] != float64(1) {
		t.Fatalf("list %v", list.Data)
	}
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/faults/slow", nil), http.StatusNoContent)
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/faults/slow", nil), http.StatusNotFound)
	bad := []struct {
		rule  M
		field string
	}{
		{M{"effect": "explode"}, "effect"},
		{M{"status": 429, "probability": 2}, "probability"},
		{M{"latency": M{"min": "2s", "max": "1s"}}, "latency.max"},
		{M{"status": 700}, "status"},
		{M{"code": "nope"}, "code"},
		{M{"status": 500, "path_pattern": "("}, "path_pattern"},
		{M{"status": 500, "body": M{"equals": "x"}}, "body.field"},
		{M{"status": 500, "colour": "red"}, "colour"},
		{M{"status": "500"}, "status"},
		{M{"status": 500, "vendor": "nobody"}, "vendor"},
	}
	for _, b := range bad {
		r := sb.Post(t, "/faults", b.rule)
		var e struct {
			Error struct{ Field, Message string }
		}
		r.JSON(t, &e)
		if r.Status != http.StatusUnprocessableEntity || e.Error.Field != b.field {
			t.Errorf("%v: got %d %s, want 422 on %s", b.rule, r.Status, r.Body, b.field)
		}
	}
}

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A 5xx a fault asked for is logged as the fault's answer (debug), never
// as a failure of the server.
func TestStatus_FaultAnswersAreNotServerErrors(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := apptest.New(t, apptest.WithLogger(log))
	key := "fault-log-key"
	f := addFault(t, s, key, M{"operation_id": "listContacts", "status": 503})
	// The test client refuses 5xx answers: a plain one reads it.
	resp, _, err := raw(t, s, key, "GET", "/whippy/v1/contacts", nil)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("got %v, %v; want a 503", resp, err)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("the fault's 503 was logged as an error:\n%s", out)
	}
	if !strings.Contains(out, `msg="fault answered"`) || !strings.Contains(out, "fault="+f["id"].(string)) {
		t.Errorf("no debug line naming the fault %v:\n%s", f["id"], out)
	}
}
