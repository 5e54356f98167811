// Package artifact moves stage outputs between tweetflow components.
//
// A Store is a flat key/value blob store addressed by slash-separated keys.
// FS (a local folder, the embedded default) and S3 (AWS S3 or MinIO, via
// minio-go) implement it, and both pass the conformance suite in
// artifacttest, which pins down the exact semantics (key rules, List as a
// plain string-prefix match sorted by key, ErrNotExist, Abort, Rename).
//
// A Resolver turns an artifact URI ("s3://bucket/prefix", "file:///abs/path"
// or a plain path) into a Store and a key. Each binary builds one at its
// composition root from its S3 settings (an S3Config, which package
// settings resolves from flags and env, the same way in every binary) and
// hands it down; it keeps one S3 client per bucket. Stages and libraries
// take resolved Locations, or the Resolver when they must resolve a URI
// themselves, and never build S3 settings of their own.
//
// On top of the stores, this package decides the run layout in one place:
//
//	<root>/runs/<run-id>/<stage>/<output>/...
//
// and the commit protocol that makes outputs atomic. An Output writes its
// files into a staging area under the output prefix
// (<prefix>/_staging/<time>-<random>/), and Commit publishes them: it deletes
// the old _SUCCESS.json manifest first (from then on readers see
// ErrNotCommitted, never a mix of versions), deletes the files of the
// previous version, renames the staged files into place and writes the new
// manifest last. Readers only trust prefixes that carry a manifest, and only
// the files it lists (with their sizes and SHA-256), so a killed stage never
// leaves a half-written output that the next stage would read: killed
// before Commit, the previous committed version stays intact; killed during
// Commit, the output reads as not committed until the stage is rerun.
// Staging areas of killed stages remain until PruneStaging or
// PruneStaleStaging removes them.
//
// One writer per step: AcquireLease takes a lease object
// (runs/<run-id>/<step>/_lease.json: owner token, holder, host, pid, expiry)
// with a compare-and-swap (the Conditional interface: a flock on the key's
// folder for FS, conditional PUTs with If-None-Match / If-Match for S3),
// renews it while the step runs and marks it released at the end. A second
// writer of the same step fails with ErrLeaseHeld naming the holder, unless
// the holder is dead: its process is gone (same host), or it has not renewed
// the lease for its whole TTL (elsewhere). The holder re-checks the lease
// before publishing (Lease.Check). Staging areas made with NewOutputOwned
// carry the owner token, so those of a writer whose lease is no longer live
// are known leftovers whatever their age.
package artifact
