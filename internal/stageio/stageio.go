package stageio

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/dataset"
)

// DatasetWriter returns a sharded Parquet writer into a staged output.
func DatasetWriter(ctx context.Context, out *artifact.Output, shardRows int) *dataset.ShardWriter {
	return dataset.NewShardWriter(func(name string) (io.WriteCloser, error) {
		return out.Create(ctx, name)
	}, dataset.WithShardRows(shardRows))
}

// ReadDataset streams every row of a committed dataset at loc.
func ReadDataset(ctx context.Context, loc artifact.Location, fn func(*dataset.Tweet) error) error {
	if err := dataset.ReadOutput(ctx, loc.Store, loc.Key, fn); err != nil {
		return fmt.Errorf("reading dataset %q: %w", loc.URI(), err)
	}
	return nil
}

// Label sets.
var (
	ThreeClass = []string{"negative", "neutral", "positive"}
	Binary     = []string{"negative", "positive"}
)

// LabelSet returns the ordered labels of a labels mode: "three-class",
// "binary", or "all" (the sorted labels present, given as seen).
func LabelSet(mode string, seen []string) ([]string, error) {
	switch mode {
	case "three-class":
		return ThreeClass, nil
	case "binary":
		return Binary, nil
	case "all":
		out := slices.Clone(seen)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	return nil, fmt.Errorf("unknown labels mode %q: want three-class, binary or all", mode)
}
