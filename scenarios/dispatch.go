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
	"time"

	"vendorsim/store"
)

const (
	// responseKeep is how much of a receiver's answer is kept.
	responseKeep = 4 << 10
	// responseDrain is how much more is read so the connection can be
	// reused.
	responseDrain = 64 << 10
)

// attempt makes one HTTP try of d, signed now, and decides what follows.
// ok is false when the engine is shutting down (nothing to record).
func (e *Engine) attempt(ctx context.Context, d *store.Delivery) (out store.Outcome, ok bool) {
	pol := e.Vendors[d.Vendor]
	timeout := pol.Retry.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	n := d.Attempts + 1
	a := store.Attempt{DeliveryID: d.ID, N: n}
	req, err := http.NewRequest(d.Method, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		a.At, a.VirtualAt = e.WallNow().UTC(), e.DB.WorkspaceNow(d.WorkspaceID)
		a.Error = "bad webhook URL: " + err.Error()
		return store.Outcome{Attempt: a, State: store.DeliveryDead}, true
	}
	for k, vs := range pol.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Vendorsim-Delivery", strconv.FormatInt(d.ID, 10))
	req.Header.Set("X-Vendorsim-Attempt", strconv.Itoa(n))
	wall := e.WallNow()
	if pol.Signer != nil {
		if err := pol.Signer.Sign(req.Header, d.Body, d.Secret, wall); err != nil {
			a.At, a.VirtualAt = wall.UTC(), e.DB.WorkspaceNow(d.WorkspaceID)
			a.Error = "sign: " + err.Error()
			return store.Outcome{Attempt: a, State: store.DeliveryDead}, true
		}
	}
	a.RequestHeaders, _ = json.Marshal(req.Header)
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	resp, err := e.Client.Do(req.WithContext(actx))
	a.At = wall.UTC()
	a.VirtualAt = e.DB.WorkspaceNow(d.WorkspaceID)
	var after time.Duration
	if err != nil {
		if ctx.Err() != nil {
			return store.Outcome{}, false
		}
		a.Latency = time.Since(start)
		if errors.Is(err, context.DeadlineExceeded) {
			a.Error = fmt.Sprintf("no answer within %s", timeout)
		} else {
			a.Error = err.Error()
		}
	} else {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, responseKeep))
		io.Copy(io.Discard, io.LimitReader(resp.Body, responseDrain))
		resp.Body.Close()
		a.Latency = time.Since(start)
		a.Status = resp.StatusCode
		a.ResponseBody = body
		a.ResponseHeaders, _ = json.Marshal(resp.Header)
		if rerr != nil && errors.Is(rerr, context.DeadlineExceeded) {
			// The status line came in time but the body did not: the
			// vendor waits for the whole answer.
			a.Error = fmt.Sprintf("answer not complete within %s", timeout)
			err = rerr
		}
		after = retryAfter(resp.Header, a.VirtualAt)
	}
	if err == nil && a.Status >= 200 && a.Status < 300 {
		return store.Outcome{Attempt: a, State: store.DeliveryDelivered}, true
	}
	if !retryable(pol.Retry, a.Status, err) {
		if a.Error == "" {
			a.Error = fmt.Sprintf("HTTP %d is final under %s's policy (no retry)", a.Status, d.Vendor)
		}
		return store.Outcome{Attempt: a, State: store.DeliveryDead}, true
	}
	first := d.FirstAttemptAt
	if first.IsZero() {
		first = a.VirtualAt
	}
	next, retry := nextAttempt(pol.Retry, n, d.ID, first, a.VirtualAt, after)
	if !retry {
		if a.Error == "" {
			a.Error = fmt.Sprintf("HTTP %d", a.Status)
		}
		a.Error = fmt.Sprintf("%s; gave up after %d attempts", a.Error, n)
		e.log.Info("delivery dead", "delivery_id", d.ID, "attempt", n, "status", a.Status, "vendor", d.Vendor)
		return store.Outcome{Attempt: a, State: store.DeliveryDead}, true
	}
	if a.Error == "" {
		a.Error = fmt.Sprintf("HTTP %d", a.Status)
	}
	e.log.Debug("delivery retry", "delivery_id", d.ID, "attempt", n, "status", a.Status, "next_in", next.Sub(a.VirtualAt))
	return store.Outcome{Attempt: a, State: store.DeliveryPending, NextDue: next}, true
}
