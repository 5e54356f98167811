package artifact_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

func TestResolve(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "dir", "data.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(base)
	cfg := artifact.S3Config{Endpoint: "127.0.0.1:1", Insecure: true} // never contacted
	for _, tc := range []struct {
		uri     string
		root    string // FS root; "" for S3
		bucket  string // S3 bucket
		key     string
		uriOut  string // Location.URI(), when it differs from the input
		wantErr string
	}{
		{uri: filepath.Join(base, "dir"), root: filepath.Join(base, "dir")},
		{uri: filepath.Join(base, "dir") + "/", root: filepath.Join(base, "dir"), uriOut: "file://" + filepath.Join(base, "dir")},
		{uri: "dir", root: filepath.Join(base, "dir"), uriOut: "file://" + filepath.Join(base, "dir")},
		{uri: "dir/data.csv", root: filepath.Join(base, "dir"), key: "data.csv", uriOut: "file://" + filepath.Join(base, "dir", "data.csv")},
		{uri: "dir/new/out", root: filepath.Join(base, "dir"), key: "new/out", uriOut: "file://" + filepath.Join(base, "dir", "new", "out")},
		{uri: "file://" + filepath.Join(base, "dir", "data.csv"), root: filepath.Join(base, "dir"), key: "data.csv"},
		{uri: "FILE://" + filepath.Join(base, "dir"), root: filepath.Join(base, "dir"), uriOut: "file://" + filepath.Join(base, "dir")},
		{uri: "file://localhost" + filepath.Join(base, "dir"), root: filepath.Join(base, "dir"), uriOut: "file://" + filepath.Join(base, "dir")},
		{uri: "s3://bucket/runs/x", bucket: "bucket", key: "runs/x"},
		{uri: "s3://bucket/runs/x/", bucket: "bucket", key: "runs/x", uriOut: "s3://bucket/runs/x"},
		{uri: "s3://bucket", bucket: "bucket"},
		{uri: "S3://bucket/p", bucket: "bucket", key: "p", uriOut: "s3://bucket/p"},
		{uri: "", wantErr: "empty"},
		{uri: "s3:///prefix", wantErr: "missing bucket"},
		{uri: "s3://", wantErr: "missing bucket"},
		{uri: "s3://bucket/a//b", wantErr: "invalid key"},
		{uri: "s3://bucket/a/../b", wantErr: "invalid key"},
		{uri: "file://server/share/x", wantErr: "not host"},
		{uri: "file://", wantErr: "missing path"},
		{uri: "gs://bucket/x", wantErr: "unsupported scheme"},
		{uri: "http://example.com/x", wantErr: "unsupported scheme"},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			loc, err := artifact.NewResolver(cfg).Resolve(ctx, tc.uri)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch st := loc.Store.(type) {
			case *artifact.FS:
				if tc.root == "" || st.Root() != tc.root {
					t.Errorf("FS root = %q, want %q", st.Root(), tc.root)
				}
			case *artifact.S3:
				if tc.bucket == "" || st.Bucket() != tc.bucket {
					t.Errorf("bucket = %q, want %q", st.Bucket(), tc.bucket)
				}
			default:
				t.Fatalf("store %T", loc.Store)
			}
			if loc.Key != tc.key {
				t.Errorf("key = %q, want %q", loc.Key, tc.key)
			}
			want := tc.uriOut
			if want == "" {
				want = tc.uri
				if !strings.Contains(want, "://") {
					want = "file://" + want
				}
			}
			if loc.URI() != want {
				t.Errorf("URI = %q, want %q", loc.URI(), want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(base, "dir", "new")); err == nil {
		t.Error("Resolve created a missing folder")
	}
}

// TestResolverSharesOneStorePerBucket: every URI on a bucket resolves to
// the one S3 store (one client) of the Resolver, also when resolved
// concurrently; another bucket or another Resolver gets its own.
func TestResolverSharesOneStorePerBucket(t *testing.T) {
	ctx := context.Background()
	cfg := artifact.S3Config{Endpoint: "127.0.0.1:1", Insecure: true} // never contacted
	r := artifact.NewResolver(cfg)
	if r.S3Config() != cfg {
		t.Fatalf("S3Config() = %+v, want %+v", r.S3Config(), cfg)
	}
	stores := make([]artifact.Store, 16)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loc, err := r.Resolve(ctx, fmt.Sprintf("s3://bucket/runs/r%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			stores[i] = loc.Store
		}()
	}
	wg.Wait()
	for i, st := range stores {
		if st != stores[0] {
			t.Fatalf("URI %d on the bucket got store %p, want the shared %p", i, st, stores[0])
		}
	}
	other, err := r.Resolve(ctx, "s3://other/x")
	if err != nil {
		t.Fatal(err)
	}
	if other.Store == stores[0] {
		t.Error("another bucket shares the store of the first")
	}
	again, err := artifact.NewResolver(cfg).Resolve(ctx, "s3://bucket/x")
	if err != nil {
		t.Fatal(err)
	}
	if again.Store == stores[0] {
		t.Error("a second Resolver shares the first one's store")
	}
}
