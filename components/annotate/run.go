package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/annotate"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// dsnEnv names the env vars of --postgres-dsn for error messages: the
// harness resolves the flag, TWEETFLOW_POSTGRES_DSN and DATABASE_URL
// (settings.PostgresDSN).
var dsnEnv = strings.Join(settings.PostgresDSN.Env, " or ")

// subcommand turns `annotate export ...` into `annotate --mode export ...`
// (the harness takes flags only).
func subcommand(args []string) []string {
	if len(args) > 1 && (args[1] == "export" || args[1] == "serve") {
		return append([]string{args[0], "--mode", args[1]}, args[2:]...)
	}
	return args
}

// newRun returns the RunFunc; listening, when not nil, gets the bound
// address of the web server.
func newRun(listening func(net.Addr)) component.RunFunc {
	return component.Typed(func(ctx context.Context, env *component.Env, p stages.AnnotateParams) error {
		return run(ctx, env, p, listening)
	})
}

func run(ctx context.Context, env *component.Env, p stages.AnnotateParams, listening func(net.Addr)) error {
	dsn := p.PostgresDSN
	if dsn == "" {
		return component.Usagef("--postgres-dsn: give the annotation database (or set %s)", dsnEnv)
	}
	mode := p.Mode
	labels := p.Labels
	if mode == "serve" {
		if err := annotate.CheckLabels(labels); err != nil {
			return component.Usagef("--labels: %w", err)
		}
	}
	if t := p.SourceTable; t != "" && !tableRe.MatchString(t) {
		return component.Usagef("--source-table: %q is not a table or schema.table of plain identifiers (letters, digits, _)", t)
	}
	store, err := annotate.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer store.Close()
	store.SetAssignmentTTL(p.AssignmentTTL)
	if mode == "export" {
		return export(ctx, env, p, store)
	}
	if err := loadTasks(ctx, env, p, store); err != nil {
		return err
	}
	return serve(ctx, env, p, store, labels, listening)
}

var tableRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)

// loadTasks reads the tweets input and the source table into tasks,
// predicts them with the model when one is given and stores them.
func loadTasks(ctx context.Context, env *component.Env, p stages.AnnotateParams, store *annotate.Store) error {
	limit := p.MaxTasks
	full := func(n int) bool { return limit > 0 && n >= limit }
	var tasks []annotate.Task
	if loc, ok := env.Input("tweets"); ok {
		errFull := errors.New("full")
		err := stageio.ReadDataset(ctx, loc, func(t *dataset.Tweet) error {
			if full(len(tasks)) {
				return errFull
			}
			tasks = append(tasks, annotate.TaskFromTweet(t))
			return nil
		})
		if err != nil && !errors.Is(err, errFull) {
			return err
		}
	}
	if table := p.SourceTable; table != "" && !full(len(tasks)) {
		n, err := readTable(ctx, store, table, limit-len(tasks), func(t annotate.Task) { tasks = append(tasks, t) })
		if err != nil {
			return err
		}
		env.Log.Info("source table read", "table", table, "rows", n)
	}
	if loc, ok := env.Input("model"); ok && len(tasks) > 0 {
		m, err := serving.LoadLocation(ctx, loc)
		if err != nil {
			return err
		}
		if err := annotate.Predict(m, tasks); err != nil {
			return err
		}
		env.Log.Info("predicted", "model", m.Version(), "labels", strings.Join(m.Labels(), ","), "tasks", len(tasks))
	}
	share, seed := p.Overlap, int64(p.Seed)
	overlap := 0
	for i := range tasks {
		tasks[i].Wanted = 1
		if annotate.InOverlap(tasks[i].TweetID, share, seed) {
			tasks[i].Wanted = 2
			overlap++
		}
	}
	r, err := store.AddTasks(ctx, tasks)
	if err != nil {
		return err
	}
	env.AddRows(int64(len(tasks)), 0)
	env.Log.Info("tasks loaded", "new", r.Inserted, "updated", r.Updated, "overlap", overlap)
	return nil
}

// readTable reads id and text of up to limit rows (0: all) of table.
func readTable(ctx context.Context, store *annotate.Store, table string, limit int, fn func(annotate.Task)) (int, error) {
	ident := pgx.Identifier(strings.Split(table, "."))
	q := `SELECT id::text, text FROM ` + ident.Sanitize() + ` ORDER BY id`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := store.Pool().Query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("reading --source-table %q (columns id, text): %w", table, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, text *string
		if err := rows.Scan(&id, &text); err != nil {
			return n, fmt.Errorf("reading --source-table %q row %d: %w", table, n+1, err)
		}
		if id == nil || *id == "" || text == nil || *text == "" {
			return n, fmt.Errorf("reading --source-table %q row %d: id and text must not be empty", table, n+1)
		}
		fn(annotate.Task{TweetID: *id, Text: *text})
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("reading --source-table %q: %w", table, err)
	}
	return n, nil
}

func serve(ctx context.Context, env *component.Env, p stages.AnnotateParams, store *annotate.Store, labels []string, listening func(net.Addr)) error {
	h, err := annotate.NewServer(store, labels, env.Log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return component.Usagef("--addr: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	env.Log.Info("serving the annotator", "addr", ln.Addr().String(), "labels", strings.Join(labels, ","))
	if listening != nil {
		listening(ln.Addr())
	}
	// SIGTERM: the requests in flight are answered (an annotator's answer
	// committed), then exit 0.
	return env.ServeHTTP(ctx, srv, ln)
}

func export(ctx context.Context, env *component.Env, p stages.AnnotateParams, store *annotate.Store) (err error) {
	w := stageio.DatasetWriter(ctx, env.Output("golden"), p.ShardRows)
	st, err := annotate.Export(ctx, store, w.Write)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing the golden set: %w", cerr)
	}
	if err != nil {
		return err
	}
	env.AddRows(int64(st.Tasks), int64(st.Rows))
	env.SetExtra("ties", st.Ties)
	env.SetExtra("all_skipped", st.Skipped)
	env.SetExtra("unlabeled", st.Unlabeled)
	env.SetExtra("labels", st.Labels)
	var parts []string
	for _, l := range slices.Sorted(maps.Keys(st.Labels)) {
		parts = append(parts, fmt.Sprintf("%s %d", l, st.Labels[l]))
	}
	fmt.Fprintf(env.Stdout, "annotate export: %d tasks: %d golden rows (%s), %d ties excluded, %d only skipped, %d not answered\n",
		st.Tasks, st.Rows, strings.Join(parts, ", "), st.Ties, st.Skipped, st.Unlabeled)
	return nil
}
