package extsort

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Codec encodes records of type T in exactly Size bytes.
type Codec[T any] struct {
	Size    int                 // bytes a record
	Put     func(b []byte, v T) // encodes v into b[:Size]
	Get     func(b []byte) T    // decodes b[:Size]
	Compare func(a, b T) int    // the sort order (as cmp.Compare)
}

// Pair is a record of two uint64s, ordered by A then B: a key and a
// position, the common case.
type Pair struct{ A, B uint64 }

// PairCodec encodes a Pair in 16 bytes (little-endian A, then B).
var PairCodec = Codec[Pair]{
	Size: 16,
	Put: func(b []byte, p Pair) {
		binary.LittleEndian.PutUint64(b, p.A)
		binary.LittleEndian.PutUint64(b[8:], p.B)
	},
	Get: func(b []byte) Pair {
		return Pair{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
	},
	Compare: func(x, y Pair) int {
		if c := cmp.Compare(x.A, y.A); c != 0 {
			return c
		}
		return cmp.Compare(x.B, y.B)
	},
}

// Default settings.
const (
	DefaultMemory = 32 << 20 // bytes of records buffered before a run is written
	ReadBuffer    = 64 << 10 // bytes of read buffer per run while merging
	writeBuffer   = 1 << 20
)

// Option configures a Sorter.
type Option func(*config)

type config struct {
	dir    string
	memory int64
}

// WithDir sets the folder of the temporary run file (default os.TempDir).
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithMemory sets the bytes of records buffered in memory before a sorted
// run is written to disk (default DefaultMemory; at least one record).
func WithMemory(bytes int64) Option { return func(c *config) { c.memory = bytes } }

// Sorter collects records with Add and returns them sorted by Sort. It is
// not safe for concurrent use. Close removes its temporary file.
type Sorter[T any] struct {
	c      Codec[T]
	cfg    config
	max    int // records a run
	buf    []T
	file   *os.File
	w      *bufio.Writer
	enc    []byte
	runs   []run
	off    int64
	n      int64
	sorted bool
	err    error
}

type run struct{ off, n int64 }

// New returns an empty Sorter.
func New[T any](c Codec[T], opts ...Option) (*Sorter[T], error) {
	if c.Size <= 0 || c.Put == nil || c.Get == nil || c.Compare == nil {
		return nil, errors.New("creating sorter: the codec needs Size > 0, Put, Get and Compare")
	}
	cfg := config{dir: os.TempDir(), memory: DefaultMemory}
	for _, o := range opts {
		o(&cfg)
	}
	return &Sorter[T]{c: c, cfg: cfg, max: int(max(1, cfg.memory/int64(c.Size)))}, nil
}

// Len returns the number of records added.
func (s *Sorter[T]) Len() int64 { return s.n }

// Runs returns the number of runs written to disk so far.
func (s *Sorter[T]) Runs() int { return len(s.runs) }

// Add adds a record. It fails after Sort, or when writing a run failed.
func (s *Sorter[T]) Add(v T) error {
	if s.err != nil {
		return s.err
	}
	if s.sorted {
		return errors.New("adding a record: the sorter is already sorted")
	}
	if len(s.buf) == s.max {
		if err := s.spill(); err != nil {
			s.err = err
			return err
		}
	}
	if s.buf == nil {
		s.buf = make([]T, 0, min(s.max, 4096))
	}
	s.buf = append(s.buf, v)
	s.n++
	return nil
}

// spill sorts the buffer and appends it to the run file as one run.
func (s *Sorter[T]) spill() error {
	if s.file == nil {
		f, err := os.CreateTemp(s.cfg.dir, "tweetflow-extsort-*")
		if err != nil {
			return fmt.Errorf("creating sort run file in %q: %w", s.cfg.dir, err)
		}
		// The file is only ours: unlink it now so that nothing is left
		// behind however the process ends (Linux keeps it while open).
		_ = os.Remove(f.Name())
		s.file = f
		s.w = bufio.NewWriterSize(f, writeBuffer)
		s.enc = make([]byte, s.c.Size)
	}
	slices.SortFunc(s.buf, s.c.Compare)
	for _, v := range s.buf {
		s.c.Put(s.enc, v)
		if _, err := s.w.Write(s.enc); err != nil {
			return fmt.Errorf("writing sort run to %q: %w", s.file.Name(), err)
		}
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("writing sort run to %q: %w", s.file.Name(), err)
	}
	s.runs = append(s.runs, run{off: s.off, n: int64(len(s.buf))})
	s.off += int64(len(s.buf)) * int64(s.c.Size)
	s.buf = s.buf[:0]
	return nil
}

// Sort ends the adding and returns an iterator over every record in
// order. It may be called more than once: each call returns a new
// iterator over the same records (the runs stay on disk until Close).
func (s *Sorter[T]) Sort() (*Iterator[T], error) {
	if s.err != nil {
		return nil, s.err
	}
	if !s.sorted {
		s.sorted = true
		if len(s.runs) > 0 && len(s.buf) > 0 {
			if err := s.spill(); err != nil {
				s.err = err
				return nil, err
			}
			s.buf = nil
		} else {
			slices.SortFunc(s.buf, s.c.Compare)
		}
	}
	it := &Iterator[T]{c: s.c}
	if len(s.runs) == 0 {
		it.mem = s.buf
		return it, nil
	}
	for _, r := range s.runs {
		sec := io.NewSectionReader(s.file, r.off, r.n*int64(s.c.Size))
		cur := &cursor[T]{r: bufio.NewReaderSize(sec, ReadBuffer), left: r.n, b: make([]byte, s.c.Size)}
		ok, err := cur.next(s.c)
		if err != nil {
			return nil, fmt.Errorf("reading sort run of %q: %w", s.file.Name(), err)
		}
		if ok {
			it.heap = append(it.heap, cur)
		}
	}
	for i := len(it.heap)/2 - 1; i >= 0; i-- {
		it.down(i)
	}
	return it, nil
}

// Close releases the buffer and removes the run file.
func (s *Sorter[T]) Close() error {
	s.buf = nil
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

// cursor reads one run.
type cursor[T any] struct {
	r    *bufio.Reader
	left int64
	b    []byte
	v    T
}

func (c *cursor[T]) next(codec Codec[T]) (bool, error) {
	if c.left == 0 {
		return false, nil
	}
	if _, err := io.ReadFull(c.r, c.b); err != nil {
		return false, err
	}
	c.left--
	c.v = codec.Get(c.b)
	return true, nil
}

// Iterator returns the records of a Sorter in order.
type Iterator[T any] struct {
	c    Codec[T]
	mem  []T // all records, when nothing was spilled
	pos  int
	heap []*cursor[T]
	err  error
}

// Next returns the next record, and false at the end or on an error (see
// Err).
func (it *Iterator[T]) Next() (T, bool) {
	var zero T
	if it.err != nil {
		return zero, false
	}
	if it.heap == nil {
		if it.pos == len(it.mem) {
			return zero, false
		}
		it.pos++
		return it.mem[it.pos-1], true
	}
	if len(it.heap) == 0 {
		return zero, false
	}
	top := it.heap[0]
	v := top.v
	ok, err := top.next(it.c)
	switch {
	case err != nil:
		it.err = fmt.Errorf("reading sort run: %w", err)
		return zero, false
	case ok:
		it.down(0)
	default:
		last := len(it.heap) - 1
		it.heap[0] = it.heap[last]
		it.heap = it.heap[:last]
		if last > 0 {
			it.down(0)
		}
	}
	return v, true
}

// Err returns the error that ended Next early, if any.
func (it *Iterator[T]) Err() error { return it.err }

func (it *Iterator[T]) down(i int) {
	h := it.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && it.c.Compare(h[r].v, h[l].v) < 0 {
			m = r
		}
		if it.c.Compare(h[m].v, h[i].v) >= 0 {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
