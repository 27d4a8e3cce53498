package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vendorsim/vendorsim/internal/phone"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

func (s *Sandbox) engineHandlers() map[string]mocks.Handler {
	return map[string]mocks.Handler{
		"listDeliveries":       s.listDeliveries,
		"getDelivery":          s.getDelivery,
		"replayDelivery":       s.replayDelivery,
		"flushDeliveries":      s.flushDeliveries,
		"listWebhooks":         s.requireWorkspace(s.listWebhooks),
		"createWebhook":        s.requireWorkspace(s.createWebhook),
		"deleteSandboxWebhook": s.requireWorkspace(s.deleteWebhook),
		"getClock":             s.requireWorkspace(s.getClock),
		"advanceClock":         s.requireWorkspace(s.advanceClock),
		"freezeClock":          s.requireWorkspace(s.speedHandler(0)),
		"resumeClock":          s.requireWorkspace(s.speedHandler(1)),
		"setClockSpeed":        s.requireWorkspace(s.setClockSpeed),
		"listScenarios":        s.listScenarios,
		"runScenario":          s.requireWorkspace(s.runScenario),
		"getScenarioRun":       s.requireWorkspace(s.getScenarioRun),
		"listScenarioRuns":     s.listScenarioRuns,
		"cancelScenarioRun":    s.requireWorkspace(s.cancelScenarioRun),
		"deleteScenarioRun":    s.requireWorkspace(s.cancelScenarioRun),
		"uploadScenarios":      s.uploadScenarios,
		"deleteScenario":       s.deleteScenario,
		"getScenarioSchema":    s.getScenarioSchema,
		"listMagicNumbers":     s.listMagicNumbers,
	}
}

// headerMap decodes a stored header set, never nil.
func headerMap(b []byte) map[string][]string {
	m := map[string][]string{}
	if len(b) > 0 {
		json.Unmarshal(b, &m)
	}
	return m
}

// answerHeaders returns the headers of a journaled answer: the journal
// keeps them without X-Request-Id, which the pipeline sets to the
// request id on every answer. Nil for an entry journaled before answer
// headers were kept.
func answerHeaders(e store.JournalEntry) map[string][]string {
	if e.ResponseHeaders == nil {
		return nil
	}
	m := headerMap(e.ResponseHeaders)
	if e.RequestID != "" {
		m["X-Request-Id"] = []string{e.RequestID}
	}
	return m
}

type attemptView struct {
	N               int                 `json:"n"`
	At              string              `json:"at"`
	VirtualAt       string              `json:"virtual_at"`
	Status          int                 `json:"status"`
	LatencyMS       float64             `json:"latency_ms"`
	RequestHeaders  map[string][]string `json:"request_headers"`
	ResponseHeaders map[string][]string `json:"response_headers"`
	ResponseBody    string              `json:"response_body"`
	Error           string              `json:"error"`
	Chaos           string              `json:"chaos,omitempty"`
}

