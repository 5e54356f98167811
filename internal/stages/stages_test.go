package stages

import (
	"strconv"
	"testing"

	"github.com/tweetflow/tweetflow/internal/model/classifier"
)

func TestContractsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Components {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		if seen[c.Name] {
			t.Errorf("duplicate component %q", c.Name)
		}
		seen[c.Name] = true
	}
}

// TestTrainDefaultsAreTheClassifiers: train without flags trains with
// classifier.DefaultParams (its declared defaults, read back as the
// harness reads them).
func TestTrainDefaultsAreTheClassifiers(t *testing.T) {
	want := classifier.DefaultParams()
	def := func(name string) string {
		p, ok := Train.Param(name)
		if !ok {
			t.Fatalf("train has no --%s", name)
		}
		return p.Default
	}
	atoi := func(name string) int {
		n, err := strconv.Atoi(def(name))
		if err != nil {
			t.Fatalf("--%s: %v", name, err)
		}
		return n
	}
	lr, err := strconv.ParseFloat(def("learning-rate"), 64)
	if err != nil {
		t.Fatal(err)
	}
	got := want
	got.Epochs, got.Dim, got.Hidden, got.Patience, got.Threads = atoi("epochs"), atoi("dim"), atoi("hidden"), atoi("patience"), atoi("threads")
	got.Seed, got.LearningRate, got.ClassWeights = uint64(atoi("seed")), lr, def("class-weights")
	if got != want {
		t.Errorf("train's defaults %+v, want classifier.DefaultParams %+v", got, want)
	}
}
