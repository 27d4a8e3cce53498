package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/store"
)

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
	params, err := sc.resolve(params)
	if err != nil {
		return err
	}
	if at.After(tx.Now().Add(Horizon)) {
		return fmt.Errorf("%w: %s would start more than %d years after the workspace's now", ErrBeyondHorizon, name, HorizonYears)
	}
	done := map[[3]string]bool{}
	for _, st := range sc.flat {
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
	params, err := sc.resolve(params)
	if err != nil {
		return "", err
	}
	if at.IsZero() || at.Before(tx.Now()) {
		at = tx.Now()
	}
	id := uuid.NewString()
	return id, e.scheduleStep(tx, sc, id, 0, at, params)
}

// jobPayload is what a job carries.
type jobPayload struct {
	Scenario string            `json:"scenario"`
	Params   map[string]string `json:"params"`
}

// scheduleStep schedules step i of a run, due after its delay from prev.
func (e *Engine) scheduleStep(tx *store.Tx, sc *Scenario, runID string, i int, prev time.Time, params map[string]string) error {
	st := sc.flat[i]
	payload, err := json.Marshal(jobPayload{Scenario: sc.Name, Params: params})
	if err != nil {
		return err
	}
	return tx.Schedule(&store.Job{Vendor: sc.Vendor, Kind: st.Action, Payload: payload, RunID: runID, Step: i, DueAt: prev.Add(e.scale(st.After))})
}

// runJob runs one claimed job in its workspace's transaction, together with
// scheduling the next step. A failing action fails the job and its run. A
// job cancelled since it was claimed (its workspace is being reset) does
// not run: its action is rolled back with the FinishJob that refuses it.
// The store work is not cut short by ctx (a step half claimed would wait
// out its lease); ctx only reports a stop.
func (e *Engine) runJob(ctx context.Context, j store.Job) error {
	e.mu.Lock()
	e.stepping[j.WorkspaceID]++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.stepping[j.WorkspaceID]--; e.stepping[j.WorkspaceID] <= 0 {
			delete(e.stepping, j.WorkspaceID)
		}
		close(e.stepDone)
		e.stepDone = make(chan struct{})
		e.mu.Unlock()
	}()
	dbctx := context.WithoutCancel(ctx)
	var p jobPayload
	err := json.Unmarshal(j.Payload, &p)
	sc, ok := e.Library.Get(p.Scenario)
	if err == nil && (!ok || j.Step >= len(sc.flat)) {
		err = fmt.Errorf("%w %q (step %d)", ErrUnknownScenario, p.Scenario, j.Step)
	}
	var action Action
	if err == nil {
		name := sc.flat[j.Step].Action
		if action = e.Actions[name]; action == nil && name == ActionWait {
			action = func(*store.Tx, map[string]string) error { return nil }
		}
		if action == nil {
			err = fmt.Errorf("no action %q", name)
		}
	}
	if err == nil {
		params := map[string]string{}
		for k, v := range p.Params {
			params[k] = v
		}
		for k, v := range sc.flat[j.Step].With {
			params[k] = substitute(v, p.Params)
		}
		err = e.DB.Update(dbctx, j.WorkspaceID, func(tx *store.Tx) error {
			// Claimed and still running, or cancelled: decide first, so
			// that a cancelled step's action does not even run.
			if err := tx.FinishJob(j.ID, store.JobDone, ""); err != nil {
				return err
			}
			if err := action(tx, params); err != nil {
				return err
			}
			if j.Step+1 < len(sc.flat) {
				return e.scheduleStep(tx, sc, j.RunID, j.Step+1, j.DueAt, p.Params)
			}
			return nil
		})
		if err == nil || errors.Is(err, store.ErrCancelled) {
			return nil
		}
	}
	e.log.Warn("scenario step failed", "workspace", j.WorkspaceID, "run", j.RunID, "step", j.Step, "action", j.Kind, "err", err)
	err = e.DB.Update(dbctx, j.WorkspaceID, func(tx *store.Tx) error {
		return tx.FinishJob(j.ID, store.JobFailed, err.Error())
	})
	if errors.Is(err, store.ErrCancelled) {
		return nil
	}
	return err
}

// Run states.
const (
	RunRunning   = "running"
	RunDone      = "done"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
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
// step failed, cancelled when a reset cancelled its next step, and running
// otherwise.
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
	case last.State == store.JobCancelled:
		v.State = RunCancelled
	case last.State == store.JobDone && ok && last.Step == len(sc.flat)-1:
		v.State = RunDone
	}
	return v, nil
}

// substitute replaces {{name}} in a step's value with the run's param.
func substitute(v string, params map[string]string) string {
	if !strings.Contains(v, "{{") {
		return v
	}
	for k, pv := range params {
		v = strings.ReplaceAll(v, "{{"+k+"}}", pv)
	}
	return v
}

// CancelRun cancels the steps of run id of the transaction's workspace
// that have not run, and returns the run; store.ErrNotFound for an unknown
// run. A run that has ended is returned as it is.
func (e *Engine) CancelRun(tx *store.Tx, id string) (*RunView, error) {
	if err := tx.CancelRunJobs(id); err != nil {
		return nil, err
	}
	return e.Run(tx, id)
}