type deliveryView struct {
	ID          int64  `json:"id"`
	EventID     string `json:"event_id"`
	WorkspaceID string `json:"workspace_id"`
	Vendor      string `json:"vendor"`
	EventType   string `json:"event_type"`
	WebhookID   string `json:"webhook_id"`
	URL         string `json:"url"`
	Method      string `json:"method"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	DueAt       string `json:"due_at"`
	LastStatus  int    `json:"last_status"`
	LastError   string `json:"last_error"`
	ReplayOf    int64  `json:"replay_of"`
	// RequestID is the journal's request_id of the vendor request that
	// emitted the event, absent when none did (a scenario step, a
	// simulator).
	RequestID  string        `json:"request_id,omitempty"`
	CreatedAt  string        `json:"created_at"`
	Body       string        `json:"body"`
	AttemptLog []attemptView `json:"attempt_log"`
}

func deliveryOf(d *store.Delivery) deliveryView {
	v := deliveryView{
		ID: d.ID, EventID: d.EventID, WorkspaceID: d.WorkspaceID, Vendor: d.Vendor, EventType: d.EventType, WebhookID: d.WebhookID,
		URL: d.URL, Method: d.Method, State: d.State, Attempts: d.Attempts, DueAt: ts(d.DueAt), LastStatus: d.LastStatus,
		LastError: d.LastError, ReplayOf: d.ReplayOf, RequestID: d.RequestID, CreatedAt: ts(d.CreatedAt), Body: string(d.Body), AttemptLog: []attemptView{},
	}
	for _, a := range d.AttemptLog {
		v.AttemptLog = append(v.AttemptLog, attemptView{
			N: a.N, At: ts(a.At), VirtualAt: ts(a.VirtualAt), Status: a.Status, LatencyMS: float64(a.Latency.Microseconds()) / 1000,
			RequestHeaders: headerMap(a.RequestHeaders), ResponseHeaders: headerMap(a.ResponseHeaders), ResponseBody: string(a.ResponseBody), Error: a.Error, Chaos: a.Chaos,
		})
	}
	return v
}

// listDeliveries serves GET /deliveries.
func (s *Sandbox) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.DeliveryFilter{
		WorkspaceID: mocks.Workspace(r.Context()), Vendor: q.Get("vendor"), EventType: q.Get("event_type"),
		State: q.Get("state"), Endpoint: q.Get("endpoint"), Subject: q.Get("subject"),
	}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	ds, total, err := s.d.DB.Deliveries(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]deliveryView, 0, len(ds))
	for i := range ds {
		out = append(out, deliveryOf(&ds[i]))
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "total": total})
	return nil
}

func deliveryID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(mocks.PathParam(r, "id"), 10, 64)
	if err != nil {
		return 0, mocks.FieldErrorf(http.StatusUnprocessableEntity, "id", "id must be an integer")
	}
	return id, nil
}

// getDelivery serves GET /deliveries/{id}.
func (s *Sandbox) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := deliveryID(r)
	if err != nil {
		return err
	}
	d, err := s.d.DB.GetDelivery(r.Context(), mocks.Workspace(r.Context()), id)
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no delivery %d", id)
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, deliveryOf(d))
	return nil
}

// replayDelivery serves POST /deliveries/{id}/replay.
func (s *Sandbox) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	id, err := deliveryID(r)
	if err != nil {
		return err
	}
	d, err := s.d.Engine.Replay(r.Context(), mocks.Workspace(r.Context()), id)
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no delivery %d", id)
	}
	if errors.Is(err, store.ErrEndpointGone) {
		return mocks.Errorf(http.StatusConflict, "delivery %d cannot be replayed: its webhook was deleted or deactivated", id)
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusAccepted, deliveryOf(d))
	return nil
}

// DefaultFlushTimeout bounds a flush whose request gives no timeout.
const DefaultFlushTimeout = 30 * time.Second

// flushDeliveries serves POST /deliveries/flush. It waits at most its
// timeout, and no longer than its caller does; then it answers what ran
// and what is still in flight.
func (s *Sandbox) flushDeliveries(w http.ResponseWriter, r *http.Request) error {
	timeout := DefaultFlushTimeout
	if v := r.URL.Query().Get("timeout"); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, "timeout", "timeout must be a positive duration such as 500ms or 30s, not %q", v)
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	sum, err := s.d.Engine.Flush(ctx, mocks.Workspace(r.Context()))
	if err != nil && (r.Context().Err() != nil || ctx.Err() == nil) {
		// The caller went away (nobody reads the answer), or a failure.
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, sum)
	return nil
}

type webhookView struct {
	ID        string   `json:"id"`
	Vendor    string   `json:"vendor"`
	URL       string   `json:"url"`
	Method    string   `json:"method"`
	Events    []string `json:"events"`
	Active    bool     `json:"active"`
	Source    string   `json:"source"`
	Owner     string   `json:"owner,omitempty"`
	Secret    string   `json:"secret,omitempty"`
	CreatedAt string   `json:"created_at"`
}

func webhookOf(h *store.Webhook, withSecret bool) webhookView {
	v := webhookView{ID: h.ID, Vendor: h.Vendor, URL: h.URL, Method: h.Method, Events: h.Events, Active: h.Active,
		Source: h.Source, Owner: h.Owner, CreatedAt: ts(h.CreatedAt)}
	if v.Events == nil {
		v.Events = []string{}
	}
	if withSecret {
		v.Secret = h.Secret
	}
	return v
}

// listWebhooks serves GET /webhooks.
func (s *Sandbox) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	var hooks []store.Webhook
	err := s.d.DB.View(r.Context(), mocks.Workspace(r.Context()), func(tx *store.Tx) (err error) {
		hooks, err = tx.Webhooks(r.URL.Query().Get("vendor"))
		return err
	})
	if err != nil {
		return err
	}
	out := make([]webhookView, 0, len(hooks))
	for i := range hooks {
		out = append(out, webhookOf(&hooks[i], false))
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// createWebhook serves POST /webhooks.
func (s *Sandbox) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Vendor string   `json:"vendor"`
		URL    string   `json:"url"`
		Events []string `json:"events"`
		Secret string   `json:"secret"`
		Method string   `json:"method"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	v := s.vendor(in.Vendor)
	if v == nil {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "vendor", "vendor %q sends no webhooks here (known: %s)", in.Vendor, strings.Join(s.vendors(), ", "))
	}
	known := v.EventTypes()
	for _, ev := range in.Events {
		if ev != "*" && !slices.Contains(known, ev) {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, "events", "events: %q is not a %s event type (known: %s)", ev, in.Vendor, strings.Join(known, ", "))
		}
	}
	if !validURL(in.URL) {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "url", "url must be an http or https URL")
	}
	// The answer shows a secret only when it is news to the caller: one
	// generated here. Without one, a vendor that signs with a credential
	// of the workspace (Whippy's API key) signs with it, not echoed.
	generated := false
	if in.Secret == "" {
		def, err := s.d.Workspaces.Definition(r.Context(), mocks.Workspace(r.Context()))
		if err != nil {
			return err
		}
		if sec := def.Section(in.Vendor); sec != nil {
			in.Secret = sec.WebhookSecret()
		}
		if in.Secret == "" {
			in.Secret, generated = randomHex(24), true
		}
	}
	h := &store.Webhook{ID: "wh_" + randomHex(8), Vendor: in.Vendor, URL: in.URL, Method: in.Method, Events: in.Events,
		Secret: in.Secret, Active: true, Source: store.WebhookFromSandbox}
	err := s.d.DB.Update(r.Context(), mocks.Workspace(r.Context()), func(tx *store.Tx) error { return tx.PutWebhook(h) })
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, webhookOf(h, generated))
	return nil
}

