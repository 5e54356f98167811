package dataset

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ShardLayout describes the Parquet files a BatchWriter writes: their
// schema and how their columns are encoded. Pages are compressed with the
// writer's Compression option; every other column is plain-encoded and
// without statistics.
type ShardLayout struct {
	Schema     *arrow.Schema // with the format and schema version in its metadata
	Dictionary []string      // columns whose values repeat: dictionary-encoded
	Stats      []string      // columns with min/max statistics
	CreatedBy  string        // the Parquet created_by field
	// WriteEmpty: zero rows still give one empty shard (part-00000.parquet)
	// so the output carries the schema; otherwise they give no file.
	WriteEmpty bool
}

// BatchWriter is the shard rotation shared by ShardWriter (tweets) and the
// scorer's Parquet sink (scores): the caller appends one row to the
// columns of Builder and calls Added; the BatchWriter cuts the rows into
// record batches of BatchRows rows (one Parquet row group each) and into
// shards "part-00000.parquet", ... of at most ShardRows rows. Memory stays
// bounded by two batches (one filling, one being encoded in the
// background) however large the input is. Output bytes depend only on the
// rows written, the layout and the options (no timestamps or random
// values), so the same rows give byte-identical shards.
//
// A BatchWriter is not safe for concurrent use.
type BatchWriter struct {
	create func(name string) (io.WriteCloser, error)
	cfg    config
	layout ShardLayout
	props  *parquet.WriterProperties

	rb       *array.RecordBuilder
	strs     []*array.StringBuilder // string columns (and string list values), reserved per batch
	batchLen int

	shard    *parquetShard // the open shard, nil between shards
	shardLen int           // rows in the open shard (flushed or buffered)

	// One record batch at a time is encoded in the background (see flush):
	// busy is set while a batch is in flight, done gets its result.
	busy bool
	done chan error

	stats  WriteStats
	err    error
	closed bool
}

// NewBatchWriter returns a writer of layout's shards that creates the
// files through create (a stage passes a wrapper of artifact.Output.Create).
// If a created sink also has an Abort() error method, it is called instead
// of Close when writing fails, so a failed shard is never published.
func NewBatchWriter(create func(name string) (io.WriteCloser, error), layout ShardLayout, opts ...Option) *BatchWriter {
	cfg := config{shardRows: DefaultShardRows, batchRows: DefaultBatchRows, compression: Snappy, alloc: memory.DefaultAllocator}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.shardRows <= 0 {
		cfg.shardRows = DefaultShardRows
	}
	if cfg.batchRows <= 0 {
		cfg.batchRows = DefaultBatchRows
	}
	cfg.batchRows = min(cfg.batchRows, cfg.shardRows)
	popts := []parquet.WriterProperty{
		parquet.WithAllocator(cfg.alloc),
		parquet.WithCompression(cfg.compression.codec()),
		parquet.WithDictionaryDefault(false),
		parquet.WithStats(false),
		parquet.WithMaxRowGroupLength(int64(cfg.batchRows)),
		parquet.WithCreatedBy(layout.CreatedBy),
	}
	for _, c := range layout.Dictionary {
		popts = append(popts, parquet.WithDictionaryFor(c, true))
	}
	for _, c := range layout.Stats {
		popts = append(popts, parquet.WithStatsFor(c, true))
	}
	w := &BatchWriter{create: create, cfg: cfg, layout: layout, props: parquet.NewWriterProperties(popts...), done: make(chan error, 1)}
	w.rb = array.NewRecordBuilder(cfg.alloc, layout.Schema)
	for _, b := range w.rb.Fields() {
		if l, ok := b.(*array.ListBuilder); ok {
			b = l.ValueBuilder()
		}
		if s, ok := b.(*array.StringBuilder); ok {
			w.strs = append(w.strs, s)
		}
	}
	return w
}

// Builder returns the builder of the batch being filled; its fields are
// the layout's schema columns. Append exactly one value to every column,
// then call Added.
func (w *BatchWriter) Builder() *array.RecordBuilder { return w.rb }

// Added counts the row just appended to Builder; it writes the batch when
// BatchRows rows are buffered or the shard is full. It returns the error
// that ended the writer, if any.
func (w *BatchWriter) Added() error {
	if w.err != nil {
		return w.err
	}
	w.batchLen++
	w.stats.Rows++
	if w.batchLen >= w.cfg.batchRows || w.shardLen+w.batchLen >= w.cfg.shardRows {
		return w.flush()
	}
	return nil
}

// ErrClosed is returned by BatchWriter.Err after Close.
var ErrClosed = errors.New("shard writer closed")

// Err returns the error that ended the writer, ErrClosed after Close, or
// nil: check it before appending a row.
func (w *BatchWriter) Err() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	return nil
}

// Fail ends the writer with err (the caller found a row it cannot write):
// the open shard is aborted and every later call returns err (the first
// error wins).
func (w *BatchWriter) Fail(err error) error { return w.fail(err) }

