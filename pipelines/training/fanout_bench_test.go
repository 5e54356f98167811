package training_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run"
)

// BenchmarkIngestFanOut measures the local wall time of ingest then clean
// with the real binaries, on the files of a corpus folder: one ingest task
// over every file (single), and the fan-out (one ingest task per file,
// gathered) with 1 and 2 workers. It needs the binaries and the corpus:
//
//	make build
//	for i in 1 2 3 4 5 6 7 8; do go run ./hack/gencorpus --rows 200000 --seed $i --out /tmp/corpus8/part-$i.csv; done
//	TWEETFLOW_BENCH_BIN=$PWD/bin TWEETFLOW_BENCH_CORPUS=/tmp/corpus8 \
//	  go test ./pipelines/training -run '^$' -bench IngestFanOut -benchtime 1x
//
// Reported: ingest-s (the ingest step, plan to gather), total-s (ingest and
// clean) and rows/s of ingest.
func BenchmarkIngestFanOut(b *testing.B) {
	bin, corpus := os.Getenv("TWEETFLOW_BENCH_BIN"), os.Getenv("TWEETFLOW_BENCH_CORPUS")
	if bin == "" || corpus == "" {
		b.Skip("set TWEETFLOW_BENCH_BIN (make build's bin) and TWEETFLOW_BENCH_CORPUS (a folder of corpus files)")
	}
	compile := func(fan bool) *dsl.Pipeline {
		p := dsl.New("fanout-bench")
		sources := p.ExposeInput(&stages.Ingest, "sources")
		opts := []dsl.StepOption{dsl.In("sources", sources)}
		if fan {
			opts = append(opts, dsl.FanOut("sources"))
		}
		in := p.Step(stages.Ingest, opts...)
		p.Step(stages.Clean, dsl.In("tweets", in.Out("tweets")))
		return p
	}
	for _, tc := range []struct {
		name    string
		fan     bool
		workers int
	}{{"single", false, 1}, {"fanout-workers=1", true, 1}, {"fanout-workers=2", true, 2}} {
		b.Run(tc.name, func(b *testing.B) {
			wt, err := compile(tc.fan).Compile()
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				store := b.TempDir()
				rep, err := run.Run(context.Background(), wt, run.WithBinDir(bin), run.WithParallel(tc.workers),
					run.WithParams(map[string]string{"store": store, "sources": corpus, "cache": "false"}))
				if err != nil {
					b.Fatal(err)
				}
				ingest := rep.Step("ingest").Seconds
				if tc.fan {
					ingest = rep.Step("ingest"+dsl.PlanSuffix).Seconds + ingest + rep.Step("ingest"+dsl.GatherSuffix).Seconds
				}
				rows := 0.0
				if s := rep.Step("clean").Summary; s != nil {
					rows = float64(s.RowsIn)
				}
				b.ReportMetric(ingest, "ingest-s")
				b.ReportMetric(rep.Seconds, "total-s")
				b.ReportMetric(rows/ingest, "rows/s")
				fmt.Fprintf(os.Stderr, "%s: ingest %.1fs, ingest+clean %.1fs, %0.f rows\n", tc.name, ingest, rep.Seconds, rows)
			}
		})
	}
}
