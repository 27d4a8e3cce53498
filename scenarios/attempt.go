package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

const (
	// responseKeep is how much of a receiver's answer is kept.
	responseKeep = 4 << 10
	// responseDrain is how much more is read so the connection can be
	// reused.
	responseDrain = 64 << 10
	// defaultTimeout bounds an attempt whose vendor sets no timeout.
	defaultTimeout = 10 * time.Second
)

// Sender sends one prepared attempt of delivery d: req is built and signed,
// and carries the attempt's deadline in its context (also ctx). The
// default, ClientSender, sends it as it is; a chaos layer wraps a Sender to
// drop, delay, duplicate or corrupt attempts. A Sender must not keep req
// or the response body after it returns and the body is closed.
type Sender interface {
	Send(ctx context.Context, d *store.Delivery, req *http.Request) (*http.Response, error)
}

// MarkAttempt records, from a Sender, what it did to the attempt whose
// context ctx is (a chaos rule's "c1: duplicate"): the delivery log shows
// it with the attempt. Several marks are joined.
func MarkAttempt(ctx context.Context, what string) {
	if n, ok := ctx.Value(noteKey{}).(*note); ok {
		n.mu.Lock()
		if n.s != "" {
			n.s += "; "
		}
		n.s += what
		n.mu.Unlock()
	}
}

type noteKey struct{}

// note collects an attempt's marks.
type note struct {
	mu sync.Mutex
	s  string
}

func (n *note) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.s
}

// SenderFunc is a Sender.
type SenderFunc func(ctx context.Context, d *store.Delivery, req *http.Request) (*http.Response, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, d *store.Delivery, req *http.Request) (*http.Response, error) {
	return f(ctx, d, req)
}

// ClientSender sends attempts with an http.Client.
type ClientSender struct{ Client *http.Client }

// Send does req with the client.
func (s ClientSender) Send(_ context.Context, _ *store.Delivery, req *http.Request) (*http.Response, error) {
	return s.Client.Do(req)
}

// prepared is one attempt, built and signed, ready to send.
type prepared struct {
	req     *http.Request
	n       int
	timeout time.Duration
	wall    time.Time
}

// answer is what sending an attempt got.
type answer struct {
	status  int
	header  http.Header
	body    []byte
	latency time.Duration
	// err is the network error, a timeout, or a body cut short.
	err error
	// note describes err for the attempt log.
	note string
	// chaos is what the Sender marked (MarkAttempt).
	chaos string
}

// attempt makes one HTTP try of d, signed now, and decides what follows.
// sent is false when ctx ended it (a reset or a stop): nothing to record.
func (e *Engine) attempt(ctx context.Context, d *store.Delivery) (out store.Outcome, sent bool) {
	pol := e.Vendors[d.Vendor]
	p, failed := e.prepare(d, pol)
	if failed != nil {
		return *failed, true
	}
	ans := e.send(ctx, d, p)
	if ctx.Err() != nil {
		return store.Outcome{}, false
	}
	return e.classify(d, pol, p, ans), true
}

// prepare builds and signs attempt number d.Attempts (counted when it was
// claimed). A delivery that cannot be built or signed gets a final outcome
// instead.
func (e *Engine) prepare(d *store.Delivery, pol VendorPolicy) (*prepared, *store.Outcome) {
	p := &prepared{n: max(d.Attempts, 1), timeout: pol.Retry.Timeout, wall: e.WallNow()}
	if p.timeout <= 0 {
		p.timeout = defaultTimeout
	}
	dead := func(msg string) *store.Outcome {
		a := store.Attempt{DeliveryID: d.ID, N: p.n, At: p.wall.UTC(), VirtualAt: e.DB.WorkspaceNow(d.WorkspaceID), Error: msg}
		return &store.Outcome{Attempt: a, State: store.DeliveryDead}
	}
	req, err := http.NewRequest(d.Method, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return nil, dead("bad webhook URL: " + err.Error())
	}
	for k, vs := range pol.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Vendorsim-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set("X-Vendorsim-Attempt", strconv.Itoa(p.n))
	if pol.Signer != nil {
		if err := pol.Signer.Sign(req.Header, d.Body, d.Secret, p.wall); err != nil {
			return nil, dead("sign: " + err.Error())
		}
	}
	p.req = req
	return p, nil
}

// send sends a prepared attempt through the Sender within the vendor's
// timeout and reads (the start of) the answer.
func (e *Engine) send(ctx context.Context, d *store.Delivery, p *prepared) answer {
	actx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	marks := &note{}
	actx = context.WithValue(actx, noteKey{}, marks)
	start := time.Now()
	resp, err := e.Sender.Send(actx, d, p.req.WithContext(actx))
	if err != nil {
		ans := answer{err: err, latency: time.Since(start), note: err.Error(), chaos: marks.String()}
		if errors.Is(err, context.DeadlineExceeded) {
			ans.note = fmt.Sprintf("no answer within %s", p.timeout)
		}
		return ans
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, responseKeep))
	io.Copy(io.Discard, io.LimitReader(resp.Body, responseDrain))
	resp.Body.Close()
	ans := answer{status: resp.StatusCode, header: resp.Header, body: body, latency: time.Since(start), chaos: marks.String()}
	if rerr != nil && errors.Is(rerr, context.DeadlineExceeded) {
		// The status line came in time but the body did not: the vendor
		// waits for the whole answer.
		ans.err, ans.note = rerr, fmt.Sprintf("answer not complete within %s", p.timeout)
	}
	return ans
}

// classify turns an answer into the attempt's record and what follows,
// under the vendor's policy: delivered, retried at a time, or dead.
func (e *Engine) classify(d *store.Delivery, pol VendorPolicy, p *prepared, ans answer) store.Outcome {
	a := store.Attempt{DeliveryID: d.ID, N: p.n, At: p.wall.UTC(), VirtualAt: e.DB.WorkspaceNow(d.WorkspaceID),
		Status: ans.status, Latency: ans.latency, ResponseBody: ans.body, Error: ans.note, Chaos: ans.chaos}
	a.RequestHeaders, _ = json.Marshal(p.req.Header)
	var after time.Duration
	if ans.header != nil {
		a.ResponseHeaders, _ = json.Marshal(ans.header)
		after = retryAfter(ans.header, a.VirtualAt)
	}
	if ans.err == nil && a.Status >= 200 && a.Status < 300 {
		return store.Outcome{Attempt: a, State: store.DeliveryDelivered}
	}
	if !retryable(pol.Retry, a.Status, ans.err) {
		if a.Error == "" {
			a.Error = fmt.Sprintf("HTTP %d is final under %s's policy (no retry)", a.Status, d.Vendor)
		}
		return store.Outcome{Attempt: a, State: store.DeliveryDead}
	}
	first := d.FirstAttemptAt
	if first.IsZero() {
		first = a.VirtualAt
	}
	if a.Error == "" {
		a.Error = fmt.Sprintf("HTTP %d", a.Status)
	}
	next, retry := nextAttempt(pol.Retry, p.n, d.ID, first, a.VirtualAt, after)
	if !retry {
		a.Error = fmt.Sprintf("%s; gave up after %d attempts", a.Error, p.n)
		e.log.Info("delivery dead", "delivery_id", d.ID, "attempt", p.n, "status", a.Status, "vendor", d.Vendor)
		return store.Outcome{Attempt: a, State: store.DeliveryDead}
	}
	e.log.Debug("delivery retry", "delivery_id", d.ID, "attempt", p.n, "status", a.Status, "next_in", next.Sub(a.VirtualAt))
	return store.Outcome{Attempt: a, State: store.DeliveryPending, NextDue: next}
}
