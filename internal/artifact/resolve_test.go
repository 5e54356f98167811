package artifact_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
			loc, err := artifact.Resolve(ctx, tc.uri, cfg)
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
