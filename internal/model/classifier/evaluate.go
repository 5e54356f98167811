package classifier

import (
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"math"
	"runtime"
	"sync"
)

// Evaluation summarises a model's predictions on a labeled dataset. It is
// what early stopping looks at; internal/model/metrics computes the full
// report.
type Evaluation struct {
	N           int       `json:"n"`
	Loss        float64   `json:"loss"`         // mean cross-entropy (unweighted)
	Accuracy    float64   `json:"accuracy"`     // share of argmax predictions that are right
	MacroRecall float64   `json:"macro_recall"` // mean recall over the classes present in the data
	Recall      []float64 `json:"recall"`       // per class; NaN-free: 0 for absent classes
	Confusion   [][]int   `json:"confusion"`    // [true][predicted]
}

// PredictDataset returns the class probabilities of every document of d,
// row-major [d.Len(), classes], computed by threads goroutines (0 =
// GOMAXPROCS). Each row equals PredictProba of the document.
func PredictDataset(m *Model, d *featurize.Docs, threads int) []float32 {
	return predictRows(m, &Dataset{Docs: *d}, threads)
}

// predictRows is PredictDataset of a Dataset's Docs or Corpus.
func predictRows(m *Model, d *Dataset, threads int) []float32 {
	n := d.Len()
	c := len(m.labels)
	out := make([]float32, n*c)
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = max(1, min(threads, n/64))
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		lo, hi := w*n/threads, (w+1)*n/threads
		wg.Add(1)
		go func() {
			defer wg.Done()
			pooled := make([]float32, m.dim)
			var scratch []int32
			for i := lo; i < hi; i++ {
				ids := d.ids(i, scratch)
				if d.Corpus != nil {
					scratch = ids
				}
				copy(out[i*c:(i+1)*c], m.predict32(ids, pooled))
			}
		}()
	}
	wg.Wait()
	return out
}

// Evaluate scores m on d with threads goroutines (0 = GOMAXPROCS).
func Evaluate(m *Model, d *Dataset, threads int) Evaluation {
	c := len(m.labels)
	p := predictRows(m, d, threads)
	ev := Evaluation{N: d.Len(), Confusion: make([][]int, c), Recall: make([]float64, c)}
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, c)
	}
	var loss float64
	right := 0
	for i, y := range d.Labels {
		row := p[i*c : (i+1)*c]
		loss -= math.Log(math.Max(float64(row[y]), 1e-30))
		k := argmax(row)
		ev.Confusion[y][k]++
		if k == int(y) {
			right++
		}
	}
	if ev.N == 0 {
		return ev
	}
	ev.Loss = loss / float64(ev.N)
	ev.Accuracy = float64(right) / float64(ev.N)
	present := 0
	for y, row := range ev.Confusion {
		total := 0
		for _, v := range row {
			total += v
		}
		if total > 0 {
			ev.Recall[y] = float64(row[y]) / float64(total)
			ev.MacroRecall += ev.Recall[y]
			present++
		}
	}
	ev.MacroRecall /= float64(present)
	return ev
}
