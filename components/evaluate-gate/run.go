package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/report"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/text"
)

// Files of the metrics output.
const (
	MetricsFile = "metrics.json"
	ReportFile  = "report.html"
)

func run(ctx context.Context, env *component.Env, p stages.EvaluateGateParams) error {
	modelLoc, _ := env.Input("model")
	lm, err := stageio.LoadModel(ctx, modelLoc)
	if err != nil {
		return err
	}
	labels := lm.Model.Labels()
	classOf := map[string]int{}
	for i, l := range labels {
		classOf[l] = i
	}
	cleaner, err := text.NewCleaner(text.WithOptions(lm.Cleaner))
	if err != nil {
		return fmt.Errorf("loading the model's cleaner: %w", err)
	}
	feat := lm.Model.Featurizer()
	var docs featurize.Docs
	var y []int
	var skipped, rows int64
	add := func(t *dataset.Tweet) error {
		rows++
		c, ok := classOf[t.Label]
		if !ok {
			skipped++
			return nil
		}
		ct := t.CleanText
		if ct == "" {
			ct = cleaner.Clean(t.Text)
		}
		feat.AppendTweetDoc(&docs, t.Text, ct)
		y = append(y, c)
		return nil
	}
	dataName, badRows, err := readData(ctx, env, p, add)
	env.SetExtra("bad_rows", badRows)
	if err != nil {
		return err
	}
	if len(y) == 0 {
		return fmt.Errorf("evaluating on %s: no rows with the model's labels %v (%d rows read); check --label-map", dataName, labels, rows)
	}
	if skipped > 0 {
		env.Log.Warn("rows with labels the model does not know were skipped", "rows", skipped, "model_labels", strings.Join(labels, ","))
	}
	recorded := ""
	if lm.Meta != nil {
		recorded = lm.Meta.PositiveLabel
	}
	var mopts []metrics.Option
	if pos, err := labelset.Positive(labels, p.PositiveLabel, recorded); err != nil {
		return component.Usagef("--positive-label: %w", err)
	} else if pos >= 0 {
		mopts = append(mopts, metrics.WithPositive(pos))
	}
	proba := classifier.PredictDataset(lm.Model, &docs, 0)
	m, err := metrics.ComputeFlat(y, proba, labels, mopts...)
	if err != nil {
		return fmt.Errorf("computing metrics: %w", err)
	}

	var checks []report.GateCheck
	var failed []string
	thresholds := p.Thresholds()
	for _, g := range metrics.Gated {
		th := thresholds[g]
		if g.Disabled(th) {
			continue
		}
		v, err := m.Metric(g.Key)
		if err != nil {
			return err
		}
		pass := !math.IsNaN(v) && v >= th
		checks = append(checks, report.GateCheck{Metric: g.Key, Value: v, Op: ">=", Threshold: th, Pass: pass})
		if !pass {
			failed = append(failed, fmt.Sprintf("%s %.4f is below --%s %.4f", g.Key, v, g.Param, th))
		}
	}
	version := modelLoc.URI()
	if lm.Meta != nil && lm.Meta.ModelVersion != "" {
		version = lm.Meta.ModelVersion
	}
	rep := report.Report{ModelVersion: version, RunID: env.RunID, Dataset: dataName, Gate: checks, Metrics: m}

	out := env.Output("metrics")
	if err := stageio.WriteWith(ctx, out, MetricsFile, m.WriteJSON); err != nil {
		return err
	}
	if err := stageio.WriteWith(ctx, out, ReportFile, func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
		return err
	}
	if err := report.WriteMarkdownSummary(env.Stdout, rep); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nreport: %s/%s\n", out.URI(), ReportFile)

	env.AddRows(rows+badRows, int64(len(y)))
	passed := len(failed) == 0
	env.SetResult(metrics.GatePassed, strconv.FormatBool(passed))
	for _, r := range metrics.Reported {
		v, _ := m.Metric(r.Key)
		env.SetResult(r.Result, strconv.FormatFloat(v, 'f', 4, 64))
	}
	if !passed {
		return &component.ExitError{Code: component.ExitGate, KeepOutputs: true,
			Err: fmt.Errorf("quality gate failed: %s; the model will not be exported (report: %s/%s)", strings.Join(failed, "; "), out.URI(), ReportFile)}
	}
	fmt.Fprintln(env.Stdout, "gate: passed")
	return nil
}

// readData streams the labeled rows of --data: a committed dataset, or raw
// files in any format ingest reads. Bad rows of raw files are skipped up to
// --max-bad-rows (over every file), as ingest does; their count is
// returned, also with an error.
func readData(ctx context.Context, env *component.Env, p stages.EvaluateGateParams, fn func(*dataset.Tweet) error) (string, int64, error) {
	var names []string
	var bad int64
	for _, l := range env.InputList("data") {
		loc, ok, err := stageio.CommittedDataset(ctx, l, env.Resolver())
		if err != nil {
			return "", bad, err
		}
		if ok {
			names = append(names, loc.URI())
			if err := stageio.ReadDataset(ctx, loc, fn); err != nil {
				return "", bad, err
			}
			continue
		}
		name, n, err := ingestRaw(ctx, env, p, l, fn, p.MaxBadRows-int(bad))
		bad += n
		if err != nil {
			return "", bad, err
		}
		names = append(names, name)
	}
	return strings.Join(names, ", "), bad, nil
}

// ingestRaw reads the raw files of l, failing on more than maxBad bad rows.
func ingestRaw(ctx context.Context, env *component.Env, p stages.EvaluateGateParams, l artifact.Location, fn func(*dataset.Tweet) error, maxBad int) (string, int64, error) {
	src, err := stageio.ExpandSources(ctx, []artifact.Location{l}, p.ReadOptions())
	if err != nil {
		return "", 0, component.Usagef("--data: %w", err)
	}
	st, err := ingest.Ingest(ctx, src, fn, ingest.Options{MaxBadRows: maxBad, OnBadRow: func(b ingest.BadRow) {
		env.Log.Warn("bad row skipped", "source", b.Source, "line", b.Line, "reason", b.Reason)
	}, OnEmptySource: func(name string) { env.Log.Warn("empty source: no rows", "source", name) }})
	env.AddBytesIn(st.BytesRead)
	if err != nil {
		return "", st.BadRows, fmt.Errorf("reading --data: %w", err)
	}
	if st.BadRows > 0 {
		fmt.Fprintf(env.Stdout, "evaluate-gate: %d bad rows of --data skipped (limit --max-bad-rows %d)\n", st.BadRows, p.MaxBadRows)
	}
	name := l.Key
	if l.Store != nil {
		name = l.URI()
	}
	return name, st.BadRows, nil
}
