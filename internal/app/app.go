// Package app assembles vendorsim from its parts: the store, the vendor
// mocks, the control API, the journal and the scenario engine. cmd/vendorsim
// runs it as a process; tests run it on httptest servers.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"vendorsim/internal/config"
	"vendorsim/mocks"
	"vendorsim/mocks/sandbox"
	"vendorsim/mocks/whippy"
	"vendorsim/scenarios"
	"vendorsim/specs"
	"vendorsim/store"
)

// Options configure an App.
type Options struct {
	Config  config.Config
	Version string
	Logger  *slog.Logger
	// Now replaces the real clock (tests).
	Now func() time.Time
}

// App is a running vendorsim, without its listener.
type App struct {
	cfg     config.Config
	version string
	log     *slog.Logger

	DB         *store.DB
	Workspaces *mocks.Workspaces
	Journal    *mocks.Journal
	Server     *mocks.Server
	Sandbox    *sandbox.Sandbox
	Whippy     *whippy.Mock
	Engine     *scenarios.Engine
}

// New returns an App that is not yet open.
func New(opts Options) *App {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	a := &App{cfg: opts.Config, version: opts.Version, log: opts.Logger}
	a.DB = store.New(opts.Config.Server.DB)
	if opts.Now != nil {
		a.DB.Now = opts.Now
	}
	return a
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
	if err := a.DB.Open(ctx); err != nil {
		return err
	}
	cfg := a.cfg
	a.Workspaces = &mocks.Workspaces{DB: a.DB, Strict: cfg.Server.StrictAuth, Config: cfg.Workspaces}
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
		Vendors:      vendorPolicies(cfg),
	}
	a.Whippy = whippy.New(whippy.Deps{DB: a.DB, Workspaces: a.Workspaces, Config: cfg.Whippy, Logger: a.log, Scenarios: a.Engine, Seed: cfg.Server.Seed})
	for action, checks := range a.Whippy.ParamChecks() {
		for param, check := range checks {
			a.Engine.AddParamCheck(action, param, check)
		}
	}
	for name, act := range a.Whippy.Actions() {
		a.Engine.Actions[name] = scenarios.Action(act)
	}
	for action, check := range a.Whippy.StepChecks() {
		a.Engine.AddStepCheck(action, check)
	}
	if a.Engine.Library, err = scenarios.NewLibrary(cfg.Scenarios.Dir, a.Engine.Actions, a.Engine.StepChecks); err != nil {
		return err
	}
	a.Workspaces.Seeders = []mocks.Seeder{a.Whippy.Seed}
	a.Sandbox = sandbox.New(sandbox.Deps{
		DB: a.DB, Workspaces: a.Workspaces, Journal: a.Journal, Version: a.version, Engine: a.Engine,
		Simulators: map[string]mocks.Handler{"simulateWhippyInbound": a.Whippy.SimulateInbound},
		EventTypes: map[string][]string{whippy.Vendor: whippy.EventTypes},
	})

	whippyDoc, err := specs.Load(ctx, "whippy")
	if err != nil {
		return err
	}
	sandboxDoc, err := specs.Load(ctx, "sandbox")
	if err != nil {
		return err
	}
	sandboxAPI := a.Sandbox.API(sandboxDoc, "/_sandbox")
	// Paths no vendor claims get the control API's error shape.
	sandboxAPI.Default = true
	a.Server, err = mocks.NewServer(mocks.Options{
		Logger:       a.log,
		Faker:        mocks.NewFaker(cfg.Server.Seed),
		Journal:      a.Journal,
		MaxBodyBytes: cfg.Server.MaxBodyBytes,
		Generation:   a.DB.Generation,
	},
		a.Whippy.API(whippyDoc, "/whippy/v1", cfg.Server.Hosts.Whippy),
		sandboxAPI,
	)
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
	a.Sandbox.SetReady()
	return nil
}

// vendorPolicies is how each vendor's webhooks are signed and retried.
func vendorPolicies(cfg config.Config) map[string]scenarios.VendorPolicy {
	whereby := config.Signature{Header: "Whereby-Signature", TimestampKey: "t", SignatureKey: "v1", Encoding: "hex", TimestampUnit: "s"}
	return map[string]scenarios.VendorPolicy{
		"whippy": {
			Retry:  cfg.Whippy.Retry,
			Signer: mocks.NewSigner(cfg.Whippy.Signature),
			Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Whippy-Webhooks/1.0"}},
		},
		"zipwhip": {
			Retry:  cfg.Zipwhip.Retry,
			Signer: mocks.NewSigner(cfg.Zipwhip.Signature),
			Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}, "User-Agent": {"Apache-HttpClient/4.5.7 (Java/1.8.0_201)"}},
		},
		"whereby": {
			Retry:  cfg.Whereby.Retry,
			Signer: mocks.NewSigner(whereby),
			Header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"Whereby-Webhooks/1.0"}},
		},
	}
}

// Handler returns the HTTP handler of every API.
func (a *App) Handler() http.Handler { return a.Server }

// Close stops the background workers and closes the database.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Engine != nil {
		errs = append(errs, a.Engine.Close(ctx))
	}
	if a.Journal != nil {
		errs = append(errs, a.Journal.Close(ctx))
	}
	errs = append(errs, a.DB.Close())
	return errors.Join(errs...)
}
