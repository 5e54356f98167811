package serving

import (
	"context"
	"math"
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