// vendors lists the vendors' names, sorted.
func (s *Sandbox) vendors() []string {
	out := make([]string, 0, len(s.d.Vendors))
	for _, v := range s.d.Vendors {
		out = append(out, v.Name())
	}
	slices.Sort(out)
	return out
}

// vendor returns the vendor of that name, or nil.
func (s *Sandbox) vendor(name string) mocks.Vendor {
	for _, v := range s.d.Vendors {
		if v.Name() == name {
			return v
		}
	}
	return nil
}

// deleteWebhook serves DELETE /webhooks/{id}.
func (s *Sandbox) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id := mocks.PathParam(r, "id")
	err := s.d.DB.Update(r.Context(), mocks.Workspace(r.Context()), func(tx *store.Tx) error { return tx.DeleteWebhook(id) })
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no webhook %q", id)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func validURL(s string) bool {
	return (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) && len(s) > len("https://")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type clockView struct {
	WorkspaceID   string             `json:"workspace_id"`
	Now           string             `json:"now"`
	RealNow       string             `json:"real_now"`
	OffsetSeconds float64            `json:"offset_seconds"`
	Frozen        bool               `json:"frozen"`
	Speed         float64            `json:"speed"`
	Ran           *scenarios.Summary `json:"ran,omitempty"`
}

func (s *Sandbox) clock(ws string) clockView {
	now, real := s.d.DB.WorkspaceNow(ws), s.d.DB.Now()
	speed := s.d.DB.ClockSpeed(ws)
	off := s.d.DB.ClockOffset(ws)
	if speed != 1 {
		// A clock at another speed drifts from real time: its offset is
		// what separates the two readings.
		off = now.Sub(real)
	}
	return clockView{WorkspaceID: ws, Now: ts(now), RealNow: ts(real), OffsetSeconds: off.Seconds(), Frozen: speed == 0, Speed: speed}
}

