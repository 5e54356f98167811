package artifact_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/artifact/artifacttest"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
)

// The S3 tests share one MinIO server (see miniotest); each gets a bucket.
func TestMain(m *testing.M) { miniotest.Main(m) }

func newS3(t *testing.T) (*artifact.S3, *miniotest.Server) {
	t.Helper()
	srv := miniotest.Shared(t)
	st, err := artifact.NewS3(context.Background(), srv.Bucket, srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	return st, srv
}

func TestS3Conformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store {
		st, _ := newS3(t)
		return st
	})
}

func TestS3AbortLeavesNoMultipartUpload(t *testing.T) {
	ctx := context.Background()
	st, srv := newS3(t)
	w, err := st.Create(ctx, "big/aborted")
	if err != nil {
		t.Fatal(err)
	}
	// More than one part, so a multipart upload has started.
	chunk := make([]byte, 1<<20)
	for i := 0; i < artifact.DefaultPartSize>>20+2; i++ {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	for u := range srv.Client.ListIncompleteUploads(ctx, srv.Bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		t.Errorf("incomplete upload left behind: %+v", u)
	}
	if _, err := st.Stat(ctx, "big/aborted"); !errors.Is(err, artifact.ErrNotExist) {
		t.Errorf("Stat after Abort: %v, want ErrNotExist", err)
	}
}

func TestS3SmallObjectsUseOnePut(t *testing.T) {
	// An object that fits one part is a plain PUT: its ETag is an MD5, not
	// the "<md5>-<parts>" of a multipart upload.
	ctx := context.Background()
	st, srv := newS3(t)
	write(t, st, "small", "hello")
	info, err := srv.Client.StatObject(ctx, srv.Bucket, "small", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(info.ETag, "-") {
		t.Errorf("ETag %q: small object went through a multipart upload", info.ETag)
	}
}

func TestS3URI(t *testing.T) {
	st, srv := newS3(t)
	if got, want := st.URI("runs/x/f"), "s3://"+srv.Bucket+"/runs/x/f"; got != want {
		t.Errorf("URI = %q, want %q", got, want)
	}
	if got, want := st.URI(""), "s3://"+srv.Bucket; got != want {
		t.Errorf("URI(\"\") = %q, want %q", got, want)
	}
}

func TestS3ResolveReachesTheBucket(t *testing.T) {
	ctx := context.Background()
	_, srv := newS3(t)
	loc, err := artifact.NewResolver(srv.Config()).Resolve(ctx, "s3://"+srv.Bucket+"/some/prefix/")
	if err != nil {
		t.Fatal(err)
	}
	if loc.Key != "some/prefix" || loc.URI() != "s3://"+srv.Bucket+"/some/prefix" {
		t.Errorf("Resolve = key %q, URI %q", loc.Key, loc.URI())
	}
	o := artifact.NewOutput(loc.Store, loc.Key+"/"+artifact.OutputKey("r1", "ingest", "raw"))
	if err := o.WriteFile(ctx, "part-0.csv", strings.NewReader("a,b\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	obj, err := srv.Client.GetObject(ctx, srv.Bucket, "some/prefix/runs/r1/ingest/raw/part-0.csv", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if b, err := io.ReadAll(obj); err != nil || string(b) != "a,b\n" {
		t.Errorf("object = %q, %v", b, err)
	}
	if err := loc.Store.(*artifact.S3).Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	_, srv := newS3(t)
	// A missing bucket is an error, but not ErrNotExist of a key.
	missing, err := artifact.NewS3(ctx, "no-such-bucket-here", srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := missing.Check(ctx); err == nil {
		t.Error("Check of a missing bucket: no error")
	}
	if _, err := missing.Stat(ctx, "k"); err == nil {
		t.Error("Stat in a missing bucket: no error")
	}
	if w, err := missing.Create(ctx, "k"); err != nil {
		t.Fatal(err)
	} else if err := w.Close(); err == nil {
		t.Error("writing to a missing bucket: no error")
	}
	// Wrong credentials.
	cfg := srv.Config()
	cfg.SecretKey = "wrong-secret"
	bad, err := artifact.NewS3(ctx, srv.Bucket, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Check(ctx); err == nil {
		t.Error("Check with a wrong secret: no error")
	}
	if _, err := bad.List(ctx, ""); err == nil {
		t.Error("List with a wrong secret: no error")
	}
	if _, err := bad.Stat(ctx, "k"); err == nil || errors.Is(err, artifact.ErrNotExist) {
		t.Errorf("Stat with a wrong secret: %v, want an error other than ErrNotExist", err)
	}
}

func TestS3LargeObjectIsMultipart(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping a 17 MiB upload in -short mode")
	}
	ctx := context.Background()
	st, srv := newS3(t)
	data := strings.Repeat("0123456789abcdef", (artifact.DefaultPartSize+1<<20)/16)
	write(t, st, "big", data)
	info, err := srv.Client.StatObject(ctx, srv.Bucket, "big", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(info.ETag, "-2") || info.Size != int64(len(data)) {
		t.Errorf("ETag %q, size %d: want a 2-part upload of %d bytes", info.ETag, info.Size, len(data))
	}
}

func TestS3Lease(t *testing.T) {
	artifacttest.RunLease(t, func(t *testing.T) artifact.Store {
		st, _ := newS3(t)
		return st
	})
}
