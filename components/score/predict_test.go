package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/kafkatest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/servertest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// buildServe builds the real model server (components/serve).
func buildServe(t *testing.T) string {
	t.Helper()
	return stagetest.BuildComponents(t, "serve")["serve"]
}

// serveProc is the serve binary on a fixed loopback port, which a
// restart keeps.
type serveProc struct {
	bin  string
	args []string
	port int
	proc *servertest.Proc
}

func newServe(t *testing.T, bin string, args ...string) *serveProc {
	t.Helper()
	ports, err := servertest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	s := &serveProc{bin: bin, args: args, port: ports[0]}
	t.Cleanup(func() {
		if s.proc != nil {
			s.proc.Stop(syscall.SIGKILL, 10*time.Second)
		}
	})
	s.start(t)
	return s
}

func (s *serveProc) url() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) }

// start starts the server and waits until it answers /readyz.
func (s *serveProc) start(t *testing.T) {
	t.Helper()
	// serve runs in the component harness: its lease and run summary go to --store.
	args := append([]string{"--addr", "127.0.0.1:" + strconv.Itoa(s.port), "--log-requests=false", "--reload-interval", "0",
		"--store", t.TempDir()}, s.args...)
	p, err := servertest.Start(exec.Command(s.bin, args...))
	if err != nil {
		t.Fatal(err)
	}
	s.proc = p
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url() + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.Exited():
			t.Fatalf("serve exited (%v): %s", p.Err(), p.Tail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready after 30s: %s", p.Tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the server with SIGKILL.
func (s *serveProc) kill() { s.proc.Stop(syscall.SIGKILL, 10*time.Second) }

// writeModelDir writes a servingtest model folder and loads it in process.
func writeModelDir(t *testing.T, dir string, o servingtest.Options) *serving.Model {
	t.Helper()
	tm, err := servingtest.Random(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := tm.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	m, err := serving.LoadFiles(tm.Files, o.Version)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stdinScore runs score in this process on a pipe as standard input.
type stdinScore struct {
	*inProcess
	w       *io.PipeWriter
	r       *io.PipeReader
	writing sync.WaitGroup
}

func startStdinScore(args []string) *stdinScore {
	r, w := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stdinScore{inProcess: &inProcess{cancel: cancel, done: make(chan int, 1)}, w: w, r: r}
	go func() {
		s.done <- component.Run(ctx, stages.Score, runWith(r), args, &s.stdout, &s.stderr)
	}()
	return s
}

// send writes tweets from..to-1 as JSONL lines in the background (the
// pipe blocks while score does not read).
func (s *stdinScore) send(from, to int) {
	s.writing.Go(func() { _, _ = io.WriteString(s.w, jsonl(from, to-from)) })
}

// wait waits for score to exit and returns its exit code.
func (s *stdinScore) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case code := <-s.done:
		s.done <- code
		s.r.Close() // unblock writers, if score stopped reading
		s.writing.Wait()
		return code
	case <-time.After(timeout):
		s.cancel()
		t.Fatalf("score did not exit within %v: %s", timeout, s.stderr.String())
		return -1
	}
}

type scoredRow struct {
	ID      string
	Version string
	Label   string
	Probs   map[string]float64
	Clean   string
}

func scoredRows(t *testing.T, conn *pgx.Conn) []scoredRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT tweet_id, model_version, label, probabilities, clean_text FROM tweet_scores ORDER BY tweet_id::bigint")
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (scoredRow, error) {
		var s scoredRow
		err := r.Scan(&s.ID, &s.Version, &s.Label, &s.Probs, &s.Clean)
		return s, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkScored checks that the table holds tweets from..to-1 once each,
// scored by version with model's probabilities and cleaned text.
func checkScored(t *testing.T, conn *pgx.Conn, model *serving.Model, from, to int, version string) {
	t.Helper()
	rows := scoredRows(t, conn)
	if len(rows) != to-from {
		t.Fatalf("%d rows in the table, want %d", len(rows), to-from)
	}
	texts := make([]string, len(rows))
	for i := range rows {
		if want := strconv.Itoa(from + i); rows[i].ID != want {
			t.Fatalf("row %d is tweet %s, want %s", i, rows[i].ID, want)
		}
		texts[i] = servingtest.Texts[(from+i)%len(servingtest.Texts)]
	}
	want, err := model.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, l := range model.Labels() {
			if float32(r.Probs[l]) != want[i][j] {
				t.Fatalf("tweet %s: p(%s) = %v, want %v (in-process prediction)", r.ID, l, r.Probs[l], want[i][j])
			}
		}
		if r.Version != version {
			t.Fatalf("tweet %s: model version %q, want %q", r.ID, r.Version, version)
		}
	}
}

// TestScorePredictServerRestart scores a stream through the real serve
// binary, kills the server (SIGKILL) mid-stream and restarts it a second
// later: score retries, exits 0, and every tweet is stored exactly once
// (table and Parquet output) with the server model's version and
// probabilities (those of the same model in process).
func TestScorePredictServerRestart(t *testing.T) {
	const first, total = 1000, 2000
	bin := buildServe(t)
	modelDir := filepath.Join(t.TempDir(), "m1")
	model := writeModelDir(t, modelDir, servingtest.Options{Version: "m1", Seed: 3})
	srv := newServe(t, bin, "--model", modelDir)
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	st := stagetest.NewFS(t)

	sc := startStdinScore(append(st.Args("score", "r1"), "--predict-url", srv.url(), "--tweets", "-", "--postgres-dsn", db.DSN(),
		"--batch-size", "100", "--flush-interval", "100ms", "--predict-concurrency", "2", "--predict-retry-budget", "1m"))
	sc.send(0, first)
	waitRows(t, conn, first, time.Minute, sc.exited)
	srv.kill()
	sc.send(first, total) // scored while the server is down
	time.Sleep(time.Second)
	srv.start(t)
	sc.writing.Wait()
	sc.w.Close()
	if code := sc.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("score exited %d: %s", code, sc.stderr.String())
	}
	checkScored(t, conn, model, 0, total, "m1")
	out := scores(t, st, "r1")
	ids := map[string]int{}
	for _, r := range out {
		ids[r.ID]++
	}
	if len(out) != total || len(ids) != total {
		t.Errorf("the Parquet output holds %d rows of %d tweets, want each of %d once", len(out), len(ids), total)
	}
	if !strings.Contains(sc.stderr.String(), "retrying") {
		t.Errorf("no retry logged: the server was not down while scoring?\n%s", sc.stderr.String())
	}
	if !strings.Contains(sc.stdout.String(), "model m1: 2000 tweets read, 2000 scored") {
		t.Errorf("stdout %q", sc.stdout.String())
	}
}

// TestScorePredictServerGone kills the server mid-stream for good: score
// retries for its budget, then fails with an error naming the server
// and the budget; the table holds the batches stored before, whole, and
// the Parquet output is not committed.
func TestScorePredictServerGone(t *testing.T) {
	const first = 300
	bin := buildServe(t)
	modelDir := filepath.Join(t.TempDir(), "m1")
	model := writeModelDir(t, modelDir, servingtest.Options{Version: "m1", Seed: 3})
	srv := newServe(t, bin, "--model", modelDir)
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	st := stagetest.NewFS(t)

	sc := startStdinScore(append(st.Args("score", "r1"), "--predict-url", srv.url(), "--tweets", "-", "--postgres-dsn", db.DSN(),
		"--batch-size", "100", "--flush-interval", "100ms", "--predict-retry-budget", "2s"))
	sc.send(0, first)
	waitRows(t, conn, first, time.Minute, sc.exited)
	srv.kill()
	start := time.Now()
	sc.send(first, first+250)
	code := sc.wait(t, time.Minute)
	took := time.Since(start)
	if code == 0 {
		t.Fatalf("score exited 0 with the server gone: %s", sc.stderr.String())
	}
	msg := sc.stderr.String()
	for _, want := range []string{"model server " + srv.url(), "POST /predict still failing after", "retry budget 2s", "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if took < 500*time.Millisecond || took > 30*time.Second {
		t.Errorf("score gave up %v after the server died, want about the 2s budget", took)
	}
	checkScored(t, conn, model, 0, first, "m1") // nothing of the failed batches
	if _, ok := st.Manifest(t, "r1", "score", "scores"); ok {
		t.Error("the scores output was committed by a failed run")
	}
}

// TestScorePredictLabelMismatch: the server's model must have the labels
// the table holds, at start and when the server starts answering with
// another model version (hot reload).
func TestScorePredictLabelMismatch(t *testing.T) {
	bin := buildServe(t)
	root := t.TempDir()
	otherLabels := []string{"AI", "OTHER"}
	writeModelDir(t, filepath.Join(root, "v1"), servingtest.Options{Version: "v1", Seed: 3, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	srv := newServe(t, bin, "--models-dir", root)
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	st := stagetest.NewFS(t)
	args := func(run string) []string {
		return append(st.Args("score", run), "--predict-url", srv.url(), "--tweets", "-", "--postgres-dsn", db.DSN(),
			"--batch-size", "50", "--flush-interval", "100ms", "--predict-retry-budget", "5s")
	}
	labelsOf := func(l []string) string { return fmt.Sprintf("%q", l) }

	t.Run("version change", func(t *testing.T) {
		sc := startStdinScore(args("r1"))
		sc.send(0, 100)
		waitRows(t, conn, 100, time.Minute, sc.exited)
		// A newer version with other labels becomes the server's default.
		writeModelDir(t, filepath.Join(root, "v2"), servingtest.Options{Version: "v2", Seed: 4, Labels: otherLabels, CreatedAt: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)})
		if err := srv.proc.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitDefault(t, srv.url(), "v2")
		sc.send(100, 200)
		sc.writing.Wait()
		sc.w.Close()
		if code := sc.wait(t, time.Minute); code == 0 {
			t.Fatalf("score exited 0 after the server switched labels: %s", sc.stderr.String())
		}
		msg := sc.stderr.String()
		for _, want := range []string{`model version "v2" has labels ` + labelsOf(otherLabels), `model version "v1", which this run started with, holds labels ` + labelsOf(servingtest.Labels)} {
			if !strings.Contains(msg, want) {
				t.Errorf("the error does not say %q:\n%s", want, msg)
			}
		}
		if n := countRows(t, conn, "tweet_scores"); n != 100 {
			t.Errorf("%d rows in the table, want the 100 scored by v1", n)
		}
	})
	t.Run("at start", func(t *testing.T) {
		// The table holds v1's labels; the server's default is now v2.
		r := st.Run(t, stages.Score, runWith(strings.NewReader(jsonl(0, 10))), "r2", args("r2")[len(st.Args("score", "r2")):]...)
		if r.Code == 0 {
			t.Fatalf("score exited 0: %s", r.Stderr)
		}
		sorted := slices.Sorted(slices.Values(servingtest.Labels))
		want := `model version "v2" has labels ` + labelsOf(otherLabels) + `, but table "tweet_scores" holds labels ` + labelsOf(sorted)
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, r.Stderr)
		}
		if n := countRows(t, conn, "tweet_scores"); n != 100 {
			t.Errorf("%d rows in the table, want 100", n)
		}
	})
}

