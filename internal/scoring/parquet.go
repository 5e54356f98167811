package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/dataset"
)

// SchemaVersion is the version of the scores schema, stored in every
// shard's key/value metadata under dataset.MetaSchemaVersion.
const SchemaVersion = "1"

// Parquet key/value metadata of a scores shard (besides
// dataset.MetaSchemaVersion and dataset.MetaFormat, which is "scores").
const (
	// MetaLabels holds the class names of the probabilities column, as a
	// JSON array in column order.
	MetaLabels = "tweetflow.labels"
	// FormatName is the value of dataset.MetaFormat in a scores shard.
	FormatName = "scores"
)

// Column names of the scores schema, in order. id, created_at, user, text,
// label, clean_text and urls have the names and types of the dataset
// schema, so dataset.ReadOutput reads a scores output as tweets whose
// label is the predicted one.
const (
	ColID            = dataset.ColID
	ColCreatedAt     = dataset.ColCreatedAt
	ColUser          = dataset.ColUser
	ColText          = dataset.ColText
	ColCleanText     = dataset.ColCleanText
	ColURLs          = dataset.ColURLs
	ColLabel         = dataset.ColLabel
	ColScore         = "score"
	ColProbabilities = "probabilities"
	ColModelVersion  = "model_version"
	ColScoredAt      = "scored_at"
)

const (
	idxID = iota
	idxCreatedAt
	idxUser
	idxText
	idxCleanText
	idxURLs
	idxLabel
	idxScore
	idxProbabilities
	idxModelVersion
	idxScoredAt
	numCols
)

var (
	timestampType = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
	urlsType      = arrow.ListOfNonNullable(arrow.BinaryTypes.String)
	probsType     = arrow.ListOfNonNullable(arrow.PrimitiveTypes.Float32)
)

// Schema returns the Arrow schema of a scores shard for a model with the
// given labels (recorded in the metadata under MetaLabels).
func Schema(labels []string) *arrow.Schema {
	lb, _ := json.Marshal(labels)
	md := arrow.NewMetadata(
		[]string{dataset.MetaFormat, dataset.MetaSchemaVersion, MetaLabels},
		[]string{FormatName, SchemaVersion, string(lb)})
	return arrow.NewSchema([]arrow.Field{
		{Name: ColID, Type: arrow.BinaryTypes.String},
		{Name: ColCreatedAt, Type: timestampType, Nullable: true},
		{Name: ColUser, Type: arrow.BinaryTypes.String},
		{Name: ColText, Type: arrow.BinaryTypes.String},
		{Name: ColCleanText, Type: arrow.BinaryTypes.String},
		{Name: ColURLs, Type: urlsType},
		{Name: ColLabel, Type: arrow.BinaryTypes.String},
		{Name: ColScore, Type: arrow.PrimitiveTypes.Float32},
		{Name: ColProbabilities, Type: probsType},
		{Name: ColModelVersion, Type: arrow.BinaryTypes.String},
		{Name: ColScoredAt, Type: timestampType},
	}, &md)
}

// Defaults of the ParquetSink: those of the dataset's shard writer.
const (
	DefaultShardRows = dataset.DefaultShardRows
	DefaultBatchRows = dataset.DefaultBatchRows // rows per record batch = per Parquet row group
)

// ParquetOption configures a ParquetSink: the options of the dataset's
// shard writer.
type ParquetOption = dataset.Option

// WithShardRows sets the most rows per shard (default DefaultShardRows).
func WithShardRows(n int) ParquetOption { return dataset.WithShardRows(n) }

// WithBatchRows sets the rows per row group (default DefaultBatchRows);
// memory use is proportional to it.
func WithBatchRows(n int) ParquetOption { return dataset.WithBatchRows(n) }

// WithAllocator sets the Arrow allocator (tests use a checked allocator).
func WithAllocator(a memory.Allocator) ParquetOption { return dataset.WithAllocator(a) }

// ParquetSink writes rows into Parquet shards "part-00000.parquet", ... of
// at most ShardRows rows, as row groups of BatchRows rows (Snappy pages,
// dictionary encoding for label, user and model_version), through the
// dataset's dataset.BatchWriter. The bytes depend only on the rows and
// the options, so the same rows give identical shards. Timestamps are
// stored with millisecond precision. Every row of one sink must have the
// same Labels (one model).
type ParquetSink struct {
	create func(name string) (io.WriteCloser, error)
	opts   []ParquetOption

	labels []string
	w      *dataset.BatchWriter // nil until the first row gives the labels

	id, user, txt, clean, label, version *array.StringBuilder
	created, scored                      *array.TimestampBuilder
	urls, probs                          *array.ListBuilder
	urlVals                              *array.StringBuilder
	probVals                             *array.Float32Builder
	score                                *array.Float32Builder

	closed bool
}

