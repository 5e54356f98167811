// Package run executes an Argo WorkflowTemplate on one machine, without
// Kubernetes: each DAG task's container becomes a local process.
//
// Run resolves the workflow parameters (defaults plus overrides), walks the
// entrypoint DAG in dependency order (`dependencies`, or `depends` made of
// task names joined by &&) and runs ready tasks in parallel up to a limit.
// For each task it maps command[0] to a binary in a bin folder, substitutes
// placeholders with Argo's own template code ({{inputs.parameters.x}},
// {{workflow.parameters.x}}, {{workflow.uid}}, {{workflow.name}},
// {{tasks.X.outputs.parameters.Y}} and {{=expressions}}), maps the folders
// of output parameter files (valueFrom.path) to a per-task temporary folder,
// and reads the output parameters back after the process exits.
//
// It honours `when` (comparisons a == b / a != b joined by && and ||),
// continueOn.failed (the run goes on; as in Argo's DAG assessment, a last
// step skipped after a failure still fails the run, unless it continues on
// failure itself), the template's retryStrategy (limit, backoff with its
// factor and cap, and the retry expression evaluated with Argo's own
// function map — asInt, asFloat, sprig — over lastRetry.exitCode,
// lastRetry.status, lastRetry.duration and retries; WithMaxRetryWait caps
// the waits) and activeDeadlineSeconds (the process is sent SIGTERM, then
// SIGKILL). Each emptyDir volume mounted in a container becomes a local
// folder of the task, and its mount path is rewritten in args and env
// values (TMPDIR=/scratch becomes <work>/<task>/attempt-N/volume-scratch).
// The step cache lives in the components (--step-cache, package
// internal/stepcache): a step that restored its outputs shows "cached" in
// the table and counts in Report.CacheCounts.
//
// A withParam task (a fan-out, see dsl.FanOut) runs one child per item of
// its JSON list, {{item}} and {{item.<key>}} substituted, up to the
// parallel limit at once; the children are reported as <task>(<i>) after
// it. withItems and withSequence loops are not supported.
//
// Rerun runs one task again against an earlier run: its arguments come from
// the template, its inputs resolve to the earlier run's artifacts, its
// outputs go to a new run ID (or replace the earlier run's, in place), and
// any flag of its component can be overridden. The first failure stops the run:
// running tasks are cancelled and the returned *StepError names the step,
// its exit code, the component's termination message and the last lines of
// its stderr. Task output is streamed with a [task] prefix; the Report
// (WriteTable) lists each step's status, seconds, rows and output URIs,
// read from the component's summary file.
//
// What a run leaves in the store (its step summaries) is read back, listed,
// diffed and deleted by package pipelines/runs, the run catalog, which
// does not import this package; Run returns the catalog's Report.
//
// Each step process runs in a process group of its own: cancelling a step
// (a failure elsewhere, a deadline, Ctrl-C or SIGTERM of the executor)
// signals the whole group, and whatever the step left running is killed
// when it exits. On Linux the kernel also SIGKILLs a step when the executor
// dies (parent-death signal), so a `tweetflow run` killed with SIGKILL
// orphans nothing; its temporary work folder (tweetflow-run-*, locked while
// the run lives) is removed by the next run. The components themselves hold
// a lease on their step in the store (see internal/artifact), so a rerun
// never publishes over a writer that is still alive, and remove the staging
// files of killed writers; runs.PruneStaging does the same store-wide
// for `tweetflow runs prune`.
//
// Env vars that a template takes from a Secret are not resolved: a task
// sees them only if they are set in the executor's environment.
package run
