// Package stepcache lets a pipeline step reuse the outputs of an earlier,
// identical run of the same component instead of running again.
//
// A step's cache key (Spec.Key) is a sha256 over, in a canonical encoding:
//
//   - the component's name and version: the sha256 of its binary, the
//     build's version string and the contract (its flags, inputs and
//     outputs), so a rebuilt component misses;
//   - its resolved parameter values (the flags, not the run ID, step name or
//     output locations);
//   - the content digest of every input: the artifact.Manifest.Digest() of a
//     committed output, or, for raw sources (files, globs, folders or
//     s3:// prefixes without a manifest), a sha256 over each file's name
//     relative to its pattern root, size and content (ContentDigest).
//
// After a successful step the harness records an Entry at
// <store>/cache/<key>.json with the URIs and digests of its outputs, its
// results and row counts. On a later run with the same key, the entry is
// checked (every output is still committed with the recorded digest:
// Entry.Check) and the outputs are restored into the new step's output
// locations: a copy of each file (Restore; Store.Open + Output.Create, then
// the usual atomic Commit), or nothing when the location is the cached one.
//
// Copying keeps the run layout self-contained: downstream steps, reruns and
// the Argo UI find every output at <store>/runs/<run-id>/<step>/<output>,
// and deleting an old run never breaks a newer one. The cost is one read
// and one write of each cached output; on S3 a server-side copy would be
// cheaper, but the Store interface has none (Rename deletes the source).
//
// The same code runs in every component (internal/component's --step-cache
// flag), so a local run and an Argo workflow share the cache when they
// share the store.
package stepcache
