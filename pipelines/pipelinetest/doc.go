// Package pipelinetest holds the checks that every compiled pipeline's
// tests share: the generated/workflowtemplate.yaml golden file (rewritten
// with -update), loading the YAML, Argo's lint, the pipeline parameters'
// descriptions, defaults and enums, and resolving a DAG task's arguments
// the way Argo does so that they can be parsed with the component's own
// flag set.
//
// It is for tests only: the functions take a testing.TB and fail it.
package pipelinetest
