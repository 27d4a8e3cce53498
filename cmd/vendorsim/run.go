package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/cli"
	"github.com/vendorsim/vendorsim/internal/coalesce"
	"github.com/vendorsim/vendorsim/internal/config"
)

// run is the whole program, given the process's arguments and environment
// ("NAME=value" entries, as os.Environ lists them); main only exits with
// its error.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	getenv := lookupEnv(environ)
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return healthcheck(ctx, args[1:], getenv, stdout)
		case "version":
			fmt.Fprintln(stdout, "vendorsim", version)
			return nil
		}
		if cli.IsCommand(args[0]) {
			return cli.Run(ctx, args, getenv, stdout, stderr)
		}
	}
	cfg, rt, warnings, err := loadConfig(args, environ, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg.Server, stderr)
	for _, w := range warnings {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// Listen first: the bound address is known (":0" works) and listen
	// errors are synchronous. Until the app is open, every request gets a
	// 503 "starting".
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	var handler atomic.Pointer[http.Handler]
	var starting http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"unavailable","message":"starting"}}`)
	})
	handler.Store(&starting)
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	// Connections coalesce writes, so that an answer a little over net/http's
	// 4 KiB buffer leaves in one write rather than two.
	go func() { serveErr <- srv.Serve(coalesce.Listener(ln, 0)) }()
	log.Info("listening", "addr", ln.Addr().String(), "version", version, "db", cfg.Server.DB)
	// The control API on an address of its own, when configured.
	var control atomic.Pointer[http.Handler]
	control.Store(&starting)
	var controlSrv *http.Server
	if cfg.Server.ControlAddr != "" {
		cln, err := net.Listen("tcp", cfg.Server.ControlAddr)
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen on %s (control): %w", cfg.Server.ControlAddr, err)
		}
		controlSrv = &http.Server{
			Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*control.Load()).ServeHTTP(w, r) }),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          srv.ErrorLog,
		}
		go func() { serveErr <- controlSrv.Serve(cln) }()
		log.Info("control API listening", "addr", cln.Addr().String())
	}

	if rt.pprofAddr != "" {
		pln, err := net.Listen("tcp", rt.pprofAddr)
		if err != nil {
			srv.Close()
			if controlSrv != nil {
				controlSrv.Close()
			}
			return fmt.Errorf("listen on %s (pprof): %w", rt.pprofAddr, err)
		}
		psrv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		defer psrv.Close()
		go psrv.Serve(pln)
		log.Info("pprof listening", "addr", pln.Addr().String())
	}

	start := time.Now()
	a := app.New(app.Options{Config: cfg, Version: version, Logger: log})
	if err := a.Open(ctx); err != nil {
		srv.Close()
		if controlSrv != nil {
			controlSrv.Close()
		}
		return err
	}
	h := a.Handler()
	handler.Store(&h)
	ch := a.ControlHandler()
	control.Store(&ch)
	log.Info("ready", "workspaces", len(cfg.Workspaces), "startup", time.Since(start).Round(time.Millisecond))

	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if e := srv.Shutdown(shutdownCtx); e != nil && err == nil {
		err = fmt.Errorf("shutdown: %w", e)
	}
	if controlSrv != nil {
		if e := controlSrv.Shutdown(shutdownCtx); e != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", e)
		}
	}
	if e := a.Close(shutdownCtx); e != nil && err == nil {
		err = fmt.Errorf("close: %w", e)
	}
	return err
}

// settings are the flags, each mirrored by VENDORSIM_<NAME>.
type settings struct {
	addr, db, configPath, logLevel, logFormat string
	controlToken, controlAddr, scenariosDir   string
	pprofAddr                                 string
	strictAuth                                bool
	seed                                      int64
	speed                                     float64
}

func newFlagSet(s *settings) *flag.FlagSet {
	fs := flag.NewFlagSet("vendorsim", flag.ContinueOnError)
	fs.StringVar(&s.addr, "addr", "", "listen address (default :8080; 127.0.0.1:0 picks a free port)")
	fs.StringVar(&s.db, "db", "", `SQLite database file, or ":memory:" (default vendorsim.db)`)
	fs.StringVar(&s.configPath, "config", "", "YAML configuration file")
	fs.BoolVar(&s.strictAuth, "strict-auth", false, "accept only configured credentials")
	fs.StringVar(&s.logLevel, "log-level", "", "debug, info, warn or error (default info)")
	fs.StringVar(&s.logFormat, "log-format", "", "text or json (default text)")
	fs.Int64Var(&s.seed, "seed", 0, "seed of generated fake data (default 1)")
	fs.Float64Var(&s.speed, "speed", 0, "scenario speed: 2 runs timelines twice as fast (default 1)")
	fs.StringVar(&s.controlToken, "control-token", "", "require this token in X-Sandbox-Token on every control API call but /_sandbox/health")
	fs.StringVar(&s.controlAddr, "control-addr", "", "serve the control API on this address only (e.g. 127.0.0.1:8081), not on --addr")
	fs.StringVar(&s.scenariosDir, "scenarios-dir", "", "directory of scenario files (*.yaml) loaded beside the built-in ones")
	fs.StringVar(&s.pprofAddr, "pprof-addr", "", "serve net/http/pprof on this address (e.g. 127.0.0.1:6060); off by default")
	return fs
}

// lookupEnv returns a getenv over environ: the value of a variable, the
// last one when it is listed twice, or "".
func lookupEnv(environ []string) func(string) string {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			vars[name] = value
		}
	}
	return func(name string) string { return vars[name] }
}

// settingNames are the flags, each mirrored by VENDORSIM_<NAME>.
var settingNames = []string{"addr", "db", "config", "strict-auth", "log-level", "log-format", "seed", "speed", "control-token", "control-addr", "scenarios-dir", "pprof-addr"}

func envName(flag string) string {
	return "VENDORSIM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// unknownVariables returns a warning for each VENDORSIM_* variable of
// environ that is not a setting (a typo, say), naming it.
func unknownVariables(environ []string) []string {
	// The client's variables (vendorsim requests, deliveries, ...).
	known := map[string]bool{"VENDORSIM_URL": true}
	for _, n := range settingNames {
		known[envName(n)] = true
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VENDORSIM_") && !known[name] {
			out = append(out, fmt.Sprintf("unknown variable %s ignored (the settings are %s)", name, strings.Join(slices.Sorted(maps.Keys(known)), ", ")))
		}
	}
	sort.Strings(out)
	return out
}

// runtimeSettings are settings of the process rather than of the app.
type runtimeSettings struct {
	// pprofAddr, when set, serves net/http/pprof on a listener of its own.
	pprofAddr string
}

// loadConfig merges defaults, the config file, VENDORSIM_* variables and
// flags, in rising precedence, and returns warnings about variables that
// set nothing.
func loadConfig(args, environ []string, stdout io.Writer) (config.Config, runtimeSettings, []string, error) {
	cfg, rt, err := loadSettings(args, lookupEnv(environ), stdout)
	if err != nil {
		return cfg, rt, nil, err
	}
	return cfg, rt, unknownVariables(environ), nil
}

func loadSettings(args []string, getenv func(string) string, stdout io.Writer) (config.Config, runtimeSettings, error) {
	var s settings
	fs := newFlagSet(&s)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: vendorsim [flags] | vendorsim healthcheck [--addr ADDR] | vendorsim version")
			fmt.Fprintln(stdout, "Commands that drive a running server (--url or VENDORSIM_URL, --token or VENDORSIM_CONTROL_TOKEN; -h for each):")
			fmt.Fprint(stdout, cli.Usage())
			fmt.Fprintln(stdout, "Every flag can also be set as VENDORSIM_<NAME> (e.g. VENDORSIM_STRICT_AUTH=true); flags win.")
			fs.PrintDefaults()
			return config.Config{}, runtimeSettings{}, err
		}
		return config.Config{}, runtimeSettings{}, err
	}
	if fs.NArg() > 0 {
		return config.Config{}, runtimeSettings{}, fmt.Errorf("unexpected argument %q (flags start with --)", fs.Arg(0))
	}
	set := map[string]bool{}
	// origin names where each setting came from, for errors.
	origin := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name], origin[f.Name] = true, "--"+f.Name })

	// Variables fill the flags that were not given.
	for _, name := range settingNames {
		if set[name] {
			continue
		}
		env := envName(name)
		v := getenv(env)
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return config.Config{}, runtimeSettings{}, fmt.Errorf("%s: invalid value %q", env, v)
		}
		set[name], origin[name] = true, env
	}

	cfg := app.DefaultConfig()
	if set["config"] {
		var err error
		if cfg, err = app.LoadConfig(s.configPath); err != nil {
			return config.Config{}, runtimeSettings{}, err
		}
	}
	if set["addr"] {
		cfg.Server.Addr = s.addr
	}
	if set["db"] {
		cfg.Server.DB = s.db
	}
	if set["strict-auth"] {
		cfg.Server.StrictAuth = s.strictAuth
	}
	if set["log-level"] {
		cfg.Server.LogLevel = s.logLevel
	}
	if set["log-format"] {
		cfg.Server.LogFormat = s.logFormat
	}
	if set["seed"] {
		cfg.Server.Seed = s.seed
	}
	if set["speed"] {
		cfg.Scenarios.Speed = s.speed
	}
	if set["control-token"] {
		cfg.Server.ControlToken = s.controlToken
	}
	if set["control-addr"] {
		cfg.Server.ControlAddr = s.controlAddr
	}
	if set["scenarios-dir"] {
		cfg.Scenarios.Dir = s.scenariosDir
	}
	if err := cfg.Validate(app.Owners()...); err != nil {
		// A bad value from a flag or variable is named as it was given.
		for name, key := range configKeys {
			if rest, ok := strings.CutPrefix(err.Error(), key+":"); ok && origin[name] != "" {
				return config.Config{}, runtimeSettings{}, fmt.Errorf("%s:%s", origin[name], rest)
			}
		}
		return config.Config{}, runtimeSettings{}, err
	}
	return cfg, runtimeSettings{pprofAddr: s.pprofAddr}, nil
}

// configKeys maps flags to the config keys they set.
var configKeys = map[string]string{
	"addr": "server.addr", "db": "server.db", "strict-auth": "server.strict_auth",
	"log-level": "server.log_level", "log-format": "server.log_format",
	"seed": "server.seed", "speed": "scenarios.speed",
	"control-token": "server.control_token", "control-addr": "server.control_addr",
	"scenarios-dir": "scenarios.dir",
}

// pprofHandler serves net/http/pprof's pages under /debug/pprof/.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func newLogger(s config.Server, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(s.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// healthcheck asks the local server whether it is ready, for container
// health checks in images without curl.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "", "address the server listens on (default $VENDORSIM_ADDR or :8080)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for an answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a := *addr
	if a == "" {
		a = getenv("VENDORSIM_ADDR")
	}
	if a == "" {
		a = ":8080"
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("healthcheck: address %q: %w", a, err)
	}
	if _, err := strconv.Atoi(port); err != nil || port == "0" {
		return fmt.Errorf("healthcheck: address %q has no fixed port", a)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/_sandbox/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: not ready (HTTP %d)", resp.StatusCode)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
