package serving

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"github.com/tweetflow/tweetflow/internal/onnx"
	ort "github.com/tweetflow/tweetflow/internal/onnx/runtime"
)

// chunkRows is the number of texts run through the graph at once. Texts of
// a batch are sorted by length before chunking so that little padding is
// needed.
const chunkRows = 32

// parallelMin is the smallest batch that is split over several goroutines.
const parallelMin = 128

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
// nothing in the steady state for small batches; batches of 128 texts and
// more are spread over GOMAXPROCS goroutines.
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

	workers := runtime.GOMAXPROCS(0)
	if len(texts) < parallelMin || workers == 1 {
		s := m.getScratch()
		err := s.predictRange(m, out, texts, 0, len(texts))
		m.pool.Put(s)
		return dst, c, err
	}
	// Split into contiguous parts, one per worker.
	per := (len(texts) + workers - 1) / workers
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(texts))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := m.getScratch()
			errs[w] = s.predictRange(m, out, texts, lo, hi)
			m.pool.Put(s)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return dst, c, err
		}
	}
	return dst, c, nil
}

// predictRange scores texts[lo:hi] into out (row i at out[i*c:]).
func (s *scratch) predictRange(m *Model, out []float32, texts []string, lo, hi int) error {
	c := m.classes()
	if hi-lo == 1 {
		probs, err := s.run(m, texts, []int{lo})
		if err != nil {
			return err
		}
		copy(out[lo*c:(lo+1)*c], probs)
		return nil
	}
	// Sort the texts of the range by byte length (a cheap proxy of the id
	// count) so that chunks need little padding.
	s.order = s.order[:0]
	for i := lo; i < hi; i++ {
		s.order = append(s.order, i)
	}
	slices.SortStableFunc(s.order, func(a, b int) int { return len(texts[a]) - len(texts[b]) })
	order := s.order
	for start := 0; start < len(order); start += chunkRows {
		idx := order[start:min(start+chunkRows, len(order))]
		probs, err := s.run(m, texts, idx)
		if err != nil {
			return err
		}
		for j, i := range idx {
			copy(out[i*c:(i+1)*c], probs[j*c:(j+1)*c])
		}
	}
	return nil
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
		s.ids = m.feat.AppendIDs(s.ids, unsafe.String(unsafe.SliceData(s.clean), len(s.clean)))
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
