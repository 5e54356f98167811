package dashboard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/pgident"
	"github.com/tweetflow/tweetflow/internal/scoring"
)

// DeadLetterSuffix names the dead-letter table of a scores table: the
// scorer stores the messages it cannot score in <table>_dead_letters
// (scoring.DeadLetterTableFor).
const DeadLetterSuffix = scoring.DeadLetterSuffix

// Time columns a dashboard can bucket by.
const (
	ScoredAt  = "scored_at"
	CreatedAt = "created_at"
)

// Options say what Query reads.
type Options struct {
	// Tables are the scores tables (scoring.CreateTableSQL's schema),
	// "table" or "schema.table"; their rows are read together.
	Tables []string
	// TimeColumn is ScoredAt or CreatedAt: the time of the buckets and
	// of the latest tweets. Rows without a created_at are left out of
	// the buckets and the sample with CreatedAt.
	TimeColumn string
	// Width and Buckets: the counts cover the Buckets buckets of Width
	// (whole seconds) up to the newest row of the active model version.
	Width   time.Duration
	Buckets int
	// Latest is the number of latest tweets listed.
	Latest int
	// Sample is the most rows (the newest in the buckets' window) whose
	// scores, URLs and hashtags are read for the histogram, the drift
	// statistics and the top lists.
	Sample int
	// Top is the length of the top URL and hashtag lists.
	Top int
	// Labels are the model's labels in class order (may be empty: the
	// labels found in the table are used).
	Labels []string
	// Focus is the label whose rate, probability histogram and top lists
	// are shown.
	Focus string
}

// TableStatus is what Query found of one scores table.
type TableStatus struct {
	Name   string
	Exists bool
	// DeadLetterTable is true when <name>_dead_letters exists;
	// DeadLetters counts its rows (0 when it does not exist).
	DeadLetterTable bool
	DeadLetters     int64
}

// VersionCount is the rows of one model version.
type VersionCount struct {
	Version    string
	Rows       int64
	LastScored time.Time
}

// LatestRow is one of the latest scored tweets.
type LatestRow struct {
	ID        string
	Version   string
	CreatedAt *time.Time
	ScoredAt  time.Time
	User      string
	Text      string
	URLs      []string
	Label     string
	Score     float64
}

// Snapshot is the state of the scores tables at one moment (one
// repeatable-read, read-only transaction).
type Snapshot struct {
	At          time.Time // the database's time of the snapshot
	Tables      []TableStatus
	DeadLetters int64 // over every table
	Versions    []VersionCount
	// Active is the version of the most recently scored row; the
	// buckets, the sample and the top lists are of its rows.
	Active string
	Rows   int64 // rows of the active version
	Newest *time.Time
	Labels []string // in the order of Bucket.Counts
	Focus  string
	Width  time.Duration
	Counts []Bucket
	Latest []LatestRow
	// Scores are the focus label's probabilities of the sampled rows.
	Scores      []float64
	SampleRows  int
	TopURLs     []Count
	TopHashtags []Count
}

