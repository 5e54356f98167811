package stages

import (
	"testing"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

func TestContractsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, ct := range Components {
		if err := ct.Validate(); err != nil {
			t.Errorf("%s: %v", ct.Name, err)
		}
		if seen[ct.Name] {
			t.Errorf("duplicate component %q", ct.Name)
		}
		seen[ct.Name] = true
	}
}

// TestTrainDefaultsAreTheClassifiers: train without flags trains with
// classifier.DefaultParams and featurize.DefaultSettings (its declared
// defaults, decoded as the harness decodes them).
func TestTrainDefaultsAreTheClassifiers(t *testing.T) {
	p, err := c.DecodeDefaults[TrainParams](&Train)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.ClassifierParams(), classifier.DefaultParams(); got != want {
		t.Errorf("train's defaults %+v, want classifier.DefaultParams %+v", got, want)
	}
	if got, want := p.FeaturizerSettings(), featurize.DefaultSettings(); got != want {
		t.Errorf("train's featurizer defaults %+v, want featurize.DefaultSettings %+v", got, want)
	}
}
