// Package dsl declares tweetflow pipelines in Go and compiles them to Argo
// WorkflowTemplates.
//
// A pipeline is a DAG of component steps. Everything about a step comes
// from its component's contract (internal/component), declared once:
//
//	p := dsl.New("tweetflow-training", dsl.WithDescription("..."))
//	labels := p.Expose(&stages.Train, "labels")          // description, enum, default from the contract
//	ingest := p.Step(stages.Ingest, dsl.In("sources", p.ExposeInput(&stages.Ingest, "sources")),
//		dsl.Set("format", "auto"), dsl.Expose("max-bad-rows"))
//	clean := p.Step(stages.Clean, dsl.In("tweets", ingest.Out("tweets")))   // a DAG edge
//	gate := p.Step(stages.EvaluateGate, ..., dsl.ResultDefault("passed", "false"))
//	p.Step(stages.ExportONNX, ..., dsl.When(gate.Result("passed"), "true"))
//	wt, err := p.Compile(dsl.ImagePrefix("ghcr.io/acme"), dsl.Version("v1.0.0"))
//	yaml, err := dsl.Marshal(wt)
//
// Compile checks the wiring (unknown names, unwired required inputs,
// artifact kinds, literal values against types, enums and bounds, pipeline
// parameter enums that are not a subset of the component's) and emits:
//
//   - spec.arguments.parameters: the pipeline parameters with description,
//     enum and default (the Argo UI form). Every pipeline has `store`
//     (default s3://tweetflow; local runs pass a folder), `run-id`
//     (default empty: the workflow UID is used, through RunIDExpr, because
//     Argo does not expand {{workflow.uid}} inside a parameter default) and
//     `cache` (true/false, default true: each task passes it to its
//     component's --step-cache, see internal/stepcache; NoCache steps get
//     false).
//   - one container template per component: image
//     <prefix>/<component>:<version>, command the binary name, one input
//     parameter per flag (contract defaults as defaults) and args
//     --<flag>={{inputs.parameters.<flag>}}; results are written to
//     ResultsDir and read back as output parameters (valueFrom.path, with
//     a default so a crashed step still yields a value); S3 settings come
//     from an optional Secret as env vars, never as args.
//   - production settings on every container template, derived, not
//     written per step (production.go): resources (requests and limits)
//     from BaseDefaults, the pipeline's WithDefaults, a per-component table
//     (WithComponentDefaults) and the step's WithResources, in that order;
//     activeDeadlineSeconds per attempt (Timeout); a retryStrategy with
//     exponential backoff and policy Always gated by RetryExpression, which
//     never retries a usage error (exit 2) or a failed gate (exit 3) — Argo's
//     OnError policy would never retry a component's own failures, so it
//     is not used; Retry(NoRetries) turns retries off; a hardened container
//     securityContext (non-root UID 65532, read-only root filesystem, no
//     privilege escalation, all capabilities dropped, RuntimeDefault
//     seccomp); an emptyDir at ScratchDir (/scratch, with TMPDIR pointing
//     there, holding ResultsDir) — not /tmp, which the Helm chart mounts
//     itself; and terminationMessagePolicy FallbackToLogsOnError.
//     PublishResults also makes a step's results workflow outputs
//     (globalName <step>-<result>) shown on the workflow's page.
//   - for a FanOut step (a Shardable component over its list input), three
//     tasks: <step>-plan (`tweetflow shards plan`, one item per source
//     file), <step> with withParam over the items, and <step>-gather
//     (`tweetflow shards gather`, which publishes the shards as the usual
//     output URI without copying); later steps depend on the gather task.
//     The Parallelism compile option caps the DAG's concurrent tasks (Argo
//     takes a number there, not a parameter).
//   - a DAG template (Entrypoint) with one task per step: `dependencies`
//     from the wiring, artifact URIs <store>/runs/<run-id>/<step>/<output>,
//     `when` conditions (inherited by steps fed by a conditional step), and
//     continueOn failed on a step whose result guards another step, so a
//     failing gate (exit 3) skips export instead of failing the workflow.
//
// Marshal renders YAML without null/empty Kubernetes fields; the output is
// deterministic.
package dsl
