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
//     (default s3://tweetflow; local runs pass a folder) and `run-id`
//     (default empty: the workflow UID is used, through RunIDExpr, because
//     Argo does not expand {{workflow.uid}} inside a parameter default).
//   - one container template per component: image
//     <prefix>/<component>:<version>, command the binary name, one input
//     parameter per flag (contract defaults as defaults) and args
//     --<flag>={{inputs.parameters.<flag>}}; results are written to
//     ResultsDir and read back as output parameters (valueFrom.path, with
//     a default so a crashed step still yields a value); S3 settings come
//     from an optional Secret as env vars, never as args.
//   - a DAG template (Entrypoint) with one task per step: `dependencies`
//     from the wiring, artifact URIs <store>/runs/<run-id>/<step>/<output>,
//     `when` conditions (inherited by steps fed by a conditional step), and
//     continueOn failed on a step whose result guards another step, so a
//     failing gate (exit 3) skips export instead of failing the workflow.
//
// Marshal renders YAML without null/empty Kubernetes fields; the output is
// deterministic.
package dsl
