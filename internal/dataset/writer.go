package dataset

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
// each, as row groups of BatchRows rows, through a BatchWriter (memory
// bounded by two batches, byte-identical output for the same input). An
// input of zero rows gives one empty shard, so the output carries the
// schema.
//
// A ShardWriter is not safe for concurrent use.
type ShardWriter struct {
	w *BatchWriter

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
}

// NewShardWriter returns a writer that creates shard files through create
// (a stage passes a wrapper of artifact.Output.Create). If a created sink
// also has an Abort() error method, it is called instead of Close when
// writing fails.
func NewShardWriter(create func(name string) (io.WriteCloser, error), opts ...Option) *ShardWriter {
	w := &ShardWriter{w: NewBatchWriter(create, layout, opts...)}
	rb := w.w.Builder()
	w.id = rb.Field(idxID).(*array.StringBuilder)
	w.created = rb.Field(idxCreatedAt).(*array.TimestampBuilder)
	w.user = rb.Field(idxUser).(*array.StringBuilder)
	w.text = rb.Field(idxText).(*array.StringBuilder)
	w.label = rb.Field(idxLabel).(*array.StringBuilder)
	w.source = rb.Field(idxSource).(*array.StringBuilder)
	w.clean = rb.Field(idxCleanText).(*array.StringBuilder)
	w.urls = rb.Field(idxURLs).(*array.ListBuilder)
	w.urlVals = w.urls.ValueBuilder().(*array.StringBuilder)
	w.conf = rb.Field(idxLabelConfidence).(*array.Float64Builder)
	w.probs = rb.Field(idxLabelProbs).(*array.MapBuilder)
	w.probKeys = w.probs.KeyBuilder().(*array.StringBuilder)
	w.probVals = w.probs.ItemBuilder().(*array.Float64Builder)
	return w
}

// layout of a dataset shard: dictionary encoding only where values repeat
// (label, user), statistics only on created_at; everything else is plain +
// compressed.
var layout = ShardLayout{
	Schema:     Schema(),
	Dictionary: []string{ColLabel, ColUser},
	Stats:      []string{ColCreatedAt},
	CreatedBy:  "tweetflow dataset v" + SchemaVersion,
	WriteEmpty: true,
}

// Write appends one row. The Tweet is copied; the caller may reuse it.
func (w *ShardWriter) Write(t *Tweet) error {
	if err := w.w.Err(); errors.Is(err, ErrClosed) {
		return fmt.Errorf("writing tweet: %w", err)
	} else if err != nil {
		return err
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
	return w.w.Added()
}

// Close flushes the last batch and closes the open shard. An input of zero
// rows still produces one empty shard (part-00000.parquet) so the output
// carries the schema. Close is idempotent.
func (w *ShardWriter) Close() error { return w.w.Close() }

// Stats returns what has been written so far (complete after Close).
func (w *ShardWriter) Stats() WriteStats { return w.w.Stats() }
