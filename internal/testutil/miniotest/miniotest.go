package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
)

// Environment variables read by this package.
const (
	// EnvBinary names the minio binary to run.
	EnvBinary = "MINIO_BIN"
	// EnvRequire set to "1" turns a missing binary into a test failure.
	EnvRequire = "TWEETFLOW_REQUIRE_MINIO"
	// EnvCache overrides the cache folder of hack/install-minio.sh.
	EnvCache = "TWEETFLOW_CACHE"
)

// Region is the region of the test server.
const Region = "us-east-1"

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 3 // a free port may be taken before the server binds it
)

// Server is a running MinIO server and a bucket on it.
type Server struct {
	Endpoint  string // 127.0.0.1:port, no scheme
	AccessKey string
	SecretKey string
	Bucket    string        // created empty for this Server value
	Client    *minio.Client // admin client (root credentials)

	proc *process
}

// Config is the S3Config that reaches the server: plain HTTP, path style,
// root credentials.
func (s *Server) Config() artifact.S3Config {
	return artifact.S3Config{
		Endpoint:  s.Endpoint,
		Region:    Region,
		AccessKey: s.AccessKey,
		SecretKey: s.SecretKey,
		Insecure:  true,
		PathStyle: true,
	}
}

// URL is the endpoint as an http:// URL.
func (s *Server) URL() string { return "http://" + s.Endpoint }

// NewBucket returns a copy of s with a fresh empty bucket on the same server.
func (s *Server) NewBucket(t testing.TB) *Server {
	t.Helper()
	c := *s
	c.Bucket = newBucketName()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Client.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{Region: Region}); err != nil {
		t.Fatalf("creating bucket %q on minio %s: %v", c.Bucket, s.Endpoint, err)
	}
	return &c
}

var bucketSeq atomic.Int64

func newBucketName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("test-%d-%s", bucketSeq.Add(1), hex.EncodeToString(b[:]))
}

// Binary finds the minio binary: $MINIO_BIN, else the cache folder of
// hack/install-minio.sh, else "minio" on PATH.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("finding minio from %s (unset it, or run hack/install-minio.sh): %w", EnvBinary, err)
		}
		return p, nil
	}
	cache := os.Getenv(EnvCache)
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache", "tweetflow")
		}
	}
	if cache != "" {
		p := filepath.Join(cache, "bin", "minio")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("minio")
	if err != nil {
		return "", errors.New("minio binary not found (set MINIO_BIN, or run hack/install-minio.sh)")
	}
	return p, nil
}

// binaryOrSkip finds the binary, or skips (fails with TWEETFLOW_REQUIRE_MINIO=1).
func binaryOrSkip(t testing.TB) string {
	t.Helper()
	return servertest.BinaryOrSkip(t, Binary, EnvRequire, "S3")
}

// Start runs a private MinIO server for the test, with a fresh bucket. It
// is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return shared.Start(t).server().NewBucket(t)
}

var shared = servertest.Shared[*process]{
	Binary: binaryOrSkip,
	Launch: func(bin string, t testing.TB) (*process, error) {
		if t != nil {
			return launch(bin, t.TempDir())
		}
		dir, err := os.MkdirTemp("", "miniotest-")
		if err != nil {
			return nil, err
		}
		p, err := launch(bin, dir)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		p.dir = dir
		return p, nil
	},
	Stop: func(p *process) {
		p.stop()
		if p.dir != "" {
			os.RemoveAll(p.dir)
		}
	},
}

// Shared returns the package's shared MinIO server with a fresh bucket for
// the test. The server starts on first use and is stopped by Main, which
// the package's TestMain must call; without Main, Shared falls back to Start.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.Get(t).server().NewBucket(t)
}

// Main runs the tests of a package that uses Shared and stops the shared
// server afterwards. Call it from TestMain: func TestMain(m *testing.M) { miniotest.Main(m) }.
func Main(m *testing.M) { shared.Main(m) }

// process is one running minio server.
type process struct {
	*servertest.Proc
	endpoint  string
	accessKey string
	secretKey string
	client    *minio.Client
	dir       string // data folder removed by Main (shared server only)
}

func (p *process) server() *Server {
	return &Server{Endpoint: p.endpoint, AccessKey: p.accessKey, SecretKey: p.secretKey, Client: p.client, proc: p}
}

// launch starts minio on dataDir, retrying with new ports if it fails to start.
func launch(bin, dataDir string) (*process, error) {
	var errs []error
	for i := 0; i < startTries; i++ {
		p, err := launchOnce(bin, filepath.Join(dataDir, fmt.Sprintf("try%d", i)))
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("starting minio %s: %w", bin, errors.Join(errs...))
}

func launchOnce(bin, dir string) (*process, error) {
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
		return nil, err
	}
	ports, err := servertest.FreePorts(2)
	if err != nil {
		return nil, err
	}
	p := &process{
		endpoint:  fmt.Sprintf("127.0.0.1:%d", ports[0]),
		accessKey: "tweetflow-test",
		secretKey: "tweetflow-test-secret-" + randomHex(8),
	}
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"),
		"--address", p.endpoint,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--certs-dir", filepath.Join(dir, "certs"),
		"--quiet")
	cmd.Env = append(cleanEnv(os.Environ()),
		"MINIO_ROOT_USER="+p.accessKey,
		"MINIO_ROOT_PASSWORD="+p.secretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"HOME="+dir,
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	servertest.DieWithParent(cmd.SysProcAttr)
	if p.Proc, err = servertest.Start(cmd); err != nil {
		return nil, err
	}
	if err := p.waitReady(); err != nil {
		p.stop()
		return nil, err
	}
	p.client, err = minio.New(p.endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(p.accessKey, p.secretKey, ""),
		Region:       Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitReady polls /minio/health/ready until it answers 200.
func (p *process) waitReady() error {
	hc := &http.Client{Timeout: time.Second}
	url := "http://" + p.endpoint + "/minio/health/ready"
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.Exited():
			return fmt.Errorf("minio exited early (%v): %s", p.Err(), p.Tail())
		default:
		}
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("minio not ready at %s after %v: %s", url, readyTimeout, p.Tail())
}

// stop ends the server by PID (SIGTERM, then SIGKILL) and waits for it.
func (p *process) stop() { p.Stop(syscall.SIGTERM, stopTimeout) }

// cleanEnv drops the MinIO and AWS variables of the caller, which could
// change the server's behaviour.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "MINIO_") || strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
