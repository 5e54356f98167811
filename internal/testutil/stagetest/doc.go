// Package stagetest runs tweetflow components in tests the way a pipeline
// does: through the real harness (component.Run) against a real artifact
// store, a temporary folder (NewFS) or a MinIO bucket (NewS3).
//
// A Store knows the flags that reach it, runs a component with a run ID and
// returns its exit code, stdout and stderr, and reads back what the run
// committed: manifests, dataset rows, files and the run summary. It can also
// commit a dataset as if an earlier stage had written it, so a component can
// be tested alone.
//
// Data helpers find the repository root (the folder with go.mod above this
// file), the demo data in testdata/demo and the shared real data: env
// TWEETFLOW_SHARED_DATA, else ../shared/data beside the repository (as in
// CI), else /work/shared/data. SharedData skips the test when none exists.
package stagetest
