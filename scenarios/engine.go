// Package scenarios is vendorsim's engine of time: scenario timelines stored
// as scheduled jobs, and the webhook dispatcher that drains the outbox with
// each vendor's signing and retry policy.
//
// All scheduling reads the store's workspace clocks (real time plus a
// per-workspace offset), so advancing one workspace's clock runs, in order,
// every step and retry that falls due, without touching other workspaces.
// Jobs and deliveries live in SQLite and are claimed with leases: a crash
// loses nothing, and work resumes at the next start.
package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"vendorsim/store"
)

// Action is what a scenario step does, inside the store transaction of its
// workspace: change state and emit events.
type Action func(tx *store.Tx, params map[string]string) error

// Summary counts what a flush or a clock advance did.
type Summary struct {
	Jobs      int `json:"jobs"`
	Attempts  int `json:"attempts"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"`
}

// ParamCheck validates, before a run starts, the value one param will
// have when a step of an action runs, in the run's transaction: a vendor
// package supplies it with the action that uses the param. It returns an
// error wrapping store.ErrNotFound when the value refers to nothing in the
// workspace; any other error is a failure (of the store).
type ParamCheck func(tx *store.Tx, value string) error

// Horizon bounds virtual time: a workspace's clock may run at most this
// far ahead of real time (Advance), and a run asked for by a client may
// start at most this far after the workspace's now (CheckRun).
// (time.Duration itself ends 292 years out, and times past year 9999 have
// no RFC 3339 form.)
const Horizon = HorizonYears * 365 * 24 * time.Hour

// HorizonYears is Horizon in (365-day) years, for messages.
const HorizonYears = 100

// Errors the engine returns.
var (
	ErrUnknownScenario = errors.New("unknown scenario")
	ErrMissingParam    = errors.New("missing scenario parameter")
	// ErrBeyondHorizon means a clock advance or a run's start would go
	// past Horizon.
	ErrBeyondHorizon = errors.New("beyond the horizon of virtual time")
)

// ParamError is a param of a run that is missing (Err wraps
// ErrMissingParam) or that the ParamCheck of Action refused.
type ParamError struct {
	Param  string
	Action string
	Err    error
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Err.Error() }

func (e *ParamError) Unwrap() error { return e.Err }

