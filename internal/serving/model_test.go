package serving

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

func TestModelMatchesReference(t *testing.T) {
	for _, hidden := range []int{0, 5} {
		tm, err := servingtest.Random(servingtest.Options{Hidden: hidden, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := tm.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		m, err := Load(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.Version() != "test-v1" || len(m.Labels()) != 3 || m.Labels()[2] != "positive" {
			t.Fatalf("version %q labels %v", m.Version(), m.Labels())
		}
		texts := append([]string{"", "   "}, servingtest.Texts...)
		// Big enough to take the parallel path.
		for len(texts) < 300 {
			texts = append(texts, texts...)
		}
		got, err := m.Predict(texts)
		if err != nil {
			t.Fatal(err)
		}
		for i, txt := range texts {
			want := tm.Reference(txt)
			for j := range want {
				if math.Abs(float64(got[i][j]-want[j])) > 1e-5 {
					t.Fatalf("hidden %d text %q: got %v, want %v", hidden, txt, got[i], want)
				}
			}
		}
	}
}

// TestPredictBatchSizes: every batch size (one chunk, several chunks, the
// shared-chunk parallel path from parallelMin texts) gives each text the
// probabilities it gets alone, in input order.
func TestPredictBatchSizes(t *testing.T) {
	tm, err := servingtest.Random(servingtest.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadFiles(tm.Files, "sizes")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := 0; len(texts) < 300; i++ {
		// Different lengths, so sorting by length reorders them.
		texts = append(texts, strings.Repeat(servingtest.Texts[i%len(servingtest.Texts)]+" ", 1+i%4))
	}
	alone := make([][]float32, len(texts))
	for i, txt := range texts {
		p, err := m.Predict([]string{txt})
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = p[0]
	}
	for _, n := range []int{1, 2, chunkRows - 1, chunkRows + 1, parallelMin - 1, parallelMin, parallelMin + 1, 100, 300} {
		got, err := m.Predict(texts[:n])
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			for j := range got[i] {
				if math.Abs(float64(got[i][j]-alone[i][j])) > 1e-6 {
					t.Fatalf("batch of %d, text %d: %v, alone %v", n, i, got[i], alone[i])
				}
			}
		}
	}
}
