package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vendorsim/vendorsim/store"
)

// Scenario is a named timeline of steps. Each step runs an action after a
// delay counted from the previous step (the first from the start), with the
// run's params plus the step's own values. A scenario file holds one or
// more, as YAML documents (see docs/scenarios.md and Schema).
type Scenario struct {
	Name        string `json:"name"`
	Vendor      string `json:"vendor"`
	Description string `json:"description"`
	// Params are the names of Parameters (what a run must or may give).
	Params     []string `json:"params"`
	Parameters []Param  `json:"parameters"`
	// Emits lists the webhook event types the scenario emits, in order
	// (as documented; a test checks the built-in ones at a receiver).
	Emits []string `json:"emits"`
	// Magic lists the magic numbers that play it.
	Magic []Magic `json:"magic,omitempty"`
	// Internal marks a timeline the vendor itself starts (a session check,
	// a sweep, processing): listed for honesty, not meant to be run by
	// hand.
	Internal bool   `json:"internal,omitempty"`
	Steps    []Step `json:"steps"`
	// Source is where it was loaded from: builtin/<vendor>.yaml (a file of
	// the vendor's, see NewLibrary), a file of the scenarios dir, or
	// upload:<name>.
	Source string `json:"source"`
	// UploadedAt is when an uploaded scenario was uploaded (zero for the
	// others).
	UploadedAt time.Time `json:"uploaded_at,omitzero"`

	line int
	// flat are the steps as they run: repeats unrolled.
	flat []Step
	// expect is Emits with its repeats unrolled.
	expect []string
}

// Param is one parameter of a scenario.
type Param struct {
	Name string `json:"name"`
	// Type is string (the default), number, integer, boolean, duration,
	// phone, or an id of the vendor's (message_id, meeting_id...: a
	// string the vendor's param checks look up).
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Default     string `json:"default,omitempty"`
	Required    bool   `json:"required"`
}

// Magic is a magic number a scenario declares: sending to NXX-555-01<suffix>
// (the vendor's trigger, "sms") plays it.
type Magic struct {
	Suffix  string `json:"suffix"`
	Trigger string `json:"trigger"`
}

// Step is one step of a scenario: an action after a delay, or a repeat of
// steps.
type Step struct {
	After  Duration          `json:"after"`
	Action string            `json:"action"`
	With   map[string]string `json:"with,omitempty"`
	// Repeat runs Steps this many times (Action is "repeat").
	Repeat int    `json:"repeat,omitempty"`
	Steps  []Step `json:"steps,omitempty"`

	line  int
	field string
}

// Actions of the engine's own steps, which name no vendor. The step kinds
// of a file (wait, endpoint, fault, lift_fault, chaos, lift_chaos, repeat)
// become these.
const (
	ActionWait         = "wait"
	ActionEndpointDown = "endpoint.down"
	ActionEndpointUp   = "endpoint.up"
	ActionFaultApply   = "fault.apply"
	ActionFaultLift    = "fault.lift"
	ActionChaosApply   = "chaos.apply"
	ActionChaosLift    = "chaos.lift"
	ActionRepeat       = "repeat"
)

// GenericActions are the engine's own actions. The composition root gives
// those that need the fault and chaos rules; wait is the engine's.
var GenericActions = []string{ActionWait, ActionEndpointDown, ActionEndpointUp, ActionFaultApply, ActionFaultLift, ActionChaosApply, ActionChaosLift}

// ParamTypes are the types a param may declare besides vendor ids (any
// name ending in _id, or id).
var ParamTypes = []string{"string", "number", "integer", "boolean", "duration", "phone"}

