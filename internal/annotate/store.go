package annotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations create the schema; migrations[i] is version i+1. Each runs
// once, in a transaction together with its row in annotate_schema, so a
// crash mid-migration leaves the previous version. Never edit a released
// migration: append a new one.
var migrations = []string{
	`CREATE TABLE annotate_tasks (
	task_id         bigserial PRIMARY KEY,
	tweet_id        text        NOT NULL UNIQUE,
	text            text        NOT NULL,
	clean_text      text        NOT NULL DEFAULT '',
	urls            text[]      NOT NULL DEFAULT '{}',
	weak_label      text        NOT NULL DEFAULT '',
	weak_confidence double precision NOT NULL DEFAULT 0,
	prediction      text        NOT NULL DEFAULT '',
	pred_confidence double precision NOT NULL DEFAULT 0,
	wanted          smallint    NOT NULL DEFAULT 1 CHECK (wanted >= 1),
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE annotate_assignments (
	task_id     bigint      NOT NULL REFERENCES annotate_tasks ON DELETE CASCADE,
	annotator   text        NOT NULL,
	assigned_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (task_id, annotator)
);
CREATE TABLE annotate_answers (
	answer_id     bigserial   PRIMARY KEY,
	task_id       bigint      NOT NULL,
	annotator     text        NOT NULL,
	label         text        NOT NULL,   -- '' for a skip
	skipped       boolean     NOT NULL,
	answered_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	time_spent_ms bigint      NOT NULL CHECK (time_spent_ms >= 0),
	state         text        NOT NULL DEFAULT 'current' CHECK (state IN ('current', 'superseded', 'undone')),
	replaced_at   timestamptz,
	FOREIGN KEY (task_id, annotator) REFERENCES annotate_assignments,
	CHECK (skipped = (label = ''))
);
CREATE UNIQUE INDEX annotate_answers_one_current ON annotate_answers (task_id, annotator) WHERE state = 'current';
CREATE INDEX annotate_answers_by_annotator ON annotate_answers (annotator, answer_id);`,
}

// SchemaVersion is the schema version Migrate brings a database to.
var SchemaVersion = len(migrations)

// Store keeps tasks, assignments and answers in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	ttl  time.Duration
}

// DefaultAssignmentTTL is how long a shown, unanswered task stays reserved
// for its annotator.
const DefaultAssignmentTTL = 30 * time.Minute

// SetAssignmentTTL sets how long a shown, unanswered task stays reserved
// for its annotator before Next hands it to someone else (the annotator
// still sees it and may still answer it).
func (s *Store) SetAssignmentTTL(d time.Duration) { s.ttl = d }

// Open connects to the database at dsn and migrates its schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, ttl: DefaultAssignmentTTL}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// Pool is the connection pool (for reading a --source-table).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate applies the migrations the database lacks. Concurrent starts are
// serialised by an advisory lock.
func (s *Store) Migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(727400001)`); err != nil {
			return fmt.Errorf("migrating the annotate schema: locking: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS annotate_schema (
	version    int PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrating the annotate schema: %w", err)
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM annotate_schema`).Scan(&have); err != nil {
			return fmt.Errorf("migrating the annotate schema: reading the version: %w", err)
		}
		if have > len(migrations) {
			return fmt.Errorf("migrating the annotate schema: the database is at version %d, this binary knows %d: use a newer binary", have, len(migrations))
		}
		for v := have + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return fmt.Errorf("migrating the annotate schema to version %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO annotate_schema (version) VALUES ($1)`, v); err != nil {
				return fmt.Errorf("migrating the annotate schema to version %d: %w", v, err)
			}
		}
		return nil
	})
}

// LoadResult counts what AddTasks did.
type LoadResult struct{ Inserted, Updated int }

