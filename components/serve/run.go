package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/version"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

type usageError struct{ error }

func env(name string) []string { return []string{"TWEETFLOW_" + name} }

func flags() []cli.Flag {
	const models, limits, ops = "Models", "Limits", "Operations"
	fs := []cli.Flag{
		&cli.StringSliceFlag{Name: "model", Category: models, EnvVars: env("MODEL"),
			Usage: "model folder to serve: a path, file:// or s3:// URI (export-onnx output); repeat for several versions"},
		&cli.StringFlag{Name: "models-dir", Category: models, EnvVars: env("MODELS_DIR"),
			Usage: "folder (path or s3:// URI) with one model folder per version, rescanned on reload"},
		&cli.StringFlag{Name: "model-name", Category: models, Value: serving.DefaultModelName, EnvVars: env("MODEL_NAME"),
			Usage: "model name of the KServe v2 endpoints"},
		&cli.DurationFlag{Name: "reload-interval", Category: models, Value: 30 * time.Second, EnvVars: env("RELOAD_INTERVAL"),
			Usage: "poll the model source for new or changed versions this often (0 disables; SIGHUP and POST /admin/reload always reload)"},
		&cli.StringFlag{Name: "addr", Category: ops, Value: ":8080", EnvVars: env("ADDR"),
			Usage: "listen address"},
		&cli.Int64Flag{Name: "max-body-bytes", Category: limits, Value: serving.DefaultMaxBodyBytes, EnvVars: env("MAX_BODY_BYTES"),
			Usage: "largest request body; larger ones get 413"},
		&cli.IntFlag{Name: "max-text-chars", Category: limits, Value: serving.DefaultMaxTextRunes, EnvVars: env("MAX_TEXT_CHARS"),
			Usage: "longest text in characters"},
		&cli.IntFlag{Name: "max-batch", Category: limits, Value: serving.DefaultMaxBatch, EnvVars: env("MAX_BATCH"),
			Usage: "most texts in one request"},
		&cli.DurationFlag{Name: "read-timeout", Category: limits, Value: 10 * time.Second, EnvVars: env("READ_TIMEOUT"),
			Usage: "time to read a whole request"},
		&cli.DurationFlag{Name: "write-timeout", Category: limits, Value: 30 * time.Second, EnvVars: env("WRITE_TIMEOUT"),
			Usage: "time to answer a request"},
		&cli.DurationFlag{Name: "idle-timeout", Category: limits, Value: 120 * time.Second, EnvVars: env("IDLE_TIMEOUT"),
			Usage: "keep-alive connections idle this long are closed"},
		&cli.DurationFlag{Name: "shutdown-timeout", Category: ops, Value: 20 * time.Second, EnvVars: env("SHUTDOWN_TIMEOUT"),
			Usage: "on SIGTERM, wait this long for requests in flight"},
		&cli.DurationFlag{Name: "drain-delay", Category: ops, Value: 0, EnvVars: env("DRAIN_DELAY"),
			Usage: "on SIGTERM, answer /readyz with 503 this long before closing the listener (lets load balancers notice)"},
		&cli.StringFlag{Name: "admin-token", Category: ops, EnvVars: env("ADMIN_TOKEN"),
			Usage: "token POST /admin/reload requires as 'Authorization: Bearer <token>' (prefer the env var: flags show in process lists); " +
				"empty: the endpoint is open on a loopback --addr and disabled (403) on any other"},
		&cli.StringFlag{Name: "debug-addr", Category: ops, EnvVars: env("DEBUG_ADDR"),
			Usage: "serve Go's pprof profiles on this separate address (e.g. 127.0.0.1:6060); empty disables"},
		&cli.BoolFlag{Name: "log-requests", Category: ops, Value: true, EnvVars: env("LOG_REQUESTS"),
			Usage: "write a JSON access log line per request to stderr"},
		&cli.IntFlag{Name: "log-sample", Category: ops, Value: 1, EnvVars: env("LOG_SAMPLE"),
			Usage: "log only every N-th request"},
		&cli.StringFlag{Name: "log-format", Category: ops, Value: "json", EnvVars: env("LOG_FORMAT"),
			Usage: "log format: json or text"},
		&cli.StringFlag{Name: "log-level", Category: ops, Value: "info", EnvVars: env("LOG_LEVEL"),
			Usage: "log level: debug, info, warn or error"},
	}
	for _, x := range settings.S3 {
		fs = append(fs, component.SettingFlag(x))
	}
	return fs
}

// s3Config resolves the S3 settings from the flags and env like every
// tweetflow binary (settings.Resolve).
func s3Config(cc *cli.Context, env settings.Lookup) (artifact.S3Config, error) {
	st, err := settings.Resolve(component.FlagLookup(cc), env, settings.S3)
	if err != nil {
		return artifact.S3Config{}, usageError{err}
	}
	return st.S3, nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format: %q is not one of json, text", format)}
}