// Engine runs scenario jobs and delivers webhooks. Set the exported fields,
// then Open; Close stops it.
type Engine struct {
	DB     *store.DB
	Logger *slog.Logger
	Clock  Clock
	// Speed divides scenario delays (2 runs timelines twice as fast).
	Speed float64
	// Concurrency bounds simultaneous HTTP attempts.
	Concurrency int
	// PollInterval bounds how long the loop sleeps when idle.
	PollInterval time.Duration
	Actions      map[string]Action
	// Checks validate, by action and then param, the values a run's steps
	// will get (CheckRun); see AddParamCheck.
	Checks  map[string]map[string]ParamCheck
	Vendors map[string]VendorPolicy
	Library *Library
	// Magic replaces the built-in magic-number table when set.
	Magic  []MagicNumber
	Client *http.Client
	// WallNow is the clock of signature timestamps: always real time, so
	// receivers' freshness checks pass after a clock advance.
	WallNow func() time.Time
	// Manual runs no background loop: steps and deliveries happen only in
	// Flush and Advance, so a test or QA session moves time by hand.
	Manual bool
	// Retention is how long finished deliveries (with their attempts) and
	// finished scenario steps are kept; 0 keeps them forever.
	Retention time.Duration

	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	idle     *sync.Cond
	inflight map[string]int // workspace -> claimed deliveries not yet recorded
	total    int
	excl     map[string]int // workspaces held by a flush or advance
	exclAll  int
	queues   map[string]*queue // endpoint -> deliveries waiting to be sent
	wsLocks  map[string]*sync.Mutex
	allLock  sync.RWMutex

	sem      chan struct{}
	outcomes chan result
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type queue struct {
	items []item
}

type item struct {
	d    store.Delivery
	done chan<- store.Outcome
}

type result struct {
	o    store.Outcome
	ws   string
	done chan<- store.Outcome
}

const (
	claimLease = 10 * time.Minute
	batchSize  = 256
	maxQueued  = 4096
)

// Open starts the engine's loops. Work claimed by a previous process that
// stopped is released first.
func (e *Engine) Open(ctx context.Context) error {
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
	e.log = e.Logger.With("component", "engine")
	if e.Clock == nil {
		e.Clock = SystemClock{}
	}
	if e.Speed <= 0 {
		e.Speed = 1
	}
	if e.Concurrency <= 0 {
		e.Concurrency = 8
	}
	if e.PollInterval <= 0 {
		e.PollInterval = 250 * time.Millisecond
	}
	if e.WallNow == nil {
		e.WallNow = time.Now
	}
	if e.Client == nil {
		e.Client = &http.Client{
			Transport: &http.Transport{
				Proxy:               nil,
				MaxIdleConns:        256,
				MaxIdleConnsPerHost: e.Concurrency * 2,
				IdleConnTimeout:     90 * time.Second,
			},
			// A vendor does not follow redirects: a 3xx is a failed attempt.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if e.Library == nil {
		lib, err := NewLibrary("", e.Actions)
		if err != nil {
			return err
		}
		e.Library = lib
	}
	e.wake = make(chan struct{}, 1)
	e.idle = sync.NewCond(&e.mu)
	e.inflight = map[string]int{}
	e.excl = map[string]int{}
	e.queues = map[string]*queue{}
	e.wsLocks = map[string]*sync.Mutex{}
	e.sem = make(chan struct{}, e.Concurrency)
	e.outcomes = make(chan result, batchSize)
	if err := e.DB.Unclaim(ctx); err != nil {
		return fmt.Errorf("release claimed work: %w", err)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.wg.Add(1)
	go func() { defer e.wg.Done(); e.record() }()
	if !e.Manual {
		e.wg.Add(1)
		go func() { defer e.wg.Done(); e.loop() }()
	}
	if e.Retention > 0 {
		e.wg.Add(1)
		go func() { defer e.wg.Done(); e.prune() }()
	}
	return nil
}

// Close stops the engine. Attempts in flight are abandoned, not recorded;
// their deliveries are sent again at the next start.
func (e *Engine) Close(ctx context.Context) error {
	if e.cancel == nil {
		return nil
	}
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Wake makes the loop look for due work now (new work was committed).
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// scale converts a scenario delay to virtual time under the speed setting.
func (e *Engine) scale(d Duration) time.Duration {
	return time.Duration(float64(d) / e.Speed)
}

// AddParamCheck registers check for the values of param that steps of
// action get. A vendor package calls it, before Open, for the params its
// actions look up, so that a run asked for with a value that refers to
// nothing is refused up front rather than failing when its step runs.
// The check's type is spelled out so that vendor packages need not import
// this one: they find the method through an interface of their own.
func (e *Engine) AddParamCheck(action, param string, check func(tx *store.Tx, value string) error) {
	if e.Checks == nil {
		e.Checks = map[string]map[string]ParamCheck{}
	}
	if e.Checks[action] == nil {
		e.Checks[action] = map[string]ParamCheck{}
	}
	e.Checks[action][param] = check
}

// CheckRun checks a run of scenario name that a client asks for, before
// Start: every declared param is given (else a *ParamError wrapping
// ErrMissingParam, as from Start); at is at most Horizon after the
// workspace's now (else ErrBeyondHorizon); and the checks of every step's
// action accept the values the step will get (its own, else the run's) in
// the transaction's workspace (else a *ParamError for the first value
// refused). Vendor packages, which start runs for what they have just
// stored, need not call it.
func (e *Engine) CheckRun(tx *store.Tx, name string, at time.Time, params map[string]string) error {
	sc, ok := e.Library.Get(name)
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownScenario, name)
	}
	if err := sc.missing(params); err != nil {
		return err
	}
	if at.After(tx.Now().Add(Horizon)) {
		return fmt.Errorf("%w: %s would start more than %d years after the workspace's now", ErrBeyondHorizon, name, HorizonYears)
	}
	done := map[[3]string]bool{}
	for _, st := range sc.Steps {
		checks := e.Checks[st.Action]
		names := make([]string, 0, len(checks))
		for p := range checks {
			names = append(names, p)
		}
		sort.Strings(names)
		for _, p := range names {
			v, own := st.With[p]
			if !own {
				v = params[p]
			}
			k := [3]string{st.Action, p, v}
			if done[k] {
				continue
			}
			done[k] = true
			if err := checks[p](tx, v); errors.Is(err, store.ErrNotFound) {
				return &ParamError{Param: p, Action: st.Action, Err: err}
			} else if err != nil {
				return fmt.Errorf("check %s of %s: %w", p, st.Action, err)
			}
		}
	}
	return nil
}

// Start schedules scenario name in the transaction's workspace, beginning
// at at (a start in the past is a start now), and returns the run id. It
// implements mocks.Scenarios.
func (e *Engine) Start(tx *store.Tx, name string, at time.Time, params map[string]string) (string, error) {
	sc, ok := e.Library.Get(name)
	if !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownScenario, name)
	}
	if err := sc.missing(params); err != nil {
		return "", err
	}
	if at.IsZero() || at.Before(tx.Now()) {
		at = tx.Now()
	}
	id := uuid.NewString()
	return id, e.scheduleStep(tx, sc, id, 0, at, params)
}

