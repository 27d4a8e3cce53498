// Package chaos disturbs webhook deliveries on purpose: rules match
// attempts by vendor, event type, endpoint and workspace (with seeded
// counts and probability, internal/chance) and drop, delay, duplicate,
// reorder, mis-sign, back-date, misroute or truncate them, or take the
// endpoint down. Set wraps the engine's Sender (scenarios.Engine.WrapSender);
// every attempt a rule acts on is marked in the delivery log
// (scenarios.MarkAttempt). Rules are applied from memory and, once the
// Set is open on a store, kept there with their counters (internal/chance),
// so a restart finds them again.
package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vendorsim/vendorsim/internal/chance"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

// Effects a rule can have.
const (
	EffectDrop           = "drop"            // never sent; the vendor's side sees a 200
	EffectDelay          = "delay"           // held Delay of real time, then sent
	EffectDuplicate      = "duplicate"       // sent twice
	EffectReorder        = "reorder"         // held, then sent after the endpoint's next attempt
	EffectBadSignature   = "bad_signature"   // signed with a wrong secret
	EffectStaleTimestamp = "stale_timestamp" // signed Stale ago
	EffectWrongPath      = "wrong_path"      // sent to another path
	EffectTruncate       = "truncate"        // half of the body
	EffectDown           = "down"            // the endpoint refuses connections
)

// Effects lists every effect.
var Effects = []string{EffectDrop, EffectDelay, EffectDuplicate, EffectReorder, EffectBadSignature,
	EffectStaleTimestamp, EffectWrongPath, EffectTruncate, EffectDown}

// Rule is one chaos rule.
type Rule struct {
	ID        string `json:"id"`
	Workspace string `json:"workspace,omitempty"`
	Vendor    string `json:"vendor,omitempty"`
	EventType string `json:"event_type,omitempty"`
	// Endpoint is a webhook URL (a prefix when it ends in *) or id.
	Endpoint string `json:"endpoint,omitempty"`
	chance.Selector
	Effect string `json:"effect"`
	// Delay is how long a delay holds an attempt, or at most a reorder
	// (default 2s).
	Delay chance.Duration `json:"delay,omitempty"`
	// Stale is how old a stale timestamp is (default 1h).
	Stale chance.Duration `json:"stale,omitempty"`
	// Path is where wrong_path sends (default the URL's path + /wrong).
	Path   string `json:"path,omitempty"`
	Source string `json:"source,omitempty"`

	counter chance.Counter
}

// View is a rule with its counters.
type View struct {
	*Rule
	Matched int64 `json:"matched"`
	Applied int64 `json:"applied"`
}

// FieldError is a rule value that is wrong, naming its field.
type FieldError = chance.FieldError

func fieldErr(field, format string, args ...any) error {
	return &chance.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrExists is Add's error for an id in use.
var ErrExists = chance.ErrExists

// MaxDelay bounds Delay.
const MaxDelay = 10 * time.Minute

// Parse decodes a rule from JSON, refusing unknown fields, and checks it.
func Parse(b []byte) (*Rule, error) {
	var r Rule
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fieldErr(te.Field, "%s must be a %s", te.Field, te.Type)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return nil, fieldErr(f, "unknown field %q", f)
		}
		return nil, fieldErr("", "the rule is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return &r, r.Check()
}

// Check validates a rule; the error is a *FieldError.
func (r *Rule) Check() error {
	if !slices.Contains(Effects, r.Effect) {
		return fieldErr("effect", "effect must be one of %s", strings.Join(Effects, ", "))
	}
	if err := r.Selector.Validate(); err != nil {
		return err
	}
	if r.Delay < 0 || time.Duration(r.Delay) > MaxDelay {
		return fieldErr("delay", "delay may be at most %s", MaxDelay)
	}
	if r.Effect == EffectDelay && r.Delay == 0 {
		return fieldErr("delay", "a delay effect needs delay (such as 500ms)")
	}
	if r.Stale < 0 {
		return fieldErr("stale", "stale must not be negative")
	}
	if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
		return fieldErr("path", "path must start with /")
	}
	return nil
}

