package main

import (
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/weak"
)

// Files of the report output.
const (
	SummaryJSON    = "lf-summary.json"
	SummaryHTML    = "lf-summary.html"
	EvaluationJSON = "evaluation.json"
)

func run(ctx context.Context, env *component.Env, lp stages.LabelParams) error {
	rulesLoc, _ := env.Input("rules")
	rules, err := loadRules(ctx, env, rulesLoc)
	if err != nil {
		return err
	}
	k := len(rules.Labels)
	names := make([]string, len(rules.LFs))
	for i, lf := range rules.LFs {
		names[i] = lf.Name()
	}
	var prior []float64
	if s := lp.ClassBalance; s != "" {
		if prior, err = parseBalance(s, k); err != nil {
			return component.Usagef("--class-balance: %w", err)
		}
	}
	modelKind := lp.Model
	if modelKind == "generative" && len(rules.LFs) < weak.MinLFs {
		return component.Usagef("--model generative: the rules file has %d labeling functions, the generative model needs at least %d (use --model majority)", len(rules.LFs), weak.MinLFs)
	}

	in, _ := env.Input("tweets")
	var tweets []dataset.Tweet
	var inputs []*weak.Input
	prog := env.Progress("reading tweets", "rows", 0)
	err = stageio.ReadDataset(ctx, in, func(t *dataset.Tweet) error {
		prog.Add(1)
		tweets = append(tweets, *t)
		inputs = append(inputs, weak.NewInput(t))
		return nil
	})
	prog.Done()
	if err != nil {
		return err
	}
	if len(tweets) == 0 {
		return fmt.Errorf("labeling %s: the dataset has no rows", in.URI())
	}
	votes, err := weak.Apply(rules.LFs, inputs, k)
	if err != nil {
		return fmt.Errorf("applying the rules to %s: %w", in.URI(), err)
	}

	var ds *weak.DSModel
	var learned []float64
	if len(rules.LFs) >= weak.MinLFs {
		ds, err = weak.FitDawidSkene(votes, weak.DSOptions{Classes: k, ClassBalance: prior,
			Seed: uint64(lp.Seed), Restarts: lp.Restarts})
		if err != nil && modelKind == "generative" {
			return err
		}
		if ds != nil {
			learned = ds.Accuracy
		}
	}
	var res *weak.Result
	if modelKind == "generative" {
		res, err = ds.Predict(votes)
	} else {
		res, err = weak.MajorityVote(votes, k)
	}
	if err != nil {
		return err
	}

	out := env.Output("tweets")
	w := stageio.DatasetWriter(ctx, out, lp.ShardRows)
	minConf := lp.MinConfidence
	var written, lowConf int64
	for i, p := range res.Predictions {
		if p.Label == weak.Abstain {
			continue
		}
		if p.Confidence < minConf {
			lowConf++
			continue
		}
		t := tweets[i]
		t.Label, t.LabelConfidence = rules.Labels[p.Label], p.Confidence
		t.LabelProbs = make(map[string]float64, k)
		for c, pr := range p.Probs {
			t.LabelProbs[rules.Labels[c]] = pr
		}
		if err := w.Write(&t); err != nil {
			return fmt.Errorf("writing weak labels: %w", err)
		}
		written++
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing weak labels: %w", err)
	}
	if err := stageio.CopyFile(ctx, in, stageio.CleanerFile, out, true); err != nil {
		return err
	}

	sum, err := weak.Summarize(names, rules.Labels, votes, nil, learned)
	if err != nil {
		return err
	}
	rep := &weak.Report{Title: "Labeling functions: " + rulesLoc.Key, Model: modelKind, Rows: len(tweets),
		Labeled: int(written), Uncovered: res.Uncovered, Ties: res.Ties, LowConf: int(lowConf), Summary: sum}
	if ds != nil {
		rep.Prior, rep.Iterations, rep.Converged = ds.Prior, ds.Iterations, ds.Converged
	}
	fmt.Fprintf(env.Stdout, "labeling functions on %d tweets (%s label model):\n", len(tweets), modelKind)
	if err := sum.WriteText(env.Stdout); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "labeled %d rows; dropped %d that no rule voted on, %d ties, %d below --min-confidence %g\n",
		written, res.Uncovered, res.Ties, lowConf, minConf)

	report := env.Output("report")
	if golden := env.InputList("golden"); len(golden) > 0 {
		if err := evaluateGolden(ctx, env, lp, golden, rules, names, ds, rep); err != nil {
			return err
		}
		if err := stageio.WriteWith(ctx, report, EvaluationJSON, func(w io.Writer) error { return weak.WriteJSON(w, rep.Evaluation) }); err != nil {
			return err
		}
	}
	if err := stageio.WriteWith(ctx, report, SummaryJSON, func(w io.Writer) error { return weak.WriteJSON(w, rep) }); err != nil {
		return err
	}
	if err := stageio.WriteWith(ctx, report, SummaryHTML, rep.WriteHTML); err != nil {
		return err
	}
	env.AddRows(int64(len(tweets)), written)
	env.SetExtra("labels", rules.Labels)
	env.SetExtra("uncovered", res.Uncovered)
	env.SetExtra("ties", res.Ties)
	env.SetExtra("below_min_confidence", lowConf)
	return nil
}