// NewParquetSink returns a sink creating its shard files through create
// (a stage passes a wrapper of artifact.Output.Create). A created file
// with an Abort() method is aborted instead of closed when writing fails.
func NewParquetSink(create func(name string) (io.WriteCloser, error), opts ...ParquetOption) *ParquetSink {
	return &ParquetSink{create: create, opts: slices.Clone(opts)}
}

// Shards lists the shard files written so far, in order.
func (s *ParquetSink) Shards() []string {
	if s.w == nil {
		return nil
	}
	return s.w.Stats().Shards
}

// Rows is the number of rows written.
func (s *ParquetSink) Rows() int64 {
	if s.w == nil {
		return 0
	}
	return s.w.Stats().Rows
}

// init starts the shard writer for a model with labels (the schema records
// them).
func (s *ParquetSink) init(labels []string) {
	s.labels = slices.Clone(labels)
	s.w = dataset.NewBatchWriter(s.create, dataset.ShardLayout{
		Schema:     Schema(s.labels),
		Dictionary: []string{ColLabel, ColUser, ColModelVersion},
		Stats:      []string{ColCreatedAt, ColScoredAt},
		CreatedBy:  "tweetflow scores v" + SchemaVersion,
	}, s.opts...)
	f := s.w.Builder().Fields()
	s.id = f[idxID].(*array.StringBuilder)
	s.created = f[idxCreatedAt].(*array.TimestampBuilder)
	s.user = f[idxUser].(*array.StringBuilder)
	s.txt = f[idxText].(*array.StringBuilder)
	s.clean = f[idxCleanText].(*array.StringBuilder)
	s.urls = f[idxURLs].(*array.ListBuilder)
	s.urlVals = s.urls.ValueBuilder().(*array.StringBuilder)
	s.label = f[idxLabel].(*array.StringBuilder)
	s.score = f[idxScore].(*array.Float32Builder)
	s.probs = f[idxProbabilities].(*array.ListBuilder)
	s.probVals = s.probs.ValueBuilder().(*array.Float32Builder)
	s.version = f[idxModelVersion].(*array.StringBuilder)
	s.scored = f[idxScoredAt].(*array.TimestampBuilder)
}

// Write appends rows; a row group is written whenever BatchRows rows are
// buffered. The context is not used: writes go to the created files.
func (s *ParquetSink) Write(_ context.Context, rows []Row) error {
	if s.w != nil {
		if err := s.w.Err(); err != nil && !errors.Is(err, dataset.ErrClosed) {
			return err
		}
	}
	if s.closed {
		return errors.New("writing scores: parquet sink closed")
	}
	for i := range rows {
		r := &rows[i]
		if s.w == nil {
			s.init(r.Labels)
		} else if !slices.Equal(r.Labels, s.labels) {
			return s.w.Fail(fmt.Errorf("writing scores of tweet %q: labels %q differ from the sink's %q (one model per output)", r.ID, r.Labels, s.labels))
		}
		if len(r.Probabilities) != len(s.labels) {
			return s.w.Fail(fmt.Errorf("writing scores of tweet %q: %d probabilities for %d labels", r.ID, len(r.Probabilities), len(s.labels)))
		}
		s.id.Append(r.ID)
		if r.CreatedAt.IsZero() {
			s.created.AppendNull()
		} else {
			s.created.Append(arrow.Timestamp(r.CreatedAt.UnixMilli()))
		}
		s.user.Append(r.User)
		s.txt.Append(r.Text)
		s.clean.Append(r.CleanText)
		s.urls.Append(true)
		for _, u := range r.URLs {
			s.urlVals.Append(u)
		}
		s.label.Append(r.Label)
		s.score.Append(r.Score)
		s.probs.Append(true)
		s.probVals.AppendValues(r.Probabilities, nil)
		s.version.Append(r.ModelVersion)
		s.scored.Append(arrow.Timestamp(r.ScoredAt.UnixMilli()))
		if err := s.w.Added(); err != nil {
			return err
		}
	}
	return nil
}

