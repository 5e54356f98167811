package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// stdinName is the --tweets value that reads standard input.
const stdinName = "-"

// dsnEnv names the env vars of --postgres-dsn for error messages: the
// harness resolves the flag, TWEETFLOW_POSTGRES_DSN and DATABASE_URL
// (settings.PostgresDSN).
var dsnEnv = strings.Join(settings.PostgresDSN.Env, " or ")

// newRun returns the component's RunFunc reading '-' from stdin.
func newRun(stdin io.Reader) component.RunFunc {
	return component.Typed(func(ctx context.Context, env *component.Env, sp stages.ScoreParams) error {
		return run(ctx, env, sp, stdin)
	})
}

func run(ctx context.Context, env *component.Env, sp stages.ScoreParams, stdin io.Reader) (err error) {
	table := sp.Table
	if prefix := sp.TablePrefix; prefix != "" {
		if table, err = scoring.VersionedTable(prefix, sp.TableVersion); err != nil {
			return component.Usagef("--table-prefix: %w", err)
		}
	}
	if _, err := scoring.CreateTableSQL(table); err != nil {
		return component.Usagef("--table: %w", err)
	}
	kcfg, topics, err := kafkaSettings(env, sp.KafkaFields)
	if err != nil {
		return err
	}
	var sources []ingest.Source
	if topics == nil {
		if sources, err = tweetSources(ctx, env, sp, stdin); err != nil {
			return err
		}
		if len(sources) == 0 && len(env.InputList("tweets")) == 0 {
			return component.Usagef("missing input --tweets (or --kafka-brokers and --kafka-topics to consume Kafka)")
		}
	} else if len(env.InputList("tweets")) > 0 {
		return component.Usagef("--tweets and --kafka-topics: give one source of tweets")
	}
	dlTable := sp.DeadLetterTable
	defaultDL := scoring.DeadLetterTableFor(table) // used when consuming Kafka
	if dlTable != "" {
		if _, err := scoring.CreateDeadLetterTableSQL(dlTable); err != nil {
			return component.Usagef("--dead-letter-table: %w", err)
		}
	}
	predictURL := sp.PredictURL
	modelLoc, haveModel := env.Input("model")
	if u, err := url.Parse(predictURL); predictURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return component.Usagef("--predict-url %q: want the model server's base URL, http(s)://host:port", predictURL)
	}
	if predictURL == "" && !haveModel {
		return component.Usagef("missing input --model (the exported model folder): give a path or s3:// URI, or --predict-url to score through a model server")
	}

	dsn := sp.PostgresDSN
	if topics != nil && dsn == "" {
		// A stream never ends on its own: a stopped run publishes no
		// output, so the Parquet output would never be published while
		// the offsets of its rows were committed.
		return component.Usagef("consuming Kafka needs a database: set --postgres-dsn or %s (the scores of a stream go to PostgreSQL; the Parquet output is for file runs)", dsnEnv)
	}
	var sinks []scoring.Sink
	closeSinks := func() {
		for _, s := range sinks {
			s.Close()
		}
	}
	if topics == nil {
		out := env.Output("scores")
		sinks = append(sinks, scoring.NewParquetSink(func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) },
			scoring.WithShardRows(sp.ShardRows)))
	}
	if dlTable == "" && topics != nil {
		dlTable = defaultDL
	}
	if dlTable != "" && dsn == "" {
		closeSinks()
		return component.Usagef("--dead-letter-table %s needs a database: set --postgres-dsn or %s", dlTable, dsnEnv)
	}
	var dead *scoring.DeadLetterSink
	var pg *scoring.PostgresSink
	var rejected atomic.Int64
	if dsn != "" {
		if dlTable != "" {
			if dead, err = scoring.OpenDeadLetters(ctx, dsn, dlTable); err != nil {
				closeSinks()
				return err
			}
			defer func() {
				if cerr := dead.Close(); cerr != nil && err == nil {
					err = fmt.Errorf("closing the dead-letter sink: %w", cerr)
				}
			}()
			env.SetExtra("dead_letter_table", dlTable)
		}
		// A row PostgreSQL refuses is reported by tweet id and line (or
		// Kafka offset) and dead-lettered when a table is set; the rest
		// of its batch is stored.
		onReject := func(r scoring.RejectedRow) {
			rejected.Add(1)
			env.Log.Warn("row refused by PostgreSQL", "tweet", r.Row.ID, "source", r.Row.Source, "error", r.Err)
			if dead != nil {
				dead.Add(scoring.RejectedDeadLetter(r, time.Now()))
			}
		}
		pg, err = scoring.OpenPostgres(ctx, dsn, scoring.WithTable(table), scoring.WithOnReject(onReject))
		if err != nil {
			closeSinks()
			return err
		}
		sinks = append(sinks, pg)
		env.SetExtra("postgres_table", table)
	}
	defer func() {
		for _, s := range sinks {
			if cerr := s.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("closing the scores sink: %w", cerr)
			}
		}
	}()

	var scorer scoring.Scorer
	var refused atomic.Int64 // texts the model server refused
	if predictURL != "" {
		if haveModel {
			env.Log.Info("scoring through the model server: the --model input is not loaded", "predict_url", predictURL, "model", modelLoc.URI())
		}
		// A text the server refuses (too long, a request too large even
		// alone) is skipped, logged and dead-lettered when a table is
		// set; the stream goes on.
		onRefused := func(r scoring.RefusedText) {
			refused.Add(1)
			env.Log.Warn("text refused by the model server", "tweet", r.Tweet.ID, "source", r.Tweet.Source, "error", r.Err)
			if dead != nil {
				dead.Add(scoring.RefusedDeadLetter(r, time.Now()))
			}
		}
		if scorer, err = httpScorer(ctx, env, sp, pg, table, onRefused); err != nil {
			return err
		}
	} else {
		model, err := serving.LoadLocation(ctx, modelLoc)
		if err != nil {
			return err
		}
		if scorer, err = scoring.NewScorer(model); err != nil {
			return err
		}
		env.Log.Info("model loaded", "version", model.Version(), "labels", strings.Join(model.Labels(), ","), "source", model.Source())
	}

	prog := env.Progress("scoring", "tweets", 0)
	opts := []scoring.PipelineOption{
		scoring.WithBatchSize(sp.BatchSize),
		scoring.WithFlushInterval(sp.FlushInterval),
		scoring.WithOnBatch(func(b scoring.BatchInfo) { prog.Add(int64(b.Rows)) }),
	}
	if topics != nil {
		p := scoring.NewPipeline(scorer, sinks, opts...)
		kst, err := consumeKafka(ctx, env, sp, p, kcfg, topics, dead)
		prog.Done()
		ps := p.Stats()
		env.AddRows(kst.Records, ps.RowsOut)
		env.SetExtra("dead_letters", kst.DeadLetters)
		env.SetExtra("rejected_rows", rejected.Load())
		env.SetExtra("refused_texts", refused.Load())
		env.SetExtra("batches", ps.Batches)
		env.SetExtra("labels", ps.Labels)
		env.SetExtra("model_version", scorer.Version())
		fmt.Fprintf(env.Stdout, "score: model %s: %d Kafka records, %d scored in %d batches, %d dead letters, %d refused by the model server, %d refused by PostgreSQL, %d offset commits\n",
			scorer.Version(), kst.Records, ps.RowsOut, ps.Batches, kst.DeadLetters, refused.Load(), rejected.Load(), kst.Commits)
		return err
	}
	if dead != nil {
		// Queued bad rows and refused rows are stored after each batch
		// (bad rows go there instead of counting against --max-bad-rows).
		opts = append(opts, scoring.WithAfterBatch(dead.Flush))
	}
	p := scoring.NewPipeline(scorer, sinks, opts...)
	st, err := scoring.Stream(ctx, sources, p, scoring.FileIngestOptions(env.Log, sp.MaxBadRows, dead))
	prog.Done()
	if dead != nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if ferr := dead.Flush(fctx); ferr != nil {
			err = errors.Join(err, ferr)
		}
		cancel()
		env.SetExtra("dead_letters", dead.Stored())
	}
	env.SetExtra("rejected_rows", rejected.Load())
	env.SetExtra("refused_texts", refused.Load())
	env.AddRows(st.RowsIn, st.RowsOut)
	env.AddBytesIn(st.Ingest.BytesRead)
	env.SetExtra("bad_rows", st.BadRows)
	env.SetExtra("batches", st.Batches)
	env.SetExtra("labels", st.Labels)
	env.SetExtra("model_version", scorer.Version())
	report(env, scorer, st, refused.Load())
	return err
}