// Set holds chaos rules and is the Sender that applies them. Set Seed and
// Policies, then Wrap the engine's Sender.
type Set struct {
	// Rules are the rules in the order they apply (its Seed is the seed
	// of rules that give none); Add, Put, Delete, Clear and Flush are its.
	chance.Rules[*Rule]
	// Policies returns a vendor's delivery policy (its signer, to sign
	// attempts again).
	Policies func(vendor string) (scenarios.VendorPolicy, bool)

	next scenarios.Sender
	// held are attempts a reorder holds, by endpoint.
	heldMu sync.Mutex
	held   map[string][]*heldAttempt
}

type heldAttempt struct {
	d    store.Delivery
	req  *http.Request
	body []byte
	once sync.Once
}

var _ scenarios.Sender = (*Set)(nil)

// Wrap makes s send through next; it returns s.
func (s *Set) Wrap(next scenarios.Sender) scenarios.Sender {
	s.next = next
	return s
}

func (r *Rule) matches(d *store.Delivery) bool {
	if r.Workspace != "" && r.Workspace != d.WorkspaceID {
		return false
	}
	if r.Vendor != "" && r.Vendor != d.Vendor {
		return false
	}
	if r.EventType != "" && r.EventType != d.EventType {
		return false
	}
	if r.Endpoint != "" && r.Endpoint != d.WebhookID {
		if p, ok := strings.CutSuffix(r.Endpoint, "*"); ok {
			if !strings.HasPrefix(d.URL, p) {
				return false
			}
		} else if r.Endpoint != d.URL {
			return false
		}
	}
	return true
}

// Send implements scenarios.Sender.
func (s *Set) Send(ctx context.Context, d *store.Delivery, req *http.Request) (*http.Response, error) {
	var rule *Rule
	for _, r := range s.load() {
		if !r.matches(d) {
			continue
		}
		if _, ok := r.Next(&r.counter); ok {
			rule = r
			break
		}
	}
	if rule == nil {
		resp, err := s.next.Send(ctx, d, req)
		s.release(ctx, d)
		return resp, err
	}
	mark := func(what string) { scenarios.MarkAttempt(ctx, rule.ID+": "+what) }
	switch rule.Effect {
	case EffectDrop:
		mark("dropped, never sent")
		return synthetic(http.StatusOK, "dropped by chaos rule "+rule.ID), nil
	case EffectDown:
		mark("endpoint down")
		return nil, fmt.Errorf("connect %s: connection refused (endpoint down: chaos rule %s)", req.URL.Host, rule.ID)
	case EffectDelay:
		mark("held " + time.Duration(rule.Delay).String())
		t := time.NewTimer(time.Duration(rule.Delay))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case EffectDuplicate:
		mark("sent twice")
		copy1, err := cloneRequest(ctx, req, d.Body)
		if err != nil {
			return nil, err
		}
		if resp, err := s.next.Send(ctx, d, copy1); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
	case EffectReorder:
		mark("held, sent after the endpoint's next attempt")
		c, err := cloneRequest(context.Background(), req, d.Body)
		if err != nil {
			return nil, err
		}
		s.hold(d, c, rule)
		return synthetic(http.StatusAccepted, "held by chaos rule "+rule.ID), nil
	case EffectBadSignature, EffectStaleTimestamp:
		pol, ok := s.Policies(d.Vendor)
		if !ok || pol.Signer == nil {
			mark("unsigned vendor: sent as it was")
			break
		}
		secret, at := d.Secret, time.Now()
		if rule.Effect == EffectBadSignature {
			secret += "-not-the-secret"
			mark("signed with a wrong secret")
		} else {
			stale := cmpDur(time.Duration(rule.Stale), time.Hour)
			at = at.Add(-stale)
			mark("signed " + stale.String() + " ago")
		}
		if err := pol.Signer.Sign(req.Header, d.Body, secret, at); err != nil {
			return nil, err
		}
	case EffectWrongPath:
		u := *req.URL
		if rule.Path != "" {
			u.Path, u.RawPath = rule.Path, ""
		} else {
			u.Path, u.RawPath = strings.TrimSuffix(u.Path, "/")+"/wrong", ""
		}
		mark("sent to " + u.Path)
		req.URL = &u
	case EffectTruncate:
		cut := d.Body[:len(d.Body)/2]
		mark(fmt.Sprintf("body cut to %d of %d bytes", len(cut), len(d.Body)))
		req.Body = io.NopCloser(bytes.NewReader(cut))
		req.ContentLength = int64(len(cut))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(cut)), nil }
	}
	resp, err := s.next.Send(ctx, d, req)
	s.release(ctx, d)
	return resp, err
}

