package stagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/tweetflow/tweetflow/internal/clean"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/split"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/text"
)

// ReadRaw reads raw tweet files, folders or globs (any format ingest
// reads, detected per file) with the ingest library, failing the test on
// any bad row.
func ReadRaw(t testing.TB, sources ...string) []dataset.Tweet {
	t.Helper()
	paths, err := ingest.ExpandLocal(sources)
	if err != nil {
		t.Fatalf("expanding %v: %v", sources, err)
	}
	var out []dataset.Tweet
	_, err = ingest.Ingest(context.Background(), ingest.LocalSources(paths, ingest.FormatAuto, nil), func(tw *dataset.Tweet) error {
		out = append(out, *tw)
		return nil
	}, ingest.Options{MaxBadRows: 0})
	if err != nil {
		t.Fatalf("ingesting %v: %v", sources, err)
	}
	return out
}

// PrepareOptions tunes Prepare.
type PrepareOptions struct {
	Seed uint64 // split seed
	// Every keeps every n-th cleaned row (0 or 1: all), to make small sets.
	Every int
	// Labels the split keeps (default labelset.ThreeClassLabels).
	Labels []string
	// TrainFraction and ValidationFraction default to 0.8 and 0.1.
	TrainFraction, ValidationFraction float64
}

// Prepared counts the rows Prepare committed and holds them. The row
// slices are shared by every Prepare of the same sources and options in
// the test process: do not modify them.
type Prepared struct {
	Ingested, Cleaned           int
	Train, Validation, Test     int
	ValidationBalanced          int
	Cleaner                     text.Options
	CleanStats                  clean.Stats
	TrainRows, ValidationRows   []dataset.Tweet
	TestRows, ValidationBalRows []dataset.Tweet
}

// Prepare commits for run what the first three stages would, made with
// the same libraries the stages use: ingest/tweets from the raw sources,
// clean/tweets (default cleaner, majority rule for conflicts, with
// cleaner.json) and balance-split's train, validation, validation-balanced
// and test outputs (stratified, seeded). Use it to test a later stage alone.
func (s *Store) Prepare(t testing.TB, runID string, sources []string, o PrepareOptions) Prepared {
	t.Helper()
	p := prepareCached(t, sources, o)
	s.WriteTweets(t, runID, "ingest", "tweets", p.raw)
	cleanerFile := ExtraFile{Name: stageio.CleanerFile, Data: p.cleanerJSON}
	s.WriteTweets(t, runID, "clean", "tweets", p.kept, cleanerFile)
	for _, out := range []struct {
		name string
		rows []dataset.Tweet
	}{{"train", p.TrainRows}, {"validation", p.ValidationRows}, {"validation-balanced", p.ValidationBalRows}, {"test", p.TestRows}} {
		s.WriteTweets(t, runID, "balance-split", out.name, out.rows, cleanerFile)
	}
	return p.Prepared
}

// prepared is a computed preparation; the rows are shared between tests
// and must not be modified.
type prepared struct {
	Prepared
	raw, kept   []dataset.Tweet
	cleanerJSON []byte
}

// The preparations of this test process, by sources and options: tests of
// one package often prepare the same data, and cleaning is the slow part
// (the more so with -race).
var prepCache = struct {
	sync.Mutex
	m map[string]*prepared
}{m: map[string]*prepared{}}

func prepareCached(t testing.TB, sources []string, o PrepareOptions) *prepared {
	t.Helper()
	key := fmt.Sprintf("%q %+v", sources, o)
	prepCache.Lock()
	defer prepCache.Unlock()
	if p, ok := prepCache.m[key]; ok {
		return p
	}
	p := computePrepare(t, sources, o)
	prepCache.m[key] = p
	return p
}

func computePrepare(t testing.TB, sources []string, o PrepareOptions) *prepared {
	t.Helper()
	raw := ReadRaw(t, sources...)

	opts := text.DefaultOptions()
	cl, err := text.NewCleaner(text.WithOptions(opts))
	if err != nil {
		t.Fatal(err)
	}
	kept, st, err := clean.Run(raw, clean.WithCleaner(cl))
	if err != nil {
		t.Fatalf("cleaning: %v", err)
	}
	if o.Every > 1 {
		var sub []dataset.Tweet
		for i := 0; i < len(kept); i += o.Every {
			sub = append(sub, kept[i])
		}
		kept = sub
	}
	cj, err := json.MarshalIndent(cl.Options(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}

	labels := o.Labels
	if len(labels) == 0 {
		labels = labelset.ThreeClassLabels
	}
	classOf := map[string]uint8{}
	for i, l := range labels {
		classOf[l] = uint8(i)
	}
	var rows []dataset.Tweet
	var classes []uint8
	for _, tw := range kept {
		if c, ok := classOf[tw.Label]; ok {
			rows = append(rows, tw)
			classes = append(classes, c)
		}
	}
	cfg := split.Config{Seed: o.Seed, Train: o.TrainFraction, Validation: o.ValidationFraction, TrainBalance: split.BalanceNone}
	if cfg.Train == 0 && cfg.Validation == 0 {
		cfg.Train, cfg.Validation = 0.8, 0.1
	}
	plan, err := split.New(classes, len(labels), cfg)
	if err != nil {
		t.Fatalf("planning the split: %v", err)
	}
	p := Prepared{Ingested: len(raw), Cleaned: len(kept), Cleaner: cl.Options(), CleanStats: st}
	for i, tw := range rows {
		c := plan.Copies(i)
		for range c.Train {
			p.TrainRows = append(p.TrainRows, tw)
		}
		for range c.Validation {
			p.ValidationRows = append(p.ValidationRows, tw)
		}
		for range c.ValidationBalanced {
			p.ValidationBalRows = append(p.ValidationBalRows, tw)
		}
		for range c.Test {
			p.TestRows = append(p.TestRows, tw)
		}
	}
	p.Train, p.Validation, p.ValidationBalanced, p.Test = len(p.TrainRows), len(p.ValidationRows), len(p.ValidationBalRows), len(p.TestRows)
	return &prepared{Prepared: p, raw: raw, kept: kept, cleanerJSON: append(cj, '\n')}
}