// tweetSources turns the --tweets locations into ingest sources: '-' is
// standard input (JSONL), a committed dataset gives its Parquet shards,
// anything else is expanded like ingest's --sources. Input labels are
// ignored (any label is accepted).
func tweetSources(ctx context.Context, env *component.Env, sp stages.ScoreParams, stdin io.Reader) ([]ingest.Source, error) {
	format := sp.Format.Format
	anyLabel, _ := ingest.ParseLabelMap("*")
	var out []ingest.Source
	stdinUsed := false
	for _, l := range env.InputList("tweets") {
		if l.Store == nil && l.Key == stdinName {
			if stdinUsed {
				return nil, component.Usagef("--tweets: '-' (standard input) given twice")
			}
			stdinUsed = true
			out = append(out, ingest.Source{Name: "stdin", Format: ingest.FormatJSONL, LabelMap: anyLabel,
				Open: func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil }})
			continue
		}
		loc, ok, err := stageio.CommittedDataset(ctx, l, env.Resolver())
		if err != nil {
			return nil, err
		}
		if ok {
			src, err := datasetSources(ctx, loc, anyLabel)
			if err != nil {
				return nil, err
			}
			out = append(out, src...)
			continue
		}
		src, err := stageio.ExpandSources(ctx, []artifact.Location{l}, ingest.ReadOptions{Format: format, LabelMap: anyLabel, Columns: sp.Columns()})
		if err != nil {
			return nil, component.Usagef("--tweets: %w", err)
		}
		out = append(out, src...)
	}
	return out, nil
}

