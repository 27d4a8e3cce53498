package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// DefaultURL is where a server is looked for without --url or
// VENDORSIM_URL.
const DefaultURL = "http://localhost:8080"

// command is one subcommand: its usage line and what it does.
type command struct {
	usage string
	run   func(e *env, args []string) error
}

// commands are the subcommands, by name.
var commands map[string]command

func init() {
	commands = map[string]command{
		"run":        {"run SCENARIO [--param NAME=VALUE]... [--start-at TIME]", runScenario},
		"scenarios":  {"scenarios list|upload FILE|delete NAME|show RUN|cancel RUN", scenariosCmd},
		"requests":   {"requests list|count|expect [--match MATCHER]... [filters]", requests},
		"deliveries": {"deliveries list|wait|replay ID|flush [filters]", deliveries},
		"clock":      {"clock show|advance DURATION|freeze|resume", clock},
		"faults":     {"faults add RULE-JSON|list|clear", faults},
		"reset":      {"reset", reset},
		"snapshot":   {"snapshot export WORKSPACE [-o FILE] | snapshot import FILE [--id ID] [--replace]", snapshot},
		"invoke":     {"invoke --vendor V --event TYPE --to URL [--secret S] [--body JSON|@FILE]", invoke},
	}
}

// IsCommand reports whether name is one of the client's subcommands.
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok
}

// Usage lists the subcommands, one per line.
func Usage() string {
	var b strings.Builder
	for _, name := range []string{"run", "scenarios", "requests", "deliveries", "clock", "faults", "reset", "snapshot", "invoke"} {
		fmt.Fprintf(&b, "  vendorsim %s\n", commands[name].usage)
	}
	return b.String()
}

// env is what a subcommand runs with.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	name   string // "requests expect"

	// Common flags.
	url       string
	token     string
	workspace string
	session   string
	headers   headerFlags
	json      bool
	fs        *flag.FlagSet
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// Run runs subcommand args[0] with the rest of args.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q", args[0])
	}
	e := &env{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr, name: args[0]}
	return c.run(e, args[1:])
}

// flags returns a flag set with the common flags.
func (e *env) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("vendorsim "+e.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.url, "url", "", "the server's base URL (default $VENDORSIM_URL or "+DefaultURL+")")
	fs.StringVar(&e.token, "token", "", "the control token (default $VENDORSIM_CONTROL_TOKEN)")
	fs.StringVar(&e.workspace, "workspace", "", "the workspace to act on, by id (X-Sandbox-Workspace)")
	fs.StringVar(&e.session, "session", "", "the workspace of a Zipwhip session key (sent as the session query parameter)")
	fs.Var(&e.headers, "header", `a header selecting the workspace by a vendor credential, e.g. "X-Whippy-Key: KEY" (repeatable)`)
	fs.BoolVar(&e.json, "json", false, "print the server's answer as JSON")
	e.fs = fs
	return fs
}

// errHelp is returned by parse after printing the usage.
var errHelp = errors.New("help")

// parse parses flags anywhere among args and returns the positional
// arguments.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(e.stdout, "Usage: vendorsim %s\n", commands[strings.Fields(e.name)[0]].usage)
				fs.SetOutput(e.stdout)
				fs.PrintDefaults()
				return nil, errHelp
			}
			return nil, fmt.Errorf("%s: %v (see vendorsim %s -h)", e.name, err, e.name)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// client returns the control API client the flags describe.
func (e *env) client() (*Client, error) {
	u := e.url
	if u == "" {
		u = e.getenv("VENDORSIM_URL")
	}
	if u == "" {
		u = DefaultURL
	}
	if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, fmt.Errorf("%s: --url %q is not an http(s) URL", e.name, u)
	}
	tok := e.token
	if tok == "" {
		tok = e.getenv("VENDORSIM_CONTROL_TOKEN")
	}
	h := http.Header{}
	if e.workspace != "" {
		h.Set("X-Sandbox-Workspace", e.workspace)
	}
	for _, kv := range e.headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s: --header %q is not NAME: VALUE", e.name, kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	c := &Client{URL: u, Token: tok, Header: h}
	if e.session != "" {
		c.Query = url.Values{"session": {e.session}}
	}
	return c, nil
}

