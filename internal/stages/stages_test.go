package stages

import (
	"reflect"
	"slices"
	"testing"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/settings"
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
	if got, want := p.FeaturizerSettings(), featurize.DefaultSettings(); !reflect.DeepEqual(got, want) {
		t.Errorf("train's featurizer defaults %+v, want featurize.DefaultSettings %+v", got, want)
	}
}

// TestKafkaSecurityDeclared: score and collect declare every variable
// kafka.Security reads, in its order, as an environment-only setting (no
// flag), the password secret.
func TestKafkaSecurityDeclared(t *testing.T) {
	for _, ct := range []*c.Contract{&Score, &Collect} {
		var envs []string
		for _, x := range ct.Settings {
			if x.Category != settings.CategoryKafka {
				continue
			}
			if !x.EnvOnly || len(x.Env) != 1 || x.Usage == "" {
				t.Errorf("%s: setting %+v: want env-only, one variable and a usage", ct.Name, x)
			}
			if x.Secret != (x.Env[0] == kafka.EnvSASLPassword) {
				t.Errorf("%s: %s secret=%v", ct.Name, x.Env[0], x.Secret)
			}
			envs = append(envs, x.Env...)
		}
		if !slices.Equal(envs, kafka.SecurityEnv) {
			t.Errorf("%s declares %q, want kafka.SecurityEnv %q", ct.Name, envs, kafka.SecurityEnv)
		}
	}
}
