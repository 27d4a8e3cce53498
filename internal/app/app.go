// Package app assembles vendorsim from its parts: the store, the vendors,
// the control API, the journal and the scenario engine. It is the
// composition root: the one place that holds the list of vendors (see
// Vendors). cmd/vendorsim runs it as a process; tests run it on httptest
// servers.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/mocks/sandbox"
	"github.com/vendorsim/vendorsim/mocks/whereby"
	"github.com/vendorsim/vendorsim/mocks/whippy"
	"github.com/vendorsim/vendorsim/mocks/zipwhip"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/scenarios/chaos"
	"github.com/vendorsim/vendorsim/specs"
	"github.com/vendorsim/vendorsim/store"
)

// Vendors returns the emulated vendors, new and not yet open. Adding a
// vendor is adding it here.
func Vendors() []mocks.Vendor {
	return []mocks.Vendor{whippy.New(), zipwhip.New(), whereby.New()}
}

// Owners returns the owners of the vendors' configuration sections.
func Owners() []config.Owner {
	vs := Vendors()
	out := make([]config.Owner, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// ScenarioFiles returns the vendors' built-in scenario files, in the order
// of Vendors (for scenarios.NewLibrary).
func ScenarioFiles() []fs.FS { return scenarioFiles(Vendors()) }

func scenarioFiles(vs []mocks.Vendor) []fs.FS {
	out := make([]fs.FS, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Scenarios())
	}
	return out
}

// DefaultConfig returns the configuration used when nothing is configured.
func DefaultConfig() config.Config { return config.Default(Owners()...) }

// LoadConfig reads a configuration file over the defaults.
func LoadConfig(path string) (config.Config, error) { return config.Load(path, Owners()...) }

// ParseConfig decodes a configuration over the defaults.
func ParseConfig(b []byte) (config.Config, error) { return config.Parse(b, Owners()...) }

// Options configure an App.
type Options struct {
	Config  config.Config
	Version string
	Logger  *slog.Logger
	// Now replaces the real clock (tests).
	Now func() time.Time
	// Fault, when set, may answer vendor requests instead of their handlers
	// (in place of the fault rules of the control API).
	Fault mocks.Fault
	// Vendors replaces the list of Vendors (tests: a vendor of their own).
	Vendors []mocks.Vendor
}

// App is a running vendorsim, without its listener.
type App struct {
	cfg     config.Config
	version string
	log     *slog.Logger
	fault   mocks.Fault
	vendors []mocks.Vendor

	DB         *store.DB
	Workspaces *mocks.Workspaces
	Journal    *mocks.Journal
	Server     *mocks.Server
	Sandbox    *sandbox.Sandbox
	Engine     *scenarios.Engine
	// Faults are the request fault rules (/_sandbox/faults).
	Faults *faults.Set
	// Chaos are the webhook chaos rules (/_sandbox/chaos).
	Chaos *chaos.Set
	// Vendors are the open vendors, in the order of Vendors().
	Vendors []mocks.Vendor

	// saver saves the rules' counters (see openRuleSaver).
	saver struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
}

// New returns an App that is not yet open.
func New(opts Options) *App {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	a := &App{cfg: opts.Config, version: opts.Version, log: opts.Logger, fault: opts.Fault, vendors: opts.Vendors}
	a.DB = store.New(opts.Config.Server.DB)
	if opts.Now != nil {
		a.DB.Now = opts.Now
	}
	return a
}

// Vendor returns the open vendor of that name, or nil.
func (a *App) Vendor(name string) mocks.Vendor {
	for _, v := range a.Vendors {
		if v.Name() == name {
			return v
		}
	}
	return nil
}

// Open opens the database (running migrations), loads and validates the
// specs, builds the routes, seeds the configured workspaces and starts the
// background workers. On error it closes what it opened.
func (a *App) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			a.Close(context.WithoutCancel(ctx))
		}
	}()
	cfg := a.cfg
	a.Vendors = a.vendors
	if a.Vendors == nil {
		a.Vendors = Vendors()
	}
	owners := make([]config.Owner, len(a.Vendors))
	for i, v := range a.Vendors {
		owners[i] = v
	}
	if err := cfg.Validate(owners...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := a.DB.Open(ctx); err != nil {
		return err
	}
	a.Workspaces = &mocks.Workspaces{DB: a.DB, Strict: cfg.Server.StrictAuth, Config: cfg.Workspaces, Vendors: a.Vendors}
	if !cfg.Server.Journal.Disabled {
		a.Journal = mocks.NewJournal(a.DB, mocks.JournalOptions{
			BodyLimit:         cfg.Server.Journal.BodyLimit,
			ResponseBodyLimit: cfg.Server.Journal.ResponseBodyLimit,
			Retention:         cfg.Server.Journal.Retention,
			MaxAge:            cfg.Server.Journal.MaxAge,
			Logger:            a.log,
		})
		a.Journal.Open()
	}
	a.Engine = &scenarios.Engine{
		DB:           a.DB,
		Logger:       a.log,
		Speed:        cfg.Scenarios.Speed,
		Concurrency:  cfg.Scenarios.Concurrency,
		PollInterval: cfg.Scenarios.PollInterval,
		Manual:       cfg.Scenarios.Manual,
		Retention:    cfg.Scenarios.Retention,
		Actions:      map[string]scenarios.Action{},
		Vendors:      map[string]scenarios.VendorPolicy{},
	}
	apis, err := a.openVendors(ctx, cfg)
	if err != nil {
		return err
	}
	a.Faults = &faults.Set{Exclude: []string{sandboxAPIName}}
	a.Faults.Seed = cfg.Server.Seed
	a.Chaos = &chaos.Set{Policies: func(v string) (scenarios.VendorPolicy, bool) {
		p, ok := a.Engine.Vendors[v]
		return p, ok
	}}
	a.Chaos.Seed = cfg.Server.Seed
	if err := a.Faults.Open(ctx, a.DB, a.log); err != nil {
		return err
	}
	if err := a.Chaos.Open(ctx, a.DB, a.log); err != nil {
		return err
	}
	a.Engine.WrapSender = a.Chaos.Wrap
	a.addEngineSteps()
	if a.Engine.Library, err = scenarios.NewLibrary(cfg.Scenarios.Dir, a.Engine.Actions, a.Engine.StepChecks, scenarioFiles(a.Vendors)...); err != nil {
		return err
	}
	if a.Engine.Magic, err = mergeMagic(a.Engine.Magic, a.Engine.Library.Magic()); err != nil {
		return err
	}
	// After the magic numbers: an upload's are not played (as before a
	// restart), and a stored upload never fails a start.
	if err := a.Engine.Library.Open(ctx, a.DB, a.log.With("component", "scenarios")); err != nil {
		return err
	}
	a.Sandbox = sandbox.New(sandbox.Deps{
		DB: a.DB, Workspaces: a.Workspaces, Journal: a.Journal, Version: a.version, Engine: a.Engine, Vendors: a.Vendors,
		Faults: a.Faults, Chaos: a.Chaos,
	})
	sandboxDoc, err := specs.Load(ctx, "sandbox", simulatorSpecs(a.Vendors)...)
	if err != nil {
		return err
	}
	sandboxAPI := a.Sandbox.API(sandboxDoc, controlPrefix)
	// Paths no vendor claims get the control API's error shape.
	sandboxAPI.Default = true
	fault := a.fault
	if fault == nil {
		fault = a.Faults
	}
	a.Server, err = mocks.NewServer(mocks.Options{
		Logger:       a.log,
		Faker:        mocks.NewFaker(cfg.Server.Seed),
		Journal:      a.Journal,
		MaxBodyBytes: cfg.Server.MaxBodyBytes,
		Generation:   a.DB.Generation,
		Fault:        fault,
	}, append(apis, sandboxAPI)...)
	if err != nil {
		return fmt.Errorf("build routes: %w", err)
	}
	if err := a.Workspaces.EnsureConfigured(ctx); err != nil {
		return fmt.Errorf("seed workspaces: %w", err)
	}
	a.DB.OnEnqueue = a.Engine.Wake
	if err := a.Engine.Open(ctx); err != nil {
		return err
	}
	a.openRuleSaver()
	a.Sandbox.SetReady()
	return nil
}

