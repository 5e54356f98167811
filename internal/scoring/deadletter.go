package scoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/pgident"
)

// DeadLetterSuffix names the default dead-letter table of a scores table:
// <table>_dead_letters. The scorer writes there and the dashboard reads
// there, so the two agree without configuration.
const DeadLetterSuffix = "_dead_letters"

// DeadLetterTableFor is the default dead-letter table of the scores table.
func DeadLetterTableFor(scores string) string { return scores + DeadLetterSuffix }

// MaxDeadLetterRaw is the most bytes of a record a dead letter keeps
// (RawSize has the full size).
const MaxDeadLetterRaw = 1 << 20

// NoPartition is the Partition of a dead letter read from a file.
const NoPartition = -1

// DeadLetter is an input record that was not scored and stored: a poison
// Kafka message (invalid JSON, no text, too large), a bad row of a file,
// or a row PostgreSQL refused.
type DeadLetter struct {
	Source    string    // Kafka topic, or the file (path, URI, "stdin")
	Partition int32     // Kafka partition; NoPartition for a file
	Position  int64     // Kafka offset, or the 1-based line of the file
	Raw       []byte    // the record as read (its first MaxDeadLetterRaw bytes)
	RawSize   int       // the size of the whole record
	Reason    string    // why it was refused
	At        time.Time // when
}

// NewDeadLetter returns a dead letter keeping at most MaxDeadLetterRaw
// bytes of raw (copied).
func NewDeadLetter(source string, partition int32, pos int64, raw []byte, reason string, at time.Time) DeadLetter {
	n := len(raw)
	if len(raw) > MaxDeadLetterRaw {
		raw = raw[:MaxDeadLetterRaw]
	}
	return DeadLetter{Source: source, Partition: partition, Position: pos, Raw: append([]byte{}, raw...), RawSize: n, Reason: reason, At: at.UTC()}
}

// BadRowDeadLetter is the dead letter of a bad row of a file.
func BadRowDeadLetter(b ingest.BadRow, at time.Time) DeadLetter {
	return NewDeadLetter(b.Source, NoPartition, int64(b.Line), b.Raw, b.Reason, at)
}

// FileIngestOptions are the ingest options of a stream component reading
// files (score, collect): bad rows and empty sources logged, and, with a
// dead-letter sink, every bad row queued there instead of counting against
// maxBad (the stream goes on).
func FileIngestOptions(log *slog.Logger, maxBad int, dead *DeadLetterSink) ingest.Options {
	if dead != nil {
		maxBad = -1
	}
	return ingest.Options{
		MaxBadRows: maxBad,
		OnBadRow: func(b ingest.BadRow) {
			log.Warn("bad row", "source", b.Source, "line", b.Line, "reason", b.Reason)
			if dead != nil {
				dead.Add(BadRowDeadLetter(b, time.Now()))
			}
		},
		OnEmptySource: func(name string) { log.Warn("empty source: no rows", "source", name) },
	}
}

// RejectedDeadLetter is the dead letter of a row the PostgreSQL sink
// refused. Its position comes from Row.Source ("<file>:<line>", or
// "kafka:<topic>:<partition>:<offset>"); Raw is the raw text.
func RejectedDeadLetter(r RejectedRow, at time.Time) DeadLetter {
	src, part, pos := ParseRowSource(r.Row.Source)
	if src == "" {
		src = "tweet:" + r.Row.ID
	}
	return NewDeadLetter(src, part, pos, []byte(r.Row.Text), fmt.Sprintf("refused by PostgreSQL (tweet %s): %v", r.Row.ID, r.Err), at)
}

// RefusedDeadLetter is the dead letter of a text the model server
// refused (HTTPOptions.OnRefused); its position comes from the tweet's
// Source as for RejectedDeadLetter, Raw is the raw text.
func RefusedDeadLetter(r RefusedText, at time.Time) DeadLetter {
	src, part, pos := ParseRowSource(r.Tweet.Source)
	if src == "" {
		src = "tweet:" + r.Tweet.ID
	}
	return NewDeadLetter(src, part, pos, []byte(r.Tweet.Text), r.Reason(), at)
}

// KafkaSourceName is the ingest source name of the records of a Kafka
// partition: a record's Tweet.Source (and Row.Source) is
// "kafka:<topic>:<partition>:<offset>".
func KafkaSourceName(topic string, partition int32) string {
	return "kafka:" + topic + ":" + strconv.Itoa(int(partition))
}

// ParseRowSource splits a Row.Source into the source, the Kafka partition
// (NoPartition for a file) and the offset or line. An empty or unparsable
// source gives ("", NoPartition, 0).
func ParseRowSource(s string) (source string, partition int32, pos int64) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", NoPartition, 0
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return "", NoPartition, 0
	}
	name := s[:i]
	if rest, ok := strings.CutPrefix(name, "kafka:"); ok {
		if j := strings.LastIndexByte(rest, ':'); j > 0 {
			if p, err := strconv.ParseInt(rest[j+1:], 10, 32); err == nil {
				return rest[:j], int32(p), n
			}
		}
	}
	return name, NoPartition, n
}

