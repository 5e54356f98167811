package labeling

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

//go:generate go run ../../cmd/tweetflow compile --pipeline labeling --out generated/workflowtemplate.yaml

// Name of the pipeline and of its WorkflowTemplate.
const Name = "tweetflow-labeling"

// Defaults of the pipeline parameters for local runs: the demo data of the
// repository (testdata/demo/ai-tweets) and its example rules file. Cluster
// runs pass s3:// URIs.
const (
	DefaultSources = "testdata/demo/ai-tweets/unlabeled"
	DefaultRules   = "examples/labeling/ai-tweets.rules.yaml"
	DefaultLabels  = "AI,OTHER"
	// The label model and confidence cut measured best for training on
	// the example rules' weak labels (examples/labeling/README.md).
	DefaultLabelModel         = "majority"
	DefaultMinLabelConfidence = "0.99"
)

// GeneratedFile is the checked-in compiled template, relative to the
// repository root.
const GeneratedFile = "pipelines/labeling/generated/workflowtemplate.yaml"

// Step names of the steps that run one component twice.
const (
	HoldoutStep  = "holdout"   // balance-split: golden test and dev sets out of the data
	LFSplitStep  = "lf-split"  // balance-split: the LF development set out of the rest
	LabelStep    = "label"     // label: weak labels of the training set
	LabelDevStep = "label-dev" // label: weak labels of the LF development set
)