// call makes one control API call and, with --json, prints the answer.
func (e *env) call(method, path string, body, out any) error {
	c, err := e.client()
	if err != nil {
		return err
	}
	var raw []byte
	if err := c.Do(e.ctx, method, path, body, &raw); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	if e.json {
		e.printJSON(raw)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s: decode the answer: %w", e.name, err)
		}
	}
	return nil
}

func (e *env) printJSON(raw []byte) {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		e.stdout.Write(raw)
		return
	}
	buf.WriteByte('\n')
	e.stdout.Write(buf.Bytes())
}

// say prints a human line unless --json.
func (e *env) say(format string, args ...any) {
	if !e.json {
		fmt.Fprintf(e.stdout, format+"\n", args...)
	}
}

// sub splits "list" off args for commands with subcommands.
func (e *env) sub(args []string, names ...string) (string, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintf(e.stdout, "Usage: vendorsim %s\n", commands[e.name].usage)
			return "", nil, errHelp
		}
		return "", nil, fmt.Errorf("%s: name one of %s (vendorsim %s)", e.name, strings.Join(names, ", "), commands[e.name].usage)
	}
	for _, n := range names {
		if args[0] == n {
			e.name += " " + n
			return n, args[1:], nil
		}
	}
	return "", nil, fmt.Errorf("%s: unknown subcommand %q (one of %s)", e.name, args[0], strings.Join(names, ", "))
}