// getClock serves GET /clock.
func (s *Sandbox) getClock(w http.ResponseWriter, r *http.Request) error {
	mocks.WriteJSON(w, http.StatusOK, s.clock(mocks.Workspace(r.Context())))
	return nil
}

// speedHandler serves POST /clock/freeze (0) and /clock/resume (1).
func (s *Sandbox) speedHandler(speed float64) mocks.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return s.writeSpeed(w, r, speed)
	}
}

// setClockSpeed serves POST /clock/speed.
func (s *Sandbox) setClockSpeed(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Speed float64 `json:"speed"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	if in.Speed < 0 || in.Speed > store.MaxClockSpeed {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "speed", "speed must be between 0 (frozen) and %d", store.MaxClockSpeed)
	}
	return s.writeSpeed(w, r, in.Speed)
}

func (s *Sandbox) writeSpeed(w http.ResponseWriter, r *http.Request, speed float64) error {
	ws := mocks.Workspace(r.Context())
	if err := s.d.Engine.SetClockSpeed(r.Context(), ws, speed); err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, s.clock(ws))
	return nil
}

// advanceClock serves POST /clock/advance.
func (s *Sandbox) advanceClock(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		By string `json:"by"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	d, err := time.ParseDuration(strings.TrimSpace(in.By))
	if err != nil || d < 0 {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "by", "by must be a duration that is not negative, such as 90s, 15m or 72h (0s runs what is due now)")
	}
	ws := mocks.Workspace(r.Context())
	sum, err := s.d.Engine.Advance(r.Context(), ws, d)
	if errors.Is(err, scenarios.ErrBeyondHorizon) {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "by", "by would take the clock more than %d years ahead of real time (it is %.0fs ahead now)",
			scenarios.HorizonYears, s.d.DB.ClockOffset(ws).Seconds())
	}
	if errors.Is(err, scenarios.ErrReset) {
		return mocks.Errorf(http.StatusConflict, "the workspace was reset during the advance, which stopped there")
	}
	if err != nil {
		return err
	}
	v := s.clock(ws)
	v.Ran = &sum
	mocks.WriteJSON(w, http.StatusOK, v)
	return nil
}

