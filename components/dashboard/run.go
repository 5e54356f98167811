package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dashboard"
	"github.com/tweetflow/tweetflow/internal/pgident"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// dsnEnv names the env vars of --postgres-dsn for error messages: the
// harness resolves the flag, TWEETFLOW_POSTGRES_DSN and DATABASE_URL
// (settings.PostgresDSN).
var dsnEnv = strings.Join(settings.PostgresDSN.Env, " or ")

// Files read from the inputs.
const (
	metricsFile  = "metrics.json"
	metadataFile = "metadata.json"
)

// newRun returns the RunFunc; listening, when not nil, gets the bound
// address of the web server.
func newRun(listening func(net.Addr)) component.RunFunc {
	return component.Typed(func(ctx context.Context, env *component.Env, p stages.DashboardParams) error {
		return run(ctx, env, p, listening)
	})
}

func run(ctx context.Context, env *component.Env, p stages.DashboardParams, listening func(net.Addr)) error {
	dsn := p.PostgresDSN
	if dsn == "" {
		return component.Usagef("--postgres-dsn: give the database of the scores tables (or set %s)", dsnEnv)
	}
	tables := p.Tables
	if len(tables) == 0 {
		return component.Usagef("--table: give at least one scores table")
	}
	for _, t := range tables {
		if _, err := pgident.ParseTable(t); err != nil {
			return component.Usagef("--table: %w", err)
		}
	}
	width := p.Bucket
	if width < time.Second || width%time.Second != 0 {
		return component.Usagef("--bucket: %s is not whole seconds of at least 1s (e.g. 30s, 5m, 1h, 24h)", width)
	}
	if p.QueryTimeout < time.Second {
		return component.Usagef("--query-timeout: %s is below 1s", p.QueryTimeout)
	}
	model, err := loadModel(ctx, env)
	if err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return component.Usagef("--postgres-dsn: parsing the connection string: %w", err) // never holds the password
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	defer pool.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = pool.Ping(pctx)
	cancel()
	if err != nil {
		// The dashboard still starts: /readyz reports the database, the
		// page shows the error, and it recovers when the database comes up.
		env.Log.Warn("PostgreSQL is not reachable yet", "host", cfg.ConnConfig.Host, "port", cfg.ConnConfig.Port, "error", err)
	}
	h, err := dashboard.NewServer(pool, dashboard.Config{
		Query: dashboard.Options{
			Tables:     tables,
			TimeColumn: p.TimeColumn,
			Width:      width,
			Buckets:    p.Buckets,
			Latest:     p.Latest,
			Sample:     p.Sample,
			Top:        p.Top,
			Focus:      p.Label,
		},
		Model:        model,
		Bins:         p.Bins,
		PSIThreshold: p.PSIThreshold,
		KSThreshold:  p.KSThreshold,
		Refresh:      p.Refresh,
		QueryTimeout: p.QueryTimeout,
		Log:          env.Log,
	})
	if err != nil {
		return err
	}
	return serve(ctx, env, p, h, tables, model, listening)
}

// loadModel reads --metrics (metrics.json and the run summary beside it)
// and --model (metadata.json); nil when neither is given.
func loadModel(ctx context.Context, env *component.Env) (*dashboard.Model, error) {
	mloc, hasMetrics := env.Input("metrics")
	dloc, hasModel := env.Input("model")
	if !hasMetrics && !hasModel {
		env.Log.Info("no --metrics: the page shows no test-split reference, drift or gate")
		return nil, nil
	}
	var metrics, summary, metadata io.Reader
	if hasMetrics {
		b, err := readFile(ctx, mloc, metricsFile)
		if err != nil {
			return nil, fmt.Errorf("reading --metrics: %w", err)
		}
		metrics = bytes.NewReader(b)
		// The run summary of the evaluate-gate step sits beside its outputs
		// (runs/<run>/evaluate-gate/_summary.json), which may be outside
		// the store a local --metrics path is rooted at: resolve its URI.
		u := strings.TrimSuffix(mloc.URI(), "/")
		sumURI := u[:strings.LastIndex(u, "/")+1] + artifact.SummaryFile
		b, err = readSummary(ctx, env, sumURI)
		if err != nil {
			return nil, err
		}
		if b != nil {
			summary = bytes.NewReader(b)
		} else {
			env.Log.Info("no run summary beside --metrics: the gate thresholds are not shown", "summary", sumURI)
		}
	}
	if hasModel {
		b, err := readFile(ctx, dloc, metadataFile)
		if err != nil {
			return nil, fmt.Errorf("reading --model: %w", err)
		}
		metadata = bytes.NewReader(b)
	}
	m, err := dashboard.LoadModel(metrics, summary, metadata)
	if err != nil {
		return nil, err
	}
	if hasMetrics {
		m.Source = mloc.URI()
	}
	env.Log.Info("reference model loaded", "version", m.Version, "run_id", m.RunID, "labels", strings.Join(m.Labels, ","), "positive", m.Positive, "gate_checks", len(m.Gate))
	return m, nil
}

// readSummary reads the run summary at uri; nil when it does not exist.
func readSummary(ctx context.Context, env *component.Env, uri string) ([]byte, error) {
	loc, err := env.Resolver().Resolve(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("reading the run summary %s: %w", uri, err)
	}
	rc, err := loc.Store.Open(ctx, loc.Key)
	if errors.Is(err, artifact.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the run summary %s: %w", uri, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading the run summary %s: %w", uri, err)
	}
	return b, nil
}

// readFile reads one file of a committed output.
func readFile(ctx context.Context, loc artifact.Location, name string) ([]byte, error) {
	open, _, err := stageio.Opener(ctx, loc)
	if err != nil {
		return nil, err
	}
	rc, err := open(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s in %s: %w", name, loc.URI(), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", name, loc.URI(), err)
	}
	return b, nil
}

func serve(ctx context.Context, env *component.Env, p stages.DashboardParams, h http.Handler, tables []string, m *dashboard.Model, listening func(net.Addr)) error {
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return component.Usagef("--addr: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: p.QueryTimeout + 30*time.Second, IdleTimeout: 120 * time.Second}
	version := ""
	if m != nil {
		version = m.Version
	}
	env.Log.Info("serving the dashboard", "addr", ln.Addr().String(), "tables", strings.Join(tables, ","), "reference_model", version)
	if listening != nil {
		listening(ln.Addr())
	}
	return env.ServeHTTP(ctx, srv, ln)
}
