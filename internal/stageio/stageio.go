package stageio

import (
	"context"
	"fmt"
	"io"

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
