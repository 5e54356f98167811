package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// envChild makes the test binary run the component (the crash test's
// server process); envChildArgs holds its arguments as a JSON array.
const (
	envChild     = "TWEETFLOW_ANNOTATE_TEST_CHILD"
	envChildArgs = "TWEETFLOW_ANNOTATE_TEST_ARGS"
)

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &args); err != nil {
			fmt.Fprintln(os.Stderr, "child args:", err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		os.Exit(component.Run(ctx, stages.Annotate, newRun(func(a net.Addr) { fmt.Println("LISTENING", a.String()) }), args, os.Stdout, os.Stderr))
	}
	pgtest.Main(m)
}

var labels = []string{"AI", "OTHER"}

// tweets are the tasks of the tests: ids 101.., one with a link, one with
// markup and a javascript: pseudo-link that must stay text.
var tweets = []dataset.Tweet{
	{ID: "101", Text: "New LLM paper https://example.com/paper.", Label: "AI", URLs: []string{"https://example.com/paper"}},
	{ID: "102", Text: `<b>bold</b> & javascript:alert(1) "quoted"`, Label: "OTHER"},
	{ID: "103", Text: "GPT writes my emails now", Label: "AI"},
	{ID: "104", Text: "lovely weather in Lisbon today", Label: "OTHER"},
	{ID: "105", Text: "training a transformer on tweets", Label: "AI"},
	{ID: "106", Text: "football tonight!", Label: "OTHER"},
}

// commitTweets writes tweets as the dataset output of a run.
func commitTweets(t *testing.T, st *stagetest.Store, runID string) string {
	t.Helper()
	st.WriteTweets(t, runID, "split", "golden-pool", tweets)
	return st.Loc(runID, "split", "golden-pool").URI()
}

// commitModel commits a small random model over the labels; it returns its
// URI and the model's label for each tweet.
func commitModel(t *testing.T, st *stagetest.Store, runID string) (string, map[string]string) {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: runID, Labels: labels, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	st.WriteFiles(t, runID, "export-onnx", "onnx", tm.Files)
	l := st.Loc(runID, "export-onnx", "onnx")
	pred := map[string]string{}
	for _, tw := range tweets {
		p := tm.Reference(tw.Text)
		pred[tw.ID] = labels[argmax(p)]
	}
	return l.URI(), pred
}

func argmax(p []float32) int {
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}

// startServer runs the component in serve mode in-process; stop cancels it
// and returns its exit code and log.
func startServer(t *testing.T, st *stagetest.Store, args ...string) (base string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan int, 1)
	var logs bytes.Buffer
	go func() {
		done <- component.Run(ctx, stages.Annotate, newRun(func(a net.Addr) { addrs <- a }),
			append(st.Args("annotate", ""), append([]string{"--addr", "127.0.0.1:0"}, args...)...), io.Discard, &syncWriter{w: &logs})
	}()
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case code := <-done:
		cancel()
		t.Fatalf("annotate exited with %d before listening:\n%s", code, logs.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("annotate did not listen within 60 s")
	}
	stopped := false
	var code int
	stop = func() (int, string) {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code, logs.String()
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// syncWriter serialises writes of the server's logger.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestSubcommand(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"annotate", "export", "--store", "x"}, []string{"annotate", "--mode", "export", "--store", "x"}},
		{[]string{"annotate", "--labels", "a,b"}, []string{"annotate", "--labels", "a,b"}},
		{[]string{"annotate"}, []string{"annotate"}},
	} {
		if got := subcommand(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("subcommand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	st := stagetest.NewFS(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("TWEETFLOW_POSTGRES_DSN", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--labels", "AI,OTHER"}, "--postgres-dsn"},
		{[]string{"--postgres-dsn", "postgres://x@127.0.0.1:1/db", "--labels", "AI"}, "want 2 to 9 labels"},
		{[]string{"--postgres-dsn", "postgres://x@127.0.0.1:1/db", "--labels", "AI,AI"}, `"AI" given twice`},
		{[]string{"--postgres-dsn", "postgres://x@127.0.0.1:1/db", "--labels", "AI,OTHER", "--source-table", "x;drop"}, "--source-table"},
		{[]string{"--overlap", "1.5"}, "above the maximum"},
	} {
		r := st.Run(t, stages.Annotate, newRun(nil), "", tc.args...)
		if r.Code != component.ExitUsage || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 naming %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}