// waitDefault waits until the server's default model is version.
func waitDefault(t *testing.T, base, version string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/models")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `"default":"`+version+`"`) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the server's default model is not %s after 30s", version)
}

// TestScorePredictKafkaServerGone consumes Kafka through the model
// server; the server dies for longer than the retry budget: score fails,
// and the failed batch's offsets are not committed, so once the server is
// back a new consumer of the group stores every tweet exactly once.
func TestScorePredictKafkaServerGone(t *testing.T) {
	const first, total = 2000, 3000
	r := newPredictKafka(t, buildServe(t), 3, first)
	srv, db, conn, st, kc, prod := r.srv, r.db, r.conn, r.st, r.kc, r.prod
	args := func(run string) []string {
		return append(st.Args("score", run), "--predict-url", srv.url(), "--postgres-dsn", db.DSN(),
			"--kafka-brokers", strings.Join(kc.ListenAddrs(), ","), "--kafka-topics", "tweets", "--kafka-group", "g1",
			"--batch-size", "200", "--flush-interval", "100ms", "--predict-retry-budget", "2s")
	}
	a := startInProcess(args("r1"))
	waitRows(t, conn, 400, time.Minute, a.exited)
	srv.kill()
	produce(t, prod, first, total)
	var code int
	select {
	case code = <-a.done:
	case <-time.After(time.Minute):
		t.Fatalf("score did not fail within a minute of the server's death: %s", a.stderr.String())
	}
	if code == 0 || !strings.Contains(a.stderr.String(), "retry budget 2s") {
		t.Fatalf("score exited %d with the server gone: %s", code, a.stderr.String())
	}
	stored := countRows(t, conn, "tweet_scores")
	if stored >= total {
		t.Fatalf("all %d rows stored before the server died: the test did not kill it mid-stream", stored)
	}

	srv.start(t)
	b := startInProcess(args("r2"))
	waitRows(t, conn, total, 2*time.Minute, b.exited)
	b.stop(t)
	if ids := tableIDs(t, conn); !slices.Equal(ids, wantIDs(0, total)) {
		t.Fatalf("%d rows in the table, want each of the %d tweets once", len(ids), total)
	}
	kc.AssertCommitted(t, "g1")
	t.Logf("the first consumer stored %d rows before failing; the second the rest", stored)
}

