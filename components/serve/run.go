package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/version"
)

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

// newRun returns the RunFunc; listening, when not nil, gets the bound
// address of the server.
func newRun(listening func(net.Addr)) component.RunFunc {
	return component.Typed(func(ctx context.Context, env *component.Env, p stages.ServeParams) error {
		return serve(ctx, env, p, listening)
	})
}

// serve loads the models, serves until ctx ends (the harness's
// SIGTERM/SIGINT), drains and returns nil: the harness exits 0.
func serve(ctx context.Context, env *component.Env, p stages.ServeParams, listening func(net.Addr)) error {
	log := env.Log
	src := serving.Source{Locations: env.InputList("model"), Resolver: env.Resolver()}
	if root, ok := env.Input("models-dir"); ok {
		src.RootLocation = root
	}
	if len(src.Locations) == 0 && src.RootLocation.Store == nil {
		return component.Usagef("give --model (a model folder) or --models-dir (one folder per version)")
	}

	reg := serving.NewRegistry(src, serving.WithLogger(log))
	start := time.Now()
	if _, err := reg.Reload(ctx); err != nil {
		if reg.Current() == nil {
			if ctx.Err() != nil {
				env.Stopped()
				log.Info("stopped before serving")
				return nil
			}
			return fmt.Errorf("loading models: %w", err)
		}
		log.Warn("some models failed to load", "error", err)
	}
	if ctx.Err() != nil {
		env.Stopped()
		log.Info("stopped before serving")
		return nil
	}
	def := reg.Current().Default()
	log.Info("models loaded", "default", def.Version(), "labels", def.Labels(), "seconds", time.Since(start).Seconds())

	addr := p.Addr
	opts := []serving.Option{
		serving.WithMaxBodyBytes(p.MaxBodyBytes),
		serving.WithMaxTextRunes(p.MaxTextChars),
		serving.WithMaxBatch(p.MaxBatch),
		serving.WithModelName(p.ModelName),
		serving.WithServerLogger(log),
	}
	switch token := p.AdminToken; {
	case token != "":
		opts = append(opts, serving.WithAdminToken(token))
	case !loopback(addr):
		opts = append(opts, serving.WithAdminDisabled())
		log.Info("POST /admin/reload is disabled: no --admin-token on a non-loopback address (SIGHUP still reloads)")
	}
	if p.LogRequests {
		opts = append(opts, serving.WithAccessLog(log, p.LogSample))
	}
	srv := serving.New(reg, opts...)

	// One reload loop: every --reload-interval and on SIGHUP.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go srv.Watch(ctx, p.ReloadInterval, hup)

	if da := p.DebugAddr; da != "" {
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
	readTimeout := p.ReadTimeout
	hs := &http.Server{
		Addr:              addr,
		Handler:           srv,
		ReadTimeout:       readTimeout,
		ReadHeaderTimeout: min(readTimeout, 5*time.Second),
		WriteTimeout:      p.WriteTimeout,
		IdleTimeout:       p.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Drain: on SIGTERM mark not ready, wait --drain-delay, then shut down.
	drain := p.DrainDelay
	serveCtx, cancelServe := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelServe()
	go func() {
		select {
		case <-ctx.Done():
		case <-serveCtx.Done():
			return
		}
		srv.Drain()
		log.Info("shutting down", "drain_delay", drain.String())
		time.Sleep(drain)
		cancelServe()
	}()
	err := serving.ListenAndServe(serveCtx, hs, p.ShutdownTimeout, func(a net.Addr) {
		log.Info("listening", "addr", a.String(), "version", version.Version)
		if listening != nil {
			listening(a)
		}
	})
	if err != nil {
		return fmt.Errorf("serving on %q: %w", addr, err)
	}
	// Every request in flight was answered: stopping on the signal is the
	// server's normal end (exit 0, no outputs).
	env.Stopped()
	log.Info("stopped")
	return nil
}
