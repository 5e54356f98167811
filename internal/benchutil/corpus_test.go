package benchutil

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
)

// testPool has the awkward cases: quotes, a line break, no date, no user,
// all three labels.
func testPool() []dataset.Tweet {
	return []dataset.Tweet{
		{ID: "1", Text: `she said "hi", twice`, Label: "positive", User: "ann", CreatedAt: time.Date(2009, 4, 6, 22, 19, 45, 0, time.UTC)},
		{ID: "2", Text: "two\nlines\r\nhere", Label: "negative"},
		{ID: "3", Text: "plain neutral text", Label: "neutral", User: "bob", CreatedAt: time.Date(2016, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
}

// TestCorpusRoundTrip writes CSV and JSONL corpora and reads them back with
// the ingest readers: every row must ingest, with the resampled ids,
// labels, users and dates of its pool row.
func TestCorpusRoundTrip(t *testing.T) {
	pool := testPool()
	for _, f := range []Format{CSV, JSONL} {
		for _, perturb := range []float64{0, 0.5} {
			var buf bytes.Buffer
			opts := Options{Rows: 500, Seed: 3, PerturbRate: perturb}
			if _, err := WriteCorpus(&buf, f, pool, opts); err != nil {
				t.Fatal(err)
			}
			var want []dataset.Tweet
			if err := dataset.Resample(opts.Seed, pool, opts.Rows, dataset.ResampleOptions{PerturbRate: perturb}, func(t *dataset.Tweet) error {
				want = append(want, *t)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var got []dataset.Tweet
			bad := 0
			err := ingest.Read(context.Background(), bytes.NewReader(buf.Bytes()), ingest.ReadOptions{Name: "corpus." + string(f)},
				func(t *dataset.Tweet) error { got = append(got, *t); return nil },
				func(ingest.BadRow) error { bad++; return nil })
			if err != nil || bad != 0 || len(got) != len(want) {
				t.Fatalf("%s perturb %g: %d rows, %d bad, err %v; want %d rows", f, perturb, len(got), bad, err, len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				wantText := strings.NewReplacer("\r", " ", "\n", " ").Replace(w.Text)
				if f == JSONL {
					wantText = w.Text
				}
				if g.ID != w.ID || g.Label != w.Label || g.User != w.User || !g.CreatedAt.Equal(w.CreatedAt) || g.Text != wantText {
					t.Fatalf("%s perturb %g row %d: got %+v, want %+v", f, perturb, i, g, w)
				}
			}
		}
	}
}

// TestCorpusDeterministic checks that a seed gives the same bytes and
// another seed other bytes.
func TestCorpusDeterministic(t *testing.T) {
	write := func(seed uint64) string {
		var buf bytes.Buffer
		if _, err := WriteCorpus(&buf, CSV, testPool(), Options{Rows: 200, Seed: seed, PerturbRate: 0.3}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if write(1) != write(1) {
		t.Error("same seed, different corpora")
	}
	if write(1) == write(2) {
		t.Error("different seeds, same corpus")
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat accepted xml")
	}
}