// TestScorePredictRefusedTexts runs the real score and serve binaries: a
// Kafka stream scored through a server with small limits (100
// characters a text, 2000 bytes a request) holds texts over the
// character limit and one whose request alone is over the body limit.
// They go to the dead-letter table with the server's reason, the stream
// goes on (every other tweet stored once), and the closing line and the
// run summary count them (refused_texts); SIGTERM ends it with exit 0.
func TestScorePredictRefusedTexts(t *testing.T) {
	const total = 600
	bins := stagetest.BuildComponents(t, "score", "serve")
	modelDir := filepath.Join(t.TempDir(), "m1")
	writeModelDir(t, modelDir, servingtest.Options{Version: "m1", Seed: 3})
	srv := newServe(t, bins["serve"], "--model", modelDir, "--max-text-chars", "100", "--max-body-bytes", "2000")
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	st := stagetest.NewFS(t)
	kc := kafkatest.Start(t, "tweets", 2)
	tooLong := map[int]int{7: 150, 150: 101, 151: 300, 420: 3000} // i -> text length
	kafkatest.Produce(t, kc.Client(t), 0, total, func(i int) []byte {
		if n, ok := tooLong[i]; ok {
			b, _ := json.Marshal(map[string]any{"id": strconv.Itoa(100000 + i), "text": strings.Repeat("z", n)})
			return b
		}
		return tweetRecord(i)
	})
	p := st.StartBinary(t, bins["score"], "score", "r1", []string{"DATABASE_URL=" + db.DSN()}, "--predict-url", srv.url(),
		"--kafka-brokers", kc.Brokers(), "--kafka-topics", "tweets", "--kafka-group", "gr", "--batch-size", "100", "--flush-interval", "100ms")
	servertest.WaitUntil(t, time.Minute, "every tweet stored or dead-lettered", func() bool {
		var n int
		_ = conn.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM tweet_scores) + (SELECT count(*) FROM tweet_scores_dead_letters)").Scan(&n)
		return n >= total
	}, p)
	took, code := servertest.SignalAndWait(t, p, syscall.SIGTERM, time.Minute)
	t.Logf("score (Kafka through serve): SIGTERM to exit %v", took.Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("score exited %d on SIGTERM:\n%s", code, p.Tail())
	}
	var want []string
	for _, id := range wantIDs(0, total) {
		i, _ := strconv.Atoi(id)
		if _, ok := tooLong[i-100000]; !ok {
			want = append(want, id)
		}
	}
	if ids := tableIDs(t, conn); !slices.Equal(ids, want) {
		t.Fatalf("%d rows in the table, want the %d tweets not refused, once each", len(ids), len(want))
	}
	dead := deadLetters(t, conn, "tweet_scores_dead_letters")
	if len(dead) != len(tooLong) {
		t.Fatalf("%d dead letters, want the %d refused texts: %+v", len(dead), len(tooLong), dead)
	}
	for _, d := range dead {
		n := len(d.Raw)
		wantReason := "longer than 100 characters"
		if n > 2000 {
			wantReason = "HTTP 413"
		}
		if d.Source != "tweets" || !strings.Contains(d.Reason, "refused by the model server") || !strings.Contains(d.Reason, wantReason) ||
			!slices.Contains(slices.Collect(maps.Values(tooLong)), n) {
			t.Errorf("dead letter %s/%d/%d: %d bytes, reason %q; want a refused text, %q", d.Source, d.Partition, d.Position, n, d.Reason, wantReason)
		}
	}
	if !strings.Contains(p.Tail(), fmt.Sprintf("%d refused by the model server", len(tooLong))) {
		t.Errorf("the closing line does not count the refused texts:\n%s", p.Tail())
	}
	if sum := st.Summary(t, "r1", "score"); sum.Extra["refused_texts"] != float64(len(tooLong)) || sum.Status != "succeeded" {
		t.Errorf("summary: status %q, refused_texts %v, want succeeded and %d", sum.Status, sum.Extra["refused_texts"], len(tooLong))
	}
	kc.AssertCommitted(t, "gr")
}