// listScenarios serves GET /scenarios: the scenarios loaded, and the
// stored uploads that were not (skipped at start).
func (s *Sandbox) listScenarios(w http.ResponseWriter, r *http.Request) error {
	skipped := s.d.Engine.Library.Skipped()
	if skipped == nil {
		skipped = []scenarios.SkippedUpload{}
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": scenarioViews(s.d.Engine.Library.All()), "skipped": skipped})
	return nil
}

// deleteScenario serves DELETE /scenarios/{name}: an uploaded scenario
// goes, with its runs in flight.
func (s *Sandbox) deleteScenario(w http.ResponseWriter, r *http.Request) error {
	name := mocks.PathParam(r, "name")
	d, err := s.d.Engine.Library.Delete(r.Context(), name)
	switch {
	case errors.Is(err, scenarios.ErrUnknownScenario):
		return mocks.Errorf(http.StatusNotFound, "no scenario %q (GET /_sandbox/scenarios lists them)", name)
	case errors.Is(err, scenarios.ErrNotUploaded):
		source := "the library"
		if sc, ok := s.d.Engine.Library.Get(name); ok {
			source = sc.Source
		}
		return mocks.Errorf(http.StatusConflict, "%s is a scenario of %s, not an upload: only uploaded scenarios can be deleted (a scenarios dir one goes when its file is removed and the server restarts)", name, source)
	case err != nil:
		return err
	}
	mocks.WriteJSON(w, http.StatusOK, d)
	return nil
}

// scenarioViews are scenarios as the control API lists them: lists empty
// rather than null.
func scenarioViews(all []*scenarios.Scenario) []scenarios.Scenario {
	out := make([]scenarios.Scenario, 0, len(all))
	for _, sc := range all {
		v := *sc
		if v.Params == nil {
			v.Params = []string{}
		}
		if v.Parameters == nil {
			v.Parameters = []scenarios.Param{}
		}
		if v.Emits == nil {
			v.Emits = []string{}
		}
		out = append(out, v)
	}
	return out
}

// uploadScenarios serves POST /scenarios: a scenario file, loaded whole or
// not at all.
func (s *Sandbox) uploadScenarios(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if name == "" {
		name = "upload.yaml"
	}
	scs, err := s.d.Engine.Library.Upload(r.Context(), name, mocks.Body(r))
	var le *scenarios.LoadError
	if errors.As(err, &le) {
		field := le.Field
		if field == "" {
			field = "body"
		}
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, field, "%s", le.Error())
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, http.StatusCreated, map[string]any{"data": scenarioViews(scs)})
	return nil
}

// getScenarioSchema serves GET /scenarios/schema.
func (s *Sandbox) getScenarioSchema(w http.ResponseWriter, r *http.Request) error {
	mocks.WriteRaw(w, http.StatusOK, []byte(scenarios.Schema))
	return nil
}

// cancelScenarioRun serves POST /scenarios/runs/{id}/cancel and DELETE
// /scenarios/runs/{id}.
func (s *Sandbox) cancelScenarioRun(w http.ResponseWriter, r *http.Request) error {
	ws, id := mocks.Workspace(r.Context()), mocks.PathParam(r, "id")
	err := s.d.DB.Update(r.Context(), ws, func(tx *store.Tx) error {
		_, err := s.d.Engine.CancelRun(tx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no scenario run %q in this workspace", id)
	}
	if err != nil {
		return err
	}
	return s.writeRun(w, r, ws, id, http.StatusOK)
}

// runScenario serves POST /scenarios/{name}/run.
func (s *Sandbox) runScenario(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Params  map[string]string `json:"params"`
		StartAt string            `json:"start_at"`
	}
	if err := mocks.DecodeJSON(r, &in); err != nil {
		return err
	}
	name := mocks.PathParam(r, "name")
	if _, ok := s.d.Engine.Library.Get(name); !ok {
		return mocks.Errorf(http.StatusNotFound, "no scenario %q (GET /_sandbox/scenarios lists them)", name)
	}
	var at time.Time
	if in.StartAt != "" {
		var err error
		if at, err = time.Parse(time.RFC3339Nano, in.StartAt); err != nil {
			return mocks.FieldErrorf(http.StatusUnprocessableEntity, "start_at", "start_at must be an RFC 3339 time")
		}
	}
	ws := mocks.Workspace(r.Context())
	var runID string
	err := s.d.DB.Update(r.Context(), ws, func(tx *store.Tx) (err error) {
		if err := s.d.Engine.CheckRun(tx, name, at, in.Params); err != nil {
			return err
		}
		runID, err = s.d.Engine.Start(tx, name, at, in.Params)
		return err
	})
	var pe *scenarios.ParamError
	if errors.As(err, &pe) {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "params."+pe.Param, "params.%s", pe.Error())
	}
	if errors.Is(err, scenarios.ErrBeyondHorizon) {
		return mocks.FieldErrorf(http.StatusUnprocessableEntity, "start_at", "start_at must be at most %d years after the workspace's now (%s)",
			scenarios.HorizonYears, ts(s.d.DB.WorkspaceNow(ws)))
	}
	if err != nil {
		return err
	}
	return s.writeRun(w, r, ws, runID, http.StatusAccepted)
}