// missing reports the first declared param that params lack, as a
// *ParamError wrapping ErrMissingParam.
func (s *Scenario) missing(params map[string]string) error {
	for _, p := range s.Params {
		if params[p] == "" {
			return &ParamError{Param: p, Err: fmt.Errorf("%w %q of %s", ErrMissingParam, p, s.Name)}
		}
	}
	return nil
}

// jobPayload is what a job carries.
type jobPayload struct {
	Scenario string            `json:"scenario"`
	Params   map[string]string `json:"params"`
}

// scheduleStep schedules step i of a run, due after its delay from prev.
func (e *Engine) scheduleStep(tx *store.Tx, sc *Scenario, runID string, i int, prev time.Time, params map[string]string) error {
	st := sc.Steps[i]
	payload, err := json.Marshal(jobPayload{Scenario: sc.Name, Params: params})
	if err != nil {
		return err
	}
	return tx.Schedule(&store.Job{Vendor: sc.Vendor, Kind: st.Action, Payload: payload, RunID: runID, Step: i, DueAt: prev.Add(e.scale(st.After))})
}

// runJob runs one claimed job in its workspace's transaction, together with
// scheduling the next step. A failing action fails the job and its run.
func (e *Engine) runJob(ctx context.Context, j store.Job) error {
	var p jobPayload
	err := json.Unmarshal(j.Payload, &p)
	sc, ok := e.Library.Get(p.Scenario)
	if err == nil && (!ok || j.Step >= len(sc.Steps)) {
		err = fmt.Errorf("%w %q (step %d)", ErrUnknownScenario, p.Scenario, j.Step)
	}
	var action Action
	if err == nil {
		if action = e.Actions[sc.Steps[j.Step].Action]; action == nil {
			err = fmt.Errorf("no action %q", sc.Steps[j.Step].Action)
		}
	}
	if err == nil {
		params := map[string]string{}
		for k, v := range p.Params {
			params[k] = v
		}
		for k, v := range sc.Steps[j.Step].With {
			params[k] = v
		}
		err = e.DB.Update(ctx, j.WorkspaceID, func(tx *store.Tx) error {
			if err := action(tx, params); err != nil {
				return err
			}
			if err := tx.FinishJob(j.ID, store.JobDone, ""); err != nil {
				return err
			}
			if j.Step+1 < len(sc.Steps) {
				return e.scheduleStep(tx, sc, j.RunID, j.Step+1, j.DueAt, p.Params)
			}
			return nil
		})
		if err == nil {
			return nil
		}
	}
	if ctx.Err() != nil {
		// Shutting down: the step did not run and is not failed. Its claim
		// is released at the next start, and it runs then.
		return ctx.Err()
	}
	e.log.Warn("scenario step failed", "workspace", j.WorkspaceID, "run", j.RunID, "step", j.Step, "action", j.Kind, "err", err)
	return e.DB.Update(ctx, j.WorkspaceID, func(tx *store.Tx) error {
		return tx.FinishJob(j.ID, store.JobFailed, err.Error())
	})
}

