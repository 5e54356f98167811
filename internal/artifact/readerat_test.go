package artifact_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/artifact/artifacttest"
)

func TestWithReaderAt(t *testing.T) {
	ctx := context.Background()
	fs, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("0123456789"), 10_000)
	w, err := fs.Create(ctx, "a/obj")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		store    artifact.Store
		buffered bool
	}{{"reader at", fs, false}, {"buffered", artifacttest.StreamOnly(fs), true}} {
		var tmp string
		err := artifact.WithReaderAt(ctx, tc.store, "a/obj", int64(len(want)), func(r io.ReaderAt, n int64) error {
			if f, ok := r.(*os.File); ok && tc.buffered {
				tmp = f.Name()
				// Unlinked as soon as it is made: a killed process
				// leaves nothing behind.
				if _, err := os.Stat(tmp); !os.IsNotExist(err) {
					t.Errorf("buffered: %s visible while in use (%v)", tmp, err)
				}
			}
			got := make([]byte, 25)
			if _, err := r.ReadAt(got, 99_975); err != nil {
				return err
			}
			if n != int64(len(want)) || !bytes.Equal(got, want[99_975:]) {
				t.Errorf("%s: size %d, tail %q", tc.name, n, got)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.buffered {
			if tmp == "" || filepath.Dir(tmp) != filepath.Clean(os.TempDir()) {
				t.Errorf("buffered: read from %q, want a temporary file", tmp)
			} else if _, err := os.Stat(tmp); !os.IsNotExist(err) {
				t.Errorf("buffered: %s left behind (%v)", tmp, err)
			}
		}
	}
	if err := artifact.WithReaderAt(ctx, fs, "a/missing", 0, func(io.ReaderAt, int64) error { return nil }); err == nil {
		t.Error("a missing object gave no error")
	}
}
