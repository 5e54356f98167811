package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/artifact/artifacttest"
)

// memSink collects shards in memory.
type memSink struct {
	files   map[string]*bytes.Buffer
	order   []string
	aborted []string
}

type memFile struct {
	*bytes.Buffer
	s      *memSink
	name   string
	closed bool
}

func (f *memFile) Close() error {
	f.closed = true
	f.s.files[f.name] = f.Buffer
	return nil
}

func (f *memFile) Abort() error { f.s.aborted = append(f.s.aborted, f.name); return nil }

func newMemSink() *memSink { return &memSink{files: map[string]*bytes.Buffer{}} }

func (s *memSink) create(name string) (io.WriteCloser, error) {
	s.order = append(s.order, name)
	return &memFile{Buffer: &bytes.Buffer{}, s: s, name: name}, nil
}

func writeAll(t testing.TB, tweets []Tweet, opts ...Option) (*memSink, WriteStats) {
	t.Helper()
	s := newMemSink()
	w := NewShardWriter(s.create, opts...)
	for i := range tweets {
		if err := w.Write(&tweets[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return s, w.Stats()
}

func readAll(t testing.TB, s *memSink, names []string) []Tweet {
	t.Helper()
	var out []Tweet
	for _, n := range names {
		b := s.files[n].Bytes()
		if err := ReadShard(bytes.NewReader(b), int64(len(b)), func(tw *Tweet) error {
			out = append(out, *tw)
			return nil
		}); err != nil {
			t.Fatalf("reading %s: %v", n, err)
		}
	}
	return out
}

// normalise maps empty URL slices to nil (the schema does not tell them apart).
func normalise(ts []Tweet) []Tweet {
	out := make([]Tweet, len(ts))
	for i, t := range ts {
		if len(t.URLs) == 0 {
			t.URLs = nil
		}
		out[i] = t
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	in := []Tweet{
		{ID: "1", Text: "zero time, nil urls"},
		{ID: "2", Text: "empty urls", URLs: []string{}, CreatedAt: time.Date(2009, 4, 7, 5, 19, 45, 0, time.UTC)},
		{ID: "3", Text: "all fields 😀 \n tab\t", User: "bob", Label: "positive", Source: "a.csv:3",
			CleanText: "all fields", URLs: []string{"https://t.co/x", ""}, CreatedAt: time.Date(2016, 1, 2, 3, 4, 5, 6_000_000, time.UTC)},
		{ID: "4", Text: "weak label", Label: "AI", LabelConfidence: 0.875, LabelProbs: map[string]float64{"OTHER": 0.125, "AI": 0.875}},
		{ID: "5", Text: "weak label, empty probs", Label: "OTHER", LabelConfidence: 1, LabelProbs: map[string]float64{}},
	}
	in = append(in, Generate(7, 500, GenerateOptions{Cleaned: true})...)
	for _, c := range []Compression{Zstd, Snappy, Uncompressed} {
		t.Run(c.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			s, st := writeAll(t, in, WithCompression(c), WithBatchRows(64), WithAllocator(mem))
			mem.AssertSize(t, 0)
			if st.Rows != int64(len(in)) || len(st.Shards) != 1 {
				t.Fatalf("stats = %+v", st)
			}
			got := readAll(t, s, st.Shards)
			if !reflect.DeepEqual(normalise(got), normalise(in)) {
				for i := range in {
					if i < len(got) && !reflect.DeepEqual(normalise(got[i:i+1]), normalise(in[i:i+1])) {
						t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], in[i])
					}
				}
				t.Fatalf("got %d rows, want %d", len(got), len(in))
			}
			if got[0].URLs != nil || !got[0].CreatedAt.IsZero() {
				t.Errorf("row 0: urls %v created %v, want nil and zero", got[0].URLs, got[0].CreatedAt)
			}
		})
	}
}

func TestShardBoundaries(t *testing.T) {
	in := Generate(1, 1000, GenerateOptions{})
	for _, tc := range []struct {
		n, shardRows, batchRows int
		wantShards              int
	}{
		{0, 10, 3, 1}, // empty input: one empty shard with the schema
		{1, 10, 3, 1},
		{10, 10, 3, 1},
		{11, 10, 3, 2},
		{1000, 100, 7, 10},
		{1000, 333, 1000, 4},
		{999, 1000, 16, 1},
	} {
		t.Run(fmt.Sprintf("n%d_shard%d_batch%d", tc.n, tc.shardRows, tc.batchRows), func(t *testing.T) {
			s, st := writeAll(t, in[:tc.n], WithShardRows(tc.shardRows), WithBatchRows(tc.batchRows))
			if len(st.Shards) != tc.wantShards || st.Rows != int64(tc.n) {
				t.Fatalf("stats %+v, want %d shards", st, tc.wantShards)
			}
			if !reflect.DeepEqual(st.Shards, s.order) {
				t.Fatalf("shards %v, created %v", st.Shards, s.order)
			}
			total := 0
			for i, name := range st.Shards {
				if name != ShardName(i) {
					t.Errorf("shard %d named %q", i, name)
				}
				rows := readAll(t, s, []string{name})
				want := tc.shardRows
				if i == len(st.Shards)-1 {
					want = tc.n - i*tc.shardRows
				}
				if len(rows) != want {
					t.Errorf("shard %s has %d rows, want %d", name, len(rows), want)
				}
				total += len(rows)
			}
			if total != tc.n {
				t.Errorf("read %d rows, want %d", total, tc.n)
			}
			got := readAll(t, s, st.Shards)
			if !reflect.DeepEqual(normalise(got), normalise(in[:tc.n])) {
				t.Errorf("rows differ after sharding")
			}
		})
	}
}

func TestDeterministicBytes(t *testing.T) {
	in := Generate(3, 3000, GenerateOptions{Cleaned: true})
	a, sa := writeAll(t, in, WithShardRows(1000), WithBatchRows(256))
	b, sb := writeAll(t, in, WithShardRows(1000), WithBatchRows(256))
	if !reflect.DeepEqual(sa, sb) {
		t.Fatalf("stats differ: %+v %+v", sa, sb)
	}
	for _, n := range sa.Shards {
		if !bytes.Equal(a.files[n].Bytes(), b.files[n].Bytes()) {
			t.Errorf("shard %s differs between two writes of the same input", n)
		}
	}
	// and the bytes do depend on the content
	in[5].Text += "!"
	c, _ := writeAll(t, in, WithShardRows(1000), WithBatchRows(256))
	if bytes.Equal(a.files[ShardName(0)].Bytes(), c.files[ShardName(0)].Bytes()) {
		t.Error("changing a row did not change the shard")
	}
}

func TestSchemaVersionMetadata(t *testing.T) {
	s, st := writeAll(t, Generate(1, 3, GenerateOptions{}))
	b := s.files[st.Shards[0]].Bytes()
	var version string
	err := scanShard(context.Background(), bytes.NewReader(b), int64(len(b)), func(*shardInfo, arrow.RecordBatch, int64) error { return nil },
		func(info *shardInfo) error { version = info.schemaVersion; return nil })
	if err != nil || version != SchemaVersion {
		t.Fatalf("version %q err %v", version, err)
	}
}

func TestWriteErrorAborts(t *testing.T) {
	s := newMemSink()
	calls := 0
	w := NewShardWriter(func(name string) (io.WriteCloser, error) {
		calls++
		if calls > 1 {
			return nil, errors.New("disk full")
		}
		return s.create(name)
	}, WithShardRows(10), WithBatchRows(5))
	in := Generate(1, 30, GenerateOptions{})
	var err error
	for i := range in {
		if err = w.Write(&in[i]); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), ShardName(1)) {
		t.Fatalf("err = %v", err)
	}
	if w.Close() == nil {
		t.Error("Close after a failed write returned nil")
	}
	if len(s.files) != 1 {
		t.Errorf("committed shards %v, want only the first", s.files)
	}
}

