// Package artifacttest is the conformance suite of artifact.Store: every
// implementation must pass Run (in the style of go-containerregistry's
// validate package).
//
//	func TestConformance(t *testing.T) {
//		artifacttest.Run(t, func(t *testing.T) artifact.Store {
//			st, err := artifact.NewFS(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return st
//		})
//	}
//
// The suite pins down the semantics the rest of tweetflow relies on:
//
//   - Keys are slash separated, non-empty, with no leading or trailing slash
//     and no empty, "." or ".." element; other keys are rejected.
//   - Create's object appears only when Close returns nil; Abort, or a
//     context cancelled before Close, leaves no object (and an existing
//     object under the key untouched).
//   - Open, Stat and Rename of a missing key fail with an error wrapping
//     artifact.ErrNotExist (errors.Is). A key that is only a folder of other
//     keys ("a" when "a/b" exists) is missing too.
//   - List(prefix) returns the objects whose key starts with prefix as a
//     plain string prefix, sorted by key (byte order). So "a/b" matches
//     "a/b/1", "a/b.txt" and "a/bc/2"; "a/b/" matches only "a/b/1"; ""
//     matches everything. A prefix that matches nothing gives an empty
//     list, not an error.
//   - Rename replaces dst and removes src; Delete of a missing key is not an
//     error.
//   - Concurrent writers of different keys, and of the same key (one
//     complete version wins), are safe.
//   - Objects larger than one S3 part (16 MiB) round-trip intact (skipped
//     with -short).
//   - The Output commit protocol: staged files are invisible before Commit
//     (ReadManifest fails with artifact.ErrNotCommitted); Commit removes the
//     old manifest first, so during a commit readers see "not committed",
//     then removes the files of the previous version, moves the new files
//     in and writes the manifest last; a stage killed before Commit leaves
//     the previous committed version readable; Abort and PruneStaging
//     remove staging areas.
//
// Each subtest asks newStore for a fresh, empty store.
package artifacttest