// AddTasks inserts tasks by tweet id; a tweet already present keeps its
// task id and answers, and gets the new weak label, prediction and wanted
// count (so a restart with another model or --overlap updates them).
func (s *Store) AddTasks(ctx context.Context, tasks []Task) (LoadResult, error) {
	var r LoadResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, t := range tasks {
			urls := t.URLs
			if urls == nil {
				urls = []string{}
			}
			wanted := max(t.Wanted, 1)
			b.Queue(`INSERT INTO annotate_tasks (tweet_id, text, clean_text, urls, weak_label, weak_confidence, prediction, pred_confidence, wanted)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (tweet_id) DO UPDATE SET weak_label = EXCLUDED.weak_label, weak_confidence = EXCLUDED.weak_confidence,
	prediction = EXCLUDED.prediction, pred_confidence = EXCLUDED.pred_confidence, wanted = EXCLUDED.wanted
RETURNING (xmax = 0)`, t.TweetID, t.Text, t.CleanText, urls, t.WeakLabel, t.WeakConfidence, t.Prediction, t.PredConfidence, wanted)
		}
		br := tx.SendBatch(ctx, b)
		for _, t := range tasks {
			var inserted bool
			if err := br.QueryRow().Scan(&inserted); err != nil {
				br.Close()
				return fmt.Errorf("storing task of tweet %q: %w", t.TweetID, err)
			}
			if inserted {
				r.Inserted++
			} else {
				r.Updated++
			}
		}
		return br.Close()
	})
	return r, err
}

// claimsSQL counts the annotators holding task t: assigned, not skipping
// it, and either answered or assigned less than $3 seconds ago (an
// abandoned assignment expires, so the task goes to someone else; a late
// answer of the first holder is still accepted).
const claimsSQL = `SELECT count(*) FROM annotate_assignments a WHERE a.task_id = t.task_id
	AND NOT EXISTS (SELECT 1 FROM annotate_answers s WHERE s.task_id = a.task_id AND s.annotator = a.annotator AND s.state = 'current' AND s.skipped)
	AND (a.assigned_at > clock_timestamp() - $3 * interval '1 second'
	     OR EXISTS (SELECT 1 FROM annotate_answers s WHERE s.task_id = a.task_id AND s.annotator = a.annotator AND s.state = 'current'))`

const taskCols = `t.task_id, t.tweet_id, t.text, t.clean_text, t.urls, t.weak_label, t.weak_confidence, t.prediction, t.pred_confidence, t.wanted`

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	var wanted int16
	err := row.Scan(&t.ID, &t.TweetID, &t.Text, &t.CleanText, &t.URLs, &t.WeakLabel, &t.WeakConfidence, &t.Prediction, &t.PredConfidence, &wanted)
	t.Wanted = int(wanted)
	return t, err
}

