// Package serving is tweetflow's model server library: it loads exported
// models, keeps a registry of versions with hot reload, and answers HTTP
// prediction requests (net/http, no framework).
//
// # Models
//
// A model folder is the export-onnx output: model.onnx plus featurizer.json
// and vocab.txt (the featurizer that maps cleaned text to token ids) and an
// optional metadata.json. Load reads one from a local path, file:// or
// s3:// URI (with the caller's artifact.Resolver, WithResolver: without
// one it reads local paths and file:// URIs only, as the library builds no
// S3 settings of its own), LoadLocation from a
// location the caller resolved; a committed folder (with _SUCCESS.json) has
// its files checked against the manifest. Readers trust only committed
// outputs: an s3 folder must be committed, and a local folder without
// _SUCCESS.json is served only when it is not a tweetflow output at all (a
// hand-made folder, or the /models/<version> folder baked into a serving
// image); one holding a _staging area is an output whose commit did not
// finish (its files may be half old, half new) and is refused. The ONNX graph runs in the pure-Go
// runtime (internal/onnx/runtime): a raw text is cleaned with the
// text.Options the model records (metadata key "text_options" of model.onnx
// or of metadata.json; text.DefaultOptions otherwise), featurized, and the
// token ids are fed to the graph. Labels come from the "labels" metadata of
// model.onnx (else metadata.json), the version from "model_version" (else
// metadata.json, else the folder name), the creation time from
// metadata.json's created_at.
//
// # Registry and reload
//
// A Registry serves several versions: explicit folders (Source.Models) or a
// root folder with one sub-folder per version (Source.Root). The default
// version is the newest by created_at, then by version. Reload rescans,
// loads only new or changed folders (by manifest digest or file sizes and
// times) and swaps the new Set in with an atomic pointer: requests in
// flight finish on the Set they started with. Server.Watch reloads
// periodically and on a trigger (SIGHUP in the serve component); POST
// /admin/reload reloads too.
//
// # HTTP API
//
//	POST /predict            {"text": "..."} -> {"label","score","probabilities","model_version"}
//	                         {"texts": [...]} or {"instances": ["..." | {"text": "..."}]}
//	                         -> {"predictions": [...], "model_version"}
//	POST /predict/{version}  the same with a chosen version (or a "model" field)
//	GET  /models             loaded versions: version, labels, positive_label,
//	                         text_options (how the model cleans text), created_at,
//	                         digest, default
//	GET  /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}[/versions/{v}][/ready]
//	POST /v2/models/{name}[/versions/{v}]/infer   KServe v2 (BYTES "text" in; label, probabilities out)
//	GET  /healthz, /readyz, /metrics (Prometheus text format); POST /admin/reload
//
// Bad requests get a 4xx JSON body {"error": "...", "field": "..."}: bad
// JSON, a missing or non-string text, empty or over-long texts, invalid
// UTF-8, over-large bodies (413, after reading and discarding up to 64 MiB
// of the body so the client reads the answer instead of a reset), bodies
// not received within the http.Server's read timeout (408), too many
// texts, wrong methods (405) and unknown versions (404). POST /admin/reload
// takes a bearer token (WithAdminToken: 401 without it) or is disabled
// (WithAdminDisabled: 403). Unknown JSON fields are ignored and any content
// type is accepted.
//
// # Speed
//
// The common body {"text": "..."} is parsed by hand; responses are written
// with append-style encoders from pre-encoded labels; request buffers,
// ONNX sessions and featurizer scratch are pooled, so a single prediction
// allocates little; the per-label prediction counters are updated once per
// label and request, not per text. Batches are sorted by length and run in
// chunks of 32 rows (little padding); from 64 texts on, the chunks of a
// batch are shared by up to GOMAXPROCS goroutines (the request's and
// others), each taking the next chunk until none is left, so both cores
// work on one batch. The embedding bag of the graph runs in AVX2 assembly
// with prefetching on huge pages (internal/onnx/runtime). The featurizer
// looks tokens up in a table built at load time (see the Performance
// section of internal/model/classifier/featurize) and allocates nothing
// for most texts.
// See the benchmarks in server_bench_test.go (BenchmarkRealBodies replays
// real request bodies against a model folder) and hack/bench-serve.sh (wrk
// and an open-loop load generator against the server and a Flask peer,
// with CPU time per request).
//
// # Performance
//
// hack/bench-serve.sh (wrk and an open-loop generator, beside a Flask
// peer) and BenchmarkRealBodies measure the server; their figures, with
// the command and the machine's load, are in docs/benchmarks.md.
package serving
