package serving

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
)

// TestS3Models serves committed model folders from MinIO: a single s3://
// URI and a models root with one folder per version. Skipped without the
// MinIO binary (hack/install-minio.sh) unless TWEETFLOW_REQUIRE_MINIO=1.
func TestS3Models(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	st, err := artifact.NewS3(ctx, srv.Bucket, srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	put := func(version string, created time.Time) {
		tm, err := servingtest.Random(servingtest.Options{Version: version, CreatedAt: created})
		if err != nil {
			t.Fatal(err)
		}
		o := artifact.NewOutput(st, "models/"+version)
		for n, b := range tm.Files {
			if err := o.WriteFile(ctx, n, bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := o.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	put("s3-a", t0)
	m, err := Load(ctx, "s3://"+srv.Bucket+"/models/s3-a", WithResolver(artifact.NewResolver(srv.Config())))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != "s3-a" {
		t.Fatalf("version %q", m.Version())
	}
	// An uncommitted S3 folder is refused.
	w, err := st.Create(ctx, "models/half/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, "s3://"+srv.Bucket+"/models/half", WithResolver(artifact.NewResolver(srv.Config()))); !errors.Is(err, artifact.ErrNotCommitted) {
		t.Fatalf("uncommitted folder: %v", err)
	}
	// A registry over the root picks up a newer version on reload.
	reg := NewRegistry(Source{Root: "s3://" + srv.Bucket + "/models", Resolver: artifact.NewResolver(srv.Config())})
	if _, err := reg.Reload(ctx); err == nil {
		t.Error("the uncommitted folder should be reported")
	}
	if d := reg.Current().Default(); d == nil || d.Version() != "s3-a" {
		t.Fatalf("default %v", d)
	}
	put("s3-b", t0.Add(time.Hour))
	changed, _ := reg.Reload(ctx)
	if d := reg.Current().Default(); !changed || d.Version() != "s3-b" || len(reg.Current().Models()) != 2 {
		t.Fatalf("after reload: changed %v default %v", changed, d.Version())
	}
	loads := reg.Loads()
	if changed, _ := reg.Reload(ctx); changed || reg.Loads() != loads {
		t.Errorf("unchanged bucket reloaded: changed %v loads %d -> %d", changed, loads, reg.Loads())
	}
}

// TestNoResolverIsLocalOnly: a library caller that gives no resolver gets
// local paths and file:// URIs only (TestLoadCommittedArtifact); an s3://
// model is refused before any request, saying which option to pass, as
// serving builds no S3 settings of its own.
func TestNoResolverIsLocalOnly(t *testing.T) {
	ctx := context.Background()
	_, err := Load(ctx, "s3://bucket/models/v1")
	if !errors.Is(err, artifact.ErrNoS3) || !strings.Contains(err.Error(), "serving.WithResolver") {
		t.Errorf("Load of s3:// without a resolver: %v", err)
	}
	for _, src := range []Source{{Root: "s3://bucket/models"}, {Models: []string{"S3://bucket/models/v1"}}} {
		_, err := NewRegistry(src).Reload(ctx)
		if !errors.Is(err, artifact.ErrNoS3) || !strings.Contains(err.Error(), "Source.Resolver") {
			t.Errorf("registry of %+v without a resolver: %v", src, err)
		}
	}
}