// Pipeline declares the labeling pipeline (seed 001's loop):
//
//	ingest -> clean -> holdout (golden test + golden dev held out for annotate)
//	  -> lf-split (LF development set | training set)
//	  -> label (training set) + label-dev (LF development set)
//	  -> train (on weak labels) -> evaluate-gate (golden set, else the weakly labeled dev set)
//	  -> export-onnx -> build-serving-image   (only when the gate passed)
func Pipeline() *dsl.Pipeline {
	p := dsl.New(Name, dsl.WithDescription(
		"Build a training set from unlabeled tweets with labeling functions and a label model, train on the weak "+
			"labels, gate the model on hand-labeled golden tweets when given, and only when the gate passes export "+
			"ONNX and build the serving image. Holds out golden test and dev sets for the annotate component."),
		dsl.WithComponentDefaults(training.Production))

	sources := p.ExposeInput(&stages.Ingest, "sources", dsl.Default(DefaultSources), dsl.Description(
		"Unlabeled (or partly labeled) raw tweet files: paths, globs, folders or s3://bucket/prefix URIs, comma-separated. "+
			"The default is the demo data of the repository (local runs); on a cluster give s3:// URIs."))
	rules := p.ExposeInput(&stages.Label, "rules", dsl.Default(DefaultRules), dsl.Description(
		"Labeling functions: a rules YAML file (path or s3:// URI) that declares the labels and one rule per labeling function. "+
			"The default is the example rules of the repository for 'AI tweet or not'."))
	golden := p.Param("golden", dsl.Description(
		"Hand-labeled golden tweets to gate the model on: a dataset or raw file (e.g. the output of 'annotate export'), "+
			"path or s3:// URI. Empty: the gate measures agreement with the label model on the weakly labeled LF development set."))
	labels := p.Expose(&stages.Train, "labels", dsl.Default(DefaultLabels))
	labelModel := p.Expose(&stages.Label, "model", dsl.As("label-model"), dsl.Default(DefaultLabelModel))
	seed := p.Expose(&stages.BalanceSplit, "seed", dsl.Description(
		"Seed of the splits, the label model, the embeddings and the training: the same data and seed give the same model."))

	ingest := p.Step(stages.Ingest,
		dsl.In("sources", sources),
		dsl.Expose("format"),
		dsl.Expose("max-bad-rows"),
	)
	clean := p.Step(stages.Clean,
		dsl.In("tweets", ingest.Out("tweets")),
		dsl.Expose("state", dsl.As("clean-state")),
		// The trailing block of hashtags (spam's "#AI #ML #DataScience")
		// becomes tb_ words, apart from the sentence's: measured better for
		// training on weak labels (examples/labeling/README.md).
		dsl.Expose("trailing-hashtags", dsl.Default("token")),
	)
	holdout := p.Step(stages.BalanceSplit, dsl.Named(HoldoutStep),
		dsl.In("tweets", clean.Out("tweets")),
		dsl.Set("labels", "none"),
		dsl.Bind("seed", seed),
		dsl.Expose("test-rows", dsl.As("golden-test-rows"), dsl.Default("200"), dsl.Description(
			"Tweets held out as the golden test set (label them with annotate; never used in training).")),
		dsl.Expose("validation-rows", dsl.As("golden-dev-rows"), dsl.Default("200"), dsl.Description(
			"Tweets held out as the golden dev set (label them with annotate to tune rules and thresholds).")),
	)
	lfSplit := p.Step(stages.BalanceSplit, dsl.Named(LFSplitStep),
		dsl.In("tweets", holdout.Out("train")),
		dsl.Set("labels", "none"),
		dsl.Bind("seed", seed),
		dsl.Set("train-fraction", "1"), // no test set: the golden sets were held out already
		dsl.Set("validation-fraction", "0"),
		dsl.Expose("validation-rows", dsl.As("lf-dev-rows"), dsl.Default("500"), dsl.Description(
			"Tweets of the LF development set: weakly labeled like the training set, used for the labeling-function "+
				"analysis and the classifier's early stopping.")),
	)
	label := p.Step(stages.Label, dsl.Named(LabelStep),
		dsl.In("tweets", lfSplit.Out("train")),
		dsl.In("rules", rules),
		dsl.Bind("seed", seed),
		dsl.Bind("model", labelModel),
		dsl.Expose("min-confidence", dsl.As("min-label-confidence"), dsl.Default(DefaultMinLabelConfidence), dsl.Description(
			"Keep only training rows whose weak label has at least this probability under the label model; with majority "+
				"vote 0.99 keeps the rows where every voting rule agrees (the measured best, see examples/labeling/README.md).")),
	)
	labelDev := p.Step(stages.Label, dsl.Named(LabelDevStep),
		dsl.In("tweets", lfSplit.Out("validation")),
		dsl.In("rules", rules),
		dsl.Bind("seed", seed),
		dsl.Bind("model", labelModel),
	)
	// No embed step: word2vec vectors of the stream did not help the
	// classifier on weak labels (examples/labeling/README.md); train learns
	// its embeddings from the weakly labeled rows.
	train := p.Step(stages.Train,
		dsl.In("train", label.Out("tweets")),
		dsl.In("validation", labelDev.Out("tweets")),
		dsl.Bind("labels", labels),
		dsl.Bind("seed", seed),
		dsl.Expose("weak-labels", dsl.Default("hard")),
		dsl.Expose("epochs", dsl.Default("20")),
		dsl.Expose("patience", dsl.Default("0"), dsl.Description(
			"Epochs without improvement on the weakly labeled LF development set before stopping; 0 trains every epoch "+
				"and keeps the last weights (the default: early stopping on weak labels picks epochs by noise).")),
		dsl.Expose("lexicon", dsl.Default("none")),
		// The rules become features of the model too (train
		// --rule-features): measured with the example rules, the model
		// then beats the one on words alone by 4 points of AI F1 and 2.5 of
		// macro recall on the hand-labeled dev set
		// (examples/labeling/README.md). Unweighted classes with them: the
		// rule features already carry the rare class.
		dsl.In("rules", rules),
		dsl.Expose("rule-features", dsl.Default("true")),
		dsl.Expose("class-weights", dsl.Default("none")),
	)
	training.GateAndShip(p, train, "the golden set (without one, the weakly labeled LF development set)",
		dsl.In("data", dsl.ParamOr(golden, labelDev.Out("tweets"))),
		dsl.Set("label-map", "*"), // golden files keep their label names (AI, OTHER, ...)
	)
	return p
}

// Compile compiles the pipeline to an Argo WorkflowTemplate.
func Compile(opts ...dsl.CompileOption) (*wfv1.WorkflowTemplate, error) {
	return Pipeline().Compile(opts...)
}

// YAML compiles the pipeline and renders it as YAML.
func YAML(opts ...dsl.CompileOption) ([]byte, error) {
	wt, err := Compile(opts...)
	if err != nil {
		return nil, err
	}
	return dsl.Marshal(wt)
}
