package scoring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/pipelines/run"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// buildBinaries builds the score component and the tweetflow CLI (the
// fan-out's plan and gather steps) into a temporary bin folder.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, pkg := range map[string]string{"score": "../../components/score", "tweetflow": "../../cmd/tweetflow"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg).CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", name, err, out)
		}
	}
	return dir
}

// commitModel writes a small random-weight exported model as a committed
// artifact of an FS store and returns its URI.
func commitModel(t *testing.T, root string) string {
	t.Helper()
	ctx := context.Background()
	m, err := servingtest.Random(servingtest.Options{Version: "m1", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	st, err := artifact.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.NewOutput(st, "runs/m1/export-onnx/onnx")
	for name, b := range m.Files {
		if err := out.WriteFile(ctx, name, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return out.URI()
}

// writeTweets writes files JSONL files of n tweets each (distinct IDs)
// under dir.
func writeTweets(t *testing.T, dir string, files, n int) {
	t.Helper()
	for f := range files {
		var b strings.Builder
		for i := range n {
			id := f*1000 + i
			line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(id), "text": servingtest.Texts[(id*7)%len(servingtest.Texts)] + fmt.Sprintf(" #%d", id)})
			b.Write(append(line, '\n'))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readRows reads a committed scores output, without the scoring time.
func readRows(t *testing.T, root, key string) ([]scoring.Row, *artifact.Manifest) {
	t.Helper()
	st, err := artifact.NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	m, err := artifact.ReadManifest(context.Background(), st, key)
	if err != nil {
		t.Fatal(err)
	}
	var rows []scoring.Row
	if err := scoring.ReadOutput(context.Background(), st, key, func(r *scoring.Row) error {
		row := *r
		row.ScoredAt = time.Time{}
		row.Labels = slices.Clone(r.Labels)
		row.URLs = slices.Clone(r.URLs)
		row.Probabilities = slices.Clone(r.Probabilities)
		rows = append(rows, row)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rows, m
}

// noDatabase is the test's environment without a PostgreSQL DSN, so the
// scores go to the Parquet output only.
func noDatabase() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DATABASE_URL" && k != "TWEETFLOW_POSTGRES_DSN" {
			env = append(env, kv)
		}
	}
	return env
}

// The checked-in template runs locally with the real score component: one
// score task per file, gathered into one dataset holding the rows of one
// score over every file, in the same order, with --parallel 1 and 2.
func TestLocalRunScoresEveryShard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the score and tweetflow binaries")
	}
	bin := buildBinaries(t)
	root := t.TempDir()
	store := filepath.Join(root, "store")
	modelURI := commitModel(t, store)
	in := filepath.Join(root, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	const files, perFile = 3, 25
	writeTweets(t, in, files, perFile)
	glob := filepath.Join(in, "*.jsonl")

	// The reference: one score task over every file.
	cmd := exec.Command(filepath.Join(bin, "score"), "--store", store, "--run-id", "direct", "--termination-log", "",
		"--progress", "none", "--model", modelURI, "--tweets", glob, "--batch-size", "8")
	cmd.Env = noDatabase()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("direct score: %v\n%s", err, out)
	}
	want, _ := readRows(t, store, "runs/direct/score/scores")
	if len(want) != files*perFile {
		t.Fatalf("direct score wrote %d rows, want %d", len(want), files*perFile)
	}

	for _, parallel := range []int{1, 2} {
		t.Run(fmt.Sprintf("parallel-%d", parallel), func(t *testing.T) {
			id := fmt.Sprintf("fan-%d", parallel)
			var log strings.Builder
			rep, err := run.Run(context.Background(), load(t), run.WithBinDir(bin), run.WithEnv(noDatabase()),
				run.WithLog(&log), run.WithParallel(parallel),
				run.WithParams(map[string]string{"store": store, "run-id": id, "tweets": glob, "model": modelURI, "batch-size": "8"}))
			if err != nil {
				t.Fatalf("run: %v\n%s", err, log.String())
			}
			items := 0
			for _, s := range rep.Steps {
				if s.Status != runs.Succeeded {
					t.Errorf("%s: %s (%s)", s.Name, s.Status, s.Message)
				}
				if strings.HasPrefix(s.Name, "score(") {
					items++
				}
			}
			if items != files {
				t.Errorf("%d score tasks, want one per file (%d)", items, files)
			}
			key := path.Join("runs", id, "score", "scores")
			got, m := readRows(t, store, key)
			if m.Meta["shards"] != fmt.Sprint(files) {
				t.Errorf("gathered manifest: shards %q, want %d", m.Meta["shards"], files)
			}
			for i := range files {
				if _, err := os.Stat(filepath.Join(store, key, fmt.Sprintf("shard-%04d", i), artifact.ManifestName)); err != nil {
					t.Errorf("shard %d not committed: %v", i, err)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d gathered rows, want %d", len(got), len(want))
			}
			for i := range want {
				if fmt.Sprintf("%+v", got[i]) != fmt.Sprintf("%+v", want[i]) {
					t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}
