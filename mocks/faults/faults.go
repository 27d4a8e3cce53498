// Package faults injects request faults into the vendor APIs: rules added
// through the control API (/_sandbox/faults) or by scenario steps match
// requests by vendor, operationId, method, path, workspace and a body
// field, and answer instead of the handler with an error in the vendor's
// own shape, add latency, reset the connection, answer empty, cut or
// garble the body, or hang until the client gives up.
//
// Set implements mocks.Fault; internal/app wires it into the pipeline's
// fault stage. Every random choice is drawn from the rule's seed and the
// number of the match (internal/chance), so a run is reproducible. Rules
// are matched in memory; once the Set is open on a store they are kept
// there with their counters and survive a restart. The package names no
// vendor: an error is an *mocks.Error with a code, which the API's
// WriteError turns into the vendor's status and body.
package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/mocks"
)

// Effects a rule can have.
const (
	EffectStatus    = "status"    // an error answer in the vendor's shape
	EffectLatency   = "latency"   // only the delay, then the real answer
	EffectReset     = "reset"     // the connection is closed without an answer
	EffectEmpty     = "empty"     // a status with an empty body
	EffectTruncate  = "truncate"  // the real answer cut short, connection closed
	EffectMalformed = "malformed" // the real answer garbled, well framed
	EffectHang      = "hang"      // no answer until the client gives up
)

// Effects lists every effect.
var Effects = []string{EffectStatus, EffectLatency, EffectReset, EffectEmpty, EffectTruncate, EffectMalformed, EffectHang}

// BodyMatch matches a field of the request body: a dotted path into a
// JSON body (message.to, items.0.id), or a form or query parameter.
type BodyMatch struct {
	Field string `json:"field"`
	// Equals, when set, must be the field's value (a JSON scalar as text).
	Equals *string `json:"equals,omitempty"`
	// Contains, when set, must be part of it.
	Contains string `json:"contains,omitempty"`
	// Pattern, when set, is an RE2 expression it must match.
	Pattern string `json:"pattern,omitempty"`
	// Absent matches requests without the field.
	Absent bool `json:"absent,omitempty"`

	re *regexp.Regexp
}

