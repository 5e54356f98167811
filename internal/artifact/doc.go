// Package artifact moves stage outputs between tweetflow components.
//
// A Store is a flat key/value blob store addressed by slash-separated keys
// (the filesystem and S3/MinIO implement it). On top of it, this package
// decides the run layout in one place:
//
//	<root>/runs/<run-id>/<stage>/<output>/...
//
// and the commit protocol that makes outputs atomic: a stage writes into a
// staging prefix, and Commit publishes the files under the final prefix and
// writes a _SUCCESS manifest last. Readers only trust prefixes that carry a
// manifest, and only the files it lists, so a killed stage never leaves a
// half-written output that the next stage would read.
package artifact
