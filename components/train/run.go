package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/word2vec"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/weak"
)

// VectorsFile is the file of the embed output that train reads.
const VectorsFile = "vectors.bin"

func run(ctx context.Context, env *component.Env, p stages.TrainParams) error {
	trainLoc, _ := env.Input("train")
	validLoc, _ := env.Input("validation")
	spec := p.Labels.Spec
	if spec.IsNone() {
		return component.Usagef("--labels none: train needs labeled data; label it first (the label stage) or name the labels to train on: %s", labelset.Forms)
	}
	// The labels: fixed by the spec, or ("all") those of the training set,
	// numbered as first seen and renumbered in sorted order below.
	var labels []string
	classOf := map[string]int{}
	if !spec.IsAll() {
		var err error
		if labels, err = spec.Labels(nil); err != nil {
			return component.Usagef("--labels: %w", err)
		}
		for i, l := range labels {
			classOf[l] = i
		}
	}
	settings, err := featurizerSettings(p)
	if err != nil {
		return err
	}

	rules, err := ruleFeatures(ctx, env, p)
	if err != nil {
		return err
	}
	if rules != nil {
		settings.RuleRepeat = p.RuleRepeat
	}

	// Training text: build the vocabulary and ids in one pass.
	b, err := featurize.NewBuilder(settings)
	if err != nil {
		return component.Usagef("featurizer settings: %w", err)
	}
	if rules != nil {
		if err := b.AttachRules(rules); err != nil {
			return err
		}
	}
	var trainLabels []int32
	var rows, unlabeled int64
	var other []string // a few labels outside the set, for the error
	wl := newWeakLabels(p, labels)
	if wl.mode == "soft" && spec.IsAll() {
		return component.Usagef("--weak-labels soft with --labels all: name the labels in class order (e.g. --labels AI,OTHER), the soft targets follow that order")
	}
	prog := env.Progress("featurizing training set", "rows", 0)
	err = stageio.ReadDataset(ctx, trainLoc, func(t *dataset.Tweet) error {
		prog.Add(1)
		rows++
		if t.Label == "" {
			unlabeled++
			return nil
		}
		c, ok := classOf[t.Label]
		if !ok && spec.IsAll() {
			c, ok = len(classOf), true
			classOf[t.Label] = c
		}
		if !ok {
			if len(other) < 10 && !slices.Contains(other, t.Label) {
				other = append(other, t.Label)
			}
			return nil
		}
		if keep, err := wl.add(t); err != nil || !keep {
			return err
		}
		b.AddTweet(t.Text, t.CleanText)
		trainLabels = append(trainLabels, int32(c))
		return nil
	})
	prog.Done()
	if err != nil {
		return err
	}
	if len(trainLabels) == 0 {
		if unlabeled == rows {
			return fmt.Errorf("training on %q: none of the %d rows has a label: run the label stage to label the data first (or split labeled data)", trainLoc.URI(), rows)
		}
		return fmt.Errorf("training on %q: no row has one of the labels %q (%d rows, %d unlabeled, labels seen include %q): pick --labels that name the data's labels (or all), or label the data first",
			trainLoc.URI(), labels, rows, unlabeled, other)
	}
	if spec.IsAll() {
		seen := make([]string, len(classOf))
		for l, c := range classOf {
			seen[c] = l
		}
		if labels, err = spec.Labels(seen); err != nil {
			return fmt.Errorf("training on %q: %w", trainLoc.URI(), err)
		}
		renum := make([]int32, len(seen))
		for i, l := range labels {
			renum[classOf[l]] = int32(i)
			classOf[l] = i
		}
		for i, c := range trainLabels {
			trainLabels[i] = renum[c]
		}
	}
	skipped := rows - int64(len(trainLabels)) - wl.dropped
	if skipped > 0 {
		env.Log.Warn("training rows without one of the labels were skipped", "rows", skipped, "unlabeled", unlabeled, "labels", strings.Join(labels, ","))
	}
	positive, err := labelset.Positive(labels, p.PositiveLabel, spec.DefaultPositive())
	if err != nil {
		return component.Usagef("--positive-label: %w", err)
	}
	// The training documents stay interned tokens (a Corpus, ~100 bytes a
	// tweet); their ids (~1 KB a tweet with char n-grams) are computed per
	// example in every epoch, so memory does not grow with them.
	feat, corpus, err := b.BuildCorpus()
	if err != nil {
		return fmt.Errorf("building the featurizer: %w", err)
	}
	train := &classifier.Dataset{Corpus: corpus, Labels: slices.Clip(trainLabels), Soft: wl.soft}
	wl.log(env, trainLoc)
	valid := &classifier.Dataset{}
	vb := featurize.NewCorpusBuilder(feat)
	err = stageio.ReadDataset(ctx, validLoc, func(t *dataset.Tweet) error {
		if c, ok := classOf[t.Label]; ok {
			vb.AddTweet(t.Text, t.CleanText)
			valid.Labels = append(valid.Labels, int32(c))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if vb.Len() > 0 {
		if _, valid.Corpus, err = vb.BuildCorpus(); err != nil {
			return fmt.Errorf("featurizing the validation set: %w", err)
		}
	}

	opts := []classifier.Option{
		classifier.WithParams(p.ClassifierParams()),
	}
	data := []classifier.DataDigest{digest(ctx, "train", trainLoc, len(trainLabels)), digest(ctx, "validation", validLoc, len(valid.Labels))}
	if vecLoc, ok := env.Input("vectors"); ok {
		vec, err := loadVectors(ctx, vecLoc)
		if err != nil {
			return err
		}
		opts = append(opts, classifier.WithDim(vec.Dim), classifier.WithPretrained(func(w string) []float32 {
			v, _ := vec.Vector(w)
			return v
		}))
		data = append(data, digest(ctx, "vectors", vecLoc, vec.Len()))
		env.Log.Info("initialising word rows from word2vec", "words", vec.Len(), "dim", vec.Dim)
	}
	ep := env.Progress("training", "epochs", int64(p.Epochs))
	opts = append(opts, classifier.WithOnEpoch(func(s classifier.EpochStats) {
		ep.Set(int64(s.Epoch))
		env.Log.Info("epoch", "epoch", s.Epoch, "train_loss", round(s.TrainLoss), "validation_loss", round(s.ValidationLoss),
			"validation_macro_recall", round(s.ValidationMacroRecall), "best", s.Best, "seconds", round(s.Seconds))
	}))
	model, res, err := classifier.Train(ctx, feat, labels, train, valid, opts...)
	ep.Done()
	if err != nil {
		return fmt.Errorf("training on %q: %w", trainLoc.URI(), err)
	}

	md := &classifier.Metadata{
		ModelVersion: env.RunID,
		CreatedAt:    time.Now().UTC().Truncate(time.Second),
		Training:     res,
		Data:         data,
		Metrics:      map[string]float64{},
		Extra:        map[string]string{"component": "train", "step": env.Step},
	}
	if positive >= 0 {
		md.PositiveLabel = labels[positive]
	}
	md.Params = res.Params
	if opts, ok, err := stageio.ReadCleaner(ctx, trainLoc); err != nil {
		return err
	} else if ok {
		md.Cleaning = &opts
	}
	for k, v := range env.Params() {
		md.Extra["param."+k] = v
	}
	if best := res.BestEpoch; best > 0 && best <= len(res.Epochs) {
		e := res.Epochs[best-1]
		md.Metrics["validation_macro_recall"] = e.ValidationMacroRecall
		md.Metrics["validation_loss"] = e.ValidationLoss
		md.Metrics["validation_accuracy"] = e.ValidationAccuracy
	}
	out := env.Output("model")
	if err := classifier.Save(model, md, func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }); err != nil {
		return fmt.Errorf("saving model: %w", err)
	}
	if err := stageio.CopyFile(ctx, trainLoc, stageio.CleanerFile, out, true); err != nil {
		return err
	}
	env.AddRows(int64(len(trainLabels)+len(valid.Labels)), 1)
	env.SetExtra("training", res)
	fmt.Fprintf(env.Stdout, "train: %d training / %d validation rows, %d features, best epoch %d of %d, validation macro recall %.4f\n",
		len(trainLabels), len(valid.Labels), feat.Rows(), res.BestEpoch, len(res.Epochs), md.Metrics["validation_macro_recall"])
	return nil
}

// ruleFeatures reads the rules of --rule-features (nil without it).
func ruleFeatures(ctx context.Context, env *component.Env, p stages.TrainParams) (*weak.RuleFeatures, error) {
	loc, ok := env.Input("rules")
	switch {
	case !p.RuleFeatures && ok:
		env.Log.Warn("--rules is given without --rule-features: the rules are not used")
		return nil, nil
	case !p.RuleFeatures:
		return nil, nil
	case !ok:
		return nil, component.Usagef("--rule-features needs --rules: the rules file whose labeling functions become features")
	}
	name, data, err := stageio.ReadSourceFile(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	rf, err := weak.ParseRuleFeatures(name, data)
	if err != nil {
		return nil, &component.UsageError{Err: err}
	}
	env.Log.Info("rule features", "rules", name, "features", len(rf.RuleNames()))
	return rf, nil
}

// featurizerSettings returns the featurizer's settings train's
// parameters set, checked.
func featurizerSettings(p stages.TrainParams) (featurize.Settings, error) {
	s := p.FeaturizerSettings()
	if err := s.Validate(); err != nil {
		return s, component.Usagef("featurizer settings: %w", err)
	}
	return s, nil
}

func loadVectors(ctx context.Context, loc artifact.Location) (*word2vec.Model, error) {
	open, _, err := stageio.Opener(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("reading vectors %q: %w", loc.URI(), err)
	}
	r, err := open(VectorsFile)
	if err != nil {
		return nil, fmt.Errorf("reading vectors %q: %w", loc.URI(), err)
	}
	defer r.Close()
	m, err := word2vec.ReadBinary(r)
	if err != nil {
		return nil, fmt.Errorf("reading vectors %q: %w", loc.URI(), err)
	}
	return m, nil
}

func digest(ctx context.Context, name string, loc artifact.Location, rows int) classifier.DataDigest {
	d := classifier.DataDigest{Name: name, URI: loc.URI(), Rows: rows}
	if m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key); err == nil {
		d.Digest = m.Digest()
	}
	return d
}

func round(f float64) float64 { return float64(int64(f*10000)) / 10000 }