// Run states.
const (
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// RunView is a scenario run as its jobs tell it.
type RunView struct {
	ID       string
	Scenario string
	Params   map[string]string
	State    string
	Jobs     []store.Job
}

// Run returns the run id of the transaction's workspace, or
// store.ErrNotFound. It is done once its last step is done, failed when a
// step failed, and running otherwise.
func (e *Engine) Run(tx *store.Tx, id string) (*RunView, error) {
	jobs, err := tx.RunJobs(id)
	if err != nil {
		return nil, err
	}
	var p jobPayload
	json.Unmarshal(jobs[0].Payload, &p)
	v := &RunView{ID: id, Scenario: p.Scenario, Params: p.Params, State: RunRunning, Jobs: jobs}
	if v.Params == nil {
		v.Params = map[string]string{}
	}
	last := jobs[len(jobs)-1]
	sc, ok := e.Library.Get(p.Scenario)
	switch {
	case last.State == store.JobFailed:
		v.State = RunFailed
	case last.State == store.JobDone && ok && last.Step == len(sc.Steps)-1:
		v.State = RunDone
	}
	return v, nil
}

// excluded lists workspaces the background loop must leave alone, or nil
// with all true when a flush of everything holds them all.
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
	ds, err := e.DB.ClaimDeliveries(ctx, store.Claim{Exclude: excl, Limit: min(batchSize, room), Lease: claimLease})
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("claim deliveries", "err", err)
		}
		return len(jobs) > 0
	}
	e.submit(ds, nil)
	return len(jobs) > 0 || len(ds) > 0
}

// endpointKey groups deliveries that must go out one at a time, in order.
func endpointKey(d *store.Delivery) string {
	return d.WorkspaceID + "\x00" + d.WebhookID + "\x00" + d.URL
}

// submit queues claimed deliveries behind their endpoint's earlier ones.
// done, if set, receives each outcome once it is recorded.
func (e *Engine) submit(ds []store.Delivery, done chan<- store.Outcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range ds {
		e.inflight[d.WorkspaceID]++
		e.total++
		k := endpointKey(&d)
		q, running := e.queues[k]
		if !running {
			q = &queue{}
			e.queues[k] = q
		}
		q.items = append(q.items, item{d: d, done: done})
		if !running {
			e.wg.Add(1)
			go func() { defer e.wg.Done(); e.drain(k, q) }()
		}
	}
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
		it := q.items[0]
		q.items = q.items[1:]
		e.mu.Unlock()
		select {
		case e.sem <- struct{}{}:
		case <-e.ctx.Done():
			e.abandon(k, q, it)
			return
		}
		o, ok := e.attempt(e.ctx, &it.d)
		<-e.sem
		if !ok {
			e.abandon(k, q, it)
			return
		}
		select {
		case e.outcomes <- result{o: o, ws: it.d.WorkspaceID, done: it.done}:
		case <-e.ctx.Done():
			e.abandon(k, q, it)
			return
		}
	}
}

// abandon drops a queue at shutdown; the deliveries stay claimed in the
// store and are released at the next start.
func (e *Engine) abandon(k string, q *queue, it item) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range append([]item{it}, q.items...) {
		e.inflight[x.d.WorkspaceID]--
		e.total--
		if x.done != nil {
			close(x.done)
		}
	}
	q.items = nil
	delete(e.queues, k)
	e.idle.Broadcast()
}

// record writes outcomes in batches and releases their deliveries.
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
		if err := e.DB.RecordOutcomes(context.WithoutCancel(e.ctx), outs); err != nil {
			e.log.Error("record delivery attempts", "attempts", len(outs), "err", err)
		}
		e.mu.Lock()
		for _, r := range batch {
			e.inflight[r.ws]--
			if e.inflight[r.ws] <= 0 {
				delete(e.inflight, r.ws)
			}
			e.total--
		}
		e.idle.Broadcast()
		e.mu.Unlock()
		for _, r := range batch {
			if r.done != nil {
				r.done <- r.o
			}
		}
		batch = batch[:0]
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case r := <-e.outcomes:
			batch = append(batch, r)
		drain:
			for len(batch) < batchSize {
				select {
				case r := <-e.outcomes:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			flush()
		}
	}
}

