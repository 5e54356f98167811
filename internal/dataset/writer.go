package dataset

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// Defaults of the ShardWriter.
const (
	DefaultShardRows = 1_000_000 // rows per Parquet shard
	DefaultBatchRows = 16_384    // rows per record batch = per Parquet row group
)

// Compression is the Parquet page codec of written shards.
type Compression int

// Supported codecs. Snappy is the default: see doc.go for the measurements.
const (
	Snappy Compression = iota
	Zstd
	Uncompressed
)

func (c Compression) String() string {
	switch c {
	case Zstd:
		return "zstd"
	case Snappy:
		return "snappy"
	case Uncompressed:
		return "none"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

func (c Compression) codec() compress.Compression {
	switch c {
	case Zstd:
		return compress.Codecs.Zstd
	case Uncompressed:
		return compress.Codecs.Uncompressed
	}
	return compress.Codecs.Snappy
}

type config struct {
	shardRows   int
	batchRows   int
	compression Compression
	alloc       memory.Allocator
}

// Option configures a ShardWriter.
type Option func(*config)

// WithShardRows sets the maximum number of rows per shard (default DefaultShardRows).
func WithShardRows(n int) Option { return func(c *config) { c.shardRows = n } }

// WithBatchRows sets the rows per record batch and Parquet row group
// (default DefaultBatchRows). Memory use is proportional to it.
func WithBatchRows(n int) Option { return func(c *config) { c.batchRows = n } }

// WithCompression sets the page codec (default Snappy).
func WithCompression(c Compression) Option { return func(cf *config) { cf.compression = c } }

// WithAllocator sets the Arrow allocator (tests use a checked allocator).
func WithAllocator(a memory.Allocator) Option { return func(c *config) { c.alloc = a } }

// WriteStats summarises what a ShardWriter wrote.
type WriteStats struct {
	Rows   int64    // rows written
	Shards []string // shard file names, in order
}

// ShardName is the file name of shard i: "part-00000.parquet", ...
func ShardName(i int) string { return fmt.Sprintf("part-%05d.parquet", i) }

// ShardWriter writes Tweets into Parquet shards of at most ShardRows rows
// each, as row groups of BatchRows rows, so memory stays bounded by two
// batches (one filling, one being encoded in the background) however large
// the input is. Output bytes depend only on the rows
// written and the options (no timestamps or random values), so the same input
// gives byte-identical shards.
//
// A ShardWriter is not safe for concurrent use.
type ShardWriter struct {
	create func(name string) (io.WriteCloser, error)
	cfg    config
	props  *parquet.WriterProperties

	rb       *array.RecordBuilder
	id       *array.StringBuilder
	created  *array.TimestampBuilder
	user     *array.StringBuilder
	text     *array.StringBuilder
	label    *array.StringBuilder
	source   *array.StringBuilder
	clean    *array.StringBuilder
	urls     *array.ListBuilder
	urlVals  *array.StringBuilder
	conf     *array.Float64Builder
	probs    *array.MapBuilder
	probKeys *array.StringBuilder
	probVals *array.Float64Builder
	keyBuf   []string
	batchLen int

	shard    *ParquetShard // the open shard, nil between shards
	shardLen int           // rows in the open shard (flushed or buffered)

	// One record batch at a time is encoded in the background (see flush):
	// busy is set while a batch is in flight, done gets its result.
	busy bool
	done chan error

	stats  WriteStats
	err    error
	closed bool
}

// NewShardWriter returns a writer that creates shard files through create
// (a stage passes a wrapper of artifact.Output.Create). If a created sink
// also has an Abort() error method, it is called instead of Close when
// writing fails.
func NewShardWriter(create func(name string) (io.WriteCloser, error), opts ...Option) *ShardWriter {
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
	if cfg.batchRows > cfg.shardRows {
		cfg.batchRows = cfg.shardRows
	}
	w := &ShardWriter{create: create, cfg: cfg, props: writerProps(cfg), done: make(chan error, 1)}
	w.rb = array.NewRecordBuilder(cfg.alloc, Schema())
	w.id = w.rb.Field(idxID).(*array.StringBuilder)
	w.created = w.rb.Field(idxCreatedAt).(*array.TimestampBuilder)
	w.user = w.rb.Field(idxUser).(*array.StringBuilder)
	w.text = w.rb.Field(idxText).(*array.StringBuilder)
	w.label = w.rb.Field(idxLabel).(*array.StringBuilder)
	w.source = w.rb.Field(idxSource).(*array.StringBuilder)
	w.clean = w.rb.Field(idxCleanText).(*array.StringBuilder)
	w.urls = w.rb.Field(idxURLs).(*array.ListBuilder)
	w.urlVals = w.urls.ValueBuilder().(*array.StringBuilder)
	w.conf = w.rb.Field(idxLabelConfidence).(*array.Float64Builder)
	w.probs = w.rb.Field(idxLabelProbs).(*array.MapBuilder)
	w.probKeys = w.probs.KeyBuilder().(*array.StringBuilder)
	w.probVals = w.probs.ItemBuilder().(*array.Float64Builder)
	return w
}

// writerProps: dictionary encoding only where values repeat (label, user),
// statistics only on created_at; everything else is plain + compressed.
func writerProps(cfg config) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(cfg.alloc),
		parquet.WithCompression(cfg.compression.codec()),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor(ColLabel, true),
		parquet.WithDictionaryFor(ColUser, true),
		parquet.WithStats(false),
		parquet.WithStatsFor(ColCreatedAt, true),
		parquet.WithMaxRowGroupLength(int64(cfg.batchRows)),
		parquet.WithCreatedBy("tweetflow dataset v"+SchemaVersion),
	)
}

