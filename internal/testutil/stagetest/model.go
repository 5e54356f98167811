package stagetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/labelset"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/stageio"
)

// The models of this test process, by training rows and options.
var modelCache = struct {
	sync.Mutex
	m map[string]trained
}{m: map[string]trained{}}

type trained struct {
	m   *classifier.Model
	res *classifier.Result
}

func trainCached(t testing.TB, p Prepared, o ModelOptions) (*classifier.Model, *classifier.Result) {
	t.Helper()
	if len(p.TrainRows) == 0 {
		t.Fatal("training a model: no training rows")
	}
	key := fmt.Sprintf("%p %d %p %d %+v", &p.TrainRows[0], len(p.TrainRows), p.ValidationRows, len(p.ValidationRows), o)
	modelCache.Lock()
	defer modelCache.Unlock()
	if tr, ok := modelCache.m[key]; ok {
		return tr.m, tr.res
	}
	m, res := trainModel(t, p, o)
	modelCache.m[key] = trained{m, res}
	return m, res
}

func trainModel(t testing.TB, p Prepared, o ModelOptions) (*classifier.Model, *classifier.Result) {
	t.Helper()
	ctx := context.Background()
	classOf := map[string]int{}
	for i, l := range o.Labels {
		classOf[l] = i
	}
	set := featurize.DefaultSettings()
	set.Buckets = o.Buckets
	b, err := featurize.NewBuilder(set)
	if err != nil {
		t.Fatal(err)
	}
	var y []int32
	for _, tw := range p.TrainRows {
		if c, ok := classOf[tw.Label]; ok {
			b.Add(tw.CleanText)
			y = append(y, int32(c))
		}
	}
	feat, docs, err := b.Build()
	if err != nil {
		t.Fatalf("building the featurizer: %v", err)
	}
	train := &classifier.Dataset{Docs: *docs, Labels: y}
	valid := &classifier.Dataset{}
	for _, tw := range p.ValidationRows {
		if c, ok := classOf[tw.Label]; ok {
			valid.Add(feat.AppendIDs(nil, tw.CleanText), c)
		}
	}
	m, res, err := classifier.Train(ctx, feat, o.Labels, train, valid,
		classifier.WithDim(o.Dim), classifier.WithHidden(o.Hidden), classifier.WithEpochs(o.Epochs),
		classifier.WithLearningRate(0.5), classifier.WithSeed(o.Seed), classifier.WithThreads(1))
	if err != nil {
		t.Fatalf("training: %v", err)
	}
	return m, res
}

// ModelOptions tunes TrainModel; zero values take small, fast settings.
type ModelOptions struct {
	Labels  []string // default labelset.ThreeClassLabels
	Dim     int      // default 16
	Hidden  int      // default 0 (linear head)
	Buckets int      // default 20000
	Epochs  int      // default 5
	Seed    uint64   // default 1
}

// TrainModel trains a classifier on the train and validation rows of p
// with the classifier library, the way the train stage does (one thread,
// so deterministic; a model is trained once per test process for the same
// rows and options), and commits it as runs/<runID>/train/model with
// metadata.json (model_version runID) and the data's cleaner.json.
func (s *Store) TrainModel(t testing.TB, runID string, p Prepared, o ModelOptions) *classifier.Model {
	t.Helper()
	ctx := context.Background()
	if len(o.Labels) == 0 {
		o.Labels = labelset.ThreeClassLabels
	}
	if o.Dim == 0 {
		o.Dim = 16
	}
	if o.Buckets == 0 {
		o.Buckets = 20000
	}
	if o.Epochs == 0 {
		o.Epochs = 5
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	m, res := trainCached(t, p, o)
	md := &classifier.Metadata{ModelVersion: runID, CreatedAt: time.Now().UTC().Truncate(time.Second), Training: res, Params: res.Params,
		Extra: map[string]string{"component": "stagetest"}}
	l := s.Loc(runID, "train", "model")
	out := artifact.NewOutput(l.Store, l.Key)
	if err := classifier.Save(m, md, func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }); err != nil {
		t.Fatalf("saving the model: %v", err)
	}
	cj, err := json.MarshalIndent(p.Cleaner, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WriteFile(ctx, stageio.CleanerFile, bytes.NewReader(append(cj, '\n'))); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatalf("committing %s: %v", l.URI(), err)
	}
	return m
}
