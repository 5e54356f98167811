package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// readBatchRows is the record batch size used when reading shards.
const readBatchRows = 16_384

// shardColumns maps schema columns to their index in a file (-1: missing).
type shardColumns [numCols]int

// shardInfo is what scanShard learned from a file's footer.
type shardInfo struct {
	cols          shardColumns
	rows          int64
	schemaVersion string // "" when the metadata key is missing
	fields        []arrow.Field
	// project, when set by onOpen, lists the schema columns to read; the
	// others are skipped (and cols then index the projected records).
	project []int
}

// columnTypeOK reports whether a file column of type dt can hold schema column i.
func columnTypeOK(i int, dt arrow.DataType) bool {
	switch i {
	case idxCreatedAt:
		return dt.ID() == arrow.TIMESTAMP
	case idxURLs:
		l, ok := dt.(*arrow.ListType)
		return ok && l.Elem().ID() == arrow.STRING
	case idxLabelConfidence:
		return dt.ID() == arrow.FLOAT64
	case idxLabelProbs:
		m, ok := dt.(*arrow.MapType)
		return ok && m.KeyType().ID() == arrow.STRING && m.ItemType().ID() == arrow.FLOAT64
	default:
		return dt.ID() == arrow.STRING
	}
}

// ParquetFooter is what ScanParquet tells its open function about a file:
// its key/value metadata, its Arrow schema and its row count.
type ParquetFooter struct {
	Meta   metadata.KeyValueMetadata
	Schema *arrow.Schema
	Rows   int64
	fr     *pqarrow.FileReader
}

// ScanParquet reads the Parquet file in r (size bytes) one record batch
// at a time: open gets the footer and returns the Parquet leaf columns
// to read (nil: all), then fn gets each batch, in file order, with the row
// number (0-based) of its first row. Errors of open and fn are returned as
// they are; a file of zero rows reads no batch. The dataset reader and
// validator and the scorer's scores reader all read shards through it.
func ScanParquet(ctx context.Context, r io.ReaderAt, size int64, open func(*ParquetFooter) (leaves []int, err error), fn func(rec arrow.RecordBatch, firstRow int64) error) error {
	pf, err := file.NewParquetReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return fmt.Errorf("opening parquet: %w", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: readBatchRows}, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("reading parquet schema: %w", err)
	}
	sc, err := fr.Schema()
	if err != nil {
		return fmt.Errorf("reading parquet schema: %w", err)
	}
	f := &ParquetFooter{Meta: pf.MetaData().KeyValueMetadata(), Schema: sc, Rows: pf.NumRows(), fr: fr}
	leaves, err := open(f)
	if err != nil {
		return err
	}
	if f.Rows == 0 {
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return fmt.Errorf("reading parquet: %w", err)
	}
	defer rr.Release()
	var row int64
	for rr.Next() {
		rec := rr.RecordBatch()
		if err := fn(rec, row); err != nil {
			return err
		}
		row += rec.NumRows()
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading parquet row %d: %w", row, err)
	}
	return nil
}

// scanShard opens a dataset shard and calls fn for each record batch with
// the row number (0-based) of its first row. Columns of the schema that
// are present must have a compatible type; id and text must be present.
func scanShard(ctx context.Context, r io.ReaderAt, size int64, fn func(info *shardInfo, rec arrow.RecordBatch, firstRow int64) error, onOpen func(*shardInfo) error) error {
	var info *shardInfo
	want := Schema()
	remap := false
	return ScanParquet(ctx, r, size, func(f *ParquetFooter) ([]int, error) {
		info = &shardInfo{rows: f.Rows, fields: f.Schema.Fields()}
		if v := f.Meta.FindValue(MetaSchemaVersion); v != nil {
			info.schemaVersion = *v
		}
		for i := range info.cols {
			info.cols[i] = -1
			name := want.Field(i).Name
			idx := f.Schema.FieldIndices(name)
			if len(idx) == 0 {
				continue
			}
			dt := f.Schema.Field(idx[0]).Type
			if !columnTypeOK(i, dt) {
				return nil, fmt.Errorf("column %q has type %s, want %s", name, dt, want.Field(i).Type)
			}
			info.cols[i] = idx[0]
		}
		if onOpen != nil {
			if err := onOpen(info); err != nil {
				return nil, err
			}
		}
		for _, i := range []int{idxID, idxText} {
			if info.cols[i] < 0 {
				return nil, fmt.Errorf("missing required column %q", want.Field(i).Name)
			}
		}
		leaves := projectLeaves(f.fr, info)
		remap = leaves != nil
		return leaves, nil
	}, func(rec arrow.RecordBatch, firstRow int64) error {
		if remap { // the projected records have fewer columns
			got := rec.Schema()
			for i := range info.cols {
				info.cols[i] = -1
				if idx := got.FieldIndices(want.Field(i).Name); len(idx) > 0 {
					info.cols[i] = idx[0]
				}
			}
			remap = false
		}
		return fn(info, rec, firstRow)
	})
}

