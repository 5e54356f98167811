package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ErrNotExist is returned (wrapped) when a key does not exist.
var ErrNotExist = errors.New("artifact does not exist")

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key     string // full key relative to the store root, slash separated
	Size    int64
	ModTime time.Time
}

// Store is the small interface every artifact backend implements.
//
// Keys are slash-separated, relative to the store root: non-empty, no
// leading or trailing slash, no empty, "." or ".." element. Invalid keys are
// rejected with an error. On FS a key cannot also be a folder of other keys
// ("a" and "a/b"), so layouts must avoid that.
//
// Implementations: FS (a local folder, the embedded default) and S3 (minio-go).
// Every implementation must pass the conformance suite in artifacttest.
type Store interface {
	// Create returns a writer for key. The object becomes visible under key
	// only after Close returns nil; an aborted write (Abort, or ctx cancelled)
	// leaves no object behind.
	Create(ctx context.Context, key string) (Writer, error)
	// Open opens key for reading. Missing keys give an error wrapping ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes key. Missing keys give an error wrapping ErrNotExist.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns every object whose key starts with prefix as a plain
	// string prefix ("a/b" matches "a/b/1", "a/b.txt" and "a/bc/2"; "a/b/"
	// only "a/b/1"), sorted by key in byte order. No match is an empty list.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Rename moves src to dst, replacing dst. On FS it is an atomic rename;
	// on S3 a server-side copy followed by a delete.
	Rename(ctx context.Context, src, dst string) error
	// Delete removes key; deleting a missing key (or a key that is only a
	// folder of other keys) is not an error.
	Delete(ctx context.Context, key string) error
	// URI returns the canonical URI of key, e.g. "file:///data/runs/x" or "s3://bucket/p/runs/x".
	URI(key string) string
}

// Writer is an object being written. Close commits it, Abort discards it.
type Writer interface {
	io.Writer
	Close() error
	Abort() error
}

// WithReaderAt calls fn with the object at key as an io.ReaderAt and its
// size (size is the caller's, e.g. from the manifest): the store's reader
// when it is one (FS files, S3 objects), else a copy in a temporary file
// that is removed afterwards (Parquet footers need random access).
func WithReaderAt(ctx context.Context, s Store, key string, size int64, fn func(io.ReaderAt, int64) error) error {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if ra, ok := rc.(io.ReaderAt); ok {
		return fn(ra, size)
	}
	tmp, err := os.CreateTemp("", "tweetflow-object-*")
	if err != nil {
		return fmt.Errorf("buffering %q: %w", s.URI(key), err)
	}
	// Unlinked at once: nothing is left behind however the process ends
	// (Linux keeps the file while it is open).
	_ = os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, rc)
	if err != nil {
		return fmt.Errorf("buffering %q: %w", s.URI(key), err)
	}
	return fn(tmp, n)
}