// CreateDeadLetterTableSQL returns the statement that creates the
// dead-letter table when it is missing. One row per record:
//
//	source          text        NOT NULL  Kafka topic, or the file (path, URI, "stdin")
//	kafka_partition integer     NOT NULL  Kafka partition; -1 for a file
//	position        bigint      NOT NULL  Kafka offset, or the 1-based line of the file
//	raw             bytea       NOT NULL  the record as read (at most 1 MiB)
//	raw_bytes       integer     NOT NULL  the size of the whole record
//	reason          text        NOT NULL  why it was refused
//	dead_at         timestamptz NOT NULL  when
//	PRIMARY KEY (source, kafka_partition, position)
//
// A record dead-lettered again (a redelivery after a crash, a rerun on the
// same file) overwrites its row.
func CreateDeadLetterTableSQL(table string) (string, error) {
	id, err := pgident.ParseTable(table)
	if err != nil {
		return "", err
	}
	return `CREATE TABLE IF NOT EXISTS ` + id.Sanitize() + ` (
	source          text        NOT NULL,
	kafka_partition integer     NOT NULL DEFAULT -1,
	position        bigint      NOT NULL,
	raw             bytea       NOT NULL,
	raw_bytes       integer     NOT NULL,
	reason          text        NOT NULL,
	dead_at         timestamptz NOT NULL,
	PRIMARY KEY (source, kafka_partition, position)
)`, nil
}

// DeadLetterSink stores dead letters in a PostgreSQL table (see
// CreateDeadLetterTableSQL), one transaction per Write, idempotently.
// Add and Flush queue and store them from several goroutines.
type DeadLetterSink struct {
	mu      sync.Mutex // guards conn and the queue
	conn    *pgx.Conn
	own     bool
	table   string
	insert  string
	pending []DeadLetter
	stored  int64
}

// OpenDeadLetters connects to the database at dsn and returns a sink
// writing table (created when missing) that owns its connection.
func OpenDeadLetters(ctx context.Context, dsn, table string) (*DeadLetterSink, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing the PostgreSQL connection string: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	s, err := NewDeadLetterSink(ctx, conn, table)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.own = true
	return s, nil
}

// NewDeadLetterSink returns a sink writing table through conn (left open
// by Close), creating the table when it is missing.
func NewDeadLetterSink(ctx context.Context, conn *pgx.Conn, table string) (*DeadLetterSink, error) {
	if _, err := migrate(ctx, conn, table, deadLetterMigration); err != nil {
		return nil, err
	}
	id, _ := pgident.ParseTable(table)
	return &DeadLetterSink{conn: conn, table: table, insert: `INSERT INTO ` + id.Sanitize() +
		` (source, kafka_partition, position, raw, raw_bytes, reason, dead_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (source, kafka_partition, position) DO UPDATE SET raw = EXCLUDED.raw, raw_bytes = EXCLUDED.raw_bytes,
		reason = EXCLUDED.reason, dead_at = EXCLUDED.dead_at`}, nil
}

// Table is the table the sink writes.
func (s *DeadLetterSink) Table() string { return s.table }

// Stored counts the dead letters stored so far.
func (s *DeadLetterSink) Stored() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored
}

// Add queues dead letters for the next Flush.
func (s *DeadLetterSink) Add(dls ...DeadLetter) {
	s.mu.Lock()
	s.pending = append(s.pending, dls...)
	s.mu.Unlock()
}

// Pending counts the queued dead letters.
func (s *DeadLetterSink) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Flush stores the queued dead letters in one transaction; on error they
// stay queued.
func (s *DeadLetterSink) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.writeLocked(ctx, s.pending); err != nil {
		return err
	}
	s.stored += int64(len(s.pending))
	clear(s.pending)
	s.pending = s.pending[:0]
	return nil
}

// Write stores dls in one transaction.
func (s *DeadLetterSink) Write(ctx context.Context, dls []DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writeLocked(ctx, dls); err != nil {
		return err
	}
	s.stored += int64(len(dls))
	return nil
}

func (s *DeadLetterSink) writeLocked(ctx context.Context, dls []DeadLetter) error {
	if s.conn == nil {
		return errors.New("writing dead letters: sink closed")
	}
	if len(dls) == 0 {
		return nil
	}
	var b pgx.Batch
	for _, d := range dls {
		at := d.At
		if at.IsZero() {
			at = time.Now().UTC()
		}
		raw := d.Raw
		if raw == nil {
			raw = []byte{}
		}
		b.Queue(s.insert, EscapeNUL(d.Source), d.Partition, d.Position, raw, d.RawSize, EscapeNUL(d.Reason), at)
	}
	err := pgx.BeginFunc(ctx, s.conn, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return fmt.Errorf("storing %d dead letters in table %q: %w", len(dls), s.table, err)
	}
	return nil
}

// Close releases the sink (queued dead letters are dropped: Flush first)
// and closes the connection it owns.
func (s *DeadLetterSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	conn := s.conn
	s.conn = nil
	return closeOwned(conn, s.own)
}