// openVendors opens every vendor and gives the engine its actions, param
// checks, magic numbers and delivery policy. It returns the vendors' APIs.
func (a *App) openVendors(ctx context.Context, cfg config.Config) ([]*mocks.API, error) {
	var apis []*mocks.API
	for _, v := range a.Vendors {
		name := v.Name()
		err := v.Open(mocks.Deps{
			DB: a.DB, Workspaces: a.Workspaces, Scenarios: a.Engine, Logger: a.log,
			Seed: cfg.Server.Seed, Settings: cfg.Vendors[name],
		})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		for action, spec := range v.Actions() {
			if _, dup := a.Engine.Actions[action]; dup {
				return nil, fmt.Errorf("open %s: action %q is defined twice", name, action)
			}
			a.Engine.Actions[action] = scenarios.Action(spec.Run)
			for param, check := range spec.Params {
				a.Engine.AddParamCheck(action, param, check)
			}
			if spec.Step != nil {
				a.Engine.AddStepCheck(action, spec.Step)
			}
		}
		for _, m := range v.MagicNumbers() {
			a.Engine.Magic = append(a.Engine.Magic, scenarios.MagicNumber{
				Suffix: m.Suffix, Vendor: name, Trigger: m.Trigger, Scenario: m.Scenario, Description: m.Description,
			})
		}
		d := v.Delivery()
		pol := scenarios.VendorPolicy{Retry: d.Retry, Header: d.Header}
		if d.Signer != nil {
			pol.Signer = d.Signer
		}
		a.Engine.Vendors[name] = pol
		doc, err := specs.Load(ctx, name)
		if errors.Is(err, specs.ErrNoSpec) {
			doc, err = nil, nil // the vendor brings its own, or serves no API
		}
		if err != nil {
			return nil, err
		}
		api := v.API(doc)
		if api == nil {
			continue
		}
		if api.Doc == nil {
			return nil, fmt.Errorf("open %s: its API has no OpenAPI document", name)
		}
		if hosts, ok := cfg.Server.Hosts[name]; ok {
			api.Hosts = hosts
		}
		apis = append(apis, api)
	}
	return apis, nil
}