// TestScoreKafkaStopWhileServerDown: a SIGTERM that comes while the model
// server is down leaves score retrying the batch in flight. Within the
// retry budget a second signal ends the process at once; otherwise the
// budget does, with a failure (exit 1). Either way no offset was committed
// past what was stored, and a new consumer, with the server back, stores
// every tweet exactly once.
func TestScoreKafkaStopWhileServerDown(t *testing.T) {
	tests := []struct {
		name, budget string
		second       bool // send a second SIGTERM
		wantCode     int  // -1: killed by the signal
	}{
		{"second signal", "1m", true, -1},
		{"retry budget", "3s", false, 1},
	}
	bins := stagetest.BuildComponents(t, "score", "serve")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const first, total = 1000, 1500
			r := newPredictKafka(t, bins["serve"], 2, first)
			srv, db, conn, st, kc, prod := r.srv, r.db, r.conn, r.st, r.kc, r.prod
			env := []string{"DATABASE_URL=" + db.DSN()}
			args := []string{"--predict-url", srv.url(), "--kafka-brokers", kc.Brokers(), "--kafka-topics", "tweets", "--kafka-group", "gd",
				"--batch-size", "100", "--flush-interval", "100ms", "--predict-retry-budget", tt.budget, "--kafka-session-timeout", "2s"}
			a := st.StartBinary(t, bins["score"], "score", "r1", env, args...)
			waitRows(t, conn, first, time.Minute, func() string { return exitedMsg(a) })
			srv.kill()
			produce(t, prod, first, total)
			servertest.WaitUntil(t, time.Minute, "a retry", func() bool { return strings.Contains(a.Tail(), "retrying") }, a)
			start := time.Now()
			if err := a.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if tt.second {
				time.Sleep(time.Second)
				if msg := exitedMsg(a); msg != "" {
					t.Fatalf("score did not wait for the batch in flight: %s", msg)
				}
				took, code := servertest.SignalAndWait(t, a, syscall.SIGTERM, 10*time.Second)
				t.Logf("second SIGTERM to exit: %v (exit code %d)", took.Round(time.Millisecond), code)
				if code != tt.wantCode {
					t.Fatalf("exit code %d after the second signal, want %d:\n%s", code, tt.wantCode, a.Tail())
				}
			} else {
				select {
				case <-a.Exited():
				case <-time.After(time.Minute):
					t.Fatalf("score did not stop within a minute: %s", a.Tail())
				}
				t.Logf("SIGTERM to exit with the server down (budget %s): %v", tt.budget, time.Since(start).Round(time.Millisecond))
				if code := exitCode(a); code != tt.wantCode || !strings.Contains(a.Tail(), "retry budget "+tt.budget) {
					t.Fatalf("exit code %d, want %d and the budget named:\n%s", code, tt.wantCode, a.Tail())
				}
			}
			// Nothing committed that is not stored.
			stored := map[string]bool{}
			for _, id := range tableIDs(t, conn) {
				stored[id] = true
			}
			if c := kc.Committed(t, "gd").Total(); c > int64(len(stored)) {
				t.Errorf("%d offsets committed, %d tweets stored", c, len(stored))
			}

			srv.start(t)
			b := st.StartBinary(t, bins["score"], "score", "r2", env, args...)
			waitRows(t, conn, total, 2*time.Minute, func() string { return exitedMsg(b) })
			if _, code := servertest.SignalAndWait(t, b, syscall.SIGTERM, time.Minute); code != 0 {
				t.Fatalf("the second consumer exited %d:\n%s", code, b.Tail())
			}
			if ids := tableIDs(t, conn); !slices.Equal(ids, wantIDs(0, total)) {
				t.Fatalf("%d rows, want each of the %d tweets once", len(ids), total)
			}
			kc.AssertCommitted(t, "gd")
		})
	}
}

