package dataset

import (
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ParquetShard is one Parquet file being written through a sink that
// commits on Close (an artifact.Output file): Close writes the footer and
// commits the sink; Abort discards it, so a failed shard is never
// published. The ShardWriter and the scorer's Parquet sink both write
// their shards through it.
type ParquetShard struct {
	Name string
	FW   *pqarrow.FileWriter
	sink io.WriteCloser
}

// OpenParquetShard creates shard name through create and starts a Parquet
// file with schema and props in it.
func OpenParquetShard(create func(name string) (io.WriteCloser, error), name string, schema *arrow.Schema, props *parquet.WriterProperties, alloc memory.Allocator) (*ParquetShard, error) {
	sink, err := create(name)
	if err != nil {
		return nil, fmt.Errorf("creating shard %q: %w", name, err)
	}
	// pqarrow closes its sink even when the footer fails; hide Close so a
	// failed shard is aborted, never committed.
	fw, err := pqarrow.NewFileWriter(schema, writeOnly{sink}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(alloc)))
	if err != nil {
		abort(sink)
		return nil, fmt.Errorf("creating shard %q: %w", name, err)
	}
	return &ParquetShard{Name: name, FW: fw, sink: sink}, nil
}

// Close writes the Parquet footer and closes (commits) the sink; when the
// footer fails the sink is aborted.
func (s *ParquetShard) Close() error {
	if err := s.FW.Close(); err != nil {
		abort(s.sink)
		return fmt.Errorf("closing shard %q: %w", s.Name, err)
	}
	if err := s.sink.Close(); err != nil {
		return fmt.Errorf("closing shard %q: %w", s.Name, err)
	}
	return nil
}

// Abort discards the shard: a sink with an Abort() error (or Abort())
// method is aborted, any other is closed.
func (s *ParquetShard) Abort() { abort(s.sink) }

type writeOnly struct{ w io.Writer }

func (o writeOnly) Write(p []byte) (int, error) { return o.w.Write(p) }

func abort(c io.WriteCloser) {
	if a, ok := c.(interface{ Abort() error }); ok {
		_ = a.Abort()
		return
	}
	if a, ok := c.(interface{ Abort() }); ok {
		a.Abort()
		return
	}
	_ = c.Close()
}