// projectLeaves returns the sorted Parquet leaf columns of the schema
// columns in info.project that the file has, or nil to read every column
// (no projection).
func projectLeaves(fr *pqarrow.FileReader, info *shardInfo) []int {
	if info.project == nil {
		return nil
	}
	var leaves []int
	var walk func(f *pqarrow.SchemaField)
	walk = func(f *pqarrow.SchemaField) {
		if f.IsLeaf() {
			leaves = append(leaves, f.ColIndex)
		}
		for i := range f.Children {
			walk(&f.Children[i])
		}
	}
	for _, i := range info.project {
		if c := info.cols[i]; c >= 0 && c < len(fr.Manifest.Fields) {
			walk(&fr.Manifest.Fields[c])
		}
	}
	slices.Sort(leaves)
	return leaves
}

// stringColumn gives cheap access to the values of a String array: the
// value bytes are copied once per batch into one Go string, and values are
// substrings of it (no per-row allocation, no aliasing of Arrow buffers).
type stringColumn struct {
	s   string
	off []int32
}

func newStringColumn(a arrow.Array) stringColumn {
	sa, ok := a.(*array.String)
	if !ok || sa.Len() == 0 {
		return stringColumn{}
	}
	return stringColumn{s: string(sa.ValueBytes()), off: sa.ValueOffsets()}
}

func (c *stringColumn) value(i int) string {
	if c.off == nil {
		return ""
	}
	base := c.off[0]
	return c.s[c.off[i]-base : c.off[i+1]-base]
}

// ReadShard streams the rows of one Parquet shard (as written by
// ShardWriter) to fn, in file order, one record batch in memory at a time.
//
// The *Tweet passed to fn is reused between calls: copy the struct to keep
// it (its strings and URLs are never overwritten). Strings of one batch
// share one backing string per column, so keeping a few rows of many batches
// keeps those batches' column data alive; use strings.Clone when sampling
// sparsely from a large input.
//
// Columns other than id and text may be missing (they read as empty). An
// empty urls list reads as nil. An error returned by fn is returned as is.
func ReadShard(r io.ReaderAt, size int64, fn func(*Tweet) error) error {
	return readShard(context.Background(), r, size, fn)
}

// FnError carries an error of a caller's row function through the
// shard readers (ScanParquet, ForEachShard), which return Err unwrapped.
type FnError struct{ Err error }

func (e FnError) Error() string { return e.Err.Error() }

func readShard(ctx context.Context, r io.ReaderAt, size int64, fn func(*Tweet) error) error {
	return readShardColumns(ctx, r, size, nil, fn)
}

// readShardColumns is readShard reading only the schema columns in
// project (nil: all).
func readShardColumns(ctx context.Context, r io.ReaderAt, size int64, project []int, fn func(*Tweet) error) error {
	var t Tweet
	var cols [numCols]stringColumn
	err := scanShard(ctx, r, size, func(info *shardInfo, rec arrow.RecordBatch, _ int64) error {
		if err := ctx.Err(); err != nil {
			return FnError{err}
		}
		for _, i := range []int{idxID, idxUser, idxText, idxLabel, idxSource, idxCleanText} {
			cols[i] = stringColumn{}
			if c := info.cols[i]; c >= 0 {
				cols[i] = newStringColumn(rec.Column(c))
			}
		}
		var ts *array.Timestamp
		var toTime func(arrow.Timestamp) time.Time
		if c := info.cols[idxCreatedAt]; c >= 0 {
			ts = rec.Column(c).(*array.Timestamp)
			toTime, _ = ts.DataType().(*arrow.TimestampType).GetToTimeFunc()
		}
		var urls *array.List
		var urlVals stringColumn
		if c := info.cols[idxURLs]; c >= 0 {
			urls = rec.Column(c).(*array.List)
			urlVals = newStringColumn(urls.ListValues())
		}
		var conf *array.Float64
		if c := info.cols[idxLabelConfidence]; c >= 0 {
			conf = rec.Column(c).(*array.Float64)
		}
		var probs *array.Map
		var probKeys stringColumn
		var probVals *array.Float64
		if c := info.cols[idxLabelProbs]; c >= 0 {
			probs = rec.Column(c).(*array.Map)
			probKeys = newStringColumn(probs.Keys())
			probVals = probs.Items().(*array.Float64)
		}
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			t = Tweet{
				ID:        cols[idxID].value(i),
				User:      cols[idxUser].value(i),
				Text:      cols[idxText].value(i),
				Label:     cols[idxLabel].value(i),
				Source:    cols[idxSource].value(i),
				CleanText: cols[idxCleanText].value(i),
			}
			if ts != nil && ts.IsValid(i) {
				t.CreatedAt = toTime(ts.Value(i)).UTC()
			}
			if urls != nil && urls.IsValid(i) {
				start, end := urls.ValueOffsets(i)
				if end > start {
					t.URLs = make([]string, 0, end-start)
					for j := start; j < end; j++ {
						t.URLs = append(t.URLs, urlVals.value(int(j)))
					}
				}
			}
			if conf != nil && conf.IsValid(i) {
				t.LabelConfidence = conf.Value(i)
			}
			if probs != nil && probs.IsValid(i) {
				start, end := probs.ValueOffsets(i)
				t.LabelProbs = make(map[string]float64, end-start)
				for j := start; j < end; j++ {
					t.LabelProbs[probKeys.value(int(j))] = probVals.Value(int(j))
				}
			}
			if err := fn(&t); err != nil {
				return FnError{err}
			}
		}
		return nil
	}, func(info *shardInfo) error {
		info.project = project
		return nil
	})
	var fe FnError
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}