// Rule is one fault rule.
type Rule struct {
	ID string `json:"id"`
	// Workspace limits the rule to one workspace ("" for every one). The
	// control API sets it to the selected workspace.
	Workspace   string     `json:"workspace,omitempty"`
	Vendor      string     `json:"vendor,omitempty"`
	OperationID string     `json:"operation_id,omitempty"`
	Method      string     `json:"method,omitempty"`
	Path        string     `json:"path,omitempty"`
	PathPattern string     `json:"path_pattern,omitempty"`
	Body        *BodyMatch `json:"body,omitempty"`
	chance.Selector

	Effect string `json:"effect"`
	// Status is the HTTP status of a status or empty effect. With Code
	// unset, the code follows from it; with Status unset, the vendor's
	// table picks the status of Code.
	Status  int            `json:"status,omitempty"`
	Code    mocks.Code     `json:"code,omitempty"`
	Message string         `json:"message,omitempty"`
	Details map[string]any `json:"details,omitempty"`
	// RetryAfter sets Retry-After (whole seconds, rounded up).
	RetryAfter chance.Duration   `json:"retry_after,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	// Latency delays the request before the effect (alone for the latency
	// effect).
	Latency *chance.Latency `json:"latency,omitempty"`
	// Timeout bounds a hang (default and at most MaxHang).
	Timeout chance.Duration `json:"timeout,omitempty"`
	// Source says who added the rule: "api", or "scenario <run id>".
	Source string `json:"source,omitempty"`

	re      *regexp.Regexp
	method  string
	counter chance.Counter
}

// MaxHang bounds a hang.
const MaxHang = time.Hour

// View is a rule with its counters, as the control API shows it.
type View struct {
	*Rule
	Matched int64 `json:"matched"`
	Applied int64 `json:"applied"`
}

// Set holds the fault rules and applies them. Its zero value has no rules;
// it is safe for concurrent use.
type Set struct {
	// Rules are the rules in the order they apply (its Seed is the seed
	// of rules that give none); Add, Put, Delete, Clear and Flush are its.
	chance.Rules[*Rule]
	// Exclude names APIs no rule touches (the control API).
	Exclude []string
}

var _ mocks.Fault = (*Set)(nil)

// ErrExists is Add's error for an id already in use.
var ErrExists = chance.ErrExists

// FieldError is a rule value that is wrong, naming its field.
type FieldError = chance.FieldError

func fieldErr(field, format string, args ...any) error {
	return &chance.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Parse decodes a rule from JSON, refusing unknown fields, and checks it.
func Parse(b []byte) (*Rule, error) {
	var r Rule
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, decodeErr(err)
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// decodeErr names the field of a JSON decoding error.
func decodeErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fieldErr(te.Field, "%s must be a %s", te.Field, te.Type)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return fieldErr(f, "unknown field %q", f)
	}
	return fieldErr("", "the rule is not valid JSON: %s", strings.TrimPrefix(msg, "json: "))
}

// Check validates a rule and prepares it; the error is a *FieldError.
func (r *Rule) Check() error {
	if r.Effect == "" {
		if r.Status != 0 || r.Code != "" {
			r.Effect = EffectStatus
		} else if !r.Latency.IsZero() {
			r.Effect = EffectLatency
		}
	}
	if !slices.Contains(Effects, r.Effect) {
		return fieldErr("effect", "effect must be one of %s", strings.Join(Effects, ", "))
	}
	if err := r.Selector.Validate(); err != nil {
		return err
	}
	if err := r.Latency.Validate("latency"); err != nil {
		return err
	}
	if r.Effect == EffectLatency && r.Latency.IsZero() {
		return fieldErr("latency", "a latency effect needs latency (fixed, min and max, or p50 and p99)")
	}
	if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
		return fieldErr("status", "status must be an HTTP status (100-599)")
	}
	if r.Effect == EffectStatus && r.Status == 0 && r.Code == "" {
		return fieldErr("status", "a status effect needs a status or a code")
	}
	if r.Status != 0 && r.Status < 400 && r.Effect == EffectStatus {
		return fieldErr("status", "a status effect answers an error: status must be 400 or more (use empty for other answers)")
	}
	if r.Code != "" && !slices.Contains(codes, r.Code) {
		names := make([]string, len(codes))
		for i, c := range codes {
			names[i] = string(c)
		}
		return fieldErr("code", "code must be one of %s", strings.Join(names, ", "))
	}
	if r.Timeout < 0 || time.Duration(r.Timeout) > MaxHang {
		return fieldErr("timeout", "timeout may be at most %s", MaxHang)
	}
	if r.PathPattern != "" {
		re, err := regexp.Compile(r.PathPattern)
		if err != nil {
			return fieldErr("path_pattern", "path_pattern is not an RE2 expression: %v", err)
		}
		r.re = re
	}
	if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
		return fieldErr("path", "path must start with / (a local path such as /whippy/v1/contacts, or a prefix ending in *)")
	}
	if b := r.Body; b != nil {
		if b.Field == "" {
			return fieldErr("body.field", "body.field names the field to match")
		}
		if b.Pattern != "" {
			re, err := regexp.Compile(b.Pattern)
			if err != nil {
				return fieldErr("body.pattern", "body.pattern is not an RE2 expression: %v", err)
			}
			b.re = re
		}
	}
	for k := range r.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return fieldErr("headers", "%q is not a header name", k)
		}
	}
	r.method = strings.ToUpper(r.Method)
	return nil
}

var codes = []mocks.Code{mocks.EINVALID, mocks.ENOTFOUND, mocks.EMETHOD, mocks.EUNAUTHENTICATED, mocks.EFORBIDDEN,
	mocks.ECONFLICT, mocks.ERATELIMITED, mocks.ETOOLARGE, mocks.EUNSUPPORTED, mocks.EUNAVAILABLE, mocks.EINTERNAL}

// Apply implements mocks.Fault: the first rule that matches the request
// and whose selector picks this match acts on it.
func (s *Set) Apply(w http.ResponseWriter, r *http.Request, api *mocks.API, operationID string) (bool, error) {
	rules := s.load()
	if len(rules) == 0 || slices.Contains(s.Exclude, api.Name) {
		return false, nil
	}
	ws := mocks.Workspace(r.Context())
	var body any
	bodyRead := false
	for _, ru := range rules {
		if !ru.matches(r, api.Name, operationID, ws) {
			continue
		}
		if ru.Body != nil {
			if !bodyRead {
				body, bodyRead = parseBody(r), true
			}
			if !ru.Body.matches(r, body) {
				continue
			}
		}
		n, ok := ru.Next(&ru.counter)
		if !ok {
			continue
		}
		return ru.act(w, r, n)
	}
	return false, nil
}

func (r *Rule) matches(req *http.Request, api, op, ws string) bool {
	if r.Workspace != "" && r.Workspace != ws {
		return false
	}
	if r.Vendor != "" && r.Vendor != api {
		return false
	}
	if r.OperationID != "" && r.OperationID != op {
		return false
	}
	if r.method != "" && r.method != req.Method {
		return false
	}
	if r.Path != "" {
		if p, ok := strings.CutSuffix(r.Path, "*"); ok {
			if !strings.HasPrefix(req.URL.Path, p) {
				return false
			}
		} else if req.URL.Path != r.Path {
			return false
		}
	}
	if r.re != nil && !r.re.MatchString(req.URL.Path) {
		return false
	}
	return true
}

// parseBody decodes a JSON body, or returns nil (forms are read through
// mocks.Params).
func parseBody(r *http.Request) any {
	b := mocks.Body(r)
	if len(b) == 0 || !strings.Contains(strings.ToLower(r.Header.Get("Content-Type")), "json") {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

func (b *BodyMatch) matches(r *http.Request, body any) bool {
	v, ok := lookup(body, b.Field)
	if !ok {
		if vs, found := mocks.Params(r)[b.Field]; found && len(vs) > 0 {
			v, ok = vs[0], true
		}
	}
	if b.Absent {
		return !ok
	}
	if !ok {
		return false
	}
	if b.Equals != nil && v != *b.Equals {
		return false
	}
	if b.Contains != "" && !strings.Contains(v, b.Contains) {
		return false
	}
	if b.re != nil && !b.re.MatchString(v) {
		return false
	}
	return true
}

// lookup finds a dotted path in a decoded JSON value and writes a scalar
// as text (strings without quotes).
func lookup(v any, path string) (string, bool) {
	if v == nil {
		return "", false
	}
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return "", false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			v = x[i]
		default:
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "null", true
	default:
		b, _ := json.Marshal(x)
		return string(b), true
	}
}

// act applies the rule to match n.
func (r *Rule) act(w http.ResponseWriter, req *http.Request, n int64) (bool, error) {
	ctx := req.Context()
	if d := r.Latency.Draw(r.Seed, n); d > 0 {
		if !sleep(ctx, d) {
			mocks.MarkFault(req, r.ID, false)
			return true, nil // the client gave up meanwhile
		}
	}
	switch r.Effect {
	case EffectLatency:
		mocks.MarkFault(req, r.ID, true)
		return false, nil
	case EffectStatus:
		mocks.MarkFault(req, r.ID, true)
		return false, r.error()
	case EffectEmpty:
		mocks.MarkFault(req, r.ID, true)
		for k, v := range r.Headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(cmp(r.Status, http.StatusOK))
		return true, nil
	case EffectReset:
		mocks.MarkFault(req, r.ID, false)
		abort(w, true)
		return true, nil
	case EffectHang:
		mocks.MarkFault(req, r.ID, false)
		sleep(ctx, cmp(time.Duration(r.Timeout), MaxHang))
		abort(w, false)
		return true, nil
	case EffectTruncate, EffectMalformed:
		mocks.MarkFault(req, r.ID, true)
		mode := r.Effect
		mocks.WrapResponse(req, func(w http.ResponseWriter) http.ResponseWriter { return &mangler{ResponseWriter: w, mode: mode} })
		return false, nil
	}
	return false, nil
}

func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// error is the *mocks.Error of a status effect.
func (r *Rule) error() *mocks.Error {
	e := &mocks.Error{Code: r.Code, Status: r.Status, Message: r.Message, Details: r.Details}
	if e.Code == "" {
		e.Code = codeOf(r.Status)
	}
	if e.Message == "" {
		if r.Status != 0 {
			e.Message = http.StatusText(r.Status)
		} else {
			e.Message = http.StatusText(mocks.CommonStatus(e.Code))
		}
	}
	if len(r.Headers) > 0 || r.RetryAfter > 0 {
		e.Header = http.Header{}
		for k, v := range r.Headers {
			e.Header.Set(k, v)
		}
		if r.RetryAfter > 0 {
			secs := (time.Duration(r.RetryAfter) + time.Second - 1) / time.Second
			e.Header.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
		}
	}
	return e
}

// codeOf is the code of an error status.
func codeOf(status int) mocks.Code {
	for _, c := range codes {
		if mocks.CommonStatus(c) == status {
			return c
		}
	}
	if status == http.StatusUnprocessableEntity {
		return mocks.EINVALID
	}
	if status >= 500 {
		return mocks.EINTERNAL
	}
	return mocks.EINVALID
}

// sleep waits d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// abort closes the connection without (the rest of) an answer: what was
// written is flushed, then the connection is taken over and closed, with
// a TCP reset when rst is set and the socket allows it (a reset discards
// what was not yet sent). Where it cannot be taken over (HTTP/2), the
// handler aborts.
func abort(w http.ResponseWriter, rst bool) {
	rc := http.NewResponseController(w)
	rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := unwrapConn(conn).(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	conn.Close()
}

// unwrapConn finds the socket under wrapping connections that tell it
// (NetConn, as the coalescing listener's).
func unwrapConn(c net.Conn) net.Conn {
	for range 4 {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return c
}

// mangler cuts (truncate) or garbles (malformed) the answer written
// through it. A truncated answer keeps its Content-Length, sends half of
// its body and the connection closes; a malformed one is well framed and
// its body is half of the answer followed by bytes that are not JSON.
type mangler struct {
	http.ResponseWriter
	mode    string
	status  int
	written bool
}

func (m *mangler) Unwrap() http.ResponseWriter { return m.ResponseWriter }

func (m *mangler) WriteHeader(code int) {
	if m.status != 0 {
		return
	}
	m.status = code
	if code == http.StatusNoContent || code == http.StatusNotModified || code < 200 {
		m.written = true
		m.ResponseWriter.WriteHeader(code)
	}
}

func (m *mangler) Write(b []byte) (int, error) {
	if m.status == 0 {
		m.WriteHeader(http.StatusOK)
	}
	if m.written {
		return len(b), nil
	}
	m.written = true
	h := m.Header()
	cut := b[:len(b)/2]
	if m.mode == EffectTruncate {
		h.Set("Content-Length", strconv.Itoa(len(b)))
		m.ResponseWriter.WriteHeader(m.status)
		m.ResponseWriter.Write(cut)
		return len(b), nil
	}
	out := append(append([]byte{}, cut...), "\x00<<malformed>>"...)
	h.Set("Content-Length", strconv.Itoa(len(out)))
	m.ResponseWriter.WriteHeader(m.status)
	m.ResponseWriter.Write(out)
	return len(b), nil
}

// Finish ends the answer: a truncated one by closing the connection.
func (m *mangler) Finish() {
	if !m.written {
		m.written = true
		m.Write(nil)
	}
	if m.mode == EffectTruncate {
		abort(m.ResponseWriter, false)
	}
}

// Key, SetID, IDPrefix and Counter make a rule a chance.Keyed.
func (r *Rule) Key() (id, workspace string) { return r.ID, r.Workspace }

// SetID gives the rule its id.
func (r *Rule) SetID(id string) { r.ID = id }

// IDPrefix is the letter of the ids rules are given: f1, f2, ...
func (r *Rule) IDPrefix() string { return "f" }

// Counter is the rule's count of matches.
func (r *Rule) Counter() *chance.Counter { return &r.counter }

// Kind is the kind of the rules of a Set in the store.
const Kind = "fault"

func (s *Set) load() []*Rule { return s.Rules.All() }

// Open loads the rules kept in st (with their counters as last saved) and
// makes every later change write through st. A stored rule that no longer
// parses is left out and logged on log.
func (s *Set) Open(ctx context.Context, st chance.Store, log *slog.Logger) error {
	return s.Rules.Open(ctx, st, Kind, Parse, log)
}

// List returns the rules workspace ws ("" for all) sees, in the order
// they apply.
func (s *Set) List(ws string) []View {
	out := []View{}
	for _, r := range s.Rules.Visible(ws) {
		out = append(out, View{Rule: r, Matched: r.counter.Matched(), Applied: r.counter.Applied()})
	}
	return out
}