// Duration is a time.Duration written as "1.5s" in YAML and JSON.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration like 1.5s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// LoadError is a scenario file that cannot be loaded: its file, line, the
// field (steps[2].with.status) and what is wrong.
type LoadError struct {
	File     string
	Line     int
	Scenario string
	Field    string
	Msg      string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("scenario file " + e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Scenario != "" {
		b.WriteString(": scenario " + e.Scenario)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	return b.String() + ": " + e.Msg
}

// MaxSteps bounds the steps of a scenario once its repeats are unrolled.
const MaxSteps = 100000

// Library holds scenario definitions by name. It is safe for concurrent
// use: uploads replace definitions while runs read them.
type Library struct {
	actions map[string]Action
	checks  map[string]StepCheck

	// wmu serializes the changes (Open, Upload, Delete), which write to
	// st before they take effect; mu guards the maps the readers see.
	wmu sync.Mutex
	st  UploadStore
	log *slog.Logger

	mu      sync.RWMutex
	byName  map[string]*Scenario
	skipped []SkippedUpload
}

// UploadStore keeps the uploads durable; *store.DB implements it.
type UploadStore interface {
	ScenarioUploads(ctx context.Context) ([]store.ScenarioUpload, error)
	PutScenarioUpload(ctx context.Context, file string, body []byte, names []string) (store.ScenarioUpload, error)
	DeleteScenarioUpload(ctx context.Context, name string, cancelRuns bool) (int, error)
}

var _ UploadStore = (*store.DB)(nil)

// SkippedUpload is a stored upload's scenario that Open did not load: its
// name now belongs to a built-in or scenarios dir scenario (which is
// loaded instead), or the file no longer loads (a newer build changed the
// format or an action). It stays stored, so that the upload comes back
// when the cause goes; Delete removes it.
type SkippedUpload struct {
	Name       string    `json:"name"`
	File       string    `json:"file"`
	UploadedAt time.Time `json:"uploaded_at"`
	Reason     string    `json:"reason"`
}

// ErrNotUploaded is Delete's error for a scenario that is not an upload
// (a built-in or scenarios dir one).
var ErrNotUploaded = errors.New("not an uploaded scenario")

// NewLibrary loads the built-in scenarios, the *.yaml files at the root
// of each of builtin (the vendors' files, mocks.Vendor.Scenarios; the
// engine has none of its own), and those in dir (if not empty), and checks
// every step: it names one of actions (when actions is not nil) or one of
// the engine's own, and the step check of its action, if any, accepts its
// values. dir must exist; a scenario in it may not take the name of a
// built-in one (nor of another in dir). A built-in file's Source is
// builtin/<file>. Errors are *LoadError.
func NewLibrary(dir string, actions map[string]Action, checks map[string]StepCheck, builtin ...fs.FS) (*Library, error) {
	l := &Library{byName: map[string]*Scenario{}, actions: actions, checks: checks}
	var all []*Scenario
	for _, fsys := range builtin {
		if fsys == nil {
			continue
		}
		files, err := fs.Glob(fsys, "*.yaml")
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("scenarios: %w", err)
			}
			scs, err := l.parseFile("builtin/"+f, b)
			if err != nil {
				return nil, err
			}
			all = append(all, scs...)
		}
	}
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("scenarios.dir: %q is not a directory", dir)
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.y*ml"))
		if err != nil {
			return nil, fmt.Errorf("scenarios dir %s: %w", dir, err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("scenarios: %w", err)
			}
			scs, err := l.parseFile(f, b)
			if err != nil {
				return nil, err
			}
			all = append(all, scs...)
		}
	}
	for _, s := range all {
		if prev, dup := l.byName[s.Name]; dup {
			if strings.HasPrefix(prev.Source, "builtin/") && !strings.HasPrefix(s.Source, "builtin/") {
				return nil, &LoadError{File: s.Source, Line: s.line, Field: "name", Msg: s.Name + " is the name of a built-in scenario; choose another name"}
			}
			return nil, &LoadError{File: s.Source, Line: s.line, Field: "name", Msg: fmt.Sprintf("%s is defined twice (also in %s)", s.Name, prev.Source)}
		}
		l.byName[s.Name] = s
	}
	return l, nil
}

