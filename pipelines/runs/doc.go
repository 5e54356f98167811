// Package runs is the run catalog: it reads what runs left in a store,
// whatever executed them (the local executor in pipelines/run or Argo),
// and deletes them. It does not import the executor, so listing, diffing
// and pruning runs needs none of Argo's workflow code.
//
// A run is the set of step summaries under <store>/runs/<run-id>/<step>/
// _summary.json, written by the components. ListRuns and ReadRun read
// them back: each RunInfo has its steps in start order, its status, its
// gate's summary and a Report for WriteTable; Diff lists the parameters,
// row counts and results that differ between two runs. DeleteRuns removes
// runs (manifests first, summaries last) and the step-cache entries that
// point into them, refusing a run whose step holds a live lease, and
// refusing, or with KeepDependencies sparing, a run that a kept run reads;
// PruneSelect picks the runs beyond the newest N or older than a time;
// PruneStaging removes the staging files of killed writers store-wide.
//
// Report, StepReport and Status describe one run's steps; the executor
// returns them, and the catalog rebuilds them from summaries.
package runs