// done maps errHelp to success.
func done(err error) error {
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func wantArgs(e *env, pos []string, n int, what string) error {
	if len(pos) != n {
		return fmt.Errorf("%s: want %s, got %d arguments (%q)", e.name, what, len(pos), pos)
	}
	return nil
}

type paramFlags map[string]string

func (p paramFlags) String() string { return "" }
func (p paramFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	p[k] = val
	return nil
}

func runScenario(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	fs := e.flags()
	params := paramFlags{}
	fs.Var(params, "param", "a scenario parameter, NAME=VALUE (repeatable)")
	startAt := fs.String("start-at", "", "RFC 3339 time the run starts at (default now)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(e, pos, 1, "the scenario's name"); err != nil {
		return err
	}
	body := map[string]any{"params": map[string]string(params)}
	if *startAt != "" {
		body["start_at"] = *startAt
	}
	var run struct {
		ID, Scenario, State string
		Steps               []any
	}
	if err := e.call(http.MethodPost, "/scenarios/"+url.PathEscape(pos[0])+"/run", body, &run); err != nil {
		return err
	}
	e.say("run %s of %s: %s, %d steps", run.ID, run.Scenario, run.State, len(run.Steps))
	return nil
}

// scenarioInfo is what the list prints of a scenario.
type scenarioInfo struct {
	Name     string `json:"name"`
	Vendor   string `json:"vendor"`
	Source   string `json:"source"`
	Internal bool   `json:"internal"`
	Params   []any  `json:"params"`
	Emits    []any  `json:"emits"`
}

// runInfo is what show and cancel print of a run.
type runInfo struct {
	ID       string `json:"id"`
	Scenario string `json:"scenario"`
	State    string `json:"state"`
	Steps    []struct {
		Action string `json:"action"`
		State  string `json:"state"`
		DueAt  string `json:"due_at"`
		Error  string `json:"error"`
	} `json:"steps"`
}

func (r runInfo) print(e *env) {
	e.say("run %s of %s: %s", r.ID, r.Scenario, r.State)
	for i, st := range r.Steps {
		line := fmt.Sprintf("  %2d %-10s %-32s %s", i+1, st.State, st.Action, st.DueAt)
		if st.Error != "" {
			line += "  " + st.Error
		}
		e.say("%s", line)
	}
}

// scenariosCmd lists, uploads and deletes scenario definitions, and shows
// or cancels a run.
func scenariosCmd(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	sub, args, err := e.sub(args, "list", "upload", "delete", "show", "cancel")
	if err != nil {
		return err
	}
	fs := e.flags()
	vendor := fs.String("vendor", "", "list: only this vendor's scenarios")
	all := fs.Bool("all", false, "list: internal timelines too")
	name := fs.String("name", "", "upload: the file name errors give (default the file's base name)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		var out struct {
			Data    []scenarioInfo `json:"data"`
			Skipped []struct {
				Name, File, Reason string
			} `json:"skipped"`
		}
		if err := e.call(http.MethodGet, "/scenarios", nil, &out); err != nil {
			return err
		}
		n := 0
		for _, s := range out.Data {
			if (*vendor != "" && s.Vendor != *vendor) || (s.Internal && !*all) {
				continue
			}
			n++
			e.say("%-36s %-8s %-26s emits %s", s.Name, s.Vendor, s.Source, plural(len(s.Emits), "event"))
		}
		e.say("%d scenarios", n)
		for _, s := range out.Skipped {
			e.say("skipped upload %s (%s): %s", s.Name, s.File, s.Reason)
		}
	case "upload":
		if err := wantArgs(e, pos, 1, "the scenario file"); err != nil {
			return err
		}
		raw, err := os.ReadFile(pos[0])
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		file := *name
		if file == "" {
			file = filepath.Base(pos[0])
		}
		var out struct {
			Data []scenarioInfo `json:"data"`
		}
		if err := e.call(http.MethodPost, "/scenarios?name="+url.QueryEscape(file), Typed{"application/yaml", raw}, &out); err != nil {
			return err
		}
		for _, s := range out.Data {
			e.say("loaded %s (%s)", s.Name, s.Vendor)
		}
	case "delete":
		if err := wantArgs(e, pos, 1, "the scenario's name"); err != nil {
			return err
		}
		var out struct {
			Name          string `json:"name"`
			CancelledRuns int    `json:"cancelled_runs"`
		}
		if err := e.call(http.MethodDelete, "/scenarios/"+url.PathEscape(pos[0]), nil, &out); err != nil {
			return err
		}
		e.say("deleted %s, %d runs cancelled", out.Name, out.CancelledRuns)
	case "show", "cancel":
		if err := wantArgs(e, pos, 1, "the run's id"); err != nil {
			return err
		}
		method, path := http.MethodGet, "/scenarios/runs/"+url.PathEscape(pos[0])
		if sub == "cancel" {
			method, path = http.MethodPost, path+"/cancel"
		}
		var out runInfo
		if err := e.call(method, path, nil, &out); err != nil {
			return err
		}
		out.print(e)
	}
	return nil
}

// matcherFlags are --match values: PART[.NAME]OP VALUE, OP one of = (equals),
// *= (contains), ~= (regex), or a trailing ! (absent).
type matcherFlags []map[string]string

func (m *matcherFlags) String() string { return "" }
func (m *matcherFlags) Set(v string) error {
	mt, err := ParseMatcher(v)
	if err != nil {
		return err
	}
	*m = append(*m, mt)
	return nil
}

// ParseMatcher reads a matcher written PART[.NAME]=VALUE (equals),
// PART[.NAME]*=VALUE (contains), PART[.NAME]~=REGEX or PART.NAME! (absent):
// method=POST, path*=/contacts, header.Content-Type*=json, body.data.to=+1...,
// query.limit!.
func ParseMatcher(s string) (map[string]string, error) {
	target, op, value := "", "", ""
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && (s[i] == '*' || s[i] == '~') && s[i+1] == '=' {
			target, value = s[:i], s[i+2:]
			op = map[byte]string{'*': "contains", '~': "regex"}[s[i]]
			break
		}
		if s[i] == '=' {
			target, op, value = s[:i], "equals", s[i+1:]
			break
		}
	}
	if op == "" {
		if t, ok := strings.CutSuffix(s, "!"); ok {
			target, op = t, "absent"
		}
	}
	if op == "" || target == "" {
		return nil, fmt.Errorf("matcher %q: write PART=VALUE, PART*=VALUE (contains), PART~=REGEX or PART.NAME! (absent)", s)
	}
	part, name, _ := strings.Cut(target, ".")
	m := map[string]string{"on": part, "op": op}
	if name != "" {
		m["name"] = name
	}
	if op != "absent" {
		m["value"] = value
	}
	return m, nil
}