// exitedMsg is "" while p runs, else its exit and output.
func exitedMsg(p *servertest.Proc) string {
	select {
	case <-p.Exited():
		return fmt.Sprintf("score exited (%v): %s", p.Err(), p.Tail())
	default:
		return ""
	}
}

// exitCode is the exit code of an exited process (-1: killed by a signal).
func exitCode(p *servertest.Proc) int {
	var ee *exec.ExitError
	if errors.As(p.Err(), &ee) {
		return ee.ExitCode()
	}
	if p.Err() == nil {
		return 0
	}
	return -2
}

// predictKafka is what a test of score consuming Kafka through the model
// server needs: serve on model m1, a database, a store, a kfake cluster
// with the first tweets published.
type predictKafka struct {
	srv  *serveProc
	db   *pgtest.Server
	conn *pgx.Conn
	st   *stagetest.Store
	kc   *kafkatest.Cluster
	prod *kgo.Client
}

func newPredictKafka(t *testing.T, serveBin string, partitions int32, first int) *predictKafka {
	t.Helper()
	modelDir := filepath.Join(t.TempDir(), "m1")
	writeModelDir(t, modelDir, servingtest.Options{Version: "m1", Seed: 3})
	r := &predictKafka{srv: newServe(t, serveBin, "--model", modelDir), db: pgtest.Shared(t), st: stagetest.NewFS(t),
		kc: kafkatest.Start(t, "tweets", partitions)}
	r.conn = r.db.Connect(t)
	r.prod = r.kc.Client(t)
	produce(t, r.prod, 0, first)
	return r
}
