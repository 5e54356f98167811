package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/tweetflow/tweetflow/internal/artifact"
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
	bin, err := Binary()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%v; %s=1 requires it", err, EnvRequire)
		}
		t.Skipf("skipping S3 test: %v", err)
	}
	return bin
}

// Start runs a private MinIO server for the test, with a fresh bucket. It
// is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binaryOrSkip(t)
	p, err := launch(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p.server().NewBucket(t)
}

var shared struct {
	mu   sync.Mutex
	main bool // Main is running the tests
	proc *process
	err  error
}

// Shared returns the package's shared MinIO server with a fresh bucket for
// the test. The server starts on first use and is stopped by Main, which
// the package's TestMain must call; without Main, Shared falls back to Start.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.mu.Lock()
	inMain := shared.main
	shared.mu.Unlock()
	if !inMain {
		return Start(t)
	}
	bin := binaryOrSkip(t) // may end the goroutine: not under the lock
	shared.mu.Lock()
	if shared.proc == nil && shared.err == nil {
		dir, err := os.MkdirTemp("", "miniotest-")
		if err == nil {
			shared.proc, err = launch(bin, dir)
			if err != nil {
				os.RemoveAll(dir)
			} else {
				shared.proc.dir = dir
			}
		}
		shared.err = err
	}
	p, err := shared.proc, shared.err
	shared.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return p.server().NewBucket(t)
}

// Main runs the tests of a package that uses Shared and stops the shared
// server afterwards. Call it from TestMain: func TestMain(m *testing.M) { miniotest.Main(m) }.
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	if shared.proc != nil {
		shared.proc.stop()
		os.RemoveAll(shared.proc.dir)
		shared.proc = nil
	}
	shared.mu.Unlock()
	os.Exit(code)
}

// process is one running minio server.
type process struct {
	cmd       *exec.Cmd
	endpoint  string
	accessKey string
	secretKey string
	client    *minio.Client
	dir       string // data folder removed by Main (shared server only)
	out       *lockedBuffer
	exited    chan struct{}
	waitErr   error
	stopOnce  sync.Once
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
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	p := &process{
		endpoint:  fmt.Sprintf("127.0.0.1:%d", ports[0]),
		accessKey: "tweetflow-test",
		secretKey: "tweetflow-test-secret-" + randomHex(8),
		out:       &lockedBuffer{},
		exited:    make(chan struct{}),
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
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	dieWithParent(cmd)
	// The parent-death signal follows the OS thread that forks: pin it.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		return nil, err
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
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
		case <-p.exited:
			return fmt.Errorf("minio exited early (%v): %s", p.waitErr, p.out.tail())
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
	return fmt.Errorf("minio not ready at %s after %v: %s", url, readyTimeout, p.out.tail())
}

// stop ends the server by PID (SIGTERM, then SIGKILL) and waits for it.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		if p.cmd == nil || p.cmd.Process == nil {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

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

// freePorts asks the kernel for n free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects the server output for error messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough for a diagnosis
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return strings.TrimSpace(s)
}