// Close writes the buffered rows and the open shard's footer. A sink that
// was never written to writes no file. Closing twice is a no-op.
func (s *ParquetSink) Close() error {
	s.closed = true
	if s.w == nil {
		return nil
	}
	return s.w.Close()
}

// ReadShard streams the rows of one scores shard to fn in file order. The
// *Row is reused between calls; its strings and slices are not. An error
// returned by fn is returned as is.
func ReadShard(r io.ReaderAt, size int64, fn func(*Row) error) error {
	err := readShard(r, size, fn)
	var fe dataset.FnError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}

// readShard reads a scores shard through dataset.ScanParquet; an error of
// fn comes back as a dataset.FnError.
func readShard(r io.ReaderAt, size int64, fn func(*Row) error) error {
	var labels []string
	var cols [numCols]int
	var row Row
	return dataset.ScanParquet(context.Background(), r, size, func(f *dataset.ParquetFooter) ([]int, error) {
		if v := f.Meta.FindValue(dataset.MetaFormat); v == nil || *v != FormatName {
			return nil, fmt.Errorf("reading scores: %s is not %q", dataset.MetaFormat, FormatName)
		}
		if v := f.Meta.FindValue(MetaLabels); v != nil {
			if err := json.Unmarshal([]byte(*v), &labels); err != nil {
				return nil, fmt.Errorf("decoding %s: %w", MetaLabels, err)
			}
		}
		want := Schema(labels)
		for i := range cols {
			w := want.Field(i)
			idx := f.Schema.FieldIndices(w.Name)
			if len(idx) == 0 {
				return nil, fmt.Errorf("reading scores: missing column %q", w.Name)
			}
			if !arrow.TypeEqual(f.Schema.Field(idx[0]).Type, w.Type) {
				return nil, fmt.Errorf("reading scores: column %q has type %s, want %s", w.Name, f.Schema.Field(idx[0]).Type, w.Type)
			}
			cols[i] = idx[0]
		}
		return nil, nil
	}, func(rec arrow.RecordBatch, _ int64) error {
		str := func(i int) *array.String { return rec.Column(cols[i]).(*array.String) }
		id, user, txt, clean, label, version := str(idxID), str(idxUser), str(idxText), str(idxCleanText), str(idxLabel), str(idxModelVersion)
		created := rec.Column(cols[idxCreatedAt]).(*array.Timestamp)
		scored := rec.Column(cols[idxScoredAt]).(*array.Timestamp)
		score := rec.Column(cols[idxScore]).(*array.Float32)
		urls := rec.Column(cols[idxURLs]).(*array.List)
		urlVals := urls.ListValues().(*array.String)
		probs := rec.Column(cols[idxProbabilities]).(*array.List)
		probVals := probs.ListValues().(*array.Float32)
		for i := 0; i < int(rec.NumRows()); i++ {
			row = Row{
				ID: strings.Clone(id.Value(i)), User: strings.Clone(user.Value(i)), Text: strings.Clone(txt.Value(i)),
				CleanText: strings.Clone(clean.Value(i)), Label: strings.Clone(label.Value(i)), Score: score.Value(i),
				Labels: labels, ModelVersion: strings.Clone(version.Value(i)),
				ScoredAt: scored.Value(i).ToTime(arrow.Millisecond).UTC(),
			}
			if created.IsValid(i) {
				row.CreatedAt = created.Value(i).ToTime(arrow.Millisecond).UTC()
			}
			if a, b := urls.ValueOffsets(i); b > a {
				row.URLs = make([]string, 0, b-a)
				for j := a; j < b; j++ {
					row.URLs = append(row.URLs, strings.Clone(urlVals.Value(int(j))))
				}
			}
			a, b := probs.ValueOffsets(i)
			row.Probabilities = slices.Clone(probVals.Float32Values()[a:b])
			if err := fn(&row); err != nil {
				return dataset.FnError{Err: err}
			}
		}
		return nil
	})
}

// ReadOutput streams every row of the committed scores output under prefix
// in store, shard by shard in name order (see ReadShard and
// dataset.ForEachShard).
func ReadOutput(ctx context.Context, store artifact.Store, prefix string, fn func(*Row) error) error {
	return dataset.ForEachShard(ctx, store, prefix, "scores", func(r io.ReaderAt, n int64) error { return readShard(r, n, fn) })
}