// hold makes the background loop leave workspace ws ("" for all) alone and
// waits until its deliveries in flight are recorded. The returned func
// releases it.
func (e *Engine) hold(ws string) func() {
	if ws == "" {
		e.allLock.Lock()
	} else {
		e.allLock.RLock()
	}
	var wsLock *sync.Mutex
	e.mu.Lock()
	if ws == "" {
		e.exclAll++
	} else {
		if wsLock = e.wsLocks[ws]; wsLock == nil {
			wsLock = &sync.Mutex{}
			e.wsLocks[ws] = wsLock
		}
	}
	e.mu.Unlock()
	if wsLock != nil {
		wsLock.Lock()
		e.mu.Lock()
		e.excl[ws]++
		e.mu.Unlock()
	}
	e.mu.Lock()
	for (ws == "" && e.total > 0) || (ws != "" && e.inflight[ws] > 0) {
		if e.ctx.Err() != nil {
			break
		}
		e.idle.Wait()
	}
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		if ws == "" {
			e.exclAll--
		} else {
			if e.excl[ws]--; e.excl[ws] <= 0 {
				delete(e.excl, ws)
			}
		}
		e.mu.Unlock()
		if wsLock != nil {
			wsLock.Unlock()
		}
		if ws == "" {
			e.allLock.Unlock()
		} else {
			e.allLock.RUnlock()
		}
		e.Wake()
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

// Pause holds the background work of workspace ws ("" for all) until the
// returned func is called (a reset must not race deliveries in flight).
func (e *Engine) Pause(ws string) func() { return e.hold(ws) }

// sendAndWait sends claimed deliveries and waits until every outcome is
// recorded.
func (e *Engine) sendAndWait(ds []store.Delivery, sum *Summary) {
	if len(ds) == 0 {
		return
	}
	done := make(chan store.Outcome, len(ds))
	e.submit(ds, done)
	for range ds {
		o, ok := <-done
		if !ok {
			return // shutting down
		}
		sum.Attempts++
		if o.State == store.DeliveryDelivered {
			sum.Delivered++
		} else {
			sum.Failed++
		}
	}
}

// Flush runs every job and delivery of workspace ws ("" for all) that is
// due now, including those that fall due as a result, and returns when all
// of them have been attempted and recorded.
func (e *Engine) Flush(ctx context.Context, ws string) (Summary, error) {
	release := e.hold(ws)
	defer release()
	var sum Summary
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
		ds, err := e.DB.ClaimDeliveries(ctx, store.Claim{Workspace: ws, Limit: maxQueued, Lease: claimLease})
		if err != nil {
			return sum, err
		}
		e.sendAndWait(ds, &sum)
		if len(jobs) == 0 && len(ds) == 0 {
			break
		}
	}
	n, err := e.DB.PendingDeliveries(ctx, ws)
	sum.Pending = n
	return sum, err
}

// Advance moves workspace ws's clock forward by d, running in time order
// every job and delivery attempt that falls due on the way: the clock steps
// to each due time, runs what is due, and moves on. An advance by 0 runs
// what is due now. The clock may not go further than Horizon ahead of real
// time (ErrBeyondHorizon, and the clock does not move).
func (e *Engine) Advance(ctx context.Context, ws string, d time.Duration) (Summary, error) {
	var sum Summary
	if d < 0 {
		return sum, errors.New("cannot move a clock backwards")
	}
	release := e.hold(ws)
	defer release()
	if off := e.DB.ClockOffset(ws); d > Horizon-off {
		return sum, fmt.Errorf("%w: the clock of %s is %s ahead of real time; %s more would take it past %d years", ErrBeyondHorizon, ws, off, d, HorizonYears)
	}
	target := e.DB.WorkspaceNow(ws).Add(d)
	for range 100000 {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		next, ok, err := e.DB.NextDueIn(ctx, ws)
		if err != nil {
			return sum, err
		}
		if !ok || next.After(target) {
			break
		}
		if now := e.DB.WorkspaceNow(ws); next.After(now) {
			if err := e.DB.SetClockOffset(ctx, ws, next.Sub(e.DB.Now())); err != nil {
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
		ds, err := e.DB.ClaimDeliveries(ctx, store.Claim{Workspace: ws, Cutoff: cutoff, Limit: maxQueued, Lease: claimLease})
		if err != nil {
			return sum, err
		}
		if len(ds) == 0 {
			// Due work held by nobody and claimable by nobody: a lease of
			// a stopped process. Step past it.
			break
		}
		e.sendAndWait(ds, &sum)
	}
	if now := e.DB.WorkspaceNow(ws); target.After(now) {
		if err := e.DB.SetClockOffset(ctx, ws, target.Sub(e.DB.Now())); err != nil {
			return sum, err
		}
	}
	n, err := e.DB.PendingDeliveries(ctx, ws)
	sum.Pending = n
	return sum, err
}

// Replay queues delivery id again (same event, fresh signature when sent).
func (e *Engine) Replay(ctx context.Context, ws string, id int64) (*store.Delivery, error) {
	d, err := e.DB.Replay(ctx, ws, id)
	if err == nil {
		e.Wake()
	}
	return d, err
}