// getScenarioRun serves GET /scenarios/runs/{id}.
func (s *Sandbox) getScenarioRun(w http.ResponseWriter, r *http.Request) error {
	return s.writeRun(w, r, mocks.Workspace(r.Context()), mocks.PathParam(r, "id"), http.StatusOK)
}

// listScenarioRuns serves GET /scenarios/runs: the runs of the workspace
// (of all when none is selected), newest first.
func (s *Sandbox) listScenarioRuns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.RunFilter{WorkspaceID: mocks.Workspace(r.Context()), State: q.Get("state")}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	refs, total, err := s.d.DB.Runs(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]runView, 0, len(refs))
	for _, ref := range refs {
		v, err := s.runView(r.Context(), ref.WorkspaceID, ref.ID)
		if errors.Is(err, store.ErrNotFound) {
			// Pruned or reset since the page was read.
			continue
		}
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out, "total": total})
	return nil
}

// runView is a scenario run as the control API shows it.
type runView struct {
	ID          string            `json:"id"`
	Scenario    string            `json:"scenario"`
	WorkspaceID string            `json:"workspace_id"`
	State       string            `json:"state"`
	Params      map[string]string `json:"params"`
	Steps       []stepView        `json:"steps"`
}

type stepView struct {
	Step   int    `json:"step"`
	Action string `json:"action"`
	State  string `json:"state"`
	DueAt  string `json:"due_at"`
	// UpdatedAt is when the step last changed state.
	UpdatedAt string `json:"updated_at,omitempty"`
	Error     string `json:"error"`
}

// runView reads run id of workspace ws; store.ErrNotFound when it has none.
func (s *Sandbox) runView(ctx context.Context, ws, id string) (runView, error) {
	var run *scenarios.RunView
	err := s.d.DB.View(ctx, ws, func(tx *store.Tx) (err error) {
		run, err = s.d.Engine.Run(tx, id)
		return err
	})
	if err != nil {
		return runView{}, err
	}
	steps := []stepView{}
	for _, j := range run.Jobs {
		steps = append(steps, stepView{Step: j.Step, Action: j.Kind, State: j.State, DueAt: ts(j.DueAt), UpdatedAt: ts(j.UpdatedAt), Error: j.LastError})
	}
	return runView{ID: run.ID, Scenario: run.Scenario, WorkspaceID: ws, State: run.State, Params: run.Params, Steps: steps}, nil
}

func (s *Sandbox) writeRun(w http.ResponseWriter, r *http.Request, ws, id string, status int) error {
	v, err := s.runView(r.Context(), ws, id)
	if errors.Is(err, store.ErrNotFound) {
		return mocks.Errorf(http.StatusNotFound, "no scenario run %q in this workspace", id)
	}
	if err != nil {
		return err
	}
	mocks.WriteJSON(w, status, v)
	return nil
}

// listMagicNumbers serves GET /magic-numbers.
func (s *Sandbox) listMagicNumbers(w http.ResponseWriter, r *http.Request) error {
	type view struct {
		Suffix      string `json:"suffix"`
		Example     string `json:"example"`
		Vendor      string `json:"vendor"`
		Trigger     string `json:"trigger"`
		Scenario    string `json:"scenario"`
		Description string `json:"description"`
	}
	out := []view{}
	for _, m := range s.d.Engine.MagicNumbers() {
		example := "+1206555" + "01" + m.Suffix
		if _, ok := phone.Magic(example); !ok {
			continue
		}
		out = append(out, view{Suffix: "01" + m.Suffix, Example: example, Vendor: m.Vendor, Trigger: m.Trigger, Scenario: m.Scenario, Description: m.Description})
	}
	mocks.WriteJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}