// datasetSources lists the Parquet shards of a committed dataset.
func datasetSources(ctx context.Context, loc artifact.Location, lm *ingest.LabelMap) ([]ingest.Source, error) {
	m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
	if err != nil {
		return nil, err
	}
	shards := dataset.ShardFiles(m)
	if len(shards) == 0 {
		return nil, fmt.Errorf("reading dataset %q: no Parquet shards", loc.URI())
	}
	var out []ingest.Source
	for _, f := range shards {
		key := strings.TrimSuffix(loc.Key, "/") + "/" + f.Name
		if loc.Key == "" {
			key = f.Name
		}
		out = append(out, ingest.Source{Name: loc.Store.URI(key), Format: ingest.FormatParquet, LabelMap: lm,
			Open: func() (io.ReadCloser, error) { return loc.Store.Open(ctx, key) }})
	}
	return out, nil
}

// report prints what was scored.
func report(env *component.Env, scorer scoring.Scorer, st scoring.StreamStats, refused int64) {
	var parts []string
	for _, l := range slices.Sorted(maps.Keys(st.Labels)) {
		parts = append(parts, fmt.Sprintf("%s %d", l, st.Labels[l]))
	}
	fmt.Fprintf(env.Stdout, "score: model %s: %d tweets read, %d scored in %d batches, %d bad, %d refused by the model server",
		scorer.Version(), st.RowsIn, st.RowsOut, st.Batches, st.BadRows, refused)
	if len(parts) > 0 {
		fmt.Fprintf(env.Stdout, "; %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(env.Stdout)
}

// httpScorer connects to the model server at base (--predict-url): its
// model's labels must be those the table holds, when it holds rows.
func httpScorer(ctx context.Context, env *component.Env, sp stages.ScoreParams, pg *scoring.PostgresSink, table string, onRefused func(scoring.RefusedText)) (*scoring.HTTPScorer, error) {
	o := scoring.HTTPOptions{
		URL:         sp.PredictURL,
		OnRefused:   onRefused,
		Concurrency: sp.PredictConcurrency,
		RetryBudget: sp.PredictRetryBudget,
		OnRetry: func(r scoring.RetryInfo) {
			env.Log.Warn("model server request failed; retrying", "request", r.What, "attempt", r.Attempt, "wait", r.Wait.Round(time.Millisecond), "error", r.Err)
		},
	}
	if o.RetryBudget <= 0 {
		o.RetryBudget = -1 // no retries
	}
	if timeout := sp.PredictTimeout; timeout > 0 {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = o.Concurrency
		o.Client = &http.Client{Timeout: timeout, Transport: tr}
	}
	if pg != nil {
		labels, err := pg.Labels(ctx)
		if err != nil {
			return nil, err
		}
		o.Labels, o.LabelsFrom = labels, fmt.Sprintf("table %q", table)
	}
	s, err := scoring.NewHTTPScorer(ctx, o)
	if err != nil {
		return nil, err
	}
	env.Log.Info("scoring through the model server", "url", s.URL(), "version", s.Version(), "labels", strings.Join(s.Labels(), ","), "concurrency", o.Concurrency)
	env.SetExtra("predict_url", s.URL())
	return s, nil
}