type entry struct {
	ID          int64  `json:"id"`
	At          string `json:"at"`
	Vendor      string `json:"vendor"`
	OperationID string `json:"operation_id"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Query       string `json:"query"`
	Status      int    `json:"status"`
}

func (en entry) line() string {
	p := en.Path
	if en.Query != "" {
		p += "?" + en.Query
	}
	return fmt.Sprintf("#%d %s %s %s %s %d %s", en.ID, en.At, en.Vendor, en.Method, p, en.Status, en.OperationID)
}

func requests(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	sub, args, err := e.sub(args, "list", "count", "expect")
	if err != nil {
		return err
	}
	fs := e.flags()
	var match matcherFlags
	fs.Var(&match, "match", "a matcher: PART[.NAME]=VALUE, *=VALUE (contains), ~=REGEX, or PART.NAME! (absent); PART is method, path, operation_id, vendor, status, query, header or body (repeatable)")
	limit := fs.Int("limit", 100, "list: at most this many entries")
	har := fs.Bool("har", false, "list: the journal as HAR 1.2 (with the filters below)")
	vendor := fs.String("vendor", "", "list --har: only this vendor's requests")
	method := fs.String("method", "", "list --har: only this method")
	path := fs.String("path", "", "list --har: only this path (a prefix when it ends in *)")
	count := fs.Int("count", -1, "expect: exactly this many")
	atLeast := fs.Int("at-least", -1, "expect: at least this many (the default is at least 1)")
	atMost := fs.Int("at-most", -1, "expect: at most this many")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
		return err
	}
	if match == nil {
		match = matcherFlags{}
	}
	switch sub {
	case "list":
		if *har {
			q := url.Values{"format": {"har"}, "limit": {strconv.Itoa(*limit)}}
			for k, v := range map[string]string{"vendor": *vendor, "method": *method, "path": *path} {
				if v != "" {
					q.Set(k, v)
				}
			}
			c, err := e.client()
			if err != nil {
				return err
			}
			var raw []byte
			if err := c.Do(e.ctx, http.MethodGet, "/requests?"+q.Encode(), nil, &raw); err != nil {
				return fmt.Errorf("%s: %w", e.name, err)
			}
			e.printJSON(raw)
			return nil
		}
		var out struct {
			Data  []entry `json:"data"`
			Total int     `json:"total"`
		}
		if err := e.call(http.MethodPost, "/requests/search", map[string]any{"match": match, "limit": *limit}, &out); err != nil {
			return err
		}
		for _, en := range out.Data {
			e.say("%s", en.line())
		}
		e.say("%d of %d requests", len(out.Data), out.Total)
	case "count":
		var out struct {
			Total int `json:"total"`
		}
		if err := e.call(http.MethodPost, "/requests/search", map[string]any{"match": match, "limit": 1}, &out); err != nil {
			return err
		}
		e.say("%d", out.Total)
	case "expect":
		body := map[string]any{"match": match}
		if *count >= 0 {
			body["count"] = *count
		}
		if *atLeast >= 0 {
			body["at_least"] = *atLeast
		}
		if *atMost >= 0 {
			body["at_most"] = *atMost
		}
		var out struct {
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		}
		if err := e.call(http.MethodPost, "/requests/expect", body, &out); err != nil {
			return err
		}
		if !out.OK {
			return fmt.Errorf("%s", out.Message)
		}
		e.say("ok: %s", out.Message)
	}
	return nil
}

type delivery struct {
	ID         int64  `json:"id"`
	Vendor     string `json:"vendor"`
	EventType  string `json:"event_type"`
	URL        string `json:"url"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	LastStatus int    `json:"last_status"`
	ReplayOf   int64  `json:"replay_of"`
}

