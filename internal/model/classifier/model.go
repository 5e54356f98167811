package classifier

import (
	"fmt"
	"math"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

// Dense is a fully connected layer y = x @ W + B, the layout of
// internal/onnx's Dense.
type Dense struct {
	W       []float32 // row-major [In, Out]
	B       []float32 // Out entries
	In, Out int
}

// Weights are a model's parameters in the layout of internal/onnx's
// Classifier: Embedding is row-major [Rows, Dim] with row 0 all zeros,
// Hidden is nil without a hidden layer.
type Weights struct {
	Embedding []float32
	Rows, Dim int
	Hidden    *Dense
	Output    Dense
	Labels    []string
}

// Model is a trained classifier: a featurizer, the embedding table, an
// optional ReLU hidden layer and the softmax output layer. A model is safe
// for concurrent prediction.
type Model struct {
	feat   *featurize.Featurizer
	labels []string
	rows   int
	dim    int
	hidden int
	emb    []float32 // [rows, dim]
	w1, b1 []float32 // [dim, hidden], [hidden]
	w2, b2 []float32 // [in, classes], [classes]
}

func newModel(f *featurize.Featurizer, labels []string, dim, hidden int) *Model {
	m := &Model{feat: f, labels: labels, rows: f.Rows(), dim: dim, hidden: hidden}
	m.emb = make([]float32, m.rows*dim)
	in := dim
	if hidden > 0 {
		m.w1 = make([]float32, dim*hidden)
		m.b1 = make([]float32, hidden)
		in = hidden
	}
	m.w2 = make([]float32, in*len(labels))
	m.b2 = make([]float32, len(labels))
	return m
}

// Featurizer returns the model's featurizer.
func (m *Model) Featurizer() *featurize.Featurizer { return m.feat }

// Labels returns the class names in output order. Do not modify it.
func (m *Model) Labels() []string { return m.labels }

// Dim returns the embedding dimension.
func (m *Model) Dim() int { return m.dim }

// Weights returns the parameters, sharing memory with the model: do not
// modify them.
func (m *Model) Weights() Weights {
	w := Weights{Embedding: m.emb, Rows: m.rows, Dim: m.dim, Labels: m.labels}
	in := m.dim
	if m.hidden > 0 {
		w.Hidden = &Dense{W: m.w1, B: m.b1, In: m.dim, Out: m.hidden}
		in = m.hidden
	}
	w.Output = Dense{W: m.w2, B: m.b2, In: in, Out: len(m.labels)}
	return w
}

// PredictProba returns the class probabilities of the ids, computed in
// float32 in the order of the exported ONNX graph: the embedding rows are
// summed in id order, divided by the number of non-zero ids (at least 1),
// multiplied by each layer's W accumulating over the inputs in order, the
// bias added afterwards, ReLU, and a max-shifted softmax. Ids outside
// [0, Rows) panic.
func (m *Model) PredictProba(ids []int64) []float32 {
	pooled := make([]float32, m.dim)
	var count float32
	for _, id := range ids {
		if id < 0 || id >= int64(m.rows) {
			panic(fmt.Sprintf("classifier: token id %d out of range [0, %d)", id, m.rows))
		}
		addTo(pooled, m.emb[int(id)*m.dim:(int(id)+1)*m.dim])
		if id != 0 {
			count++
		}
	}
	return m.head(pooled, count)
}

// predict32 is PredictProba for int32 ids (training and evaluation).
func (m *Model) predict32(ids []int32, pooled []float32) []float32 {
	clear(pooled)
	var count float32
	for _, id := range ids {
		addTo(pooled, m.emb[int(id)*m.dim:(int(id)+1)*m.dim])
		if id != 0 {
			count++
		}
	}
	return m.head(pooled, count)
}

func (m *Model) head(pooled []float32, count float32) []float32 {
	count = max(count, 1)
	for k := range pooled {
		pooled[k] /= count
	}
	x := pooled
	if m.hidden > 0 {
		h := make([]float32, m.hidden)
		dense(x, m.w1, m.b1, h)
		for k, v := range h {
			h[k] = max(v, 0)
		}
		x = h
	}
	p := make([]float32, len(m.labels))
	dense(x, m.w2, m.b2, p)
	softmax(p)
	return p
}

// PredictText featurizes clean text and returns its class probabilities.
// A model with rule features needs the raw text too: use PredictTweet.
func (m *Model) PredictText(cleanText string) []float32 {
	if m.feat.HasRules() {
		panic(featurize.ErrNoRules)
	}
	return m.PredictProba(m.feat.IDs(cleanText))
}

// PredictTweet featurizes a tweet (raw and clean text, see
// featurize.Featurizer.AppendTweetIDs) and returns its class probabilities.
func (m *Model) PredictTweet(raw, clean string) []float32 {
	return m.PredictProba(m.feat.TweetIDs(raw, clean))
}

// Predict returns the most probable label of clean text and the
// probabilities of all labels.
func (m *Model) Predict(cleanText string) (string, []float32) {
	p := m.PredictText(cleanText)
	return m.labels[argmax(p)], p
}

func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for k, v := range src {
		dst[k] += v
	}
}

// dense computes y = x @ w + b with w row-major [len(x), len(y)].
func dense(x, w, b, y []float32) {
	clear(y)
	out := len(y)
	for i, xv := range x {
		row := w[i*out : (i+1)*out]
		for j, wv := range row {
			y[j] += xv * wv
		}
	}
	for j, bv := range b {
		y[j] += bv
	}
}

func softmax(x []float32) {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var sum float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		sum += e
	}
	for i := range x {
		x[i] /= sum
	}
}

func argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