// Open loads the uploads stored in st, in the order they were made, after
// the built-in and scenarios dir scenarios, and makes later uploads and
// deletes write through st. A stored scenario whose name a built-in or dir
// scenario now has, or whose file no longer loads, is skipped (see
// Skipped) and logged on log: never an error. It returns st's error.
func (l *Library) Open(ctx context.Context, st UploadStore, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	ups, err := st.ScenarioUploads(ctx)
	if err != nil {
		return err
	}
	next := l.clone(0)
	var skipped []SkippedUpload
	skip := func(up store.ScenarioUpload, name, reason string) {
		skipped = append(skipped, SkippedUpload{Name: name, File: up.File, UploadedAt: up.UploadedAt, Reason: reason})
	}
	for _, up := range ups {
		scs, err := l.parseFile("upload:"+up.File, up.Body)
		if err != nil {
			log.Warn("stored scenario upload not loaded", "file", up.File, "scenarios", up.Names, "uploaded_at", up.UploadedAt, "err", err)
			for _, n := range up.Names {
				skip(up, n, "the file no longer loads: "+err.Error())
			}
			continue
		}
		defined := make(map[string]*Scenario, len(scs))
		for _, s := range scs {
			defined[s.Name] = s
		}
		for _, n := range up.Names {
			s := defined[n]
			if s == nil {
				log.Warn("stored scenario upload not loaded", "file", up.File, "scenario", n, "err", "the file no longer defines it")
				skip(up, n, "the file no longer defines it")
				continue
			}
			if prev, ok := next[n]; ok && !strings.HasPrefix(prev.Source, "upload:") {
				reason := fmt.Sprintf("%s has the name of a scenario of %s, which is loaded instead", n, prev.Source)
				log.Warn("stored scenario upload not loaded", "file", up.File, "scenario", n, "err", reason)
				skip(up, n, reason)
				continue
			}
			s.UploadedAt = up.UploadedAt
			next[n] = s
		}
	}
	l.mu.Lock()
	l.byName, l.skipped, l.st, l.log = next, skipped, st, log
	l.mu.Unlock()
	return nil
}

// clone returns a copy of the scenarios by name, with room for n more.
// The caller holds wmu.
func (l *Library) clone(n int) map[string]*Scenario {
	next := make(map[string]*Scenario, len(l.byName)+n)
	for k, v := range l.byName {
		next[k] = v
	}
	return next
}

// Upload loads the scenarios of one file given by a client (named file in
// errors): all of them, or none when one is wrong (a *LoadError) or the
// store refuses it (its error). They replace earlier uploads of the same
// names; a built-in scenario or one of the scenarios dir is not replaced
// (an error). After Open, the file is stored before it takes effect.
func (l *Library) Upload(ctx context.Context, file string, b []byte) ([]*Scenario, error) {
	scs, err := l.parseFile("upload:"+file, b)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	names := make([]string, 0, len(scs))
	for _, s := range scs {
		if seen[s.Name] {
			return nil, &LoadError{File: s.Source, Line: s.line, Field: "name", Msg: s.Name + " is defined twice in the file"}
		}
		seen[s.Name] = true
		if prev, ok := l.byName[s.Name]; ok && !strings.HasPrefix(prev.Source, "upload:") {
			return nil, &LoadError{File: s.Source, Line: s.line, Field: "name", Msg: fmt.Sprintf("%s is the name of a scenario of %s, which an upload cannot replace; choose another name", s.Name, prev.Source)}
		}
		names = append(names, s.Name)
	}
	if l.st != nil {
		up, err := l.st.PutScenarioUpload(ctx, file, b, names)
		if err != nil {
			return nil, err
		}
		for _, s := range scs {
			s.UploadedAt = up.UploadedAt
		}
	}
	next := l.clone(len(scs))
	for _, s := range scs {
		next[s.Name] = s
	}
	// A stored upload skipped at start is taken over by this one.
	skipped := slices.DeleteFunc(slices.Clone(l.skipped), func(k SkippedUpload) bool { return seen[k.Name] })
	l.mu.Lock()
	l.byName, l.skipped = next, skipped
	l.mu.Unlock()
	return scs, nil
}

// Deleted is what Delete removed.
type Deleted struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	// Loaded is false for a stored upload that Open skipped (see Skipped).
	Loaded bool `json:"loaded"`
	// CancelledRuns counts the runs of the scenario that were cancelled.
	CancelledRuns int `json:"cancelled_runs"`
}

