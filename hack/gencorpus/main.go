// Command gencorpus writes a large tweet corpus for the benchmarks by
// resampling the real tweets, deterministically:
//
//	go run ./hack/gencorpus --rows 1600000 --seed 1 --out corpus.csv
//
// The pool is every tweet ingested from --data (default
// /work/shared/data, or testdata/demo when that folder is missing): the
// 15 shared files give about 90k tweets (SemEval three-class, Sentiment140
// and NLTK binary). A PCG seeded by --seed draws each output row uniformly
// with replacement from the pool (dataset.Resample); row i gets the fresh
// unique id 9000000000000000000+i; with --perturb p (default 0.1) every
// whitespace token of the text is, with probability p, replaced by a
// random token of another pool row with the same label and the tokens are
// re-joined with single spaces, so texts are not all duplicates of real
// ones while label/token statistics stay real. Label, user and date are
// those of the drawn row.
//
// --format csv (the default, or from a .csv/.jsonl extension of --out)
// writes the Sentiment140 layout "polarity","id","date","query","user",
// "text" (polarity 0/2/4, date in UTC, empty when unknown, CR/LF in texts
// replaced by spaces); jsonl writes one {"id","text","created_at",
// "author_id","label"} object a line. Same flags and data: byte-identical
// output. See package internal/benchutil.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/benchutil"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		rows    = flag.Int("rows", 1_600_000, "rows to write")
		seed    = flag.Uint64("seed", 1, "PCG seed of the resampling")
		out     = flag.String("out", "", "output file (required; written through a temporary file, then renamed)")
		format  = flag.String("format", "", "csv or jsonl (default: from the --out extension, else csv)")
		data    = flag.String("data", "/work/shared/data", "folder of real tweets to resample (testdata/demo when missing)")
		perturb = flag.Float64("perturb", benchutil.DefaultPerturbRate, "probability that each token is replaced by a token of another same-label tweet (0: exact copies)")
	)
	flag.Parse()
	if *out == "" || *rows < 0 || *perturb < 0 || *perturb > 1 {
		flag.Usage()
		return fmt.Errorf("need --out, --rows >= 0 and 0 <= --perturb <= 1")
	}
	f := benchutil.CSV
	switch {
	case *format != "":
		var err error
		if f, err = benchutil.ParseFormat(*format); err != nil {
			return err
		}
	case strings.HasSuffix(*out, ".jsonl"):
		f = benchutil.JSONL
	}
	dir := benchutil.DataDir(*data, moduleRoot())
	start := time.Now()
	pool, err := benchutil.LoadPool(context.Background(), dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".gencorpus-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := benchutil.WriteCorpus(tmp, f, pool, benchutil.Options{Rows: *rows, Seed: *seed, PerturbRate: *perturb})
	if err != nil {
		tmp.Close()
		return fmt.Errorf("writing %q: %w", *out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %q: %w", *out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gencorpus: %d %s rows (%.1f MiB) resampled from %d tweets of %s, seed %d, perturb %g -> %s in %.1fs\n",
		*rows, f, float64(n)/(1<<20), len(pool), dir, *seed, *perturb, *out, time.Since(start).Seconds())
	return nil
}

// moduleRoot finds the folder holding go.mod from the working directory
// (for the testdata/demo fallback); "." when there is none.
func moduleRoot() string {
	d, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			return "."
		}
		d = p
	}
}