// ShardFiles lists the Parquet shard names of a committed output, in name
// order (other files of the manifest are ignored).
func ShardFiles(m *artifact.Manifest) []artifact.File {
	var out []artifact.File
	for _, f := range m.Files {
		if strings.HasSuffix(f.Name, ".parquet") {
			out = append(out, f)
		}
	}
	// The manifest is sorted by Commit; keep that order but do not rely on it.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// ReadOutput streams every row of the committed dataset output under prefix
// in store: the Parquet files its manifest lists, in name order (see
// ReadShard for the contract of fn). Objects whose reader supports
// io.ReaderAt (local files, MinIO objects) are read in place; others are
// first copied to a temporary file, one shard at a time, so memory stays
// bounded by one record batch whatever the shard size.
func ReadOutput(ctx context.Context, store artifact.Store, prefix string, fn func(*Tweet) error) error {
	return ReadOutputColumns(ctx, store, prefix, nil, fn)
}

// ReadOutputColumns is ReadOutput reading only the named columns (Col*
// constants; nil: all) plus id and text, which are always read; the
// fields of the other columns are left empty. Skipping the columns a pass
// does not need saves their decoding (the clean stage's label-counting
// pass reads id, text and label).
func ReadOutputColumns(ctx context.Context, store artifact.Store, prefix string, columns []string, fn func(*Tweet) error) error {
	var project []int
	if columns != nil {
		project = []int{idxID, idxText}
		for _, name := range columns {
			i := Schema().FieldIndices(name)
			if len(i) == 0 {
				return fmt.Errorf("reading dataset %q: unknown column %q", store.URI(prefix), name)
			}
			if !slices.Contains(project, i[0]) {
				project = append(project, i[0])
			}
		}
	}
	wrapped := func(t *Tweet) error {
		if err := fn(t); err != nil {
			return FnError{err}
		}
		return nil
	}
	return ForEachShard(ctx, store, prefix, "dataset", func(r io.ReaderAt, size int64) error {
		return readShardColumns(ctx, r, size, project, wrapped)
	})
}

// ForEachShard calls read with each Parquet shard of the committed output
// under prefix in store, in name order, as an io.ReaderAt and its size:
// in place when the object's reader allows (local files, MinIO objects),
// else through a temporary copy, one shard at a time. An error of read is
// returned wrapped, naming what ("dataset", "scores") and the shard,
// unless it is a FnError, whose Err is returned as is.
func ForEachShard(ctx context.Context, store artifact.Store, prefix, what string, read func(r io.ReaderAt, size int64) error) error {
	m, err := artifact.ReadManifest(ctx, store, prefix)
	if err != nil {
		return err
	}
	for _, f := range ShardFiles(m) {
		err := withShard(ctx, store, prefix, f, read)
		var fe FnError
		if errors.As(err, &fe) {
			return fe.Err
		}
		if err != nil {
			return fmt.Errorf("reading %s %q: %w", what, store.URI(joinKey(prefix, f.Name)), err)
		}
	}
	return nil
}

func joinKey(prefix, name string) string {
	if prefix = strings.TrimSuffix(prefix, "/"); prefix == "" {
		return name // a store rooted at the output folder itself
	}
	return prefix + "/" + name
}

// withShard opens one committed shard as an io.ReaderAt.
func withShard(ctx context.Context, store artifact.Store, prefix string, f artifact.File, fn func(io.ReaderAt, int64) error) error {
	return artifact.WithReaderAt(ctx, store, joinKey(prefix, f.Name), f.Size, fn)
}
