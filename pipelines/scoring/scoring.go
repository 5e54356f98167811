package scoring

import (
	"fmt"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apiv1 "k8s.io/api/core/v1"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

//go:generate go run ../../cmd/tweetflow compile --pipeline scoring --out generated/workflowtemplate.yaml

// Name of the pipeline and of its WorkflowTemplate.
const Name = "tweetflow-scoring"

// DefaultTweets is the default of the tweets parameter: the demo data
// shipped in the repository, for local runs. Cluster runs pass
// s3://bucket/prefix URIs.
const DefaultTweets = "testdata/demo/semeval"

// GeneratedFile is the checked-in compiled template, relative to the
// repository root.
const GeneratedFile = "pipelines/scoring/generated/workflowtemplate.yaml"

// PostgresSecret is the Kubernetes Secret the score containers take their
// PostgreSQL connection string from: key PostgresSecretKey becomes the
// environment variable PostgresEnv. The secret and the key are optional:
// without them only the Parquet output is written.
const (
	PostgresSecret    = "tweetflow-postgres"
	PostgresSecretKey = "dsn"
	// PostgresEnv is DATABASE_URL, not TWEETFLOW_POSTGRES_DSN: the template
	// passes --postgres-dsn explicitly (empty), which overrides the flag's
	// own env var, and the score component falls back to DATABASE_URL when
	// the flag is empty.
	PostgresEnv = "DATABASE_URL"
)

// Production is the per-component production table of the compiled
// template (see training.Production): one score task holds a model and a
// batch in memory and uses up to two cores for the forward pass.
var Production = map[string]dsl.StepDefaults{
	stages.Score.Name: {Timeout: 2 * time.Hour,
		Resources: dsl.ResourceSpec{CPU: "500m", Memory: "512Mi", CPULimit: "2", MemoryLimit: "2Gi"}},
}

// Pipeline declares the scoring pipeline:
//
//	score-plan -> score (one task per tweets file) -> score-gather
func Pipeline() *dsl.Pipeline {
	p := dsl.New(Name, dsl.WithDescription(
		"Score tweets with an exported model: one score task per input file, in parallel, "+
			"gathered into one scores dataset (and upserted into PostgreSQL when the "+PostgresSecret+" Secret gives a DSN)."),
		dsl.WithComponentDefaults(Production))

	tweets := p.ExposeInput(&stages.Score, "tweets", dsl.Default(DefaultTweets), dsl.Description(
		"Tweets to score: paths, globs, folders or s3://bucket/prefix URIs of raw tweet files (any format ingest reads), "+
			"comma-separated; one score task runs per file. The default is the demo data of the repository (local runs); "+
			"on a cluster give s3:// URIs."))
	model := p.ExposeInput(&stages.Score, "model", dsl.Description(
		"Exported model folder (the export-onnx output: model.onnx and the tokenizer files), "+
			"e.g. s3://tweetflow/runs/<run-id>/export-onnx/onnx. Required."))

	p.Step(stages.Score,
		dsl.In("tweets", tweets),
		dsl.In("model", model),
		dsl.FanOut("tweets"), // one score task per file, gathered without a copy
		dsl.NoCache(),        // PostgreSQL upserts are a side effect a cache hit would skip
		dsl.Expose("batch-size"),
	)
	return p
}

// Compile compiles the pipeline to an Argo WorkflowTemplate and gives the
// score template the PostgreSQL connection string from PostgresSecret (an
// optional secret key, never an argument or a parameter).
func Compile(opts ...dsl.CompileOption) (*wfv1.WorkflowTemplate, error) {
	wt, err := Pipeline().Compile(opts...)
	if err != nil {
		return nil, err
	}
	found := false
	for i := range wt.Spec.Templates {
		t := &wt.Spec.Templates[i]
		if t.Name != stages.Score.Name || t.Container == nil {
			continue
		}
		found = true
		optional := true
		t.Container.Env = append(t.Container.Env, apiv1.EnvVar{Name: PostgresEnv, ValueFrom: &apiv1.EnvVarSource{
			SecretKeyRef: &apiv1.SecretKeySelector{
				LocalObjectReference: apiv1.LocalObjectReference{Name: PostgresSecret},
				Key:                  PostgresSecretKey, Optional: &optional,
			},
		}})
	}
	if !found {
		return nil, fmt.Errorf("compiling pipeline %q: no %q template", Name, stages.Score.Name)
	}
	return wt, nil
}

// YAML compiles the pipeline and renders it as YAML.
func YAML(opts ...dsl.CompileOption) ([]byte, error) {
	wt, err := Compile(opts...)
	if err != nil {
		return nil, err
	}
	return dsl.Marshal(wt)
}
