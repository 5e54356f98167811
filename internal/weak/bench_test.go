package weak

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/testutil/shareddata"
	"github.com/tweetflow/tweetflow/internal/text"
)

// BenchmarkRuleFeatures measures what rule features add to scoring a
// tweet: the example rules (examples/labeling/ai-tweets.rules.yaml, 24
// rules) on the raw text of the committed demo stream's tweets, against
// its peer in the same run, the featurizer's ids of the clean text (the
// default featurizer without the lexicon, the labeling pipeline's), which
// every model pays. ns/tweet of each; the ratio is rules / ids.
func BenchmarkRuleFeatures(b *testing.B) {
	root := shareddata.RepoRoot(b)
	data, err := os.ReadFile(filepath.Join(root, "examples", "labeling", "ai-tweets.rules.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	rf, err := ParseRuleFeatures("ai-tweets.rules.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	cleaner, err := text.NewCleaner(text.WithTrailingHashtags(text.ModeToken))
	if err != nil {
		b.Fatal(err)
	}
	raw := demoTexts(b, 5000)
	clean := make([]string, len(raw))
	for i, r := range raw {
		clean[i] = cleaner.Clean(r)
	}
	s := featurize.DefaultSettings()
	s.Lexicon = ""
	fb, err := featurize.NewBuilder(s)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range clean {
		fb.Add(c)
	}
	feat, _, err := fb.Build()
	if err != nil {
		b.Fatal(err)
	}
	var idsNs float64
	b.Run("clean-text-ids", func(b *testing.B) {
		var ids []int32
		for i := 0; i < b.N; i++ {
			ids = feat.AppendIDs(ids[:0], clean[i%len(clean)])
		}
		idsNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(idsNs, "ns/tweet")
	})
	b.Run("rule-features", func(b *testing.B) {
		var fired []int
		for i := 0; i < b.N; i++ {
			fired = rf.AppendFired(fired[:0], raw[i%len(raw)], clean[i%len(clean)])
		}
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(ns, "ns/tweet")
		if idsNs > 0 {
			b.ReportMetric(ns/idsNs, "x-ids")
		}
	})
}

// demoTexts returns the texts of the first n tweets (0: all) of the
// committed demo stream (testdata/demo/ai-tweets/unlabeled/stream_raw_10k.jsonl).
func demoTexts(tb testing.TB, n int) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(shareddata.RepoRoot(tb), "testdata", "demo", "ai-tweets", "unlabeled", "stream_raw_10k.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && (n == 0 || len(out) < n) {
		var r struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatalf("reading the demo stream: %v", err)
		}
		if r.Text != "" {
			out = append(out, r.Text)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