func (d delivery) line() string {
	return fmt.Sprintf("#%d %s %s %s -> %s (attempts %d, last status %d)", d.ID, d.State, d.Vendor, d.EventType, d.URL, d.Attempts, d.LastStatus)
}

func deliveries(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	sub, args, err := e.sub(args, "list", "wait", "replay", "flush")
	if err != nil {
		return err
	}
	fs := e.flags()
	vendor := fs.String("vendor", "", "only this vendor's deliveries")
	event := fs.String("event-type", "", "only this event type")
	state := fs.String("state", "", "only this state: pending, sending, delivered, dead or cancelled")
	endpoint := fs.String("endpoint", "", "only to this webhook id or URL")
	limit := fs.Int("limit", 100, "list: at most this many")
	after := fs.Int64("after", 0, "wait: only deliveries with a higher id")
	var match matcherFlags
	fs.Var(&match, "match", "wait: a matcher on the JSON body, body.FIELD=VALUE (*=, ~=, ! as for requests; repeatable)")
	timeout := fs.Duration("timeout", 30*time.Second, "wait, flush: how long to wait at most")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		q := url.Values{"limit": {strconv.Itoa(*limit)}}
		for k, v := range map[string]string{"vendor": *vendor, "event_type": *event, "state": *state, "endpoint": *endpoint} {
			if v != "" {
				q.Set(k, v)
			}
		}
		var out struct {
			Data  []delivery `json:"data"`
			Total int        `json:"total"`
		}
		if err := e.call(http.MethodGet, "/deliveries?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		for _, d := range out.Data {
			e.say("%s", d.line())
		}
		e.say("%d of %d deliveries", len(out.Data), out.Total)
	case "wait":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		if match == nil {
			match = matcherFlags{}
		}
		body := map[string]any{"vendor": *vendor, "event_type": *event, "endpoint": *endpoint, "after": *after, "match": match, "timeout": timeout.String()}
		if *state != "" {
			body["state"] = *state
		}
		var out struct {
			TimedOut bool      `json:"timed_out"`
			Delivery *delivery `json:"delivery"`
		}
		if err := e.call(http.MethodPost, "/deliveries/wait", body, &out); err != nil {
			return err
		}
		if out.TimedOut || out.Delivery == nil {
			return fmt.Errorf("%s: no matching delivery within %s", e.name, *timeout)
		}
		e.say("%s", out.Delivery.line())
	case "replay":
		if err := wantArgs(e, pos, 1, "the delivery's id"); err != nil {
			return err
		}
		if _, err := strconv.ParseInt(pos[0], 10, 64); err != nil {
			return fmt.Errorf("%s: %q is not a delivery id", e.name, pos[0])
		}
		var d delivery
		if err := e.call(http.MethodPost, "/deliveries/"+pos[0]+"/replay", nil, &d); err != nil {
			return err
		}
		e.say("queued delivery #%d (a replay of #%d)", d.ID, d.ReplayOf)
	case "flush":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		var sum summary
		if err := e.call(http.MethodPost, "/deliveries/flush?timeout="+url.QueryEscape(timeout.String()), nil, &sum); err != nil {
			return err
		}
		e.say("%s", sum.line())
	}
	return nil
}

type summary struct {
	Jobs      int  `json:"jobs"`
	Attempts  int  `json:"attempts"`
	Delivered int  `json:"delivered"`
	Failed    int  `json:"failed"`
	Pending   int  `json:"pending"`
	InFlight  int  `json:"in_flight"`
	TimedOut  bool `json:"timed_out"`
}