// loadRules reads and parses the rules file; model rules load their model
// from a path relative to the rules file (or absolute, or a URI).
func loadRules(ctx context.Context, env *component.Env, loc artifact.Location) (*weak.Rules, error) {
	name, data, err := stageio.ReadSourceFile(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	load := func(p string) (weak.Predictor, error) {
		uri := p
		if !strings.Contains(p, "://") && !filepath.IsAbs(p) {
			if loc.Store == nil {
				uri = filepath.Join(filepath.Dir(loc.Key), p)
			} else {
				uri = loc.Store.URI(path.Join(path.Dir(loc.Key), p))
			}
		}
		return serving.Load(ctx, uri, serving.WithResolver(env.Resolver()))
	}
	rules, err := weak.ParseRules(name, data, weak.ParseOptions{LoadModel: load})
	if err != nil {
		return nil, &component.UsageError{Err: err}
	}
	return rules, nil
}

func parseBalance(s string, k int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != k {
		return nil, fmt.Errorf("%q has %d values, the rules have %d labels", s, len(parts), k)
	}
	out := make([]float64, k)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v > 0) {
			return nil, fmt.Errorf("value %d %q: want a positive number", i+1, p)
		}
		out[i] = v
	}
	return out, nil
}

// evaluateGolden votes on the golden rows, scores majority vote and (with a
// fitted generative model) the generative model against their hand labels
// and adds the LF table of the golden rows to rep.
func evaluateGolden(ctx context.Context, env *component.Env, lp stages.LabelParams, locs []artifact.Location, rules *weak.Rules, names []string, ds *weak.DSModel, rep *weak.Report) error {
	classOf := map[string]int{}
	for i, l := range rules.Labels {
		classOf[strings.ToLower(l)] = i
	}
	var gold []int
	var inputs []*weak.Input
	var skipped int
	fn := func(t *dataset.Tweet) error {
		c, ok := classOf[strings.ToLower(strings.TrimSpace(t.Label))]
		if !ok {
			skipped++
			return nil
		}
		gold = append(gold, c)
		inputs = append(inputs, weak.NewInput(t))
		return nil
	}
	var srcNames []string
	var badRows int64
	for _, l := range locs {
		loc, ok, err := stageio.CommittedDataset(ctx, l, env.Resolver())
		if err != nil {
			return err
		}
		if ok {
			srcNames = append(srcNames, loc.URI())
			if err := stageio.ReadDataset(ctx, loc, fn); err != nil {
				return err
			}
			continue
		}
		n, err := ingestRaw(ctx, env, lp, l, fn, lp.MaxBadRows-int(badRows))
		badRows += n
		env.SetExtra("bad_rows", badRows)
		if err != nil {
			return err
		}
		srcNames = append(srcNames, l.Key)
	}
	src := strings.Join(srcNames, ", ")
	if len(gold) == 0 {
		return fmt.Errorf("evaluating on --golden %s: no rows with the rules' labels %v (%d rows skipped)", src, rules.Labels, skipped)
	}
	if skipped > 0 {
		env.Log.Warn("golden rows with other labels were skipped", "rows", skipped, "labels", strings.Join(rules.Labels, ","))
	}
	votes, err := weak.Apply(rules.LFs, inputs, len(rules.Labels))
	if err != nil {
		return fmt.Errorf("applying the rules to --golden %s: %w", src, err)
	}
	var learned []float64
	if ds != nil {
		learned = ds.Accuracy
	}
	if rep.Golden, err = weak.Summarize(names, rules.Labels, votes, gold, learned); err != nil {
		return err
	}
	mv, err := weak.MajorityVote(votes, len(rules.Labels))
	if err != nil {
		return err
	}
	models := []struct {
		name string
		res  *weak.Result
	}{{"majority", mv}}
	if ds != nil {
		gen, err := ds.Predict(votes)
		if err != nil {
			return err
		}
		models = append(models, struct {
			name string
			res  *weak.Result
		}{"generative", gen})
	}
	fmt.Fprintf(env.Stdout, "\nlabeling functions on %d golden rows (%s):\n", len(gold), src)
	if err := rep.Golden.WriteText(env.Stdout); err != nil {
		return err
	}
	for _, m := range models {
		e, err := weak.Evaluate(gold, m.res.Labels(), rules.Labels)
		if err != nil {
			return err
		}
		rep.Evaluation = append(rep.Evaluation, weak.NamedEval{Model: m.name, Eval: e})
		fmt.Fprintf(env.Stdout, "%-10s vs golden: macro recall %.4f, accuracy %.4f, coverage %.4f;", m.name, e.MacroRecall, e.Accuracy, e.Coverage)
		for _, c := range e.Classes {
			fmt.Fprintf(env.Stdout, " %s P %.4f R %.4f F1 %.4f;", c.Label, c.Precision, c.Recall, c.F1)
		}
		fmt.Fprintf(env.Stdout, " confusion (rows golden, columns predicted + abstain) %v\n", e.Confusion)
		env.SetExtra(m.name+"_macro_recall", e.MacroRecall)
	}
	return nil
}

