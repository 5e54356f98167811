package cli

import (
	"fmt"
	"slices"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"

	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/labeling"
	"github.com/tweetflow/tweetflow/pipelines/scoring"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

// pipeline is one pipeline the CLI compiles and runs by name.
type pipeline struct {
	name      string // --pipeline value
	about     string // one line for --help
	generated string // checked-in compiled template, relative to the repository root
	compile   func(...dsl.CompileOption) (*wfv1.WorkflowTemplate, error)
	yaml      func(...dsl.CompileOption) ([]byte, error)
}

// pipelines lists every pipeline of the project; the first is the default.
var pipelines = []pipeline{
	{"training", "ingest, clean, split, embed, train, gate, export, image", training.GeneratedFile, training.Compile, training.YAML},
	{"scoring", "the score component fanned out over its input files", scoring.GeneratedFile, scoring.Compile, scoring.YAML},
	{"labeling", "weak labels from labeling functions, train on them, gate on golden labels", labeling.GeneratedFile, labeling.Compile, labeling.YAML},
}

// pipelineNames is "training, scoring, ..." for usage texts.
func pipelineNames() string {
	names := make([]string, len(pipelines))
	for i, p := range pipelines {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

// pipelineUsage describes every pipeline for a --pipeline flag.
func pipelineUsage() string {
	parts := make([]string, len(pipelines))
	for i, p := range pipelines {
		parts[i] = p.name + " (" + p.about + "; " + p.generated + ")"
	}
	return "pipeline: " + strings.Join(parts, ", ")
}

// lookupPipeline returns the named pipeline or a usage error listing them.
func lookupPipeline(name string) (pipeline, error) {
	i := slices.IndexFunc(pipelines, func(p pipeline) bool { return p.name == name })
	if i < 0 {
		return pipeline{}, usageError{fmt.Errorf("--pipeline %q: want one of %s", name, pipelineNames())}
	}
	return pipelines[i], nil
}
