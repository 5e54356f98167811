package serving

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tweetflow/tweetflow/internal/onnx"
	ort "github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// chunkRows is the number of texts run through the graph at once. Texts of
// a batch are sorted by length before chunking so that little padding is
// needed.
const chunkRows = 32

// parallelMin is the smallest batch whose chunks are shared by several
// goroutines.
const parallelMin = 64

// scratch is the per-goroutine working memory of a prediction: an ONNX
// session and reusable buffers.
type scratch struct {
	sess   *ort.Session
	clean  []byte
	ids    []int32
	offs   []int // per text of the chunk: end offset in ids
	flat   []int64
	shape  [2]int
	tensor ort.Tensor
	inputs map[string]*ort.Tensor
	order  []int
	keys   []uint64 // text length << 32 | index, sorted
}

func (m *Model) getScratch() *scratch {
	if s, ok := m.pool.Get().(*scratch); ok {
		return s
	}
	s := &scratch{sess: m.graph.NewSession()}
	s.inputs = map[string]*ort.Tensor{onnx.InputName: &s.tensor}
	return s
}

// Predict returns the class probabilities of each raw text (cleaned and
// featurized as in training), one row of len(Labels()) values per text.
func (m *Model) Predict(texts []string) ([][]float32, error) {
	c := m.classes()
	if c == 0 {
		c = 1
	}
	flat := make([]float32, len(texts)*c)
	var err error
	flat, c, err = m.predictInto(flat[:0], texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = flat[i*c : (i+1)*c : (i+1)*c]
	}
	return out, nil
}

func (m *Model) classes() int { return len(m.labels) }

// PredictInto appends the probabilities of texts to dst, row-major
// [len(texts), len(Labels())], and returns the extended slice. It allocates
// nothing in the steady state for small batches; the chunks of batches of
// 64 texts and more are shared by up to GOMAXPROCS goroutines.
func (m *Model) PredictInto(dst []float32, texts []string) ([]float32, error) {
	out, _, err := m.predictInto(dst, texts)
	return out, err
}

func (m *Model) predictInto(dst []float32, texts []string) ([]float32, int, error) {
	if len(texts) == 0 {
		return dst, m.classes(), nil
	}
	c := m.classes()
	if c == 0 { // only while probing at load time
		s := m.getScratch()
		defer m.pool.Put(s)
		probs, err := s.run(m, texts, []int{0})
		if err != nil {
			return dst, 0, err
		}
		return append(dst, probs...), len(probs), nil
	}
	base := len(dst)
	dst = slices.Grow(dst, len(texts)*c)[:base+len(texts)*c]
	out := dst[base:]

	workers := min(runtime.GOMAXPROCS(0), (len(texts)+chunkRows-1)/chunkRows)
	s := m.getScratch()
	defer m.pool.Put(s)
	if len(texts) == 1 {
		probs, err := s.run(m, texts, []int{0})
		if err != nil {
			return dst, c, err
		}
		copy(out, probs)
		return dst, c, nil
	}
	// Sort the texts by byte length (a cheap proxy of the id count), then
	// index, so that chunks need little padding.
	s.keys = s.keys[:0]
	for i, t := range texts {
		s.keys = append(s.keys, uint64(min(len(t), math.MaxUint32))<<32|uint64(i))
	}
	slices.Sort(s.keys)
	s.order = s.order[:0]
	for _, k := range s.keys {
		s.order = append(s.order, int(uint32(k)))
	}
	order := s.order
	if len(texts) < parallelMin || workers <= 1 {
		return dst, c, s.predictChunks(m, out, texts, order, nil)
	}
	// Several workers (this goroutine and workers-1 others) take chunks
	// of the sorted texts in turn until none is left.
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := m.getScratch()
			errs[w] = ws.predictChunks(m, out, texts, order, &next)
			m.pool.Put(ws)
		}()
	}
	errs[0] = s.predictChunks(m, out, texts, order, &next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return dst, c, err
		}
	}
	return dst, c, nil
}

// predictChunks scores the texts of order, chunkRows at a time, into out
// (text i's row at out[i*c:]). With next, it takes chunk next.Add(1)-1
// until none is left (several workers share next); else all chunks.
func (s *scratch) predictChunks(m *Model, out []float32, texts []string, order []int, next *atomic.Int64) error {
	c := m.classes()
	chunks := (len(order) + chunkRows - 1) / chunkRows
	for k := 0; ; k++ {
		if next != nil {
			k = int(next.Add(1) - 1)
		}
		if k >= chunks {
			return nil
		}
		idx := order[k*chunkRows : min((k+1)*chunkRows, len(order))]
		probs, err := s.run(m, texts, idx)
		if err != nil {
			return err
		}
		for j, i := range idx {
			copy(out[i*c:(i+1)*c], probs[j*c:(j+1)*c])
		}
	}
}

// run featurizes texts[idx...] and evaluates the graph on them, returning
// the session-owned probabilities [len(idx), classes].
func (s *scratch) run(m *Model, texts []string, idx []int) ([]float32, error) {
	s.ids = s.ids[:0]
	s.offs = s.offs[:0]
	seq := 1
	prev := 0
	for _, i := range idx {
		s.clean = m.cleaner.AppendClean(s.clean[:0], texts[i])
		// The featurizer only reads the string during the call.
		s.ids = m.feat.AppendTweetIDs(s.ids, texts[i], unsafe.String(unsafe.SliceData(s.clean), len(s.clean)))
		s.offs = append(s.offs, len(s.ids))
		seq = max(seq, len(s.ids)-prev)
		prev = len(s.ids)
	}
	n := len(idx)
	s.flat = slices.Grow(s.flat[:0], n*seq)[:n*seq]
	clear(s.flat)
	prev = 0
	for r, end := range s.offs {
		row := s.flat[r*seq : r*seq+end-prev]
		for j, id := range s.ids[prev:end] {
			row[j] = int64(id)
		}
		prev = end
	}
	s.shape = [2]int{n, seq}
	s.tensor = ort.Tensor{Type: ort.Int64, Shape: s.shape[:], Int64: s.flat}
	outs, err := s.sess.Run(s.inputs)
	if err != nil {
		return nil, fmt.Errorf("running the model: %w", err)
	}
	p := outs[onnx.OutputName]
	if p == nil || p.Type != ort.Float32 || len(p.Shape) != 2 || p.Shape[0] != n {
		return nil, fmt.Errorf("running the model: output %q is %v, want FLOAT [%d, classes]", onnx.OutputName, p, n)
	}
	if c := m.classes(); c != 0 && p.Shape[1] != c {
		return nil, fmt.Errorf("running the model: %d classes, want %d", p.Shape[1], c)
	}
	return p.Float32, nil
}
