package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
)

// Environment variables read by this package.
const (
	// EnvBin names the folder holding initdb and postgres.
	EnvBin = "TWEETFLOW_PG_BIN"
	// EnvRequire set to "1" turns a missing PostgreSQL into a test failure.
	EnvRequire = "TWEETFLOW_REQUIRE_POSTGRES"
)

// InstallHint is the command that installs PostgreSQL for the tests.
const InstallHint = "hack/install-postgres.sh"

const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 3 // a free port may be taken before the server binds it
	superuser    = "postgres"
)

// Server is a running PostgreSQL server and one database on it.
type Server struct {
	Host     string // 127.0.0.1
	Port     int
	Database string // created empty for this Server value
	User     string // the superuser; trust authentication, no password

	proc *process
}

// DSN is the connection string of the server's database.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", s.User, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), s.Database)
}

// Connect opens a connection to the database, closed when the test ends.
func (s *Server) Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("connecting to %s: %v", s.DSN(), err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Strings runs query and returns its one text column, in order.
func Strings(t testing.TB, conn *pgx.Conn, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// NewDatabase returns a copy of s with a fresh empty database on the same server.
func (s *Server) NewDatabase(t testing.TB) *Server {
	t.Helper()
	c := *s
	c.Database = fmt.Sprintf("test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, s.proc.dsn("postgres"))
	if err != nil {
		t.Fatalf("connecting to postgres on port %d: %v", s.Port, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{c.Database}.Sanitize()); err != nil {
		t.Fatalf("creating database %q: %v", c.Database, err)
	}
	return &c
}

var dbSeq atomic.Int64

// Binaries finds the folder holding initdb and postgres: $TWEETFLOW_PG_BIN,
// else the newest /usr/lib/postgresql/<version>/bin, else the folder of
// initdb on PATH.
func Binaries() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "postgres"} {
			if st, err := os.Stat(filepath.Join(dir, b)); err != nil || st.IsDir() {
				return false
			}
		}
		return true
	}
	if d := os.Getenv(EnvBin); d != "" {
		if !has(d) {
			return "", fmt.Errorf("finding initdb and postgres in %s=%q: missing (unset it, or run %s)", EnvBin, d, InstallHint)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, postgres) not found: run %s, or set %s", InstallHint, EnvBin)
}

// versionOf reads the major version of /usr/lib/postgresql/<version>/bin.
func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// binariesOrSkip finds the binaries, or skips (fails with TWEETFLOW_REQUIRE_POSTGRES=1).
func binariesOrSkip(t testing.TB) string {
	t.Helper()
	return servertest.BinaryOrSkip(t, Binaries, EnvRequire, "PostgreSQL")
}

// Start runs a private PostgreSQL server for the test with a fresh
// database. It is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return shared.Start(t).server().NewDatabase(t)
}

var shared = servertest.Shared[*process]{
	Binary: binariesOrSkip,
	Launch: func(bin string, _ testing.TB) (*process, error) { return launch(bin) },
	Stop:   (*process).stop,
}

// Shared returns the package's shared server with a fresh database for the
// test. The server starts on first use and is stopped by Main, which the
// package's TestMain must call; without Main, Shared falls back to Start.
func Shared(t testing.TB) *Server {
	t.Helper()
	return shared.Get(t).server().NewDatabase(t)
}

// Main runs the tests of a package that uses Shared and stops the shared
// server afterwards: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) { shared.Main(m) }

// process is one running postgres server.
type process struct {
	*servertest.Proc
	dir  string // temporary folder: data/ and the socket
	port int
}

func (p *process) server() *Server {
	return &Server{Host: "127.0.0.1", Port: p.port, User: superuser, proc: p}
}

func (p *process) dsn(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5", superuser, p.port, db)
}

// account is the system user the server runs as: nil when the tests do not
// run as root (the server runs as the current user).
type account struct{ uid, gid uint32 }

func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("looking up the postgres system user (PostgreSQL refuses to run as root; %s creates it): %w", InstallHint, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("reading the ids of user postgres: %w", err)
	}
	return &account{uid: uint32(uid), gid: uint32(gid)}, nil
}

// othersCanReach reports whether every folder from / down to dir can be
// entered by any user (the server runs as another user than the tests).
func othersCanReach(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		st, err := os.Stat(dir)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// command builds a command running as acct (when set), with the parent-death signal.
func command(acct *account, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	attr := &syscall.SysProcAttr{}
	if acct != nil {
		attr.Credential = &syscall.Credential{Uid: acct.uid, Gid: acct.gid, NoSetGroups: true}
	}
	servertest.DieWithParent(attr)
	cmd.SysProcAttr = attr
	cmd.Env = append(cleanEnv(os.Environ()), "LC_ALL=C", "TZ=UTC")
	return cmd
}

// launch initialises a cluster in a fresh folder and starts it, retrying
// with new ports when the server fails to start.
func launch(bin string) (*process, error) {
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if acct != nil && !othersCanReach(base) {
		base = "/tmp" // TMPDIR under a private home: the postgres user could not enter it
	}
	dir, err := os.MkdirTemp(base, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("creating the server folder: %w", err)
	}
	if acct != nil {
		if err := os.Chown(dir, int(acct.uid), int(acct.gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("handing %q to the postgres user: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := command(acct, filepath.Join(bin, "initdb"), "-D", data, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("running initdb in %q: %w: %s", data, err, servertest.Tail(string(out)))
	}
	var errs []error
	for range startTries {
		p, err := start(acct, bin, dir)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	os.RemoveAll(dir)
	return nil, fmt.Errorf("starting postgres from %s: %w", bin, errors.Join(errs...))
}

func start(acct *account, bin, dir string) (*process, error) {
	ports, err := servertest.FreePorts(1)
	if err != nil {
		return nil, err
	}
	port := ports[0]
	p := &process{dir: dir, port: port}
	cmd := command(acct, filepath.Join(bin, "postgres"),
		"-D", filepath.Join(dir, "data"),
		"-p", strconv.Itoa(port),
		"-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=50",
		"-c", "shared_buffers=32MB",
	)
	if p.Proc, err = servertest.Start(cmd); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	if err := p.waitReady(); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// waitReady connects until the server accepts connections.
func (p *process) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.Exited():
			return fmt.Errorf("postgres exited early (%v): %s", p.Err(), p.Tail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, p.dsn("postgres"))
		if err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres not ready on port %d after %v (%v): %s", p.port, readyTimeout, last, p.Tail())
}

// stop shuts the server down and removes its folder.
func (p *process) stop() {
	p.kill()
	os.RemoveAll(p.dir)
}

// kill ends the server by PID: SIGINT (fast shutdown), then SIGKILL.
func (p *process) kill() { p.Stop(syscall.SIGINT, stopTimeout) }

// cleanEnv drops the caller's libpq and locale variables, which could
// change the server's behaviour.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "TZ=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
