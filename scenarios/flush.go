package scenarios

import (
	"context"
	"sync"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// wsLock returns the lock that serialises the flushes, advances and
// resets of workspace ws.
func (e *Engine) wsLock(ws string) chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.wsLocks[ws]
	if l == nil {
		l = make(chan struct{}, 1)
		e.wsLocks[ws] = l
	}
	return l
}

// hold makes the background loop leave workspace ws alone and waits until
// its deliveries in flight are recorded, or until ctx ends (ctx's error;
// nothing is held then). Other workspaces are not touched. The returned
// func releases the hold.
func (e *Engine) hold(ctx context.Context, ws string) (func(), error) {
	lock := e.wsLock(ws)
	select {
	case lock <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-e.ctx.Done():
		return nil, ErrClosed
	}
	e.mu.Lock()
	e.excl[ws]++
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.idle.Broadcast()
		e.mu.Unlock()
	})
	for e.inflight[ws] > 0 && ctx.Err() == nil && e.ctx.Err() == nil {
		e.idle.Wait()
	}
	e.mu.Unlock()
	stop()
	release := func() {
		e.mu.Lock()
		if e.excl[ws]--; e.excl[ws] <= 0 {
			delete(e.excl, ws)
		}
		e.mu.Unlock()
		<-lock
		e.Wake()
	}
	if err := ctx.Err(); err != nil {
		release()
		return nil, err
	}
	if e.ctx.Err() != nil {
		release()
		return nil, ErrClosed
	}
	return release, nil
}

// Cancel stops the work of workspace ws ("" for every workspace) for a
// reset, without waiting for anything: the background loop leaves it
// alone until the returned func is called, its attempts in flight are cut
// short (and not recorded), the deliveries claimed for it are dropped
// unsent, and its unfinished deliveries and scenario steps are marked
// cancelled in the store (so that until the reset deletes them, the log
// says why they stopped).
func (e *Engine) Cancel(ctx context.Context, ws string) (func(), error) {
	e.mu.Lock()
	e.resets++
	if ws == "" {
		e.exclAll++
		e.resetAll = e.resets
	} else {
		e.excl[ws]++
		e.resetAt[ws] = e.resets
	}
	for it, cancel := range e.running {
		if ws == "" || it.d.WorkspaceID == ws {
			cancel()
		}
	}
	e.mu.Unlock()
	release := func() {
		e.mu.Lock()
		if ws == "" {
			e.exclAll--
		} else if e.excl[ws]--; e.excl[ws] <= 0 {
			delete(e.excl, ws)
		}
		e.mu.Unlock()
		e.Wake()
	}
	if err := e.DB.CancelWork(context.WithoutCancel(ctx), ws); err != nil {
		release()
		return nil, err
	}
	e.waitSteps(ctx, ws)
	return release, nil
}

// stepWait bounds how long Cancel waits for the steps running.
const stepWait = 5 * time.Second

// waitSteps waits until no scenario step of workspace ws ("" for any) is
// running, for at most stepWait or until ctx ends. A step that claimed its
// job before a reset commits before the reset's wipe (the store's writes
// are serial), but what it does once committed (a fault or chaos rule
// added) runs after: waiting for it lets the reset clear what the step
// added, instead of the rule coming back after the reset.
func (e *Engine) waitSteps(ctx context.Context, ws string) {
	timer := time.NewTimer(stepWait)
	defer timer.Stop()
	for {
		e.mu.Lock()
		n := e.stepping[ws]
		if ws == "" {
			n = len(e.stepping)
		}
		done := e.stepDone
		e.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-done:
		case <-ctx.Done():
			return
		case <-timer.C:
			e.log.Warn("reset: scenario steps still running", "workspace", ws, "steps", n)
			return
		}
	}
}

// sendAndWait sends deliveries claimed after m and waits until every
// outcome is recorded, or ctx ends.
func (e *Engine) sendAndWait(ctx context.Context, ds []store.Delivery, m claimMark, sum *Summary) error {
	if len(ds) == 0 {
		return nil
	}
	done := make(chan fate, len(ds))
	e.submit(ds, m, done)
	for range ds {
		select {
		case f := <-done:
			if !f.ok {
				continue // dropped (a reset, or a stop)
			}
			sum.Attempts++
			if f.o.State == store.DeliveryDelivered {
				sum.Delivered++
			} else {
				sum.Failed++
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Flush runs every job and delivery of workspace ws ("" for all) that is
// due now, including those that fall due as a result, and returns when all
// of them have been attempted and recorded, or when ctx ends: then with
// what it did so far, TimedOut set, InFlight counting what is still being
// attempted, and ctx's error. What a flush claimed and did not see through
// is still sent and recorded.
//
// A flush of all workspaces flushes each workspace that has work due on
// its own, concurrently: a slow endpoint of one delays nobody else.
func (e *Engine) Flush(ctx context.Context, ws string) (Summary, error) {
	var sum Summary
	var err error
	if ws == "" {
		sum, err = e.flushAll(ctx)
	} else {
		sum, err = e.flushOne(ctx, ws)
	}
	if err != nil {
		sum.TimedOut = true
		sum.InFlight = e.inFlight(ws)
	}
	n, perr := e.DB.PendingDeliveries(context.WithoutCancel(ctx), ws)
	sum.Pending = n
	if err == nil {
		err = perr
	}
	return sum, err
}

func (e *Engine) inFlight(ws string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ws == "" {
		return e.total
	}
	return e.inflight[ws]
}

func (e *Engine) flushAll(ctx context.Context) (Summary, error) {
	wss, err := e.DB.DueWorkspaces(ctx)
	if err != nil {
		return Summary{}, err
	}
	var mu sync.Mutex
	var sum Summary
	var first error
	var wg sync.WaitGroup
	for _, ws := range wss {
		wg.Go(func() {
			s, err := e.flushOne(ctx, ws)
			mu.Lock()
			defer mu.Unlock()
			sum.add(s)
			if err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	return sum, first
}

func (e *Engine) flushOne(ctx context.Context, ws string) (Summary, error) {
	var sum Summary
	release, err := e.hold(ctx, ws)
	if err != nil {
		return sum, err
	}
	defer release()
	for range 10000 {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		jobs, err := e.DB.ClaimJobs(ctx, store.Claim{Workspace: ws, Limit: 64, Lease: claimLease})
		if err != nil {
			return sum, err
		}
		for _, j := range jobs {
			if err := e.runJob(ctx, j); err != nil {
				return sum, err
			}
			sum.Jobs++
		}
		m := e.mark()
		ds, err := e.DB.ClaimDeliveries(ctx, store.Claim{Workspace: ws, Limit: maxQueued, Lease: claimLease})
		if err != nil {
			return sum, err
		}
		if err := e.sendAndWait(ctx, ds, m, &sum); err != nil {
			return sum, err
		}
		if len(jobs) == 0 && len(ds) == 0 {
			break
		}
	}
	return sum, nil
}

// Replay queues delivery id again (same event, fresh signature when sent).
// It returns store.ErrNotFound for an unknown delivery and
// store.ErrEndpointGone when its webhook was deleted or deactivated.
func (e *Engine) Replay(ctx context.Context, ws string, id int64) (*store.Delivery, error) {
	d, err := e.DB.Replay(ctx, ws, id)
	if err == nil {
		e.Wake()
	}
	return d, err
}