// Next returns the task to show the annotator: the task assigned to them
// and not answered yet (the most recently (re)opened first: a reload or
// an undo shows the same task), else a newly assigned task, or ok=false
// when nothing is left. A new task is one the annotator has not been
// assigned, with fewer non-skipping annotators than it wants; the row lock
// (FOR UPDATE SKIP LOCKED) keeps two annotators from claiming the same
// task at once.
func (s *Store) Next(ctx context.Context, annotator string) (t Task, ok bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		t, err = scanTask(tx.QueryRow(ctx, `SELECT `+taskCols+` FROM annotate_assignments a JOIN annotate_tasks t USING (task_id)
WHERE a.annotator = $1 AND NOT EXISTS (SELECT 1 FROM annotate_answers s WHERE s.task_id = a.task_id AND s.annotator = a.annotator AND s.state = 'current')
ORDER BY a.assigned_at DESC, a.task_id LIMIT 1`, annotator))
		if err == nil {
			ok = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// The WHERE clause is evaluated on the statement's snapshot: a task
		// claimed by a transaction that committed after it and before the row
		// lock was taken still looks free. So the claim is re-counted under
		// the lock by a new statement (a fresh snapshot), and a task that
		// turns out full is passed over.
		full := []int64{}
		for {
			t, err = scanTask(tx.QueryRow(ctx, `SELECT `+taskCols+` FROM annotate_tasks t
WHERE NOT (t.task_id = ANY($2))
  AND NOT EXISTS (SELECT 1 FROM annotate_assignments a WHERE a.task_id = t.task_id AND a.annotator = $1)
  AND (`+claimsSQL+`) < t.wanted
ORDER BY t.task_id LIMIT 1 FOR UPDATE OF t SKIP LOCKED`, annotator, full, s.ttl.Seconds()))
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			var claims int
			var mine bool
			if err := tx.QueryRow(ctx, `SELECT (`+claimsSQL+`), EXISTS (SELECT 1 FROM annotate_assignments a WHERE a.task_id = t.task_id AND a.annotator = $2)
FROM annotate_tasks t WHERE t.task_id = $1`, t.ID, annotator, s.ttl.Seconds()).Scan(&claims, &mine); err != nil {
				return err
			}
			if claims < t.Wanted && !mine {
				break
			}
			full = append(full, t.ID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO annotate_assignments (task_id, annotator) VALUES ($1, $2)`, t.ID, annotator); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return Task{}, false, fmt.Errorf("finding the next task of %q: %w", annotator, err)
	}
	return t, ok, nil
}

// Task returns one task by id.
func (s *Store) Task(ctx context.Context, id int64) (Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT `+taskCols+` FROM annotate_tasks t WHERE task_id = $1`, id))
	if err != nil {
		return Task{}, fmt.Errorf("reading task %d: %w", id, err)
	}
	return t, nil
}

// ErrNotAssigned is returned for an answer to a task the annotator was
// never shown.
var ErrNotAssigned = errors.New("task not assigned to this annotator")

// Answer records the annotator's label (skip: label "") of a task in one
// committed transaction. A current answer of the same annotator on the same
// task (a resubmitted form, a change) is marked superseded, never
// overwritten. It returns the new answer's id.
func (s *Store) Answer(ctx context.Context, taskID int64, annotator, label string, spent time.Duration) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The assignment row lock serialises answers of one annotator on one task.
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM annotate_assignments WHERE task_id = $1 AND annotator = $2 FOR UPDATE`, taskID, annotator).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotAssigned
			}
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE annotate_answers SET state = 'superseded', replaced_at = clock_timestamp()
WHERE task_id = $1 AND annotator = $2 AND state = 'current'`, taskID, annotator); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO annotate_answers (task_id, annotator, label, skipped, time_spent_ms)
VALUES ($1, $2, $3, $4, $5) RETURNING answer_id`, taskID, annotator, label, label == "", max(spent.Milliseconds(), 0)).Scan(&id)
	})
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			err = fmt.Errorf("a concurrent answer won: %w", err)
		}
		return 0, fmt.Errorf("storing the answer of %q on task %d: %w", annotator, taskID, err)
	}
	return id, nil
}

// Undo marks the annotator's latest current answer undone and reopens its
// task (it becomes the task Next shows). ok is false when there is nothing
// to undo.
func (s *Store) Undo(ctx context.Context, annotator string) (taskID int64, ok bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE annotate_answers SET state = 'undone', replaced_at = clock_timestamp()
WHERE answer_id = (SELECT answer_id FROM annotate_answers WHERE annotator = $1 AND state = 'current' ORDER BY answer_id DESC LIMIT 1 FOR UPDATE)
RETURNING task_id`, annotator).Scan(&taskID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		_, err = tx.Exec(ctx, `UPDATE annotate_assignments SET assigned_at = clock_timestamp() WHERE task_id = $1 AND annotator = $2`, taskID, annotator)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("undoing the last answer of %q: %w", annotator, err)
	}
	return taskID, ok, nil
}

// Decided is one current answer with its task, for the recent page.
type Decided struct {
	AnswerID   int64
	Task       Task
	Label      string // "" = skipped
	AnsweredAt time.Time
	SpentMS    int64
}

