// Package cli is the tweetflow command: compile the training pipeline to an
// Argo WorkflowTemplate, run it locally (package run) with the step cache,
// rerun one step of an earlier run with other parameters, submit it to a
// cluster (package internal/submit: the Kubernetes API through a kubeconfig
// or the pod's service account, or an Argo Server with a bearer token;
// --wait polls until it ends), list the runs of a store, show one and
// delete or prune them (from the step summaries, package run) and write
// the component reference (package docs). cmd/tweetflow only calls Main.
package cli