// loopback reports whether a listen address only accepts local
// connections (127.0.0.0/8, ::1 or localhost); ":8080" listens on every
// interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// runEnv is main without the process: it parses args, reads the settings'
// environment through env, serves until ctx is done (or SIGTERM/SIGINT)
// and returns the exit code. listening, if not nil, gets the bound address.
func runEnv(ctx context.Context, args []string, env settings.Lookup, stdout, stderr io.Writer, listening func(net.Addr)) int {
	app := &cli.App{
		Name:      "serve",
		Usage:     "Serve tweet sentiment models over HTTP (JSON and KServe v2)",
		Version:   version.Version,
		Flags:     flags(),
		Writer:    stdout,
		ErrWriter: stderr,
		Description: "Loads exported models (export-onnx output folders, local or s3://) and answers POST /predict, " +
			"KServe v2 inference, /healthz, /readyz and /metrics. SIGHUP or POST /admin/reload reloads the models " +
			"(the endpoint takes --admin-token; without one it is open only on a loopback --addr). " +
			"A local model folder without _SUCCESS.json is served as is unless it has a _staging area (an output whose commit did not finish): that is refused; " +
			"SIGTERM drains requests in flight and exits.",
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Action: func(cc *cli.Context) error { return serve(cc, env, stderr, listening) },
	}
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "error: serve:", err)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'serve --help' for usage.")
		return exitUsage
	}
	return exitRuntime
}

func serve(cc *cli.Context, env settings.Lookup, stderr io.Writer, listening func(net.Addr)) error {
	if cc.Args().Len() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", cc.Args().First())}
	}
	log, err := newLogger(stderr, cc.String("log-format"), cc.String("log-level"))
	if err != nil {
		return err
	}
	s3, err := s3Config(cc, env)
	if err != nil {
		return err
	}
	src := serving.Source{Models: cc.StringSlice("model"), Root: cc.String("models-dir"), S3: s3}
	if len(src.Models) == 0 && src.Root == "" {
		return usageError{errors.New("give --model (a model folder) or --models-dir (one folder per version)")}
	}
	for name, v := range map[string]int64{"max-body-bytes": cc.Int64("max-body-bytes"),
		"max-text-chars": int64(cc.Int("max-text-chars")), "max-batch": int64(cc.Int("max-batch")), "log-sample": int64(cc.Int("log-sample"))} {
		if v < 1 {
			return usageError{fmt.Errorf("--%s: %d must be positive", name, v)}
		}
	}
	ctx, stop := signal.NotifyContext(cc.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := serving.NewRegistry(src, serving.WithLogger(log))
	start := time.Now()
	if _, err := reg.Reload(ctx); err != nil {
		if reg.Current() == nil {
			return fmt.Errorf("loading models: %w", err)
		}
		log.Warn("some models failed to load", "error", err)
	}
	if ctx.Err() != nil {
		log.Info("stopped before serving")
		return nil
	}
	def := reg.Current().Default()
	log.Info("models loaded", "default", def.Version(), "labels", def.Labels(), "seconds", time.Since(start).Seconds())

	opts := []serving.Option{
		serving.WithMaxBodyBytes(cc.Int64("max-body-bytes")),
		serving.WithMaxTextRunes(cc.Int("max-text-chars")),
		serving.WithMaxBatch(cc.Int("max-batch")),
		serving.WithModelName(cc.String("model-name")),
		serving.WithServerLogger(log),
	}
	switch token := cc.String("admin-token"); {
	case token != "":
		opts = append(opts, serving.WithAdminToken(token))
	case !loopback(cc.String("addr")):
		opts = append(opts, serving.WithAdminDisabled())
		log.Info("POST /admin/reload is disabled: no --admin-token on a non-loopback address (SIGHUP still reloads)")
	}
	if cc.Bool("log-requests") {
		opts = append(opts, serving.WithAccessLog(log, cc.Int("log-sample")))
	}
	srv := serving.New(reg, opts...)

	// Reload on SIGHUP and every --reload-interval.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if _, err := srv.Reload(ctx); err != nil {
					log.Warn("reloading models on SIGHUP", "error", err)
				}
			}
		}
	}()
	go func() {
		if d := cc.Duration("reload-interval"); d > 0 {
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if _, err := srv.Reload(ctx); err != nil && ctx.Err() == nil {
						log.Warn("reloading models", "error", err)
					}
				}
			}
		}
	}()

	if da := cc.String("debug-addr"); da != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		ds := &http.Server{Addr: da, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := serving.ListenAndServe(ctx, ds, time.Second, nil); err != nil {
				log.Warn("debug server", "error", err)
			}
		}()
	}
	hs := &http.Server{
		Addr:              cc.String("addr"),
		Handler:           srv,
		ReadTimeout:       cc.Duration("read-timeout"),
		ReadHeaderTimeout: min(cc.Duration("read-timeout"), 5*time.Second),
		WriteTimeout:      cc.Duration("write-timeout"),
		IdleTimeout:       cc.Duration("idle-timeout"),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Drain: on SIGTERM mark not ready, wait --drain-delay, then shut down.
	serveCtx, cancelServe := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelServe()
	go func() {
		<-ctx.Done()
		srv.Drain()
		log.Info("shutting down", "drain_delay", cc.Duration("drain-delay").String())
		time.Sleep(cc.Duration("drain-delay"))
		cancelServe()
	}()
	err = serving.ListenAndServe(serveCtx, hs, cc.Duration("shutdown-timeout"), func(a net.Addr) {
		log.Info("listening", "addr", a.String(), "version", version.Version)
		if listening != nil {
			listening(a)
		}
	})
	if err != nil {
		return fmt.Errorf("serving on %q: %w", hs.Addr, err)
	}
	log.Info("stopped")
	return nil
}
