// Package scenarios is vendorsim's engine of time: scenario timelines stored
// as scheduled jobs, and the webhook dispatcher that drains the outbox with
// each vendor's signing and retry policy.
//
// All scheduling reads the store's workspace clocks (real time plus a
// per-workspace offset), so advancing one workspace's clock runs, in order,
// every step and retry that falls due, without touching other workspaces.
// Jobs and deliveries live in SQLite and are claimed with leases: a crash
// loses nothing, and work resumes at the next start.
//
// The files follow the work: engine.go (this one) holds the Engine and its
// life (Open, Close); loop.go the background loop, the endpoint queues and
// the recorder; attempt.go one attempt (prepare, send, classify); flush.go
// flushes, replays and the holds and cancellations that control calls take;
// advance.go clock advances; runs.go scenario runs and their jobs.
package scenarios

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vendorsim/vendorsim/store"
)

// Action is what a scenario step does, inside the store transaction of its
// workspace: change state and emit events.
type Action func(tx *store.Tx, params map[string]string) error

// StepCheck checks, when scenarios are loaded, the values a step of an
// action sets in its `with` (a status the action does not know, for
// example). The error names the value; the loader names the scenario, the
// step and the file.
type StepCheck func(with map[string]string) error

// Summary counts what a flush or a clock advance did.
type Summary struct {
	Jobs      int `json:"jobs"`
	Attempts  int `json:"attempts"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Pending   int `json:"pending"`
	// InFlight counts the deliveries still being attempted when a flush
	// ended before them (its timeout, or its caller went away).
	InFlight int `json:"in_flight"`
	// TimedOut is set when the flush ended before everything due was
	// attempted.
	TimedOut bool `json:"timed_out"`
}

func (s *Summary) add(o Summary) {
	s.Jobs += o.Jobs
	s.Attempts += o.Attempts
	s.Delivered += o.Delivered
	s.Failed += o.Failed
	s.InFlight += o.InFlight
	s.TimedOut = s.TimedOut || o.TimedOut
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
	// ErrReset means the workspace was reset while a flush or an advance
	// was running in it; the advance stopped where it was.
	ErrReset = errors.New("the workspace was reset meanwhile")
	// ErrClosed means the engine is stopping.
	ErrClosed = errors.New("engine closed")
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
	Checks map[string]map[string]ParamCheck
	// StepChecks validate, by action, the values scenario steps set, when
	// the library is loaded; see AddStepCheck.
	StepChecks map[string]StepCheck
	Vendors    map[string]VendorPolicy
	// Library holds the scenarios; nil gives Open an empty one (the
	// built-in scenarios are the vendors', given by the app).
	Library *Library
	// Magic replaces the built-in magic-number table when set.
	Magic  []MagicNumber
	Client *http.Client
	// Sender sends every attempt; nil sends with Client. A chaos layer
	// wraps it.
	Sender Sender
	// WrapSender, when set, wraps Sender at Open (webhook chaos).
	WrapSender func(Sender) Sender
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
	excl     map[string]int // workspaces held by a flush, advance or reset
	exclAll  int
	queues   map[string]*queue // endpoint -> deliveries waiting to be sent
	wsLocks  map[string]chan struct{}
	// resets counts resets; resetAt is its value at the last reset of a
	// workspace (resetAll of everything): claimed work older than that is
	// dropped unsent.
	resets   uint64
	resetAt  map[string]uint64
	resetAll uint64
	// running holds the cancel funcs of attempts in flight.
	running map[*item]context.CancelFunc
	// stepping counts the scenario steps running per workspace (their
	// transaction and what it does once committed); stepDone is closed
	// and replaced each time one ends.
	stepping map[string]int
	stepDone chan struct{}
	// closing is set by Close: no attempt starts; unsent collects the
	// claimed deliveries given back.
	closing bool
	unsent  []int64

	sem        chan struct{}
	outcomes   chan result
	ctx        context.Context // the background loops'
	cancel     context.CancelFunc
	sendCtx    context.Context // attempts': ends when Close stops waiting
	sendCancel context.CancelFunc
	loops      sync.WaitGroup
	drains     sync.WaitGroup
	recorder   sync.WaitGroup
	stopRecord chan struct{}
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
	if e.Sender == nil {
		e.Sender = ClientSender{Client: e.Client}
	}
	if e.WrapSender != nil {
		e.Sender = e.WrapSender(e.Sender)
	}
	if e.Library == nil {
		lib, err := NewLibrary("", e.Actions, e.StepChecks)
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
	e.wsLocks = map[string]chan struct{}{}
	e.resetAt = map[string]uint64{}
	e.running = map[*item]context.CancelFunc{}
	e.stepping = map[string]int{}
	e.stepDone = make(chan struct{})
	e.sem = make(chan struct{}, e.Concurrency)
	e.outcomes = make(chan result, batchSize)
	e.stopRecord = make(chan struct{})
	if err := e.DB.Unclaim(ctx); err != nil {
		return fmt.Errorf("release claimed work: %w", err)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.sendCtx, e.sendCancel = context.WithCancel(context.Background())
	e.recorder.Add(1)
	go func() { defer e.recorder.Done(); e.record() }()
	if !e.Manual {
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.loop() }()
	}
	if e.Retention > 0 {
		e.loops.Add(1)
		go func() { defer e.loops.Done(); e.prune() }()
	}
	return nil
}

// Close stops the engine gracefully: nothing more is claimed, attempts in
// flight finish and are recorded, and deliveries claimed but not yet
// attempted are given back. When ctx ends first, the attempts still in
// flight are abandoned unrecorded (their deliveries are sent again at the
// next start, numbered after them) and Close returns ctx's error.
func (e *Engine) Close(ctx context.Context) error {
	if e.cancel == nil {
		return nil
	}
	e.cancel()
	e.mu.Lock()
	e.closing = true
	e.idle.Broadcast()
	e.mu.Unlock()
	e.loops.Wait()
	drained := make(chan struct{})
	go func() { e.drains.Wait(); close(drained) }()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		e.sendCancel()
		<-drained
		err = ctx.Err()
	}
	close(e.stopRecord)
	e.recorder.Wait()
	e.sendCancel()
	e.mu.Lock()
	ids := e.unsent
	e.unsent = nil
	e.mu.Unlock()
	if rerr := e.DB.Release(context.WithoutCancel(ctx), ids); rerr != nil && err == nil {
		err = fmt.Errorf("release unsent deliveries: %w", rerr)
	}
	e.cancel = nil
	return err
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

// AddStepCheck registers check for the `with` values of the steps of
// action, run when the scenario library is loaded (NewLibrary), so that a
// scenario file with a value the action refuses is an error at start
// rather than a failed step later. Like AddParamCheck, its type is spelled
// out for vendor packages.
func (e *Engine) AddStepCheck(action string, check func(with map[string]string) error) {
	if e.StepChecks == nil {
		e.StepChecks = map[string]StepCheck{}
	}
	e.StepChecks[action] = check
}
