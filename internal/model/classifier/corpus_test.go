package classifier

import (
	"context"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

// corpusSetup featurizes the synthetic training texts both ways: ids up
// front (Docs) and on demand (Corpus), with the same featurizer settings.
func corpusSetup(t *testing.T) (fd *featurize.Featurizer, docs *Dataset, fc *featurize.Featurizer, corpus *Dataset, valid *Dataset) {
	t.Helper()
	tx, ty := synthetic(1500, 1, []float64{0.2, 0.5, 0.3})
	vx, vy := synthetic(300, 2, []float64{0.2, 0.5, 0.3})
	fd, docs, valid = build(t, smallSettings(), tx, ty, vx, vy)
	b, err := featurize.NewBuilder(smallSettings())
	if err != nil {
		t.Fatal(err)
	}
	for _, txt := range tx {
		b.Add(txt)
	}
	fc, c, err := b.BuildCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return fd, docs, fc, &Dataset{Corpus: c, Labels: docs.Labels}, valid
}

func TestCorpusTrainsLikeDocs(t *testing.T) {
	for _, dropout := range []float64{0, 0.2} {
		fd, docs, fc, corpus, valid := corpusSetup(t)
		if corpus.Len() != docs.Len() {
			t.Fatalf("corpus of %d documents, docs of %d", corpus.Len(), docs.Len())
		}
		opts := []Option{WithDim(8), WithHidden(4), WithEpochs(3), WithThreads(1), WithSeed(3), WithDropout(dropout)}
		md, rd, err := Train(context.Background(), fd, threeLabels, docs, valid, opts...)
		if err != nil {
			t.Fatal(err)
		}
		mc, rc, err := Train(context.Background(), fc, threeLabels, corpus, valid, opts...)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range md.parts() {
			if !slices.Equal(p, mc.parts()[i]) {
				t.Fatalf("dropout %g: weights part %d differ between Docs and Corpus training", dropout, i)
			}
		}
		for i := range rd.Epochs {
			rd.Epochs[i].Seconds, rc.Epochs[i].Seconds = 0, 0
		}
		if !reflect.DeepEqual(rd.Epochs, rc.Epochs) {
			t.Errorf("dropout %g: epochs %+v with Docs, %+v with Corpus", dropout, rd.Epochs, rc.Epochs)
		}
		// Evaluating the training set gives the same numbers both ways.
		ed, ec := Evaluate(md, docs, 2), Evaluate(mc, corpus, 2)
		if ed.N != ec.N || math.Abs(ed.Loss-ec.Loss) > 1e-12 || !reflect.DeepEqual(ed.Confusion, ec.Confusion) {
			t.Errorf("dropout %g: Evaluate of Docs %+v, of Corpus %+v", dropout, ed, ec)
		}
	}
}

func TestCorpusChecks(t *testing.T) {
	_, docs, fc, corpus, _ := corpusSetup(t)
	other, err := featurize.New(smallSettings(), []string{"x"})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		f    *featurize.Featurizer
		data *Dataset
	}{
		"featurizer of other rows": {other, corpus},
		"corpus and docs":          {fc, &Dataset{Corpus: corpus.Corpus, Docs: docs.Docs, Labels: corpus.Labels}},
		"labels short":             {fc, &Dataset{Corpus: corpus.Corpus, Labels: corpus.Labels[1:]}},
	} {
		if _, _, err := Train(context.Background(), tc.f, threeLabels, tc.data, nil, WithEpochs(1)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
