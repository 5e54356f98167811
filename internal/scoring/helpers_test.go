package scoring

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/serving"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testModel loads a random-weight model folder made by servingtest.
func testModel(t testing.TB, version string) (*serving.Model, *servingtest.Model) {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: version, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	m, err := serving.LoadFiles(tm.Files, version)
	if err != nil {
		t.Fatal(err)
	}
	return m, tm
}

// tweets makes n tweets cycling through servingtest.Texts.
func tweets(n int) []dataset.Tweet {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out := make([]dataset.Tweet, n)
	for i := range out {
		out[i] = dataset.Tweet{
			ID:   fmt.Sprint(1000 + i),
			Text: servingtest.Texts[i%len(servingtest.Texts)],
			User: fmt.Sprintf("user%d", i%5),
		}
		if i%4 != 3 { // some tweets have no creation time
			out[i].CreatedAt = base.Add(time.Duration(i) * time.Minute)
		}
	}
	return out
}

// fixedClock returns a clock that advances 1ms per call from a fixed time.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

// cmpRow is a Row in a comparable form: probabilities by label.
type cmpRow struct {
	ID, User, Text, CleanText, Label, ModelVersion string
	CreatedAt, ScoredAt                            time.Time
	URLs                                           string
	Score                                          float32
	Probs                                          string
}

func toCmp(r *Row) cmpRow {
	probs := map[string]float32{}
	for i, l := range r.Labels {
		probs[l] = r.Probabilities[i]
	}
	return cmpRow{ID: r.ID, User: r.User, Text: r.Text, CleanText: r.CleanText, Label: r.Label, ModelVersion: r.ModelVersion,
		CreatedAt: r.CreatedAt.UTC(), ScoredAt: r.ScoredAt.UTC(), URLs: fmt.Sprintf("%q", r.URLs), Score: r.Score,
		Probs: fmt.Sprint(probs)}
}

func cmpRows(rows []Row) []cmpRow {
	out := make([]cmpRow, len(rows))
	for i := range rows {
		out[i] = toCmp(&rows[i])
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].ModelVersion < out[j].ModelVersion
	})
	return out
}

// memFiles is an in-memory file system for the ParquetSink.
type memFiles struct {
	mu      sync.Mutex
	files   map[string][]byte
	aborted []string
	failOn  string // create of this name fails
}

func newMemFiles() *memFiles { return &memFiles{files: map[string][]byte{}} }

type memFile struct {
	fs   *memFiles
	name string
	buf  bytes.Buffer
}

func (f *memFile) Write(p []byte) (int, error) { return f.buf.Write(p) }
func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.fs.files[f.name] = f.buf.Bytes()
	return nil
}
func (f *memFile) Abort() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.fs.aborted = append(f.fs.aborted, f.name)
	return nil
}

func (m *memFiles) create(name string) (io.WriteCloser, error) {
	if name == m.failOn {
		return nil, fmt.Errorf("disk full creating %q", name)
	}
	return &memFile{fs: m, name: name}, nil
}

func (m *memFiles) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.files {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// readAll reads every shard in name order.
func (m *memFiles) readAll(t testing.TB) []Row {
	t.Helper()
	var out []Row
	for _, n := range m.names() {
		b := m.files[n]
		if err := ReadShard(bytes.NewReader(b), int64(len(b)), func(r *Row) error {
			out = append(out, *r)
			return nil
		}); err != nil {
			t.Fatalf("reading %s: %v", n, err)
		}
	}
	return out
}

// memSink records the batches written to it.
type memSink struct {
	mu      sync.Mutex
	batches [][]Row
	closed  bool
	failOn  int // Write number (1-based) that fails; 0: never
	writes  int
	notify  chan int // receives the row count of each batch, if set
}

func (s *memSink) Write(_ context.Context, rows []Row) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.writes == s.failOn {
		return fmt.Errorf("sink failure on write %d", s.writes)
	}
	s.batches = append(s.batches, slices.Clone(rows))
	if s.notify != nil {
		s.notify <- len(rows)
	}
	return nil
}

func (s *memSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *memSink) rows() []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Row
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

func (s *memSink) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, b := range s.batches {
		out = append(out, len(b))
	}
	return out
}