// flush hands the buffered batch to a goroutine that encodes it as one row
// group while the caller fills the next batch (Parquet encoding and
// compression are most of the cost of writing). At most one batch is in
// flight: flush first waits for the previous one. Shards are opened and
// closed by the caller, after the batches in flight are written, so
// creation errors are returned by the Added that needs the shard and an
// encoding error by the next Added or Close. Rows reach the file in
// write order, so the bytes do not depend on the timing.
func (w *BatchWriter) flush() error {
	if w.batchLen == 0 {
		return nil
	}
	if err := w.wait(); err != nil {
		return err
	}
	if w.shard == nil {
		if err := w.openShard(); err != nil {
			return w.fail(err)
		}
	}
	// Remember each string column's data size to reserve as much for the
	// next batch: builders then grow once instead of doubling per batch.
	sizes := make([]int, len(w.strs))
	for i, b := range w.strs {
		sizes[i] = b.DataLen()
	}
	rec := w.rb.NewRecordBatch() // resets the builders
	n := w.batchLen
	w.rb.Reserve(w.cfg.batchRows)
	for i, b := range w.strs {
		b.ReserveData(sizes[i] + sizes[i]/8)
	}
	w.batchLen = 0
	fw, done := w.shard.fw, w.done
	w.busy = true
	go func() {
		err := fw.Write(rec)
		rec.Release()
		done <- err
	}()
	w.shardLen += n
	if w.shardLen >= w.cfg.shardRows {
		if err := w.wait(); err != nil {
			return err
		}
		if err := w.closeShard(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// wait waits for the batch in flight, if any, and returns its error.
func (w *BatchWriter) wait() error {
	if !w.busy {
		return nil
	}
	err := <-w.done
	w.busy = false
	if err != nil {
		return w.fail(fmt.Errorf("writing shard %q: %w", w.shard.name, err))
	}
	return nil
}

func (w *BatchWriter) openShard() error {
	sh, err := openParquetShard(w.create, ShardName(len(w.stats.Shards)), w.layout.Schema, w.props, w.cfg.alloc)
	if err != nil {
		return err
	}
	w.shard, w.shardLen = sh, 0
	return nil
}

// closeShard writes the Parquet footer and closes (commits) the sink.
func (w *BatchWriter) closeShard() error {
	sh := w.shard
	w.shard = nil
	if err := sh.close(); err != nil {
		return err
	}
	w.stats.Shards = append(w.stats.Shards, sh.name)
	return nil
}

func (w *BatchWriter) fail(err error) error {
	if w.busy { // let the batch in flight finish before aborting its sink
		<-w.done
		w.busy = false
	}
	if w.err == nil {
		w.err = err
	}
	if w.shard != nil {
		w.shard.abort()
		w.shard = nil
	}
	return w.err
}

// Close writes the buffered rows and the open shard's footer (and the
// empty shard of a layout with WriteEmpty), and releases the builders.
// After a failure it only releases them and returns the error. Close is
// idempotent.
func (w *BatchWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	defer w.rb.Release()
	if w.err != nil {
		return w.err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.wait(); err != nil {
		return err
	}
	if w.shard == nil && len(w.stats.Shards) == 0 && w.layout.WriteEmpty {
		if err := w.openShard(); err != nil {
			return w.fail(err)
		}
	}
	if w.shard != nil {
		if err := w.closeShard(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// Stats returns what has been written so far (complete after Close).
func (w *BatchWriter) Stats() WriteStats {
	s := w.stats
	s.Shards = append([]string(nil), s.Shards...)
	return s
}

// parquetShard is one Parquet file being written through a sink that
// commits on Close (an artifact.Output file): close writes the footer and
// commits the sink; abort discards it, so a failed shard is never
// published.
type parquetShard struct {
	name string
	fw   *pqarrow.FileWriter
	sink io.WriteCloser
}

// openParquetShard creates shard name through create and starts a Parquet
// file with schema and props in it.
func openParquetShard(create func(name string) (io.WriteCloser, error), name string, schema *arrow.Schema, props *parquet.WriterProperties, alloc memory.Allocator) (*parquetShard, error) {
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
	return &parquetShard{name: name, fw: fw, sink: sink}, nil
}

// close writes the Parquet footer and closes (commits) the sink; when the
// footer fails the sink is aborted.
func (s *parquetShard) close() error {
	if err := s.fw.Close(); err != nil {
		abort(s.sink)
		return fmt.Errorf("closing shard %q: %w", s.name, err)
	}
	if err := s.sink.Close(); err != nil {
		return fmt.Errorf("closing shard %q: %w", s.name, err)
	}
	return nil
}

// abort discards the shard: a sink with an Abort() error (or Abort())
// method is aborted, any other is closed.
func (s *parquetShard) abort() { abort(s.sink) }

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
