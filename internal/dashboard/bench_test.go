package dashboard

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/scoring"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

// BenchmarkQuery times one page's queries (Query) over a scores table of
// TWEETFLOW_DASH_BENCH_ROWS rows (default 200,000) spread over 48 hours,
// with 24 buckets of an hour and a sample of 50,000 rows, as the
// dashboard's defaults read them on every refresh:
//
//	go test -run '^$' -bench Query -benchtime 10x ./internal/dashboard/
func BenchmarkQuery(b *testing.B) {
	n := 200_000
	if v := os.Getenv("TWEETFLOW_DASH_BENCH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	db := pgtest.Shared(b)
	conn := db.Connect(b)
	ctx := context.Background()
	sink, err := scoring.NewPostgresSink(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	tags := []string{"#ai", "#ml", "#news", "#sport", "#food"}
	batch := make([]scoring.Row, 0, 5000)
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
		text := fmt.Sprintf("tweet %d %s https://example.com/%d", i, tags[r.IntN(len(tags))], r.IntN(50))
		batch = append(batch, row(strconv.Itoa(i), "m1", at, float32(r.Float64()), text, fmt.Sprintf("https://example.com/%d", r.IntN(50))))
		if len(batch) == cap(batch) || i == n-1 {
			if err := sink.Write(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := conn.Exec(ctx, "ANALYZE tweet_scores"); err != nil {
		b.Fatal(err)
	}
	o := Options{Tables: []string{"tweet_scores"}, Width: time.Hour, Buckets: 24, Latest: 25, Sample: 50_000, Top: 10, Labels: labels, Focus: "AI"}
	b.ResetTimer()
	for b.Loop() {
		s, err := Query(ctx, conn, o)
		if err != nil {
			b.Fatal(err)
		}
		if s.SampleRows == 0 || s.Rows != int64(n) {
			b.Fatalf("sample of %d rows", s.SampleRows)
		}
	}
	b.ReportMetric(float64(n), "rows")
}
