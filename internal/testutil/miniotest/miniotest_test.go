package miniotest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestMain(m *testing.M) { Main(m) }

func TestSharedServerGivesFreshBuckets(t *testing.T) {
	a := Shared(t)
	b := Shared(t)
	if a.Endpoint != b.Endpoint {
		t.Errorf("Shared started two servers: %s and %s", a.Endpoint, b.Endpoint)
	}
	if a.Bucket == b.Bucket {
		t.Errorf("Shared reused bucket %q", a.Bucket)
	}
	ctx := context.Background()
	data := []byte("hello minio")
	if _, err := a.Client.PutObject(ctx, a.Bucket, "k", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	obj, err := a.Client.GetObject(ctx, a.Bucket, "k", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v; want %q", got, err, data)
	}
	n := 0
	for o := range b.Client.ListObjects(ctx, b.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		n++
	}
	if n != 0 {
		t.Errorf("fresh bucket %q has %d objects", b.Bucket, n)
	}
	cfg := a.Config()
	if cfg.Endpoint != a.Endpoint || !cfg.Insecure || !cfg.PathStyle || cfg.AccessKey == "" || cfg.SecretKey == "" {
		t.Errorf("Config() = %+v", cfg)
	}
}

func TestStartStopsTheServer(t *testing.T) {
	var endpoint string
	t.Run("server", func(t *testing.T) {
		srv := Start(t)
		endpoint = srv.Endpoint
		resp, err := http.Get(srv.URL() + "/minio/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ready: %s", resp.Status)
		}
	})
	if endpoint == "" {
		t.Skip("no server started")
	}
	if resp, err := http.Get("http://" + endpoint + "/minio/health/live"); err == nil {
		resp.Body.Close()
		t.Errorf("server at %s still answers after its test ended", endpoint)
	}
}

// fakeTB records how binaryOrSkip ends the test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingBinary(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name        string
		bin         string // MINIO_BIN; "" searches the cache and PATH (both empty)
		require     string
		wantSkipped bool
		wantFailed  bool
	}{
		{name: "bad MINIO_BIN", bin: filepath.Join(empty, "no-minio"), wantSkipped: true},
		{name: "bad MINIO_BIN required", bin: filepath.Join(empty, "no-minio"), require: "1", wantFailed: true},
		{name: "not installed", wantSkipped: true},
		{name: "not installed required", require: "1", wantFailed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvBinary, tc.bin)
			t.Setenv(EnvCache, empty)
			t.Setenv("PATH", empty)
			t.Setenv(EnvRequire, tc.require)
			f := &fakeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				binaryOrSkip(f)
			}()
			<-done
			if f.skipped != tc.wantSkipped || f.failed != tc.wantFailed {
				t.Errorf("skipped=%v failed=%v, want skipped=%v failed=%v", f.skipped, f.failed, tc.wantSkipped, tc.wantFailed)
			}
			if !strings.Contains(f.msg, "hack/install-minio.sh") {
				t.Errorf("message %q does not name hack/install-minio.sh", f.msg)
			}
		})
	}
}