// Delete removes the uploaded scenario name, loaded or skipped at start,
// from the store (first) and the library. The runs of a loaded one that
// have not ended, in every workspace, are cancelled with it (by the store,
// in the same transaction: a run of a definition that is gone could not
// go on after a restart, so none goes on). It returns ErrUnknownScenario
// for no scenario of that name, ErrNotUploaded for a built-in or scenarios
// dir one (with no skipped upload of the name), or the store's error, in
// which case nothing changed.
func (l *Library) Delete(ctx context.Context, name string) (Deleted, error) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	d := Deleted{Name: name}
	sc, loaded := l.byName[name]
	i := slices.IndexFunc(l.skipped, func(k SkippedUpload) bool { return k.Name == name })
	switch {
	case loaded && strings.HasPrefix(sc.Source, "upload:"):
		d.Source, d.Loaded = sc.Source, true
	case i >= 0:
		d.Source = "upload:" + l.skipped[i].File
	case loaded:
		return d, fmt.Errorf("%w: %s is a scenario of %s", ErrNotUploaded, name, sc.Source)
	default:
		return d, fmt.Errorf("%w %q", ErrUnknownScenario, name)
	}
	if l.st != nil {
		n, err := l.st.DeleteScenarioUpload(ctx, name, d.Loaded)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Deleted{}, err
		}
		d.CancelledRuns = n
	}
	next, skipped := l.byName, l.skipped
	if d.Loaded {
		next = l.clone(0)
		delete(next, name)
	} else {
		skipped = slices.Delete(slices.Clone(skipped), i, i+1)
	}
	l.mu.Lock()
	l.byName, l.skipped = next, skipped
	l.mu.Unlock()
	return d, nil
}

// Skipped returns the stored uploads' scenarios that Open did not load
// and that no upload or delete has replaced since.
func (l *Library) Skipped() []SkippedUpload {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.skipped)
}

// parseFile parses and checks every scenario of a file.
func (l *Library) parseFile(path string, b []byte) ([]*Scenario, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []*Scenario
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			msg, line := yamlError(err)
			return nil, &LoadError{File: path, Line: line, Msg: msg}
		}
		if len(doc.Content) == 0 {
			continue
		}
		s, err := parseScenario(doc.Content[0])
		if err != nil {
			var le *LoadError
			if errors.As(err, &le) {
				le.File = path
			}
			return nil, err
		}
		s.Source = path
		if s.Emits == nil && strings.HasPrefix(path, "builtin/") {
			return nil, &LoadError{File: path, Line: s.line, Scenario: s.Name, Field: "emits", Msg: "a built-in scenario documents the events it emits (emits: [] for none)"}
		}
		if err := l.check(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// yamlError splits a YAML syntax error into its message and line.
func yamlError(err error) (string, int) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if line, err := strconv.Atoi(n); err == nil {
				return strings.TrimSpace(tail), line
			}
		}
	}
	return msg, 0
}