func (s summary) line() string {
	l := fmt.Sprintf("ran %d steps and %d attempts: %d delivered, %d failed; %d pending", s.Jobs, s.Attempts, s.Delivered, s.Failed, s.Pending)
	if s.TimedOut {
		l += fmt.Sprintf(" (timed out with %d in flight)", s.InFlight)
	}
	return l
}

func clock(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	sub, args, err := e.sub(args, "show", "advance", "freeze", "resume")
	if err != nil {
		return err
	}
	fs := e.flags()
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	var c struct {
		WorkspaceID   string   `json:"workspace_id"`
		Now           string   `json:"now"`
		OffsetSeconds float64  `json:"offset_seconds"`
		Frozen        bool     `json:"frozen"`
		Ran           *summary `json:"ran"`
	}
	switch sub {
	case "show":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		if err := e.call(http.MethodGet, "/clock", nil, &c); err != nil {
			return err
		}
	case "advance":
		if err := wantArgs(e, pos, 1, "a duration such as 90s or 72h"); err != nil {
			return err
		}
		if _, err := time.ParseDuration(pos[0]); err != nil {
			return fmt.Errorf("%s: %q is not a duration such as 90s or 72h", e.name, pos[0])
		}
		if err := e.call(http.MethodPost, "/clock/advance", map[string]string{"by": pos[0]}, &c); err != nil {
			return err
		}
	case "freeze", "resume":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		if err := e.call(http.MethodPost, "/clock/"+sub, map[string]any{}, &c); err != nil {
			return err
		}
	}
	state := ""
	if c.Frozen {
		state = ", frozen"
	}
	e.say("workspace %s: now %s (%+.0fs from real time%s)", c.WorkspaceID, c.Now, c.OffsetSeconds, state)
	if c.Ran != nil {
		e.say("%s", c.Ran.line())
	}
	return nil
}

func faults(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	sub, args, err := e.sub(args, "add", "list", "clear")
	if err != nil {
		return err
	}
	fs := e.flags()
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		if err := wantArgs(e, pos, 1, "the rule as JSON (or @FILE)"); err != nil {
			return err
		}
		rule, err := readBody(pos[0])
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		if !json.Valid(rule) {
			return fmt.Errorf("%s: the rule is not JSON", e.name)
		}
		var out map[string]any
		if err := e.call(http.MethodPost, "/faults", rule, &out); err != nil {
			return err
		}
		e.say("added fault %v", out["id"])
	case "list":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		var out struct {
			Data []faultRule `json:"data"`
		}
		if err := e.call(http.MethodGet, "/faults", nil, &out); err != nil {
			return err
		}
		if !e.json && len(out.Data) > 0 {
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWORKSPACE\tMATCHES\tEFFECT\tMATCHED\tAPPLIED")
			for _, r := range out.Data {
				ws := r.Workspace
				if ws == "" {
					ws = "(all)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", r.ID, ws, r.matches(), r.effect(), r.Matched, r.Applied)
			}
			tw.Flush()
		}
		e.say("%d faults", len(out.Data))
	case "clear":
		if err := wantArgs(e, pos, 0, "no arguments"); err != nil {
			return err
		}
		var out struct {
			Deleted int `json:"deleted"`
		}
		if err := e.call(http.MethodDelete, "/faults", nil, &out); err != nil {
			return err
		}
		e.say("removed %d faults", out.Deleted)
	}
	return nil
}

// faultRule is what faults list shows of a rule.
type faultRule struct {
	ID          string  `json:"id"`
	Workspace   string  `json:"workspace"`
	Vendor      string  `json:"vendor"`
	OperationID string  `json:"operation_id"`
	Method      string  `json:"method"`
	Path        string  `json:"path"`
	PathPattern string  `json:"path_pattern"`
	Probability float64 `json:"probability"`
	Body        *struct {
		Field string `json:"field"`
	} `json:"body"`
	Effect  string `json:"effect"`
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Latency *struct {
		Fixed, Min, Max, P50, P99 string
	} `json:"latency"`
	Matched int `json:"matched"`
	Applied int `json:"applied"`
}

