package pgtest

import (
	"context"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestSharedGivesSeparateDatabases(t *testing.T) {
	a := Shared(t)
	b := Shared(t)
	if a.Database == b.Database {
		t.Fatalf("two Shared calls gave the same database %q", a.Database)
	}
	if a.Port != b.Port {
		t.Fatalf("Shared started two servers: ports %d and %d", a.Port, b.Port)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ca, cb := a.Connect(t), b.Connect(t)
	if _, err := ca.Exec(ctx, "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := ca.QueryRow(ctx, "SELECT sum(x) FROM t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("sum = %d, %v; want 3", n, err)
	}
	// The table exists only in a's database.
	if _, err := cb.Exec(ctx, "SELECT * FROM t"); err == nil {
		t.Fatal("table of one database visible in another")
	}
	var db string
	if err := cb.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != b.Database {
		t.Fatalf("current_database = %q, %v; want %q", db, err, b.Database)
	}
}

func TestStartAndStop(t *testing.T) {
	var s *Server
	t.Run("run", func(t *testing.T) {
		s = Start(t)
		c := s.Connect(t)
		var v string
		if err := c.QueryRow(context.Background(), "SHOW server_version").Scan(&v); err != nil || v == "" {
			t.Fatalf("server_version = %q, %v", v, err)
		}
	})
	if s == nil {
		t.Skip("no server")
	}
	// After the subtest's cleanup the server is gone.
	select {
	case <-s.proc.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("server still running after the test ended")
	}
}
