package scenarios

import (
	"context"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// queue is one endpoint's deliveries waiting to be sent, in order.
type queue struct {
	items []item
}

// item is one claimed delivery on its way.
type item struct {
	d store.Delivery
	// done, if set, receives the item's fate once it is recorded or
	// dropped (buffered by the submitter: sends never block).
	done chan<- fate
	// claim is the engine's reset count before the claim: a reset of the
	// workspace since then drops the item unsent.
	claim uint64
	// hooks is the workspace's webhook generation after the claim, and
	// recheck is set when webhooks changed during the claim: the delivery
	// is looked up again before it is sent.
	hooks   uint64
	recheck bool
}

// fate is how an item ended: ok with its recorded outcome, or dropped.
type fate struct {
	o  store.Outcome
	ok bool
}

type result struct {
	o    store.Outcome
	ws   string
	done chan<- fate
}

// claimMark is what items claimed now are checked against later.
type claimMark struct {
	resets, hooks uint64
}

func (e *Engine) mark() claimMark {
	e.mu.Lock()
	defer e.mu.Unlock()
	return claimMark{resets: e.resets, hooks: e.DB.WebhookChanges()}
}

// excluded lists workspaces the background loop must leave alone, or nil
// with all true when a reset of everything holds them all.
func (e *Engine) excluded() (ws []string, all bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.exclAll > 0 {
		return nil, true
	}
	for w, n := range e.excl {
		if n > 0 {
			ws = append(ws, w)
		}
	}
	return ws, false
}

// loop runs due jobs and hands due deliveries to the endpoint queues, then
// sleeps until the next due time, a wake-up or the poll interval.
func (e *Engine) loop() {
	for {
		busy := e.tick()
		if e.ctx.Err() != nil {
			return
		}
		if busy {
			continue
		}
		wait := e.PollInterval
		if excl, all := e.excluded(); !all {
			if next, ok, err := e.DB.NextDue(e.ctx, excl); err == nil && ok {
				if d := next.Sub(e.DB.Now()); d < wait {
					wait = max(d, time.Millisecond)
				}
			}
		}
		t := e.Clock.NewTimer(wait)
		select {
		case <-e.ctx.Done():
			t.Stop()
			return
		case <-e.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

// tick does one round of background work and reports whether it found any.
func (e *Engine) tick() bool {
	excl, all := e.excluded()
	if all {
		return false
	}
	ctx := e.ctx
	jobs, err := e.DB.ClaimJobs(ctx, store.Claim{Exclude: excl, Limit: 64, Lease: claimLease})
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claim jobs", "err", err)
		}
		return false
	}
	for _, j := range jobs {
		if err := e.runJob(ctx, j); err != nil && ctx.Err() == nil {
			e.log.Error("run job", "job", j.ID, "err", err)
		}
	}
	e.mu.Lock()
	room := maxQueued - e.total
	e.mu.Unlock()
	if room <= 0 {
		// The queues are full: wait for progress rather than claiming more.
		e.mu.Lock()
		for e.total >= maxQueued && ctx.Err() == nil {
			e.idle.Wait()
		}
		e.mu.Unlock()
		return len(jobs) > 0
	}
	m := e.mark()
	ds, err := e.DB.ClaimDeliveries(ctx, store.Claim{Exclude: excl, Limit: min(batchSize, room), Lease: claimLease})
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claim deliveries", "err", err)
		}
		return len(jobs) > 0
	}
	e.submit(ds, m, nil)
	return len(jobs) > 0 || len(ds) > 0
}

// endpointKey groups deliveries that must go out one at a time, in order.
func endpointKey(d *store.Delivery) string {
	return d.WorkspaceID + "\x00" + d.WebhookID + "\x00" + d.URL
}

// submit queues deliveries claimed after m behind their endpoint's earlier
// ones. done, if set, receives each one's fate.
func (e *Engine) submit(ds []store.Delivery, m claimMark, done chan<- fate) {
	if len(ds) == 0 {
		return
	}
	recheck := e.DB.WebhookChanges() != m.hooks
	e.mu.Lock()
	defer e.mu.Unlock()
	gens := map[string]uint64{}
	for _, d := range ds {
		e.inflight[d.WorkspaceID]++
		e.total++
		g, ok := gens[d.WorkspaceID]
		if !ok {
			g = e.DB.WebhookGeneration(d.WorkspaceID)
			gens[d.WorkspaceID] = g
		}
		k := endpointKey(&d)
		q, running := e.queues[k]
		if !running {
			q = &queue{}
			e.queues[k] = q
		}
		q.items = append(q.items, item{d: d, done: done, claim: m.resets, hooks: g, recheck: recheck})
		if !running {
			e.drains.Add(1)
			go func() { defer e.drains.Done(); e.drain(k, q) }()
		}
	}
}

// staleLocked reports whether it's workspace was reset since it was
// claimed. e.mu is held.
func (e *Engine) staleLocked(it *item) bool {
	return e.resetAll > it.claim || e.resetAt[it.d.WorkspaceID] > it.claim
}