func cmpDur(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func endpoint(d *store.Delivery) string { return d.WorkspaceID + "\x00" + d.URL }

// hold keeps a reordered attempt until the endpoint's next attempt, or
// until its delay (default 2s) passes.
func (s *Set) hold(d *store.Delivery, req *http.Request, r *Rule) {
	h := &heldAttempt{d: *d, req: req, body: d.Body}
	s.heldMu.Lock()
	if s.held == nil {
		s.held = map[string][]*heldAttempt{}
	}
	k := endpoint(d)
	s.held[k] = append(s.held[k], h)
	s.heldMu.Unlock()
	time.AfterFunc(cmpDur(time.Duration(r.Delay), 2*time.Second), func() {
		s.heldMu.Lock()
		list := s.held[k]
		i := slices.Index(list, h)
		if i >= 0 {
			s.held[k] = slices.Delete(list, i, i+1)
		}
		s.heldMu.Unlock()
		if i >= 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.sendHeld(ctx, h)
		}
	})
}

// release sends the attempts held for d's endpoint, after d's own.
func (s *Set) release(ctx context.Context, d *store.Delivery) {
	s.heldMu.Lock()
	k := endpoint(d)
	list := s.held[k]
	delete(s.held, k)
	s.heldMu.Unlock()
	for _, h := range list {
		s.sendHeld(context.WithoutCancel(ctx), h)
	}
}

func (s *Set) sendHeld(ctx context.Context, h *heldAttempt) {
	h.once.Do(func() {
		req := h.req.WithContext(ctx)
		req.Body = io.NopCloser(bytes.NewReader(h.body))
		if resp, err := s.next.Send(ctx, &h.d, req); err == nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
	})
}

// cloneRequest copies req with its body for another send.
func cloneRequest(ctx context.Context, req *http.Request, body []byte) (*http.Request, error) {
	c := req.Clone(ctx)
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	u, err := url.Parse(req.URL.String())
	if err != nil {
		return nil, err
	}
	c.URL = u
	return c, nil
}

// synthetic is an answer no receiver gave.
func synthetic(status int, msg string) *http.Response {
	return &http.Response{
		StatusCode: status,
		Status:     strconv.Itoa(status) + " " + http.StatusText(status),
		Header:     http.Header{"Content-Type": {"text/plain"}},
		Body:       io.NopCloser(strings.NewReader(msg)),
	}
}

// Key, SetID, IDPrefix and Counter make a rule a chance.Keyed.
func (r *Rule) Key() (id, workspace string) { return r.ID, r.Workspace }

// SetID gives the rule its id.
func (r *Rule) SetID(id string) { r.ID = id }

// IDPrefix is the letter of the ids rules are given: c1, c2, ...
func (r *Rule) IDPrefix() string { return "c" }

// Counter is the rule's count of matches.
func (r *Rule) Counter() *chance.Counter { return &r.counter }

// Kind is the kind of the rules of a Set in the store.
const Kind = "chaos"

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