// check checks a parsed scenario against the actions and their step checks.
func (l *Library) check(s *Scenario) error {
	fail := func(st *Step, field, format string, args ...any) error {
		return &LoadError{File: s.Source, Line: st.line, Scenario: s.Name, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	for i := range s.flat {
		st := &s.flat[i]
		_, known := l.actions[st.Action]
		if !known && l.actions != nil && !slices.Contains(GenericActions, st.Action) {
			return fail(st, st.field+".action", "unknown action %q", st.Action)
		}
		if check := l.checks[st.Action]; check != nil {
			if err := check(st.With); err != nil {
				return fail(st, st.field+".with", "step %d (%s): %v", i, st.Action, err)
			}
		}
	}
	return nil
}

// node helpers: every error names the line and the field.
func nodeErr(n *yaml.Node, field, format string, args ...any) error {
	return &LoadError{Line: n.Line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func scalar(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", nodeErr(n, field, "must be a single value")
	}
	return n.Value, nil
}

func parseScenario(n *yaml.Node) (*Scenario, error) {
	if n.Kind != yaml.MappingNode {
		return nil, nodeErr(n, "", "a scenario is a mapping (name, vendor, description, params, emits, magic, internal, steps)")
	}
	s := &Scenario{line: n.Line}
	var stepsNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "name":
			s.Name, err = scalar(v, "name")
		case "vendor":
			s.Vendor, err = scalar(v, "vendor")
		case "description":
			s.Description, err = scalar(v, "description")
		case "params":
			if v.Kind != yaml.SequenceNode {
				return nil, nodeErr(v, "params", "must be a list of names or of {name, type, default, description, required}")
			}
			for j, c := range v.Content {
				p, err := parseParam(c, fmt.Sprintf("params[%d]", j))
				if err != nil {
					return nil, err
				}
				s.Parameters = append(s.Parameters, p)
			}
		case "emits":
			s.Emits, s.expect, err = parseEmits(v, "emits")
		case "magic":
			if v.Kind != yaml.SequenceNode {
				return nil, nodeErr(v, "magic", "must be a list of {suffix, trigger}")
			}
			for j, c := range v.Content {
				m, err := parseMagic(c, fmt.Sprintf("magic[%d]", j))
				if err != nil {
					return nil, err
				}
				s.Magic = append(s.Magic, m)
			}
		case "internal":
			if err = v.Decode(&s.Internal); err != nil || v.Kind != yaml.ScalarNode {
				return nil, nodeErr(v, "internal", "internal is true or false")
			}
		case "steps":
			stepsNode = v
		default:
			return nil, nodeErr(k, k.Value, "unknown field %q (a scenario has name, vendor, description, params, emits, magic, internal and steps)", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	if s.Name == "" {
		return nil, nodeErr(n, "name", "a scenario has no name")
	}
	wrap := func(err error) error {
		var le *LoadError
		if errors.As(err, &le) {
			le.Scenario = s.Name
		}
		return err
	}
	if stepsNode == nil || (stepsNode.Kind == yaml.SequenceNode && len(stepsNode.Content) == 0) {
		return nil, wrap(nodeErr(n, "steps", "scenario %s has no steps", s.Name))
	}
	steps, err := parseSteps(stepsNode, "steps")
	if err != nil {
		return nil, wrap(err)
	}
	s.Steps = steps
	seen := map[string]bool{}
	for _, p := range s.Parameters {
		if seen[p.Name] {
			return nil, wrap(nodeErr(n, "params", "param %q is declared twice", p.Name))
		}
		seen[p.Name] = true
		s.Params = append(s.Params, p.Name)
	}
	s.flat, err = flatten(s.Steps, nil)
	if err != nil {
		return nil, wrap(err)
	}
	// The engine's endpoint steps act on the scenario vendor's endpoints.
	for i := range s.flat {
		if st := &s.flat[i]; (st.Action == ActionEndpointDown || st.Action == ActionEndpointUp) && st.With["vendor"] == "" && s.Vendor != "" {
			w := map[string]string{"vendor": s.Vendor}
			for k, v := range st.With {
				w[k] = v
			}
			st.With = w
		}
	}
	return s, nil
}

func parseParam(n *yaml.Node, field string) (Param, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Value == "" {
			return Param{}, nodeErr(n, field, "a param needs a name")
		}
		return Param{Name: n.Value, Type: "string", Required: true}, nil
	}
	if n.Kind != yaml.MappingNode {
		return Param{}, nodeErr(n, field, "a param is a name or {name, type, default, description, required}")
	}
	p := Param{Type: "string", Required: true}
	required := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		val, err := scalar(v, field+"."+k.Value)
		if err != nil {
			return p, err
		}
		switch k.Value {
		case "name":
			p.Name = val
		case "type":
			p.Type = val
		case "description":
			p.Description = val
		case "default":
			p.Default = val
		case "required":
			required = val
		default:
			return p, nodeErr(k, field+"."+k.Value, "unknown field %q (a param has name, type, default, description, required)", k.Value)
		}
	}
	if p.Name == "" {
		return p, nodeErr(n, field+".name", "a param needs a name")
	}
	if !slices.Contains(ParamTypes, p.Type) && p.Type != "id" && !strings.HasSuffix(p.Type, "_id") {
		return p, nodeErr(n, field+".type", "type %q is not one of %s, or an id (message_id, meeting_id...)", p.Type, strings.Join(ParamTypes, ", "))
	}
	if p.Default != "" {
		if err := checkParamValue(p, p.Default); err != nil {
			return p, nodeErr(n, field+".default", "%v", err)
		}
	}
	switch required {
	case "":
		p.Required = p.Default == ""
	case "true":
		p.Required = true
	case "false":
		p.Required = false
	default:
		return p, nodeErr(n, field+".required", "required is true or false")
	}
	return p, nil
}

// checkParamValue checks a value against its param's type.
func checkParamValue(p Param, v string) error {
	bad := func() error { return fmt.Errorf("%q is not a %s", v, p.Type) }
	switch p.Type {
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad()
		}
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return bad()
		}
	case "boolean":
		if _, err := strconv.ParseBool(v); err != nil {
			return bad()
		}
	case "duration":
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return bad()
		}
	case "phone":
		digits := strings.TrimLeft(v, "+")
		if len(digits) < 7 || strings.Trim(digits, "0123456789 -().") != "" {
			return bad()
		}
	}
	return nil
}