// matches is the rule's selectors, or "any request".
func (r faultRule) matches() string {
	var parts []string
	for _, p := range []struct{ name, v string }{{"vendor", r.Vendor}, {"operation", r.OperationID}, {"method", r.Method}, {"path", r.Path}, {"path~", r.PathPattern}} {
		if p.v != "" {
			parts = append(parts, p.name+"="+p.v)
		}
	}
	if r.Body != nil && r.Body.Field != "" {
		parts = append(parts, "body."+r.Body.Field)
	}
	if r.Probability > 0 && r.Probability < 1 {
		parts = append(parts, fmt.Sprintf("p=%g", r.Probability))
	}
	if len(parts) == 0 {
		return "any request"
	}
	return strings.Join(parts, " ")
}

// effect is the rule's effect with its status or code.
func (r faultRule) effect() string {
	out := r.Effect
	if r.Status != 0 {
		out += fmt.Sprintf(" %d", r.Status)
	}
	if r.Code != "" {
		out += " " + r.Code
	}
	if l := r.Latency; l != nil {
		switch {
		case l.Fixed != "":
			out += " +" + l.Fixed
		case l.Max != "":
			out += " +" + l.Min + ".." + l.Max
		case l.P99 != "":
			out += " +p50 " + l.P50 + " p99 " + l.P99
		}
	}
	return out
}

func reset(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	fs := e.flags()
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(e, pos, 0, "no arguments (select a workspace with --workspace or --header)"); err != nil {
		return err
	}
	var out struct {
		Reset string `json:"reset"`
	}
	if err := e.call(http.MethodPost, "/reset", nil, &out); err != nil {
		return err
	}
	e.say("reset %s", out.Reset)
	return nil
}

func snapshot(e *env, args []string) (err error) {
	defer func() { err = done(err) }()
	sub, args, err := e.sub(args, "export", "import")
	if err != nil {
		return err
	}
	fs := e.flags()
	output := fs.String("o", "", "export: write the snapshot to this file (default standard output)")
	id := fs.String("id", "", "import: the workspace to create (default the snapshot's)")
	replace := fs.Bool("replace", false, "import: replace the state of an existing workspace")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "export":
		if err := wantArgs(e, pos, 1, "the workspace's id"); err != nil {
			return err
		}
		c, err := e.client()
		if err != nil {
			return err
		}
		var raw []byte
		if err := c.Do(e.ctx, http.MethodGet, "/workspaces/"+url.PathEscape(pos[0])+"/snapshot", nil, &raw); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		if *output == "" {
			e.stdout.Write(raw)
			return nil
		}
		if err := os.WriteFile(*output, raw, 0o600); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		e.say("wrote the snapshot of %s to %s", pos[0], *output)
	case "import":
		if err := wantArgs(e, pos, 1, "the snapshot file"); err != nil {
			return err
		}
		raw, err := os.ReadFile(pos[0])
		if err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		var head struct {
			Workspace struct {
				ID string `json:"id"`
			} `json:"workspace"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("%s: %s is not JSON: %v", e.name, pos[0], err)
		}
		target := *id
		if target == "" {
			target = head.Workspace.ID
		}
		body, _ := json.Marshal(map[string]any{"id": target, "snapshot": json.RawMessage(raw)})
		path := "/workspaces"
		if *replace {
			path += "?replace=true"
		}
		var ws struct {
			ID string `json:"id"`
		}
		if err := e.call(http.MethodPost, path, body, &ws); err != nil {
			return err
		}
		e.say("loaded %s as workspace %s", pos[0], ws.ID)
	}
	return nil
}

// plural is "1 event", "2 events".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// readBody reads a body given inline, or as @FILE.
func readBody(v string) ([]byte, error) {
	if name, ok := strings.CutPrefix(v, "@"); ok {
		return os.ReadFile(name)
	}
	return []byte(v), nil
}

func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSpace(buf.Bytes()), err
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
