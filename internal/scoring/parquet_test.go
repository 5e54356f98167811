package scoring

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/dataset"
)

func writeParquet(t *testing.T, rows []Row, batch int, opts ...ParquetOption) *memFiles {
	t.Helper()
	files := newMemFiles()
	s := NewParquetSink(files.create, opts...)
	for i := 0; i < len(rows); i += batch {
		if err := s.Write(context.Background(), rows[i:min(i+batch, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return files
}

func TestParquetShardsAndDeterminism(t *testing.T) {
	rows := tweetsRows(t, 100)
	a := writeParquet(t, rows, 13, WithShardRows(40), WithBatchRows(16))
	if got, want := a.names(), []string{"part-00000.parquet", "part-00001.parquet", "part-00002.parquet"}; !slices.Equal(got, want) {
		t.Fatalf("shards %q, want %q", got, want)
	}
	// Other write batch sizes give the same bytes.
	b := writeParquet(t, rows, 100, WithShardRows(40), WithBatchRows(16))
	for _, n := range a.names() {
		if !bytes.Equal(a.files[n], b.files[n]) {
			t.Errorf("shard %s differs between two writes of the same rows", n)
		}
	}
	got := a.readAll(t)
	if !reflect.DeepEqual(cmpRows(got), cmpRows(rows)) {
		t.Fatal("rows read back differ")
	}
	for i := range got { // shards keep the write order
		if got[i].ID != rows[i].ID {
			t.Fatalf("row %d is %s, want %s", i, got[i].ID, rows[i].ID)
		}
	}
}

func TestParquetReadableAsDataset(t *testing.T) {
	rows := tweetsRows(t, 20)
	files := writeParquet(t, rows, 20)
	b := files.files["part-00000.parquet"]
	var got []dataset.Tweet
	if err := dataset.ReadShard(bytes.NewReader(b), int64(len(b)), func(tw *dataset.Tweet) error {
		got = append(got, *tw)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("dataset reader read %d rows, want %d", len(got), len(rows))
	}
	for i, tw := range got {
		r := rows[i]
		if tw.ID != r.ID || tw.Text != r.Text || tw.CleanText != r.CleanText || tw.Label != r.Label || tw.User != r.User ||
			!tw.CreatedAt.Equal(r.CreatedAt) || !slices.Equal(tw.URLs, r.URLs) {
			t.Errorf("row %d read as tweet %+v, want the fields of %+v", i, tw, r)
		}
	}
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func TestParquetErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("labels of another model", func(t *testing.T) {
		s := NewParquetSink(newMemFiles().create)
		rows := tweetsRows(t, 2)
		other := rows[1]
		other.Labels = []string{"neg", "pos"}
		other.Probabilities = []float32{0.5, 0.5}
		if err := s.Write(ctx, []Row{rows[0], other}); err == nil || !strings.Contains(err.Error(), "labels") {
			t.Fatalf("rows of two models: %v", err)
		}
		if err := s.Write(ctx, rows[:1]); err == nil {
			t.Error("a failed sink accepted more rows")
		}
	})
	t.Run("probabilities count", func(t *testing.T) {
		s := NewParquetSink(newMemFiles().create)
		rows := tweetsRows(t, 1)
		rows[0].Probabilities = rows[0].Probabilities[:2]
		if err := s.Write(ctx, rows); err == nil {
			t.Fatal("2 probabilities for 3 labels accepted")
		}
	})
	t.Run("create fails", func(t *testing.T) {
		files := newMemFiles()
		files.failOn = "part-00001.parquet"
		s := NewParquetSink(files.create, WithShardRows(5))
		err := s.Write(ctx, tweetsRows(t, 12))
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("Write = %v, want the create error", err)
		}
		if err := s.Close(); err == nil {
			t.Error("Close after a failure returned nil")
		}
		if got := files.names(); !slices.Equal(got, []string{"part-00000.parquet"}) {
			t.Errorf("files %q, want only the first, complete shard", got)
		}
	})
	t.Run("not a scores file", func(t *testing.T) {
		var buf bytes.Buffer
		w := dataset.NewShardWriter(func(string) (io.WriteCloser, error) { return nopCloser{&buf}, nil })
		if err := w.Write(&dataset.Tweet{ID: "1", Text: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		err := ReadShard(bytes.NewReader(buf.Bytes()), int64(buf.Len()), func(*Row) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "scores") {
			t.Fatalf("reading a dataset shard as scores: %v", err)
		}
	})
}

func TestParquetNoLeak(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	writeParquet(t, tweetsRows(t, 50), 9, WithShardRows(20), WithBatchRows(8), WithAllocator(mem))
	// A sink closed after a failure releases its buffers too.
	s := NewParquetSink(newMemFiles().create, WithAllocator(mem))
	rows := tweetsRows(t, 3)
	rows[2].Probabilities = nil
	_ = s.Write(context.Background(), rows)
	_ = s.Close()
}

func TestParquetReadOutput(t *testing.T) {
	ctx := context.Background()
	st, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := artifact.NewOutput(st, "runs/r1/score/scores")
	s := NewParquetSink(func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }, WithShardRows(10))
	rows := tweetsRows(t, 25)
	if err := s.Write(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := s.Shards(); len(got) != 3 || s.Rows() != 25 {
		t.Fatalf("shards %q rows %d", got, s.Rows())
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var got []Row
	if err := ReadOutput(ctx, st, "runs/r1/score/scores", func(r *Row) error {
		got = append(got, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cmpRows(got), cmpRows(rows)) {
		t.Fatal("committed output reads back different rows")
	}
	// dataset.ReadOutput reads it as tweets labeled with the prediction.
	n := 0
	if err := dataset.ReadOutput(ctx, st, "runs/r1/score/scores", func(tw *dataset.Tweet) error {
		if tw.Label != rows[n].Label || tw.ID != rows[n].ID {
			t.Errorf("tweet %d: %s %q, want %s %q", n, tw.ID, tw.Label, rows[n].ID, rows[n].Label)
		}
		n++
		return nil
	}); err != nil || n != 25 {
		t.Fatalf("dataset.ReadOutput: %d rows, %v", n, err)
	}
}