// SimulatorSpecs returns the vendors' control-API paths (their
// simulators), as merged into the control API's document.
func SimulatorSpecs() []specs.Fragment { return simulatorSpecs(Vendors()) }

func simulatorSpecs(vs []mocks.Vendor) []specs.Fragment {
	var out []specs.Fragment
	for _, v := range vs {
		if b := v.SimulatorSpec(); len(b) > 0 {
			out = append(out, specs.Fragment{Source: v.Name(), YAML: b})
		}
	}
	return out
}

// sandboxAPIName is the control API's name (mocks.API.Name): faults never
// touch it.
const sandboxAPIName = "sandbox"

// Handler returns the HTTP handler of the main listener: every API, the
// control API guarded by server.control_token, and the dashboard at
// /_sandbox/ui/ (see withUI); when the control API has an address of its
// own (server.control_addr), neither the control API (but for its health
// check) nor the dashboard, which go with it.
func (a *App) Handler() http.Handler {
	h := sandbox.Guard(a.Server, controlPrefix, a.cfg.Server.ControlToken)
	if a.cfg.Server.ControlAddr != "" {
		return sandbox.Split(h, controlPrefix)
	}
	return a.withUI(h)
}

// ControlHandler returns the HTTP handler of the control API's own
// listener (server.control_addr): the control API alone, guarded by
// server.control_token, and the dashboard.
func (a *App) ControlHandler() http.Handler {
	return a.withUI(sandbox.Only(sandbox.Guard(a.Server, controlPrefix, a.cfg.Server.ControlToken), controlPrefix))
}

// controlPrefix is where the control API is mounted.
const controlPrefix = "/_sandbox"

// ruleSaveEvery is how often the fault and chaos rules' counters are
// saved: a restart after a crash forgets at most the matches of the last
// interval (a stop saves them all).
const ruleSaveEvery = 500 * time.Millisecond

// openRuleSaver starts saving the rules' counters every ruleSaveEvery.
func (a *App) openRuleSaver() {
	ctx, cancel := context.WithCancel(context.Background())
	a.saver.cancel, a.saver.done = cancel, make(chan struct{})
	go func() {
		defer close(a.saver.done)
		t := time.NewTicker(ruleSaveEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := a.saveRuleCounts(ctx); err != nil && ctx.Err() == nil {
					a.log.Warn("save rule counters", "err", err)
				}
			}
		}
	}()
}

// closeRuleSaver stops the saver and saves the counters a last time.
func (a *App) closeRuleSaver(ctx context.Context) error {
	if a.saver.cancel == nil {
		return nil
	}
	a.saver.cancel()
	<-a.saver.done
	a.saver.cancel = nil
	return a.saveRuleCounts(ctx)
}

func (a *App) saveRuleCounts(ctx context.Context) error {
	return errors.Join(a.Faults.Flush(ctx), a.Chaos.Flush(ctx))
}

// Close stops the background workers and closes the database.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Engine != nil {
		errs = append(errs, a.Engine.Close(ctx))
	}
	if a.Journal != nil {
		errs = append(errs, a.Journal.Close(ctx))
	}
	// After the engine, whose last attempts count in the chaos rules.
	errs = append(errs, a.closeRuleSaver(ctx))
	errs = append(errs, a.DB.Close())
	return errors.Join(errs...)
}
