// Package cli is the tweetflow command: compile the training pipeline to an
// Argo WorkflowTemplate, run it locally (package run), and write the
// component reference (package docs). cmd/tweetflow only calls Main.
package cli
