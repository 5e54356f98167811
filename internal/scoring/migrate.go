package scoring

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/tweetflow/tweetflow/internal/pgident"
)

// MigrationsTable records the schema steps applied to each table, in the
// table's schema: (table_name, step, applied_at).
const MigrationsTable = "tweetflow_migrations"

// A migration is the ordered list of schema steps of one kind of table;
// step i+1 is steps[i]. Steps are never edited once released: a change is
// a new step at the end.
type migration func(table pgx.Identifier) []string

// scoresMigration: 1 creates the table (CreateTableSQL), 2 indexes the
// times the dashboard buckets by.
func scoresMigration(id pgx.Identifier) []string {
	create, _ := CreateTableSQL(joinIdent(id))
	return []string{
		create,
		`CREATE INDEX IF NOT EXISTS ` + indexName(id, "scored_at") + ` ON ` + id.Sanitize() + ` (scored_at);
		 CREATE INDEX IF NOT EXISTS ` + indexName(id, "created_at") + ` ON ` + id.Sanitize() + ` (created_at)`,
	}
}

// deadLetterMigration: 1 creates the table, 2 indexes dead_at.
func deadLetterMigration(id pgx.Identifier) []string {
	create, _ := CreateDeadLetterTableSQL(joinIdent(id))
	return []string{
		create,
		`CREATE INDEX IF NOT EXISTS ` + indexName(id, "dead_at") + ` ON ` + id.Sanitize() + ` (dead_at)`,
	}
}

func joinIdent(id pgx.Identifier) string {
	if len(id) == 2 {
		return id[0] + "." + id[1]
	}
	return id[0]
}

// indexName is "<table>_<col>_idx" (cut to PostgreSQL's 63 bytes), unqualified.
func indexName(id pgx.Identifier, col string) string {
	n := id[len(id)-1] + "_" + col + "_idx"
	if len(n) > 63 {
		n = n[len(n)-63:]
	}
	return pgx.Identifier{n}.Sanitize()
}

// migrate applies the steps of m that table has not had yet, in one
// transaction holding an advisory lock (one for all tables), so that
// scorers starting together apply each step once; a table that is up to
// date costs one query. It returns the steps applied now.
func migrate(ctx context.Context, conn *pgx.Conn, table string, m migration) (applied []int, err error) {
	id, err := pgident.ParseTable(table)
	if err != nil {
		return nil, err
	}
	mt := pgx.Identifier{MigrationsTable}
	if len(id) == 2 {
		mt = pgx.Identifier{id[0], MigrationsTable}
	}
	steps := m(id)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// One lock for every table: the migrations table itself is created
		// under it too (two CREATE TABLE IF NOT EXISTS at once can collide).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('tweetflow-migrate'))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+mt.Sanitize()+` (
	table_name text        NOT NULL,
	step       integer     NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (table_name, step)
)`); err != nil {
			return fmt.Errorf("creating %s: %w", MigrationsTable, err)
		}
		var done int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(step), 0) FROM `+mt.Sanitize()+` WHERE table_name = $1`, joinIdent(id)).Scan(&done); err != nil {
			return err
		}
		if done > len(steps) {
			return fmt.Errorf("table %q is at schema step %d, newer than this tweetflow knows (%d): upgrade tweetflow", table, done, len(steps))
		}
		for i := done; i < len(steps); i++ {
			if _, err := tx.Exec(ctx, steps[i]); err != nil {
				return fmt.Errorf("schema step %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+mt.Sanitize()+` (table_name, step) VALUES ($1, $2)`, joinIdent(id), i+1); err != nil {
				return err
			}
			applied = append(applied, i+1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrating table %q: %w", table, err)
	}
	return applied, nil
}

// VersionedTable names a table from a prefix and a version, as seed 001
// does (raw_tweet_dataset_0, ...): prefix + version, checked as a table
// name ("schema.prefix" works too).
func VersionedTable(prefix string, version int) (string, error) {
	name := fmt.Sprintf("%s%d", prefix, version)
	if _, err := pgident.ParseTable(name); err != nil {
		return "", err
	}
	return name, nil
}

// Migrate brings table to the last schema step of steps (steps(id) lists
// them in order; a released step is never edited, a change is a new step
// at the end), recording them in MigrationsTable under one advisory lock,
// as the scores tables are: other stream tables (collect's raw tweets)
// migrate the same way. It returns the steps applied now.
func Migrate(ctx context.Context, conn *pgx.Conn, table string, steps func(id pgx.Identifier) []string) ([]int, error) {
	return migrate(ctx, conn, table, steps)
}
