package scoring

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

// TestMigrations: schema steps run on start, once: a table made before
// migrations existed gets the later steps only, a second start applies
// nothing, scorers starting together all succeed, and a table at a step
// newer than the code is refused.
func TestMigrations(t *testing.T) {
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	ctx := context.Background()
	// A table of the first release (step 1 applied without a record).
	ddl, _ := CreateTableSQL("old_scores")
	if _, err := conn.Exec(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO old_scores VALUES ('1', 'v', NULL, '', 't', 't', '{}', 'pos', 0.9, '{}', now())"); err != nil {
		t.Fatal(err)
	}
	applied, err := migrate(ctx, conn, "old_scores", scoresMigration)
	if err != nil || !slices.Equal(applied, []int{1, 2}) {
		t.Fatalf("first migration applied %v, %v", applied, err)
	}
	if n := count(t, conn, "SELECT count(*) FROM old_scores"); n != 1 {
		t.Errorf("the migration lost rows: %d", n)
	}
	if n := count(t, conn, "SELECT count(*) FROM pg_indexes WHERE tablename = 'old_scores' AND indexname IN ('old_scores_scored_at_idx', 'old_scores_created_at_idx')"); n != 2 {
		t.Errorf("%d of the 2 indexes", n)
	}
	if applied, err = migrate(ctx, conn, "old_scores", scoresMigration); err != nil || len(applied) != 0 {
		t.Fatalf("second migration applied %v, %v", applied, err)
	}

	// Versioned, prefixed tables opened by four scorers at once.
	name, err := VersionedTable("public.tweet_scores_", 3)
	if err != nil || name != "public.tweet_scores_3" {
		t.Fatalf("VersionedTable = %q, %v", name, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s *PostgresSink
			if s, errs[i] = OpenPostgres(ctx, db.DSN(), WithTable(name)); errs[i] == nil {
				s.Close()
			}
			if d, err := OpenDeadLetters(ctx, db.DSN(), "tweet_scores_3_dead_letters"); err == nil {
				d.Close()
			} else if errs[i] == nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("scorer %d: %v", i, err)
		}
	}
	if n := count(t, conn, "SELECT count(*) FROM "+MigrationsTable+" WHERE table_name IN ('public.tweet_scores_3', 'tweet_scores_3_dead_letters')"); n != 4 {
		t.Errorf("%d migration records, want 2 steps x 2 tables", n)
	}
	if _, err := VersionedTable("bad-prefix", 1); err == nil {
		t.Error("a bad prefix was accepted")
	}

	// A table migrated by a newer tweetflow.
	if _, err := conn.Exec(ctx, "INSERT INTO "+MigrationsTable+" (table_name, step) VALUES ('old_scores', 9)"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPostgres(ctx, db.DSN(), WithTable("old_scores")); err == nil {
		t.Error("a table at a newer schema step was accepted")
	}
}
