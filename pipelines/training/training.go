package training

import (
	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

//go:generate go run ../../cmd/tweetflow compile --out generated/workflowtemplate.yaml

// Name of the pipeline and of its WorkflowTemplate.
const Name = "tweetflow-training"

// DefaultSources is the default of the sources parameter: the demo data
// shipped in the repository, for local runs. Cluster runs pass
// s3://bucket/prefix URIs.
const DefaultSources = "testdata/demo/semeval"

// GeneratedFile is the checked-in compiled template, relative to the
// repository root.
const GeneratedFile = "pipelines/training/generated/workflowtemplate.yaml"

// Pipeline declares the training pipeline:
//
//	ingest -> clean -> balance-split -> embed -> train -> evaluate-gate
//	  -> export-onnx -> build-serving-image   (only when the gate passed)
func Pipeline() *dsl.Pipeline {
	p := dsl.New(Name, dsl.WithDescription(
		"Train, gate and package a tweet sentiment model: ingest, clean, split, embed, train, "+
			"evaluate against quality thresholds, and only when they pass export ONNX and build the serving image."))

	sources := p.ExposeInput(&stages.Ingest, "sources", dsl.Default(DefaultSources), dsl.Description(
		"Raw tweet files: paths, globs, folders or s3://bucket/prefix URIs, comma-separated. "+
			"The default is the demo data of the repository (local runs); on a cluster give s3:// URIs."))
	labels := p.Expose(&stages.Train, "labels")
	seed := p.Expose(&stages.BalanceSplit, "seed", dsl.Description(
		"Seed of the split, the embeddings and the training: the same data and seed give the same model."))
	dim := p.Expose(&stages.Embed, "dim", dsl.Description(
		"Dimension of the word vectors (embed) and of the classifier's embeddings (train)."))

	ingest := p.Step(stages.Ingest,
		dsl.In("sources", sources),
		dsl.Expose("format"),
		dsl.Expose("label-map"),
		dsl.Expose("max-bad-rows"),
	)
	clean := p.Step(stages.Clean,
		dsl.In("tweets", ingest.Out("tweets")),
		dsl.Expose("conflicts"),
	)
	split := p.Step(stages.BalanceSplit,
		dsl.In("tweets", clean.Out("tweets")),
		dsl.Bind("labels", labels),
		dsl.Bind("seed", seed),
		dsl.Expose("train-balance"),
	)
	embed := p.Step(stages.Embed,
		dsl.In("train", split.Out("train")),
		dsl.Bind("seed", seed),
		dsl.Bind("dim", dim),
		dsl.Expose("epochs", dsl.As("embed-epochs")),
	)
	train := p.Step(stages.Train,
		dsl.In("train", split.Out("train")),
		dsl.In("validation", split.Out("validation")),
		dsl.In("vectors", embed.Out("vectors")),
		dsl.Bind("labels", labels),
		dsl.Bind("seed", seed),
		dsl.Bind("dim", dim),
		dsl.Expose("epochs"),
	)
	gate := p.Step(stages.EvaluateGate,
		dsl.In("model", train.Out("model")),
		dsl.In("data", split.Out("test")),
		dsl.Expose("min-roc-auc"),
		dsl.Expose("min-pr-auc"),
		dsl.Expose("min-macro-recall"),
		dsl.ResultDefault("passed", "false"),
	)
	export := p.Step(stages.ExportONNX,
		dsl.In("model", train.Out("model")),
		dsl.When(gate.Result("passed"), "true"),
	)
	p.Step(stages.BuildServingImage,
		dsl.In("onnx", export.Out("onnx")),
		dsl.Expose("registry"),
		dsl.Expose("repository"),
		dsl.Expose("tag"),
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
