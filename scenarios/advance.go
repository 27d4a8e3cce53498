package scenarios

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// Advance moves workspace ws's clock forward by exactly d, running in time
// order every job and delivery attempt that falls due on the way: the
// clock steps to each due time, runs what is due, and moves on; at the end
// its offset is what it was plus d, whatever real time the work took. An
// advance by 0 runs what is due now. The clock may not go further than
// Horizon ahead of real time (ErrBeyondHorizon, and the clock does not
// move). A reset of the workspace meanwhile stops the advance (ErrReset).
// A frozen clock ends exactly d later than it was; a fast one, d plus its
// own run meanwhile.
func (e *Engine) Advance(ctx context.Context, ws string, d time.Duration) (Summary, error) {
	var sum Summary
	if d < 0 {
		return sum, errors.New("cannot move a clock backwards")
	}
	release, err := e.hold(ctx, ws)
	if err != nil {
		return sum, err
	}
	defer release()
	off0 := e.DB.ClockOffset(ws)
	if ahead := e.DB.WorkspaceNow(ws).Sub(e.DB.Now()); d > Horizon-ahead {
		return sum, fmt.Errorf("%w: the clock of %s is %s ahead of real time; %s more would take it past %d years", ErrBeyondHorizon, ws, ahead, d, HorizonYears)
	}
	start := e.mark()
	reset := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.staleLocked(&item{d: store.Delivery{WorkspaceID: ws}, claim: start.resets})
	}
	target := e.DB.WorkspaceNow(ws).Add(d)
	for range 100000 {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if reset() {
			return sum, ErrReset
		}
		next, ok, err := e.DB.NextDueIn(ctx, ws)
		if err != nil {
			return sum, err
		}
		if !ok || next.After(target) {
			break
		}
		if now := e.DB.WorkspaceNow(ws); next.After(now) {
			// The offset only grows: next is at most target, which real
			// time has moved towards since.
			if err := e.DB.SetClockOffset(ctx, ws, min(e.DB.OffsetFor(ws, next), off0+d)); err != nil {
				return sum, err
			}
		}
		cutoff := e.DB.WorkspaceNow(ws)
		// One job at a time: a job may schedule work due at the same
		// instant, which must run before later work.
		jobs, err := e.DB.ClaimJobs(ctx, store.Claim{Workspace: ws, Cutoff: cutoff, Limit: 1, Lease: claimLease})
		if err != nil {
			return sum, err
		}
		if len(jobs) > 0 {
			if err := e.runJob(ctx, jobs[0]); err != nil {
				return sum, err
			}
			sum.Jobs++
			continue
		}
		m := e.mark()
		ds, err := e.DB.ClaimDeliveries(ctx, store.Claim{Workspace: ws, Cutoff: cutoff, Limit: maxQueued, Lease: claimLease})
		if err != nil {
			return sum, err
		}
		if len(ds) == 0 {
			// Due work held by nobody and claimable by nobody: a lease of
			// a stopped process. Step past it.
			break
		}
		if err := e.sendAndWait(ctx, ds, m, &sum); err != nil {
			return sum, err
		}
	}
	if reset() {
		return sum, ErrReset
	}
	if err := e.DB.SetClockOffset(ctx, ws, off0+d); err != nil {
		return sum, err
	}
	n, err := e.DB.PendingDeliveries(ctx, ws)
	sum.Pending = n
	return sum, err
}

// SetClockSpeed makes workspace ws's clock run speed times as fast as real
// time from now on (0 freezes it; see store.DB.SetClockSpeed), once the
// workspace's flushes and advances in progress are done.
func (e *Engine) SetClockSpeed(ctx context.Context, ws string, speed float64) error {
	release, err := e.hold(ctx, ws)
	if err != nil {
		return err
	}
	defer release()
	return e.DB.SetClockSpeed(ctx, ws, speed)
}