// Write appends one row. The Tweet is copied; the caller may reuse it.
func (w *ShardWriter) Write(t *Tweet) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("writing tweet: shard writer closed")
	}
	w.id.Append(t.ID)
	if t.CreatedAt.IsZero() {
		w.created.AppendNull()
	} else {
		w.created.Append(arrow.Timestamp(t.CreatedAt.UnixMilli()))
	}
	w.user.Append(t.User)
	w.text.Append(t.Text)
	w.label.Append(t.Label)
	w.source.Append(t.Source)
	w.clean.Append(t.CleanText)
	w.urls.Append(true)
	for _, u := range t.URLs {
		w.urlVals.Append(u)
	}
	if t.LabelConfidence == 0 {
		w.conf.AppendNull()
	} else {
		w.conf.Append(t.LabelConfidence)
	}
	if t.LabelProbs == nil {
		w.probs.AppendNull()
	} else {
		// Keys in sorted order: the bytes must not depend on map order.
		w.keyBuf = w.keyBuf[:0]
		for k := range t.LabelProbs {
			w.keyBuf = append(w.keyBuf, k)
		}
		slices.Sort(w.keyBuf)
		w.probs.Append(true)
		for _, k := range w.keyBuf {
			w.probKeys.Append(k)
			w.probVals.Append(t.LabelProbs[k])
		}
	}
	w.batchLen++
	w.stats.Rows++
	if w.batchLen >= w.cfg.batchRows || w.shardLen+w.batchLen >= w.cfg.shardRows {
		return w.flush()
	}
	return nil
}

// flush hands the buffered batch to a goroutine that encodes it as one row
// group while the caller fills the next batch (Parquet encoding and
// compression are most of the cost of writing). At most one batch is in
// flight: flush first waits for the previous one. Shards are opened and
// closed by the caller, after the batches in flight are written, so
// creation errors are returned by the Write that needs the shard and an
// encoding error by the next Write, flush or Close. Rows reach the file in
// write order, so the bytes do not depend on the timing.
func (w *ShardWriter) flush() error {
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
	sizes := [...]int{w.id.DataLen(), w.user.DataLen(), w.text.DataLen(), w.label.DataLen(), w.source.DataLen(), w.clean.DataLen(), w.urlVals.DataLen()}
	rec := w.rb.NewRecordBatch() // resets the builders
	n := w.batchLen
	w.rb.Reserve(w.cfg.batchRows)
	for i, b := range []*array.StringBuilder{w.id, w.user, w.text, w.label, w.source, w.clean, w.urlVals} {
		b.ReserveData(sizes[i] + sizes[i]/8)
	}
	w.batchLen = 0
	fw, done := w.shard.FW, w.done
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
func (w *ShardWriter) wait() error {
	if !w.busy {
		return nil
	}
	err := <-w.done
	w.busy = false
	if err != nil {
		return w.fail(fmt.Errorf("writing shard %q: %w", w.shard.Name, err))
	}
	return nil
}

func (w *ShardWriter) openShard() error {
	sh, err := OpenParquetShard(w.create, ShardName(len(w.stats.Shards)), Schema(), w.props, w.cfg.alloc)
	if err != nil {
		return err
	}
	w.shard, w.shardLen = sh, 0
	return nil
}

// closeShard writes the Parquet footer and closes (commits) the sink.
func (w *ShardWriter) closeShard() error {
	sh := w.shard
	w.shard = nil
	if err := sh.Close(); err != nil {
		return err
	}
	w.stats.Shards = append(w.stats.Shards, sh.Name)
	return nil
}

func (w *ShardWriter) fail(err error) error {
	if w.busy { // let the batch in flight finish before aborting its sink
		<-w.done
		w.busy = false
	}
	if w.err == nil {
		w.err = err
	}
	if w.shard != nil {
		w.shard.Abort()
		w.shard = nil
	}
	return w.err
}

// Close flushes the last batch and closes the open shard. An input of zero
// rows still produces one empty shard (part-00000.parquet) so the output
// carries the schema. Close is idempotent.
func (w *ShardWriter) Close() error {
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
	if w.shard == nil && len(w.stats.Shards) == 0 {
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
func (w *ShardWriter) Stats() WriteStats {
	s := w.stats
	s.Shards = append([]string(nil), s.Shards...)
	return s
}