func TestReadOutput(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.NewOutput(store, "runs/r1/ingest/tweets")
	w := NewShardWriter(func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }, WithShardRows(40), WithBatchRows(16))
	in := Generate(9, 100, GenerateOptions{})
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteFile(ctx, "stats.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var got []Tweet
	if err := ReadOutput(ctx, store, "runs/r1/ingest/tweets", func(t *Tweet) error { got = append(got, *t); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalise(got), normalise(in)) {
		t.Fatalf("ReadOutput: %d rows, differ from the %d written", len(got), len(in))
	}
	if err := ValidateOutput(ctx, store, "runs/r1/ingest/tweets", ValidateOptions{Labels: DefaultLabels}); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = ReadOutput(ctx, store, "runs/r1/ingest/tweets", func(*Tweet) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("stop: err %v after %d rows", err, n)
	}
	if err := ReadOutput(ctx, store, "runs/r2/nothing", func(*Tweet) error { return nil }); !errors.Is(err, artifact.ErrNotCommitted) {
		t.Fatalf("uncommitted: %v", err)
	}
}

// customFile writes a Parquet file with an arbitrary schema; cols are built by fill.
func customFile(t *testing.T, sc *arrow.Schema, fill func(b *array.RecordBuilder)) []byte {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	fill(b)
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(sc, &buf, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestValidate(t *testing.T) {
	good := Generate(5, 20, GenerateOptions{Cleaned: true})
	shard := func(mut func(ts []Tweet)) []byte {
		ts := append([]Tweet(nil), good...)
		mut(ts)
		s, st := writeAll(t, ts)
		return s.files[st.Shards[0]].Bytes()
	}
	// a file with nullable string columns, a null id at row 2, without version metadata
	nullable := func() []byte {
		var fields []arrow.Field
		for _, f := range Schema().Fields() {
			f.Nullable = true
			fields = append(fields, f)
		}
		md := arrow.NewMetadata([]string{MetaSchemaVersion}, []string{SchemaVersion})
		sc := arrow.NewSchema(fields, &md)
		return customFile(t, sc, func(b *array.RecordBuilder) {
			for row := 0; row < 3; row++ {
				for i, f := range b.Fields() {
					switch fb := f.(type) {
					case *array.StringBuilder:
						if i == idxID && row == 1 {
							fb.AppendNull()
						} else {
							fb.Append("x")
						}
					case *array.TimestampBuilder:
						fb.AppendNull()
					case *array.ListBuilder:
						fb.Append(true)
					default: // the optional weak-label columns
						fb.AppendNull()
					}
				}
			}
		})
	}
	wrongType := customFile(t, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "text", Type: arrow.BinaryTypes.String}}, nil),
		func(b *array.RecordBuilder) {
			b.Field(0).(*array.Int64Builder).Append(1)
			b.Field(1).(*array.StringBuilder).Append("hi")
		})
	verMD := arrow.NewMetadata([]string{MetaSchemaVersion}, []string{SchemaVersion})
	noMeta := customFile(t, arrow.NewSchema(Schema().Fields(), nil), func(b *array.RecordBuilder) {})

	for _, tc := range []struct {
		name   string
		file   []byte
		labels []string
		want   []string // substrings, one per expected problem
	}{
		{"valid", shard(func([]Tweet) {}), DefaultLabels, nil},
		{"empty id", shard(func(ts []Tweet) { ts[3].ID = "" }), nil, []string{"row 4: id: empty"}},
		{"blank text", shard(func(ts []Tweet) { ts[0].Text = " \t" }), nil, []string{"row 1: text: empty"}},
		{"invalid utf8", shard(func(ts []Tweet) { ts[7].User = "a\xffb" }), nil, []string{"row 8: user: invalid UTF-8"}},
		{"invalid utf8 url", shard(func(ts []Tweet) { ts[2].URLs = []string{"http://\xc3"} }), nil, []string{"row 3: urls: null or invalid UTF-8 URL"}},
		{"bad label", shard(func(ts []Tweet) { ts[9].Label = "Positive" }), DefaultLabels, []string{`row 10: label: label "Positive" not in the allowed set`}},
		{"unlabeled not allowed", shard(func(ts []Tweet) { ts[0].Label = "" }), DefaultLabels, []string{`row 1: label: label ""`}},
		{"labels unchecked", shard(func(ts []Tweet) { ts[9].Label = "whatever" }), nil, nil},
		{"null id", nullable(), nil, []string{"row 2: id: null"}},
		{"wrong type", wrongType, nil, []string{`column "id" has type int64`}},
		{"no version", noMeta, nil, []string{`no "tweetflow.schema_version" key`}},
		{"missing columns", customFile(t, arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, &verMD),
			func(b *array.RecordBuilder) { b.Field(0).(*array.StringBuilder).Append("hi") }),
			nil, []string{`column "id": missing column`, `column "user": missing column`, `column "created_at": missing column`,
				`column "label": missing column`, `column "source": missing column`, `column "clean_text": missing column`, `column "urls": missing column`}},
		{"not parquet", []byte("id,text\n1,hi\n"), nil, []string{"opening parquet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateShard(bytes.NewReader(tc.file), int64(len(tc.file)), "f.parquet", ValidateOptions{Labels: tc.labels})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if ve.Total != len(tc.want) {
				t.Errorf("%d problems, want %d: %v", ve.Total, len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), "f.parquet: "+w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestGenerateDeterministicAndValid(t *testing.T) {
	a, b := Generate(11, 300, GenerateOptions{}), Generate(11, 300, GenerateOptions{})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different tweets")
	}
	if reflect.DeepEqual(a, Generate(12, 300, GenerateOptions{})) {
		t.Fatal("different seeds, same tweets")
	}
	ids := map[string]bool{}
	labels := map[string]int{}
	zero := 0
	for _, tw := range a {
		if tw.ID == "" || ids[tw.ID] || strings.TrimSpace(tw.Text) == "" {
			t.Fatalf("bad row %+v", tw)
		}
		ids[tw.ID] = true
		labels[tw.Label]++
		if tw.CreatedAt.IsZero() {
			zero++
		}
	}
	if len(labels) != 3 || zero == 0 || zero == len(a) {
		t.Errorf("labels %v, zero times %d", labels, zero)
	}
}

func TestResample(t *testing.T) {
	pool := Generate(1, 50, GenerateOptions{})
	collect := func(seed uint64, opts ResampleOptions) []Tweet {
		var out []Tweet
		if err := Resample(seed, pool, 2000, opts, func(t *Tweet) error { out = append(out, *t); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := collect(4, ResampleOptions{})
	if !reflect.DeepEqual(a, collect(4, ResampleOptions{})) {
		t.Fatal("same seed, different corpus")
	}
	texts := map[string]bool{}
	for _, p := range pool {
		texts[p.Text] = true
	}
	ids := map[string]bool{}
	used := map[string]bool{}
	for _, r := range a {
		if ids[r.ID] {
			t.Fatalf("duplicate id %s", r.ID)
		}
		ids[r.ID] = true
		if !texts[r.Text] {
			t.Fatalf("unperturbed row has a text not in the pool: %q", r.Text)
		}
		used[r.Text] = true
	}
	if len(used) < 45 {
		t.Errorf("only %d of 50 pool rows drawn in 2000 draws", len(used))
	}
	p := collect(4, ResampleOptions{PerturbRate: 0.5})
	changed := 0
	for _, r := range p {
		if !texts[r.Text] {
			changed++
		}
	}
	if changed < len(p)/2 {
		t.Errorf("perturbation changed only %d of %d texts", changed, len(p))
	}
	if err := Resample(1, nil, 1, ResampleOptions{}, func(*Tweet) error { return nil }); err == nil {
		t.Error("empty pool accepted")
	}
}

func TestShardFilesOrder(t *testing.T) {
	m := &artifact.Manifest{Files: []artifact.File{{Name: "part-00002.parquet"}, {Name: "stats.json"}, {Name: "part-00000.parquet"}, {Name: "part-00001.parquet"}}}
	var names []string
	for _, f := range ShardFiles(m) {
		names = append(names, f.Name)
	}
	if !sort.StringsAreSorted(names) || len(names) != 3 {
		t.Fatalf("ShardFiles = %v", names)
	}
}

func TestReadOutputSpooled(t *testing.T) {
	ctx := context.Background()
	fs, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.NewOutput(fs, "p")
	w := NewShardWriter(func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }, WithShardRows(30))
	in := Generate(2, 70, GenerateOptions{})
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var got []Tweet
	if err := ReadOutput(ctx, artifacttest.StreamOnly(fs), "p", func(t *Tweet) error { got = append(got, *t); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalise(got), normalise(in)) {
		t.Fatalf("spooled read: %d rows differ from %d written", len(got), len(in))
	}
}

// A dataset read through a store rooted at the output folder itself (what
// artifact.Resolve gives for an existing folder path) has an empty prefix.
func TestReadOutputEmptyPrefix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := artifact.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.NewOutput(st, "ds")
	w := NewShardWriter(func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) })
	for _, tw := range Generate(1, 10, GenerateOptions{}) {
		if err := w.Write(&tw); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	loc, err := artifact.NewResolver(artifact.S3Config{}).Resolve(ctx, filepath.Join(dir, "ds"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := ReadOutput(ctx, loc.Store, loc.Key, func(*Tweet) error { n++; return nil }); err != nil {
		t.Fatalf("key %q: %v", loc.Key, err)
	}
	if n != 10 {
		t.Fatalf("read %d rows, want 10", n)
	}
}