// Recent lists the annotator's current answers, newest first.
func (s *Store) Recent(ctx context.Context, annotator string, limit int) ([]Decided, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.answer_id, s.label, s.answered_at, s.time_spent_ms, `+taskCols+`
FROM annotate_answers s JOIN annotate_tasks t USING (task_id)
WHERE s.annotator = $1 AND s.state = 'current' ORDER BY s.answer_id DESC LIMIT $2`, annotator, limit)
	if err != nil {
		return nil, fmt.Errorf("listing the answers of %q: %w", annotator, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Decided, error) {
		var d Decided
		var wanted int16
		err := r.Scan(&d.AnswerID, &d.Label, &d.AnsweredAt, &d.SpentMS, &d.Task.ID, &d.Task.TweetID, &d.Task.Text, &d.Task.CleanText,
			&d.Task.URLs, &d.Task.WeakLabel, &d.Task.WeakConfidence, &d.Task.Prediction, &d.Task.PredConfidence, &wanted)
		d.Task.Wanted = int(wanted)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing the answers of %q: %w", annotator, err)
	}
	return out, nil
}

// AnnotatorProgress is one annotator's counts.
type AnnotatorProgress struct {
	Annotator        string
	Labeled, Skipped int
	MeanMS           float64 // mean time spent per current answer
}

// Progress is what the progress bar and stats page show.
type Progress struct {
	Tasks      int // tasks in the store
	Wanted     int // sum of wanted annotations (tasks + overlap tasks)
	Annotated  int // annotations given: current label answers, capped at wanted per task
	Done       int // tasks with as many label answers as they want
	Annotators []AnnotatorProgress
	Labels     map[string]int // current label answers per label
}

// Progress counts tasks and current answers.
func (s *Store) Progress(ctx context.Context) (Progress, error) {
	var p Progress
	err := s.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(wanted), 0),
	coalesce(sum(least(n, wanted)), 0), count(*) FILTER (WHERE n >= wanted)
FROM (SELECT t.wanted, (SELECT count(*) FROM annotate_answers s WHERE s.task_id = t.task_id AND s.state = 'current' AND NOT s.skipped) AS n
      FROM annotate_tasks t) x`).Scan(&p.Tasks, &p.Wanted, &p.Annotated, &p.Done)
	if err != nil {
		return p, fmt.Errorf("counting progress: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT annotator, count(*) FILTER (WHERE NOT skipped), count(*) FILTER (WHERE skipped), avg(time_spent_ms)
FROM annotate_answers WHERE state = 'current' GROUP BY annotator ORDER BY annotator`)
	if err != nil {
		return p, fmt.Errorf("counting progress per annotator: %w", err)
	}
	p.Annotators, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AnnotatorProgress, error) {
		var a AnnotatorProgress
		err := r.Scan(&a.Annotator, &a.Labeled, &a.Skipped, &a.MeanMS)
		return a, err
	})
	if err != nil {
		return p, fmt.Errorf("counting progress per annotator: %w", err)
	}
	p.Labels = map[string]int{}
	rows, err = s.pool.Query(ctx, `SELECT label, count(*) FROM annotate_answers WHERE state = 'current' AND NOT skipped GROUP BY label`)
	if err != nil {
		return p, fmt.Errorf("counting labels: %w", err)
	}
	var l string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&l, &n}, func() error { p.Labels[l] = n; return nil })
	if err != nil {
		return p, fmt.Errorf("counting labels: %w", err)
	}
	return p, nil
}

// Votes returns every current answer (skips as label ""), by task and
// annotator: the input of Resolve and the agreement statistics.
func (s *Store) Votes(ctx context.Context) ([]Vote, error) {
	rows, err := s.pool.Query(ctx, `SELECT task_id, annotator, label FROM annotate_answers WHERE state = 'current' ORDER BY task_id, annotator`)
	if err != nil {
		return nil, fmt.Errorf("reading answers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Vote, error) {
		var v Vote
		err := r.Scan(&v.TaskID, &v.Annotator, &v.Label)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading answers: %w", err)
	}
	return out, nil
}

// Tasks returns the tasks with the given ids, by id.
func (s *Store) Tasks(ctx context.Context, ids []int64) (map[int64]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskCols+` FROM annotate_tasks t WHERE task_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading tasks: %w", err)
	}
	out := map[int64]Task{}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("reading tasks: %w", err)
		}
		out[t.ID] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading tasks: %w", err)
	}
	return out, nil
}
