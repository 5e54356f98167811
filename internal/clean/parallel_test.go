package clean

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

// sliceSource streams rows through one reused Tweet, as the dataset
// reader does.
func sliceSource(rows []dataset.Tweet) RowSource {
	return func(yield func(*dataset.Tweet) error) error {
		var t dataset.Tweet
		for i := range rows {
			t = rows[i]
			if err := yield(&t); err != nil {
				return err
			}
		}
		return nil
	}
}

// genRows are generated rows with empty ids, unlabeled rows, duplicate
// ids and texts (maybe with other labels) and texts empty after cleaning.
func genRows() []dataset.Tweet {
	gen := dataset.Generate(7, 3000, dataset.GenerateOptions{})
	for i := range gen {
		switch i % 7 {
		case 0:
			gen[i].ID = "" // never a duplicate id
		case 1:
			gen[i].Label = ""
		case 2:
			gen[i].Text = gen[i/2].Text // duplicate text, maybe another label
		case 3:
			gen[i].ID = gen[i/3].ID // duplicate id
		case 4:
			gen[i].Text = "http://t.co/x" // empty after cleaning
		}
	}
	return gen
}

// sequential runs Observe (when twoPass) then Process row by row.
func sequential(t *testing.T, rows []dataset.Tweet, twoPass bool, opts ...Option) ([]dataset.Tweet, Stats) {
	p, err := NewProcessor(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if twoPass {
		for i := range rows {
			if err := p.Observe(&rows[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	var kept []dataset.Tweet
	for i := range rows {
		r := rows[i]
		if p.Process(&r) {
			kept = append(kept, r)
		}
	}
	return kept, p.Stats()
}

// TestParallelMatchesSequential checks that ObserveAll + ProcessAll (and
// ProcessAll alone) give the same kept rows, order and Stats as Observe +
// Process row by row, with one and several workers; the two-pass case with
// three workers also runs on the real SemEval rows (duplicate ids, texts
// and conflicting labels) when they are there and -short is not set.
func TestParallelMatchesSequential(t *testing.T) {
	gen := genRows()
	for _, workers := range []int{1, 3} {
		for _, twoPass := range []bool{true, false} {
			rows := gen
			if workers == 3 && twoPass && !testing.Short() {
				if _, err := os.Stat("/work/shared/data/semeval2017-task4a"); err == nil {
					rows = append(readSemEval(t), gen...)
				}
			}
			wantRows, wantStats := sequential(t, rows, twoPass)
			got, st := runAll(t, rows, twoPass, 0, workers) // Plan in memory: ObserveAll when twoPass
			if st != wantStats {
				t.Errorf("workers %d two-pass %v: stats %+v, want %+v", workers, twoPass, st, wantStats)
			}
			if !reflect.DeepEqual(got, wantRows) {
				t.Errorf("workers %d two-pass %v: %d kept rows differ from the sequential %d", workers, twoPass, len(got), len(wantRows))
			}
			if wantStats.DroppedDupID == 0 || wantStats.DroppedDupText == 0 || wantStats.DroppedEmpty == 0 {
				t.Errorf("workers %d two-pass %v: rows miss a case: %+v", workers, twoPass, wantStats)
			}
			checkInvariant(t, st)
		}
	}
}

// TestParallelErrors checks that errors of the source and of emit stop
// the pipeline and are returned, and that a cancelled context is reported.
func TestParallelErrors(t *testing.T) {
	rows := dataset.Generate(3, 5000, dataset.GenerateOptions{})
	boom := errors.New("boom")
	p, _ := NewProcessor()
	n := 0
	err := p.ProcessAll(context.Background(), sliceSource(rows), 2, func(*dataset.Tweet) error {
		if n++; n == 1000 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 1000 {
		t.Errorf("emit error: got %v after %d rows, want boom after 1000", err, n)
	}
	p, _ = NewProcessor()
	failing := func(yield func(*dataset.Tweet) error) error {
		for i := range 700 {
			if err := yield(&rows[i]); err != nil {
				return err
			}
		}
		return boom
	}
	if err := p.ObserveAll(context.Background(), failing, 2); !errors.Is(err, boom) {
		t.Errorf("source error: got %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ = NewProcessor()
	if err := p.ProcessAll(ctx, sliceSource(rows), 2, func(*dataset.Tweet) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
}

// TestProcessAllRowCountMismatch checks that ProcessAll after ObserveAll
// fails when pass 2 does not see the rows of pass 1.
func TestProcessAllRowCountMismatch(t *testing.T) {
	rows := dataset.Generate(5, 2000, dataset.GenerateOptions{})
	for _, n := range []int{1500, 2000} {
		p, _ := NewProcessor()
		if err := p.ObserveAll(context.Background(), sliceSource(rows[:n]), 2); err != nil {
			t.Fatal(err)
		}
		other := rows[:3500-n] // 2000 rows after 1500 observed, 1500 after 2000
		err := p.ProcessAll(context.Background(), sliceSource(other), 2, func(*dataset.Tweet) error { return nil })
		if err == nil {
			t.Errorf("observed %d rows, processed %d: no error", n, len(other))
		}
	}
}

// TestPrecleanedMatchesNormal checks the sharded clean: rows cleaned by
// Preclean (the map step) and decided by a WithPrecleaned Processor (the
// reduce) give exactly the kept rows and Stats of the normal path over the
// raw rows, row by row and in parallel, in both modes. A marker in Text
// proves that the reduce does not clean Text again.
func TestPrecleanedMatchesNormal(t *testing.T) {
	raw := genRows()
	c, err := text.NewCleaner()
	if err != nil {
		t.Fatal(err)
	}
	pre := make([]dataset.Tweet, len(raw))
	for i := range raw {
		pre[i] = raw[i]
		Preclean(c, &pre[i])
	}
	for _, twoPass := range []bool{true, false} {
		wantRows, wantStats := sequential(t, raw, twoPass)
		for _, workers := range []int{0, 1, 3} { // 0: Observe/Process row by row
			var got []dataset.Tweet
			var st Stats
			if workers == 0 {
				got, st = sequential(t, pre, twoPass, WithPrecleaned())
			} else {
				got, st = runAll(t, pre, twoPass, 0, workers, WithPrecleaned())
			}
			if st != wantStats {
				t.Errorf("workers %d two-pass %v: stats %+v, want %+v", workers, twoPass, st, wantStats)
			}
			if !reflect.DeepEqual(got, wantRows) {
				t.Errorf("workers %d two-pass %v: %d kept rows differ from the normal path's %d", workers, twoPass, len(got), len(wantRows))
			}
		}
	}
	// The reduce keys on CleanText as given: a row whose Text would clean
	// differently is still a duplicate of its CleanText twin.
	a, b := tw("a", "pos", "Hello"), tw("b", "pos", "something else entirely")
	Preclean(c, &a)
	b.CleanText = a.CleanText
	kept, st := runPre(t, []dataset.Tweet{a, b})
	if len(kept) != 1 || st.DroppedDupText != 1 {
		t.Errorf("precleaned twins: kept %v, stats %+v; want one kept, one duplicate text", ids(kept), st)
	}
	if kept[0].CleanText != a.CleanText {
		t.Errorf("precleaned row: CleanText %q, want %q kept", kept[0].CleanText, a.CleanText)
	}
}

func runPre(t *testing.T, rows []dataset.Tweet) ([]dataset.Tweet, Stats) {
	t.Helper()
	p, err := NewProcessor(WithPrecleaned())
	if err != nil {
		t.Fatal(err)
	}
	var kept []dataset.Tweet
	for i := range rows {
		r := rows[i]
		if p.Process(&r) {
			kept = append(kept, r)
		}
	}
	return kept, p.Stats()
}
