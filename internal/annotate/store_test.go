package annotate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openStore(t *testing.T) (*Store, *pgtest.Server) {
	t.Helper()
	db := pgtest.Shared(t)
	s, err := Open(context.Background(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, db
}

func someTasks(n, wanted int) []Task {
	var out []Task
	for i := 1; i <= n; i++ {
		out = append(out, Task{TweetID: fmt.Sprint(1000 + i), Text: fmt.Sprintf("tweet %d https://example.com/%d", i, i),
			URLs: []string{fmt.Sprintf("https://example.com/%d", i)}, WeakLabel: "AI", WeakConfidence: 0.75, Wanted: wanted})
	}
	return out
}

func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	s, db := openStore(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	// A concurrent start migrates the same database.
	s2, err := Open(ctx, db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM annotate_schema`).Scan(&n); err != nil || n != SchemaVersion {
		t.Fatalf("schema rows = %d (%v), want %d", n, err, SchemaVersion)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO annotate_schema (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err == nil {
		t.Fatal("database newer than the binary: want an error")
	}
}

func TestAnswerUndoChange(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	if r, err := s.AddTasks(ctx, someTasks(3, 1)); err != nil || r.Inserted != 3 {
		t.Fatalf("AddTasks = %+v, %v", r, err)
	}
	// Loading again keeps the tasks (and ids), updating their fields.
	again := someTasks(3, 1)
	again[0].WeakLabel = "OTHER"
	if r, err := s.AddTasks(ctx, again); err != nil || r.Inserted != 0 || r.Updated != 3 {
		t.Fatalf("AddTasks again = %+v, %v", r, err)
	}
	t1, ok, err := s.Next(ctx, "ann")
	if err != nil || !ok || t1.TweetID != "1001" || t1.WeakLabel != "OTHER" || t1.URLs[0] != "https://example.com/1" {
		t.Fatalf("Next = %+v, %v, %v", t1, ok, err)
	}
	// A reload shows the same task.
	if again, _, _ := s.Next(ctx, "ann"); again.ID != t1.ID {
		t.Fatalf("Next after reload = task %d, want %d", again.ID, t1.ID)
	}
	if _, err := s.Answer(ctx, t1.ID+1, "ann", "AI", time.Second); !errors.Is(err, ErrNotAssigned) {
		t.Fatalf("answer to an unassigned task: %v, want ErrNotAssigned", err)
	}
	if _, err := s.Answer(ctx, t1.ID, "ann", "AI", 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	t2, _, _ := s.Next(ctx, "ann")
	if t2.ID == t1.ID {
		t.Fatal("answered task shown again")
	}
	if _, err := s.Answer(ctx, t2.ID, "ann", "", time.Second); err != nil { // skip
		t.Fatal(err)
	}
	// Undo reopens the skipped task, which is shown next.
	if id, ok, err := s.Undo(ctx, "ann"); err != nil || !ok || id != t2.ID {
		t.Fatalf("Undo = %d, %v, %v; want task %d", id, ok, err, t2.ID)
	}
	if n, _, _ := s.Next(ctx, "ann"); n.ID != t2.ID {
		t.Fatalf("after undo Next = %d, want %d", n.ID, t2.ID)
	}
	if _, err := s.Answer(ctx, t2.ID, "ann", "OTHER", time.Second); err != nil {
		t.Fatal(err)
	}
	// A change supersedes: one current answer, the history kept.
	if _, err := s.Answer(ctx, t1.ID, "ann", "OTHER", 0); err != nil {
		t.Fatal(err)
	}
	votes, err := s.Votes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Vote{{t1.ID, "ann", "OTHER"}, {t2.ID, "ann", "OTHER"}}
	if fmt.Sprint(votes) != fmt.Sprint(want) {
		t.Fatalf("votes = %v, want %v", votes, want)
	}
	var states string
	if err := s.pool.QueryRow(ctx, `SELECT string_agg(label || ':' || state, ',' ORDER BY answer_id) FROM annotate_answers`).Scan(&states); err != nil {
		t.Fatal(err)
	}
	if states != "AI:superseded,:undone,OTHER:current,OTHER:current" {
		t.Fatalf("answer history = %s", states)
	}
	rec, err := s.Recent(ctx, "ann", 10)
	if err != nil || len(rec) != 2 || rec[0].Task.ID != t1.ID || rec[0].Label != "OTHER" || rec[1].SpentMS != 1000 {
		t.Fatalf("Recent = %+v, %v", rec, err)
	}
	p, err := s.Progress(ctx)
	if err != nil || p.Tasks != 3 || p.Annotated != 2 || p.Done != 2 || len(p.Annotators) != 1 || p.Annotators[0].Labeled != 2 || p.Labels["OTHER"] != 2 {
		t.Fatalf("Progress = %+v, %v", p, err)
	}
}

// TestConcurrentAssignment: annotators asking for tasks at the same time
// never share a single-annotator task, overlap tasks get exactly two, and
// every task is handed out.
func TestConcurrentAssignment(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	tasks := someTasks(40, 1)
	for i := range tasks {
		if i%4 == 0 {
			tasks[i].Wanted = 2
		}
	}
	if _, err := s.AddTasks(ctx, tasks); err != nil {
		t.Fatal(err)
	}
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := fmt.Sprint("w", w)
			for {
				task, ok, err := s.Next(ctx, who)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					return
				}
				if _, err := s.Answer(ctx, task.ID, who, "AI", time.Millisecond); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var bad int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM annotate_tasks t
WHERE (SELECT count(*) FROM annotate_answers s WHERE s.task_id = t.task_id AND s.state = 'current') <> t.wanted`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d tasks have a number of answers different from wanted", bad)
	}
	p, _ := s.Progress(ctx)
	if p.Done != 40 || p.Annotated != 50 {
		t.Fatalf("progress = %+v, want 40 tasks done, 50 annotations", p)
	}
}