// currentAnswers reads the current answers as tweet id -> annotator -> label.
func currentAnswers(t *testing.T, conn *pgx.Conn) map[string]map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT t.tweet_id, s.annotator, s.label FROM annotate_answers s JOIN annotate_tasks t USING (task_id) WHERE s.state = 'current'`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	var id, who, l string
	if _, err := pgx.ForEachRow(rows, []any{&id, &who, &l}, func() error {
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		if _, dup := out[id][who]; dup {
			return fmt.Errorf("two current answers of %s on %s", who, id)
		}
		out[id][who] = l
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

var taskRe = regexp.MustCompile(`data-task="(\d+)" data-tweet="(\d+)"`)

// startChild runs the component in serve mode in a child process (the test
// binary, see TestMain) with args and DATABASE_URL=dsn; it returns the
// process, the server's base URL and the buffer collecting its stderr
// (complete once cmd.Wait returned).
func startChild(t *testing.T, dsn string, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(args)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1", envChildArgs+"="+string(b), "DATABASE_URL="+dsn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// An os.Pipe (not StdoutPipe) so that cmd.Wait does not close it while
	// it is drained.
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); out.Close() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return cmd, "http://" + a, &stderr
		}
	}
	_ = cmd.Wait()
	t.Fatalf("server did not start: %s", stderr.String())
	return nil, "", nil
}

// TestSIGTERMFinishesInFlight sends SIGTERM to the server process while an
// answer is in flight (its headers sent, its body not yet): the server
// finishes that request (the answer is stored and acknowledged), then
// exits 0, a graceful stop and not a failure.
func TestSIGTERMFinishesInFlight(t *testing.T) {
	db := pgtest.Shared(t)
	st := stagetest.NewFS(t)
	data := commitTweets(t, st, "prep")
	cmd, base, stderr := startChild(t, db.DSN(), append(st.Args("annotate", ""), "--addr", "127.0.0.1:0", "--labels", "AI,OTHER", "--tweets", data)...)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := client.Get(base + "/?annotator=erin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := taskRe.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET /: %s, no task:\n%s", resp.Status, page)
	}
	u, _ := url.Parse(base)
	var cookies []string
	for _, c := range jar.Cookies(u) {
		cookies = append(cookies, c.String())
	}
	body := url.Values{"task": {string(m[1])}, "label": {"OTHER"}, "shown_at": {fmt.Sprint(time.Now().UnixMilli())}}.Encode()
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "POST /answer HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		u.Host, strings.Join(cookies, "; "), len(body), body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the server reads the headers: the connection is active
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server is shutting down, waiting for the request
	if _, err := io.WriteString(conn, body[len(body)/2:]); err != nil {
		t.Fatalf("finishing the in-flight request after SIGTERM: %v", err)
	}
	ans, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("response to the in-flight request after SIGTERM: %v", err)
	}
	msg, _ := io.ReadAll(ans.Body)
	ans.Body.Close()
	if ans.StatusCode != http.StatusSeeOther { // a form post: redirected to the next task
		t.Errorf("in-flight answer after SIGTERM: %s, want 303 See Other\n%s", ans.Status, msg)
	}
	werr := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("annotate serve after SIGTERM: exit %d (%v), want 0; stderr:\n%s", code, werr, stderr.String())
	}
	if got := currentAnswers(t, db.Connect(t))[string(m[2])]["erin"]; got != "OTHER" {
		t.Errorf("in-flight answer on tweet %s: stored %q, want OTHER", m[2], got)
	}
}

// TestCrashKeepsCommittedAnswers kills the server process (SIGKILL) while
// an answer is in flight and restarts it: every answer whose next task was
// shown is stored, nothing is stored twice, and the annotator continues
// where they were.
func TestCrashKeepsCommittedAnswers(t *testing.T) {
	db := pgtest.Shared(t)
	st := stagetest.NewFS(t)
	data := commitTweets(t, st, "prep")
	start := func() (*exec.Cmd, string) {
		cmd, base, _ := startChild(t, db.DSN(), append(st.Args("annotate", ""), "--addr", "127.0.0.1:0", "--labels", "AI,OTHER", "--tweets", data)...)
		return cmd, base
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(u string) string {
		t.Helper()
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
		}
		return string(b)
	}
	cmd, base := start()
	page := get(base + "/?annotator=carol")
	acked := map[string]string{}
	t0 := time.Now()
	for i := 0; i < 4; i++ {
		m := taskRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no task in page:\n%s", page)
		}
		label := labels[i%2]
		resp, err := client.PostForm(base+"/answer", url.Values{"task": {m[1]}, "label": {label}, "shown_at": {fmt.Sprint(time.Now().UnixMilli())}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !taskRe.Match(b) {
			t.Fatalf("answer %d: %s\n%s", i, resp.Status, b)
		}
		acked[m[2]] = label // the next task was shown: the answer is committed
		page = string(b)
	}
	t.Logf("answer + next task round trip: %.1f ms on average", float64(time.Since(t0).Microseconds())/4000)
	// One more answer in flight while the process is killed.
	inflight := taskRe.FindStringSubmatch(page)
	go func() {
		resp, err := client.PostForm(base+"/answer", url.Values{"task": {inflight[1]}, "label": {"AI"}})
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(5 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, base = start()
	got := currentAnswers(t, db.Connect(t))
	for id, l := range acked {
		if got[id]["carol"] != l {
			t.Errorf("after the crash, tweet %s: carol's answer %q, want %q", id, got[id]["carol"], l)
		}
	}
	extra := len(got) - len(acked)
	if extra < 0 || extra > 1 || (extra == 1 && got[inflight[2]]["carol"] != "AI") {
		t.Errorf("after the crash: answers %v, want the %d acknowledged ones plus at most the in-flight one on %s", got, len(acked), inflight[2])
	}
	// The annotator continues with the in-flight task (when it was lost) or the next one.
	page = get(base + "/")
	m := taskRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no task after the restart:\n%s", page)
	}
	if _, done := got[m[2]]; done {
		t.Errorf("after the restart tweet %s is shown again, though answered", m[2])
	}
	if extra == 0 && m[2] != inflight[2] {
		t.Errorf("after the restart tweet %s is shown, want the unanswered in-flight tweet %s", m[2], inflight[2])
	}
	t.Logf("acknowledged %d answers; in-flight answer stored: %v", len(acked), extra == 1)
}

// TestSourceTable loads tasks from a PostgreSQL table (with --max-tasks)
// next to a dataset, and names a missing table in the error.
func TestSourceTable(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA inbox; CREATE TABLE inbox.tweets (id bigint PRIMARY KEY, text text NOT NULL, extra int);
INSERT INTO inbox.tweets VALUES (9001, 'from the table https://example.net', 1), (9002, 'second row', 2), (9003, 'third row', 3)`); err != nil {
		t.Fatal(err)
	}
	st := stagetest.NewFS(t)
	base, stop := startServer(t, st, "--postgres-dsn", db.DSN(), "--labels", "AI,OTHER", "--source-table", "inbox.tweets", "--max-tasks", "2")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(base + "/?annotator=tab")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `data-tweet="9001"`) || !strings.Contains(string(b), `<a href="https://example.net"`) || !strings.Contains(string(b), `id="tasks">2<`) {
		t.Errorf("first page: want tweet 9001 of 2 tasks:\n%s", b)
	}
	stop()
	r := st.Run(t, stages.Annotate, newRun(nil), "", "--postgres-dsn", db.DSN(), "--labels", "AI,OTHER", "--source-table", "inbox.missing")
	if r.Code != component.ExitRuntime || !strings.Contains(r.Stderr, `reading --source-table "inbox.missing"`) {
		t.Errorf("missing table: exit %d, stderr %s", r.Code, r.Stderr)
	}
}
