// Package component holds the contract every tweetflow component declares
// once (name, summary, typed parameters, input and output artifacts, result
// parameters) and the harness that turns a contract into a CLI.
//
// The contract drives, from one value:
//   - the urfave/cli flags (every flag with an env-var fallback) and --help,
//     with the shared settings of package settings (store, S3, logging, the
//     contract's Settings and parameters declared as a Setting) resolved by
//     settings.Resolve from the flags and the environment Main passes in,
//   - the Argo template the pipeline DSL emits (pipelines/dsl),
//   - the generated reference doc (docs/components.md).
//
// The harness gives every component the same behaviour: a signal-aware
// context, structured logs (text in a terminal, JSON in a pod), progress
// (a bar in a terminal, periodic log lines otherwise), exit code 2 for usage
// errors and 1 for runtime errors (3 when a quality gate fails), the error
// also written to /dev/termination-log when writable, atomic commit of the
// outputs, and a machine-readable summary (rows in/out, bytes, seconds).
//
// A component's run function takes its parameters as a struct
// (MainOf, Typed): the harness validates the flag and env values against
// the contract, then decodes them once into the struct's fields by their
// `param:"<flag>"` tags (embedded structs are shared groups; a field whose
// type is an encoding.TextUnmarshaler parses its value there, and a value
// it refuses is a usage error naming the flag). CheckParams holds a struct
// to its contract: one field of a fitting type per parameter, no other.
//
// With --step-cache the harness first computes the step's cache key
// (binary, contract, parameters and input contents, see internal/stepcache)
// and, when <store>/cache holds a valid entry for it, restores the cached
// outputs and results instead of running (summary cache: hit); otherwise
// it runs and records an entry after success (cache: miss). The same flag
// works locally and on Argo, since the check runs inside the component.
package component
