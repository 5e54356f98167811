package component

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// TestSecondWriterOfAStepFails runs a step while the same step of the same
// run is still being written by another process (here: another Run in this
// process; the lease does not care): the second one fails with an error
// naming the holder, publishes nothing and leaves the first one's summary
// and outputs alone.
func TestSecondWriterOfAStepFails(t *testing.T) {
	store := t.TempDir()
	args := []string{"--store", store, "--run-id", "r1", "--termination-log", ""}
	staged := make(chan struct{})
	finish := make(chan struct{})
	first := make(chan int, 1)
	go func() {
		code, _, _ := runDemo(t, func(ctx context.Context, e *Env) error {
			if err := e.Output("out").WriteFile(ctx, "hello.txt", strings.NewReader("first")); err != nil {
				return err
			}
			close(staged)
			<-finish
			return nil
		}, args...)
		first <- code
	}()
	select {
	case <-staged:
	case <-time.After(time.Minute):
		t.Fatal("the first writer did not start")
	}
	ran := false
	code, _, stderr := runDemo(t, func(ctx context.Context, e *Env) error {
		ran = true
		return e.Output("out").WriteFile(ctx, "hello.txt", strings.NewReader("second"))
	}, args...)
	if code != ExitRuntime || ran {
		t.Errorf("second writer: exit %d, ran %v; want exit %d before running", code, ran, ExitRuntime)
	}
	for _, want := range []string{`step "demo" of run "r1" is already running`, "demo (pid", "_lease.json"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("second writer's error %q does not say %q", stderr, want)
		}
	}
	close(finish)
	if c := <-first; c != ExitOK {
		t.Fatalf("first writer: exit %d", c)
	}
	st, err := artifact.NewFS(store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := artifact.ReadManifest(ctx, st, artifact.OutputKey("r1", "demo", "out"))
	if err != nil || len(m.Files) != 1 || m.Files[0].Size != int64(len("first")) {
		t.Errorf("published output = %+v, %v; want the first writer's", m, err)
	}
	areas, _ := artifact.StagingAreas(ctx, st, artifact.OutputKey("r1", "demo", "out"))
	if len(areas) != 0 {
		t.Errorf("staging left: %q", areas)
	}
}

// TestNextRunRemovesStaleStaging: a writer killed before Commit (its lease
// never released, its process gone) left staging files; the next run of the
// step removes them, and also unowned ones older than the grace period,
// but not another step's.
func TestNextRunRemovesStaleStaging(t *testing.T) {
	ctx := context.Background()
	store := t.TempDir()
	st, err := artifact.NewFS(store)
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.OutputKey("r1", "demo", "out")
	put := func(key, s string) {
		w, err := st.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(s))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// The killed writer: its lease (a pid that is gone) and its staging.
	killed := artifact.NewOutputOwned(st, out, "0123456789abcdef")
	if err := killed.WriteFile(ctx, "part-0.parquet", strings.NewReader("half a file")); err != nil {
		t.Fatal(err)
	}
	// Killed mid-file: on FS only a hidden temp file shows it.
	if w, err := st.Create(ctx, out+"/_staging/"+time.Now().UTC().Format("20060102T150405")+"-beef-0123456789abcdef/part-1.parquet"); err != nil {
		t.Fatal(err)
	} else if _, err := w.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	put(artifact.LeaseKey("r1", "demo"), `{"owner":"0123456789abcdef","host":"`+hostname(t)+`","pid":999999999,`+
		`"acquired_at":"`+now.Format(time.RFC3339)+`","renewed_at":"`+now.Format(time.RFC3339)+`","expires_at":"`+now.Add(time.Hour).Format(time.RFC3339)+`"}`)
	// A writer without a lease, two days ago.
	put(out+"/_staging/"+now.Add(-48*time.Hour).Format("20060102T150405")+"-aaaa/part-1", "old")
	// Another step's staging is not this step's to judge.
	other := artifact.NewOutputOwned(st, artifact.OutputKey("r1", "other", "out"), "fedcba9876543210")
	if err := other.WriteFile(ctx, "x", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runDemo(t, writeOut, "--store", store, "--run-id", "r1", "--termination-log", ""); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if areas, _ := artifact.StagingAreas(ctx, st, out); len(areas) != 0 {
		t.Errorf("staging of the step after its next run: %q, want none", areas)
	}
	// What `find STORE -path '*_staging*'` shows, hidden files included.
	var left []string
	filepath.WalkDir(filepath.Join(store, filepath.FromSlash(out)), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(p, "_staging") {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("left in the step's staging folder: %q", left)
	}
	if areas, _ := artifact.StagingAreas(ctx, st, artifact.OutputKey("r1", "other", "out")); len(areas) != 1 {
		t.Errorf("staging of another step: %q, want it kept", areas)
	}
	if _, err := artifact.ReadManifest(ctx, st, out); err != nil {
		t.Error(err)
	}
}

func hostname(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestFanOutItemRemovesItsShardStaging: item 0003 of a fan-out runs as step
// "demo-0003" and writes runs/r1/demo/out/shard-0003. A killed earlier
// attempt of that item left owned staging there (its lease dead); the next
// attempt removes it, and leaves the staging of shard-0004 (another item,
// maybe still running) alone. Found by make chaos (a parent killed while
// clean-map(0) was writing its shard).
func TestFanOutItemRemovesItsShardStaging(t *testing.T) {
	ctx := context.Background()
	store := t.TempDir()
	st, err := artifact.NewFS(store)
	if err != nil {
		t.Fatal(err)
	}
	shard := func(i string) string { return artifact.OutputKey("r1", "demo", "out") + "/shard-" + i }
	killed := artifact.NewOutputOwned(st, shard("0003"), "0123456789abcdef")
	if err := killed.WriteFile(ctx, "part-0.parquet", strings.NewReader("half a file")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	w, err := st.Create(ctx, artifact.LeaseKey("r1", "demo-0003"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`{"owner":"0123456789abcdef","host":"` + hostname(t) + `","pid":999999999,` +
		`"acquired_at":"` + now.Format(time.RFC3339) + `","renewed_at":"` + now.Format(time.RFC3339) + `","expires_at":"` + now.Add(time.Hour).Format(time.RFC3339) + `"}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	neighbour := artifact.NewOutputOwned(st, shard("0004"), "fedcba9876543210")
	if err := neighbour.WriteFile(ctx, "x", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runDemo(t, writeOut, "--store", store, "--run-id", "r1", "--step", "demo-0003",
		"--out-out", "file://"+filepath.Join(store, filepath.FromSlash(shard("0003"))), "--termination-log", "")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if areas, _ := artifact.StagingAreas(ctx, st, shard("0003")); len(areas) != 0 {
		t.Errorf("staging of the item's shard after its next attempt: %q, want none", areas)
	}
	if _, err := artifact.ReadManifest(ctx, st, shard("0003")); err != nil {
		t.Error(err)
	}
	if areas, _ := artifact.StagingAreas(ctx, st, shard("0004")); len(areas) != 1 {
		t.Errorf("staging of another item's shard: %q, want it kept", areas)
	}
}