// parseEmits reads a list of event types, where {repeat: N, emits: [...]}
// stands for its list N times. It returns the list as the control API
// shows it (a repeat as "(a, b) xN") and unrolled.
func parseEmits(n *yaml.Node, field string) (show, all []string, err error) {
	if n.Kind != yaml.SequenceNode {
		return nil, nil, nodeErr(n, field, "must be a list of event types (or of {repeat, emits})")
	}
	show = []string{}
	for i, c := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		if c.Kind == yaml.ScalarNode {
			show, all = append(show, c.Value), append(all, c.Value)
			continue
		}
		if c.Kind != yaml.MappingNode {
			return nil, nil, nodeErr(c, f, "an event type, or {repeat, emits}")
		}
		times := 0
		var inner, innerAll []string
		for j := 0; j+1 < len(c.Content); j += 2 {
			k, v := c.Content[j], c.Content[j+1]
			switch k.Value {
			case "repeat":
				if err := v.Decode(&times); err != nil || times < 1 {
					return nil, nil, nodeErr(v, f+".repeat", "repeat is how many times (1 or more)")
				}
			case "emits":
				if inner, innerAll, err = parseEmits(v, f+".emits"); err != nil {
					return nil, nil, err
				}
			default:
				return nil, nil, nodeErr(k, f+"."+k.Value, "unknown field %q (repeat and emits)", k.Value)
			}
		}
		if times == 0 || len(innerAll) == 0 {
			return nil, nil, nodeErr(c, f, "a repeated group has repeat and emits")
		}
		show = append(show, fmt.Sprintf("(%s) x%d", strings.Join(inner, ", "), times))
		for range times {
			all = append(all, innerAll...)
		}
	}
	return show, all, nil
}

// Expected returns the event types the scenario documents (Emits), in
// order, repeats unrolled.
func (s *Scenario) Expected() []string { return s.expect }

