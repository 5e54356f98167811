package training

import (
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
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

// Production is the per-component production table of the compiled
// template: resources (requests and limits), the deadline of one attempt,
// and, for every component, dsl.BaseDefaults' retries (two, backoff 30s
// then 60s, never on exit code 2 or 3). embed and train get the most CPU
// and memory (word2vec and the classifier use every core they get: Go
// sizes GOMAXPROCS from the CPU limit); clean and balance-split hold a
// deduplication index and a shuffle in memory; export and packaging are
// small. Override per pipeline with dsl.WithComponentDefaults or per step
// with dsl.WithResources.
var Production = map[string]dsl.StepDefaults{
	stages.Ingest.Name: {Timeout: 2 * time.Hour,
		Resources: dsl.ResourceSpec{CPU: "1", Memory: "1Gi", CPULimit: "2", MemoryLimit: "4Gi"}},
	stages.Clean.Name: {Timeout: 2 * time.Hour,
		Resources: dsl.ResourceSpec{CPU: "1", Memory: "2Gi", CPULimit: "2", MemoryLimit: "6Gi"}},
	stages.BalanceSplit.Name: {Timeout: time.Hour,
		Resources: dsl.ResourceSpec{CPU: "500m", Memory: "2Gi", CPULimit: "1", MemoryLimit: "6Gi"}},
	stages.Embed.Name: {Timeout: 4 * time.Hour,
		Resources: dsl.ResourceSpec{CPU: "2", Memory: "2Gi", CPULimit: "4", MemoryLimit: "8Gi"}},
	stages.Train.Name: {Timeout: 6 * time.Hour,
		Resources: dsl.ResourceSpec{CPU: "2", Memory: "4Gi", CPULimit: "4", MemoryLimit: "12Gi"}},
	stages.EvaluateGate.Name: {Timeout: time.Hour,
		Resources: dsl.ResourceSpec{CPU: "500m", Memory: "1Gi", CPULimit: "2", MemoryLimit: "4Gi"}},
	stages.ExportONNX.Name: {Timeout: 30 * time.Minute,
		Resources: dsl.ResourceSpec{CPU: "250m", Memory: "512Mi", CPULimit: "1", MemoryLimit: "2Gi"}},
	stages.BuildServingImage.Name: {Timeout: 30 * time.Minute,
		Resources: dsl.ResourceSpec{CPU: "250m", Memory: "512Mi", CPULimit: "1", MemoryLimit: "2Gi"}},
}

// CleanMapStep is the step that cleans the text of each ingest shard (clean
// --mode map, fanned out); the clean step (--mode reduce) deduplicates.
const CleanMapStep = "clean-map"

// Pipeline declares the training pipeline:
//
//	ingest -> clean-map -> clean -> balance-split -> embed -> train -> evaluate-gate
//	  -> export-onnx -> build-serving-image   (only when the gate passed)
func Pipeline() *dsl.Pipeline {
	p := dsl.New(Name, dsl.WithDescription(
		"Train, gate and package a tweet classifier (sentiment or any label set): ingest, clean, split, embed, train, "+
			"evaluate against quality thresholds, and only when they pass export ONNX and build the serving image."),
		dsl.WithComponentDefaults(Production))

	sources := p.ExposeInput(&stages.Ingest, "sources", dsl.Default(DefaultSources), dsl.Description(
		"Raw tweet files: paths, globs, folders or s3://bucket/prefix URIs, comma-separated. "+
			"The default is the demo data of the repository (local runs); on a cluster give s3:// URIs."))
	labels := p.Expose(&stages.Train, "labels", dsl.Description(
		"The label set to train on, in class order: 'three-class' (negative,neutral,positive), 'binary' (negative,positive), "+
			"'all' (every label in the data, sorted), or a comma list of at least 2 labels like 'AI,OTHER' or 'anger,joy,optimism,sadness' "+
			"(exactly those, in that order, case-sensitive). Rows with other labels are dropped by the split. "+
			"Raw labels other than sentiment words need label-map '*' (keep labels as written) or an explicit map."))
	positive := p.Expose(&stages.Train, "positive-label", dsl.Description(
		"The positive class of a two-class model, whose ROC-AUC and PR-AUC the gate checks: empty takes the label named first "+
			"in an explicit labels list (AI,OTHER -> AI), 'positive' for binary, else the label named positive or the last label. "+
			"Recorded in the model's metadata and its ONNX metadata."))
	seed := p.Expose(&stages.BalanceSplit, "seed", dsl.Description(
		"Seed of the split, the embeddings and the training: the same data and seed give the same model."))
	dim := p.Expose(&stages.Embed, "dim", dsl.Description(
		"Dimension of the word vectors (embed) and of the classifier's embeddings (train)."))

	ingest := p.Step(stages.Ingest,
		dsl.In("sources", sources),
		dsl.FanOut("sources"), // one ingest task per source file, gathered without a copy
		dsl.Expose("format"),
		dsl.Expose("label-map"),
		dsl.Expose("max-bad-rows"),
		exposeColumns(),
	)
	// clean fans out too: clean-map normalises the text of each ingest
	// shard (no dedupe), and clean applies the global dedupe and label
	// rule over the gathered rows without cleaning them again.
	cleanMap := p.Step(stages.Clean, dsl.Named(CleanMapStep),
		dsl.In("tweets", ingest.Out("tweets")),
		dsl.FanOut("tweets"), // one task per ingest shard
		dsl.Set("mode", "map"),
	)
	clean := p.Step(stages.Clean,
		dsl.In("tweets", cleanMap.Out("tweets")),
		dsl.Set("mode", "reduce"),
		dsl.Expose("conflicts"),
		dsl.Expose("state", dsl.As("clean-state")),
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
		dsl.Bind("positive-label", positive),
		dsl.Bind("seed", seed),
		dsl.Bind("dim", dim),
		dsl.Expose("epochs"),
	)
	GateAndShip(p, train, "the test set",
		dsl.In("data", split.Out("test")),
		dsl.Bind("positive-label", positive),
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

// GateAndShip adds the end of every training pipeline: evaluate-gate on
// the model of the train step (gateData says on what, for the Argo form;
// gateOpts wire its data and parameters), then export-onnx and
// build-serving-image only when the gate passed. The gate's thresholds
// become pipeline parameters, its results workflow outputs.
func GateAndShip(p *dsl.Pipeline, train *dsl.Step, gateData string, gateOpts ...dsl.StepOption) {
	gate := p.Step(stages.EvaluateGate, append([]dsl.StepOption{
		dsl.In("model", train.Out("model")),
		dsl.Expose(metrics.ROCAUC.Param, dsl.Description(
			"Quality gate: lowest acceptable ROC-AUC on "+gateData+", a number from 0 to 1 (0.5 is chance, 1 is perfect). "+
				"Below it the gate fails (exit 3) and the model is neither exported nor packaged.")),
		dsl.Expose(metrics.PRAUC.Param, dsl.Description(
			"Quality gate: lowest acceptable PR-AUC (average precision) on "+gateData+", a number from 0 to 1 "+
				"(chance is the positive class's share). Below it the model is not exported.")),
		dsl.Expose(metrics.MacroRecall.Param, dsl.Description(
			"Quality gate: lowest acceptable macro-averaged recall on "+gateData+", a number from 0 to 1; 0 disables this check.")),
		dsl.ResultDefault(metrics.GatePassed, "false"),
		dsl.PublishResults(),
	}, gateOpts...)...)
	export := p.Step(stages.ExportONNX,
		dsl.In("model", train.Out("model")),
		dsl.When(gate.Result(metrics.GatePassed), "true"),
	)
	p.Step(stages.BuildServingImage,
		dsl.In("onnx", export.Out("onnx")),
		dsl.NoCache(), // it pushes an image tagged with the run ID by default
		dsl.Expose("registry"),
		dsl.Expose("repository"),
		dsl.Expose("tag"),
	)
}

// exposeColumns exposes the column mapping of delimited files
// (stages.ColumnParams) as pipeline parameters of the same names.
func exposeColumns() dsl.StepOption {
	return func(s *dsl.Step) {
		for _, cp := range stages.ColumnParams {
			dsl.Expose(cp.Name)(s)
		}
	}
}