// Querier is what Query needs of a database: a pgxpool.Pool or a pgx.Conn.
type Querier interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Query reads a Snapshot of the scores tables. Missing tables are
// reported, not an error: a dashboard may start before the scorer has
// created its table. The dead-letter table of each scores table is
// looked up at query time.
func Query(ctx context.Context, db Querier, o Options) (*Snapshot, error) {
	if o.TimeColumn == "" {
		o.TimeColumn = ScoredAt
	}
	if o.TimeColumn != ScoredAt && o.TimeColumn != CreatedAt {
		return nil, fmt.Errorf("time column %q: want %s or %s", o.TimeColumn, ScoredAt, CreatedAt)
	}
	if len(o.Tables) == 0 {
		return nil, errors.New("no scores table given")
	}
	if o.Width < time.Second || o.Width%time.Second != 0 {
		return nil, fmt.Errorf("bucket width %s: want whole seconds, at least 1s", o.Width)
	}
	idents := make([]pgx.Identifier, len(o.Tables))
	for i, t := range o.Tables {
		id, err := pgident.ParseTable(t)
		if err != nil {
			return nil, err
		}
		idents[i] = id
	}
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("reading the scores tables: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	s := &Snapshot{Width: o.Width, Focus: o.Focus}
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&s.At); err != nil {
		return nil, fmt.Errorf("reading the scores tables: %w", err)
	}
	var present []pgx.Identifier
	for i, id := range idents {
		st := TableStatus{Name: o.Tables[i]}
		dl := slices.Clone(id)
		dl[len(dl)-1] += DeadLetterSuffix
		var t, d *string
		if err := tx.QueryRow(ctx, `SELECT to_regclass($1)::text, to_regclass($2)::text`, id.Sanitize(), dl.Sanitize()).Scan(&t, &d); err != nil {
			return nil, fmt.Errorf("looking up table %q: %w", o.Tables[i], err)
		}
		st.Exists, st.DeadLetterTable = t != nil, d != nil
		if st.Exists {
			present = append(present, id)
		}
		if st.DeadLetterTable {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+dl.Sanitize()).Scan(&st.DeadLetters); err != nil {
				return nil, fmt.Errorf("counting the dead letters of %q: %w", o.Tables[i], err)
			}
			s.DeadLetters += st.DeadLetters
		}
		s.Tables = append(s.Tables, st)
	}
	if len(present) == 0 {
		s.Labels = slices.Clone(o.Labels)
		return s, nil
	}
	src := source(present)
	tc := o.TimeColumn

	// Versions, newest first; the active one is the last scored.
	rows, err := tx.Query(ctx, `SELECT model_version, count(*), max(scored_at) FROM `+src+` GROUP BY 1 ORDER BY 3 DESC, 1`)
	if err != nil {
		return nil, fmt.Errorf("reading the model versions: %w", err)
	}
	s.Versions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (VersionCount, error) {
		var v VersionCount
		err := r.Scan(&v.Version, &v.Rows, &v.LastScored)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the model versions: %w", err)
	}
	if len(s.Versions) == 0 {
		s.Labels = slices.Clone(o.Labels)
		return s, nil
	}
	s.Active, s.Rows = s.Versions[0].Version, s.Versions[0].Rows

	// Latest tweets of every version.
	if o.Latest > 0 {
		rows, err = tx.Query(ctx, `SELECT tweet_id, model_version, created_at, scored_at, user_name, text, urls, label, score FROM `+src+
			` ORDER BY `+tc+` DESC NULLS LAST, scored_at DESC, tweet_id DESC LIMIT $1`, o.Latest)
		if err != nil {
			return nil, fmt.Errorf("reading the latest tweets: %w", err)
		}
		s.Latest, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (LatestRow, error) {
			var l LatestRow
			var score float32
			err := r.Scan(&l.ID, &l.Version, &l.CreatedAt, &l.ScoredAt, &l.User, &l.Text, &l.URLs, &l.Label, &score)
			l.Score = float64(score)
			return l, err
		})
		if err != nil {
			return nil, fmt.Errorf("reading the latest tweets: %w", err)
		}
	}

	// The window: Buckets buckets up to the newest row of the active version.
	if err := tx.QueryRow(ctx, `SELECT max(`+tc+`) FROM `+src+` WHERE model_version = $1`, s.Active).Scan(&s.Newest); err != nil {
		return nil, fmt.Errorf("reading the newest row: %w", err)
	}
	if s.Newest == nil { // created_at unknown for every row
		s.Labels = slices.Clone(o.Labels)
		return s, nil
	}
	last := BucketIndex(*s.Newest, o.Width)
	n := max(o.Buckets, 1)
	from := BucketStart(last-int64(n)+1, o.Width)
	secs := int64(o.Width / time.Second)
	rows, err = tx.Query(ctx, `SELECT floor(extract(epoch FROM `+tc+`) / $3)::bigint AS b, label, count(*) FROM `+src+
		` WHERE model_version = $1 AND `+tc+` >= $2 GROUP BY 1, 2`, s.Active, from, secs)
	if err != nil {
		return nil, fmt.Errorf("counting rows per time bucket: %w", err)
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LabelCount, error) {
		var c LabelCount
		err := r.Scan(&c.Bucket, &c.Label, &c.N)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("counting rows per time bucket: %w", err)
	}
	s.Counts, s.Labels = Buckets(counts, o.Labels, o.Focus, o.Width, last, n)
	if o.Focus == "" && len(s.Labels) > 0 { // no model: the first label found
		o.Focus, s.Focus = s.Labels[0], s.Labels[0]
		s.Counts, s.Labels = Buckets(counts, o.Labels, o.Focus, o.Width, last, n)
	}

	// The sample: the focus label's probability, URLs and hashtags of the
	// newest rows of the window.
	if o.Sample > 0 && o.Focus != "" {
		// Text and URLs only of the focus label's rows (the top lists).
		rows, err = tx.Query(ctx, `SELECT (probabilities ->> $3)::float8, label, CASE WHEN label = $3 THEN urls END, CASE WHEN label = $3 THEN text ELSE '' END FROM `+src+
			` WHERE model_version = $1 AND `+tc+` >= $2 ORDER BY `+tc+` DESC, tweet_id DESC LIMIT $4`, s.Active, from, o.Focus, o.Sample)
		if err != nil {
			return nil, fmt.Errorf("reading the sample of scores: %w", err)
		}
		urls, tags := map[string]int{}, map[string]int{}
		for rows.Next() {
			var p *float64
			var label, text string
			var us []string
			if err := rows.Scan(&p, &label, &us, &text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("reading the sample of scores: %w", err)
			}
			s.SampleRows++
			if p != nil && !math.IsNaN(*p) {
				s.Scores = append(s.Scores, *p)
			}
			if label != o.Focus {
				continue
			}
			seen := map[string]bool{}
			for _, u := range us {
				if !seen[u] {
					seen[u] = true
					urls[u]++
				}
			}
			for _, h := range Hashtags(text) {
				tags[h]++
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading the sample of scores: %w", err)
		}
		s.TopURLs, s.TopHashtags = TopK(urls, o.Top), TopK(tags, o.Top)
	}
	return s, nil
}

// source is the FROM clause over the scores tables: the table, or the
// union of their rows.
func source(tables []pgx.Identifier) string {
	if len(tables) == 1 {
		return tables[0].Sanitize()
	}
	cols := "tweet_id, model_version, created_at, user_name, text, urls, label, score, probabilities, scored_at"
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = "SELECT " + cols + " FROM " + t.Sanitize()
	}
	return "(" + strings.Join(parts, " UNION ALL ") + ") AS scores"
}