func parseMagic(n *yaml.Node, field string) (Magic, error) {
	var m Magic
	if n.Kind != yaml.MappingNode {
		return m, nodeErr(n, field, "magic is {suffix, trigger}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		val, err := scalar(v, field+"."+k.Value)
		if err != nil {
			return m, err
		}
		switch k.Value {
		case "suffix":
			m.Suffix = val
		case "trigger":
			m.Trigger = val
		default:
			return m, nodeErr(k, field+"."+k.Value, "unknown field %q (magic has suffix and trigger)", k.Value)
		}
	}
	if len(m.Suffix) != 2 || strings.Trim(m.Suffix, "0123456789") != "" {
		return m, nodeErr(n, field+".suffix", "suffix is two digits (\"07\" for NXX-555-0107)")
	}
	if m.Trigger == "" {
		return m, nodeErr(n, field+".trigger", "trigger names what the number is the destination of (sms)")
	}
	return m, nil
}

func parseSteps(n *yaml.Node, field string) ([]Step, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, nodeErr(n, field, "must be a list of steps")
	}
	out := make([]Step, 0, len(n.Content))
	for i, c := range n.Content {
		st, err := parseStep(c, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// stepKinds are the keys that say what a step does; a step has one.
var stepKinds = []string{"action", "wait", "endpoint", "fault", "lift_fault", "chaos", "lift_chaos", "repeat"}

func parseStep(n *yaml.Node, field string) (Step, error) {
	st := Step{line: n.Line, field: field}
	if n.Kind != yaml.MappingNode {
		return st, nodeErr(n, field, "a step is a mapping with one of %s", strings.Join(stepKinds, ", "))
	}
	kind := ""
	var stepsNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f := field + "." + k.Value
		if slices.Contains(stepKinds, k.Value) {
			if kind != "" {
				return st, nodeErr(k, f, "a step has one of %s; this one has %s and %s", strings.Join(stepKinds, ", "), kind, k.Value)
			}
			kind = k.Value
		}
		switch k.Value {
		case "after", "wait":
			if st.After != 0 {
				return st, nodeErr(k, f, "a wait step's duration is its delay: give after or wait, not both")
			}
			var d Duration
			if err := v.Decode(&d); err != nil {
				return st, nodeErr(v, f, "%q is not a duration like 1.5s", v.Value)
			}
			st.After = d
			if k.Value == "wait" {
				st.Action = ActionWait
			}
		case "action":
			a, err := scalar(v, f)
			if err != nil {
				return st, err
			}
			if a == "" || slices.Contains(GenericActions, a) && a != ActionWait {
				return st, nodeErr(v, f, "action %q: write the engine's steps as endpoint, fault, lift_fault, chaos or lift_chaos", a)
			}
			st.Action = a
		case "with":
			if v.Kind != yaml.MappingNode {
				return st, nodeErr(v, f, "with is a mapping of names to values")
			}
			if st.With == nil {
				st.With = map[string]string{}
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				val, err := scalar(v.Content[j+1], f+"."+v.Content[j].Value)
				if err != nil {
					return st, err
				}
				st.With[v.Content[j].Value] = val
			}
		case "endpoint":
			val, err := scalar(v, f)
			if err != nil {
				return st, err
			}
			switch val {
			case "down":
				st.Action = ActionEndpointDown
			case "up":
				st.Action = ActionEndpointUp
			default:
				return st, nodeErr(v, f, "endpoint is down or up")
			}
		case "fault", "chaos":
			if v.Kind != yaml.MappingNode {
				return st, nodeErr(v, f, "%s is a rule (a mapping, as POST /_sandbox/%s takes)", k.Value, map[string]string{"fault": "faults", "chaos": "chaos"}[k.Value])
			}
			var rule map[string]any
			if err := v.Decode(&rule); err != nil {
				return st, nodeErr(v, f, "%v", err)
			}
			b, err := json.Marshal(rule)
			if err != nil {
				return st, nodeErr(v, f, "%v", err)
			}
			if st.With == nil {
				st.With = map[string]string{}
			}
			st.With["rule"] = string(b)
			st.Action = ActionFaultApply
			if k.Value == "chaos" {
				st.Action = ActionChaosApply
			}
		case "lift_fault", "lift_chaos":
			id, err := scalar(v, f)
			if err != nil || id == "" {
				return st, nodeErr(v, f, "%s names the id of the rule to lift", k.Value)
			}
			if st.With == nil {
				st.With = map[string]string{}
			}
			st.With["id"] = id
			st.Action = ActionFaultLift
			if k.Value == "lift_chaos" {
				st.Action = ActionChaosLift
			}
		case "repeat":
			var times int
			if err := v.Decode(&times); err != nil || times < 1 {
				return st, nodeErr(v, f, "repeat is how many times (1 or more)")
			}
			st.Repeat, st.Action = times, ActionRepeat
		case "steps":
			stepsNode = v
		default:
			return st, nodeErr(k, f, "unknown field %q (a step has after, with and one of %s)", k.Value, strings.Join(stepKinds, ", "))
		}
	}
	switch {
	case kind == "":
		return st, nodeErr(n, field, "a step has one of %s", strings.Join(stepKinds, ", "))
	case kind == "repeat":
		if stepsNode == nil {
			return st, nodeErr(n, field+".steps", "a repeat has steps")
		}
		steps, err := parseSteps(stepsNode, field+".steps")
		if err != nil {
			return st, err
		}
		if len(steps) == 0 {
			return st, nodeErr(stepsNode, field+".steps", "a repeat has steps")
		}
		st.Steps = steps
	case stepsNode != nil:
		return st, nodeErr(stepsNode, field+".steps", "only a repeat has steps")
	}
	if kind == "wait" && len(st.With) > 0 {
		return st, nodeErr(n, field+".with", "a wait step takes no values")
	}
	return st, nil
}

// flatten unrolls repeats: {{i}} in a value is the iteration (from 1) of
// the innermost repeat. The first step of a repeat's body waits the
// repeat's own delay on the first iteration.
func flatten(steps []Step, out []Step) ([]Step, error) {
	for _, st := range steps {
		if st.Action != ActionRepeat {
			out = append(out, st)
			if len(out) > MaxSteps {
				return nil, &LoadError{Line: st.line, Field: st.field, Msg: fmt.Sprintf("more than %d steps once repeats are unrolled", MaxSteps)}
			}
			continue
		}
		for k := 1; k <= st.Repeat; k++ {
			body := make([]Step, len(st.Steps))
			for i, in := range st.Steps {
				body[i] = in
				if in.Action != ActionRepeat {
					body[i].With = iterate(in.With, k)
				}
			}
			if k == 1 && len(body) > 0 {
				body[0].After += st.After
			}
			var err error
			if out, err = flatten(body, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func iterate(with map[string]string, k int) map[string]string {
	if len(with) == 0 {
		return with
	}
	out := make(map[string]string, len(with))
	for key, v := range with {
		out[key] = strings.ReplaceAll(v, "{{i}}", strconv.Itoa(k))
	}
	return out
}

// Flat returns the steps as they run, repeats unrolled.
func (s *Scenario) Flat() []Step { return s.flat }

// Get returns the named scenario.
func (l *Library) Get(name string) (*Scenario, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, ok := l.byName[name]
	return s, ok
}

// All returns every scenario, by name.
func (l *Library) All() []*Scenario {
	l.mu.RLock()
	out := make([]*Scenario, 0, len(l.byName))
	for _, s := range l.byName {
		out = append(out, s)
	}
	l.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Magic returns the magic numbers the scenarios declare, by vendor, trigger
// and suffix.
func (l *Library) Magic() []MagicNumber {
	var out []MagicNumber
	for _, s := range l.All() {
		for _, m := range s.Magic {
			out = append(out, MagicNumber{Suffix: m.Suffix, Vendor: s.Vendor, Trigger: m.Trigger, Scenario: s.Name, Description: s.Description})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Trigger != b.Trigger {
			return a.Trigger < b.Trigger
		}
		return a.Suffix < b.Suffix
	})
	return out
}

// resolve returns the params a run gets: params with the declared
// defaults filled in, each checked against its type; a *ParamError for
// the first missing or ill-typed one.
func (s *Scenario) resolve(params map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(params)+len(s.Parameters))
	for k, v := range params {
		out[k] = v
	}
	for _, p := range s.Parameters {
		v := out[p.Name]
		if v == "" {
			if p.Default != "" {
				out[p.Name] = p.Default
				continue
			}
			if p.Required {
				return nil, &ParamError{Param: p.Name, Err: fmt.Errorf("%w %q of %s", ErrMissingParam, p.Name, s.Name)}
			}
			continue
		}
		if err := checkParamValue(p, v); err != nil {
			return nil, &ParamError{Param: p.Name, Err: err}
		}
	}
	return out, nil
}