// ingestRaw reads the raw --golden files of l, failing on more than maxBad
// bad rows (ingest's rule); it returns the bad row count.
func ingestRaw(ctx context.Context, env *component.Env, lp stages.LabelParams, l artifact.Location, fn func(*dataset.Tweet) error, maxBad int) (int64, error) {
	ro := lp.GoldenReadOptions()
	src, err := stageio.ExpandSources(ctx, []artifact.Location{l}, ro)
	if err != nil {
		return 0, component.Usagef("--golden: %w", err)
	}
	st, err := ingest.Ingest(ctx, src, fn, ingest.Options{MaxBadRows: maxBad, OnBadRow: func(b ingest.BadRow) {
		env.Log.Warn("bad golden row skipped", "source", b.Source, "line", b.Line, "reason", b.Reason)
	}, OnEmptySource: func(name string) { env.Log.Warn("empty source: no rows", "source", name) }})
	env.AddBytesIn(st.BytesRead)
	if err != nil {
		return st.BadRows, fmt.Errorf("reading --golden: %w", err)
	}
	if st.BadRows > 0 {
		fmt.Fprintf(env.Stdout, "label: %d bad rows of --golden skipped (limit --max-bad-rows %d)\n", st.BadRows, lp.MaxBadRows)
	}
	return st.BadRows, nil
}