// drain sends one endpoint's queue in order.
func (e *Engine) drain(k string, q *queue) {
	for {
		e.mu.Lock()
		if len(q.items) == 0 {
			delete(e.queues, k)
			e.mu.Unlock()
			return
		}
		if e.closing {
			e.giveBackLocked(k, q)
			e.mu.Unlock()
			return
		}
		it := q.items[0]
		q.items = q.items[1:]
		stale := e.staleLocked(&it)
		e.mu.Unlock()
		if stale {
			e.drop(&it)
			continue
		}
		select {
		case e.sem <- struct{}{}:
		case <-e.sendCtx.Done():
			e.mu.Lock()
			q.items = append([]item{it}, q.items...)
			e.giveBackLocked(k, q)
			e.mu.Unlock()
			return
		}
		ctx, ok := e.start(&it)
		if !ok {
			<-e.sem
			if ctx == nil {
				// Closing: it goes back with the rest of the queue.
				e.mu.Lock()
				q.items = append([]item{it}, q.items...)
				e.mu.Unlock()
				continue
			}
			e.drop(&it)
			continue
		}
		o, sent := e.attempt(ctx, &it.d)
		e.mu.Lock()
		cancel := e.running[&it]
		delete(e.running, &it)
		e.mu.Unlock()
		cancel()
		<-e.sem
		if !sent {
			// Cut short by a reset or a stop that could wait no longer:
			// nothing is recorded, and the attempt's number stays used.
			e.drop(&it)
			continue
		}
		e.outcomes <- result{o: o, ws: it.d.WorkspaceID, done: it.done}
	}
}

// start decides, just before it is sent, whether it still is to be: not
// when the engine is closing (ctx nil), its workspace was reset, or its
// webhook was deleted or deactivated since it was claimed. When it is, it
// registers the attempt's context, which a reset cancels.
func (e *Engine) start(it *item) (context.Context, bool) {
	if it.recheck || e.DB.WebhookGeneration(it.d.WorkspaceID) != it.hooks {
		state, err := e.DB.DeliveryState(context.WithoutCancel(e.sendCtx), it.d.ID)
		if err != nil || state != store.DeliverySending {
			return context.Background(), false
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		return nil, false
	}
	if e.staleLocked(it) {
		return context.Background(), false
	}
	ctx, cancel := context.WithCancel(e.sendCtx)
	e.running[it] = cancel
	return ctx, true
}

// drop ends an item that is not recorded.
func (e *Engine) drop(it *item) {
	e.mu.Lock()
	e.forgetLocked(it.d.WorkspaceID)
	e.mu.Unlock()
	if it.done != nil {
		it.done <- fate{}
	}
}

func (e *Engine) forgetLocked(ws string) {
	if e.inflight[ws]--; e.inflight[ws] <= 0 {
		delete(e.inflight, ws)
	}
	e.total--
	e.idle.Broadcast()
}

// giveBackLocked ends a queue at a stop: its deliveries were claimed and
// not attempted, and Close gives them back to the store. e.mu is held.
func (e *Engine) giveBackLocked(k string, q *queue) {
	for _, x := range q.items {
		e.forgetLocked(x.d.WorkspaceID)
		if !e.staleLocked(&x) {
			e.unsent = append(e.unsent, x.d.ID)
		}
		if x.done != nil {
			x.done <- fate{}
		}
	}
	q.items = nil
	delete(e.queues, k)
}

// record writes outcomes in batches and releases their deliveries, until
// Close stops it once every queue is drained.
func (e *Engine) record() {
	batch := make([]result, 0, batchSize)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		outs := make([]store.Outcome, len(batch))
		for i, r := range batch {
			outs[i] = r.o
		}
		if err := e.DB.RecordOutcomes(context.Background(), outs); err != nil {
			e.log.Error("record delivery attempts", "attempts", len(outs), "err", err)
		}
		e.mu.Lock()
		for _, r := range batch {
			e.forgetLocked(r.ws)
		}
		e.mu.Unlock()
		for _, r := range batch {
			if r.done != nil {
				r.done <- fate{o: r.o, ok: true}
			}
		}
		batch = batch[:0]
	}
	fill := func() {
		for len(batch) < batchSize {
			select {
			case r := <-e.outcomes:
				batch = append(batch, r)
			default:
				return
			}
		}
	}
	for {
		select {
		case <-e.stopRecord:
			for {
				fill()
				if len(batch) == 0 {
					return
				}
				flush()
			}
		case r := <-e.outcomes:
			batch = append(batch, r)
			fill()
			flush()
		}
	}
}

// prune deletes finished work older than Retention, at start and then
// every tenth of the retention (at most hourly).
func (e *Engine) prune() {
	every := min(e.Retention/10, time.Hour)
	for {
		d, j, err := e.DB.PruneOutbox(e.ctx, e.DB.Now().Add(-e.Retention))
		if err != nil && e.ctx.Err() == nil {
			e.log.Error("prune outbox", "err", err)
		} else if d+j > 0 {
			e.log.Info("pruned finished work", "deliveries", d, "jobs", j, "older_than", e.Retention)
		}
		t := e.Clock.NewTimer(every)
		select {
		case <-e.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}
