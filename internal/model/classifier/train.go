package classifier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
)

// Dataset is a featurized, labeled dataset: document i has ids Doc(i) and
// class Labels[i] (an index into the model's labels).
//
// Alternatively Corpus holds the documents (and Docs is empty): their ids
// are then computed on demand, every epoch, which keeps a large training
// set in about a tenth of the memory (see featurize.Builder.BuildCorpus).
// Train and Evaluate accept both kinds; the ids, and so the results, are
// the same.
//
// Soft, when set, holds soft targets for training (weak labels): row i's
// class probabilities are Soft[i*C:(i+1)*C] for C classes, and the loss is
// the cross-entropy against them instead of against Labels[i] (which
// should then be their argmax; class weights and evaluation use Labels).
// Without Soft, training is exactly the hard-label path.
type Dataset struct {
	featurize.Docs
	Labels []int32
	Soft   []float32
	Corpus *featurize.Corpus
}

// Len returns the number of documents.
func (d *Dataset) Len() int {
	if d.Corpus != nil {
		return d.Corpus.Len()
	}
	return d.Docs.Len()
}

// ids returns the ids of document i: a slice of Docs, or the corpus ids
// appended to scratch[:0].
func (d *Dataset) ids(i int, scratch []int32) []int32 {
	if d.Corpus != nil {
		return d.Corpus.AppendIDs(scratch[:0], i)
	}
	return d.Docs.Doc(i)
}

// Add appends a document to Docs; it must not be used with a Corpus.
func (d *Dataset) Add(ids []int32, label int) {
	d.Docs.Append(ids)
	d.Labels = append(d.Labels, int32(label))
}

// Class weightings for Params.ClassWeights.
const (
	WeightsBalanced = "balanced" // n / (C * n_c), scikit-learn's "balanced"
	WeightsNone     = "none"     // every class weighs 1
)

// Early-stopping metrics for Params.StopOn.
const (
	StopOnMacroRecall = "macro_recall" // validation macro recall, higher is better
	StopOnLoss        = "loss"         // validation cross-entropy, lower is better
)

// Params are the training hyper-parameters; they are recorded in
// metadata.json.
type Params struct {
	Dim          int     `json:"dim"`           // embedding dimension
	Hidden       int     `json:"hidden"`        // hidden ReLU layer width; 0 = linear head
	Epochs       int     `json:"epochs"`        // maximum epochs
	LearningRate float64 `json:"learning_rate"` // initial SGD learning rate, decayed linearly to 0 over Epochs
	ClassWeights string  `json:"class_weights"` // WeightsBalanced or WeightsNone
	Patience     int     `json:"patience"`      // epochs without validation improvement before stopping; 0 = never stop, keep the last epoch
	StopOn       string  `json:"stop_on"`       // StopOnMacroRecall or StopOnLoss
	InitScale    float64 `json:"init_scale"`    // pre-trained vectors are multiplied by this
	Dropout      float64 `json:"dropout"`       // each id of a training example is dropped with this probability
	Seed         uint64  `json:"seed"`          // seed of initialisation and shuffling
	Threads      int     `json:"-"`             // Hogwild workers; 0 = GOMAXPROCS
}

// DefaultParams returns the defaults chosen on the SemEval development set
// with hack/quality (see hack/quality/README.md): dim 50 scores like 100
// at half the size; 5 epochs at learning rate 0.2 (decayed to 0) score like
// 8 at 0.1 and the last epochs are usually the best; a hidden layer did not
// help; balanced class weights maximise macro recall.
func DefaultParams() Params {
	return Params{
		Dim:          50,
		Epochs:       5,
		LearningRate: 0.2,
		ClassWeights: WeightsBalanced,
		Patience:     3,
		StopOn:       StopOnMacroRecall,
		InitScale:    1,
		Seed:         1,
	}
}

func (p Params) validate() error {
	switch {
	case p.Dim < 1:
		return fmt.Errorf("checking dim %d: must be positive", p.Dim)
	case p.Hidden < 0:
		return fmt.Errorf("checking hidden %d: must not be negative", p.Hidden)
	case p.Epochs < 1:
		return fmt.Errorf("checking epochs %d: must be positive", p.Epochs)
	case !(p.LearningRate > 0) || math.IsInf(p.LearningRate, 0):
		return fmt.Errorf("checking learning rate %g: must be positive", p.LearningRate)
	case p.ClassWeights != WeightsBalanced && p.ClassWeights != WeightsNone:
		return fmt.Errorf("checking class weights %q: want %q or %q", p.ClassWeights, WeightsBalanced, WeightsNone)
	case p.Patience < 0:
		return fmt.Errorf("checking patience %d: must not be negative", p.Patience)
	case p.StopOn != StopOnMacroRecall && p.StopOn != StopOnLoss:
		return fmt.Errorf("checking stop metric %q: want %q or %q", p.StopOn, StopOnMacroRecall, StopOnLoss)
	case !(p.Dropout >= 0 && p.Dropout < 1):
		return fmt.Errorf("checking dropout %g: must be in [0, 1)", p.Dropout)
	case p.Threads < 0:
		return fmt.Errorf("checking threads %d: must not be negative", p.Threads)
	}
	return nil
}

// EpochStats describe one training epoch; they are passed to the WithOnEpoch
// callback and recorded in Result and metadata.json. Validation fields are
// 0 when there is no validation set.
type EpochStats struct {
	Epoch                    int     `json:"epoch"` // 1-based
	TrainLoss                float64 `json:"train_loss"`
	ValidationLoss           float64 `json:"validation_loss"`
	ValidationMacroRecall    float64 `json:"validation_macro_recall"`
	ValidationAccuracy       float64 `json:"validation_accuracy"`
	LearningRate             float64 `json:"learning_rate"` // at the end of the epoch
	Seconds                  float64 `json:"seconds"`       // time of this epoch, validation included
	Best                     bool    `json:"best"`          // the best epoch so far (its weights are kept)
	EpochsWithoutImprovement int     `json:"epochs_without_improvement"`
}

// Result describes a training run.
type Result struct {
	Params       Params       `json:"params"`
	Epochs       []EpochStats `json:"epochs"`
	BestEpoch    int          `json:"best_epoch"` // the epoch whose weights the model has
	StoppedEarly bool         `json:"stopped_early"`
	ClassWeights []float64    `json:"class_weights"`
	ClassCounts  []int        `json:"class_counts"` // training documents per class
	Seconds      float64      `json:"seconds"`
}

// Option configures Train.
type Option func(*config)

type config struct {
	Params
	pretrained func(word string) []float32
	onEpoch    func(EpochStats)
}

// WithParams replaces all hyper-parameters.
func WithParams(p Params) Option { return func(c *config) { c.Params = p } }

// WithDim sets the embedding dimension.
func WithDim(n int) Option { return func(c *config) { c.Dim = n } }

// WithHidden sets the hidden layer width (0 = none).
func WithHidden(n int) Option { return func(c *config) { c.Hidden = n } }

// WithEpochs sets the maximum number of epochs.
func WithEpochs(n int) Option { return func(c *config) { c.Epochs = n } }

// WithLearningRate sets the initial learning rate.
func WithLearningRate(lr float64) Option { return func(c *config) { c.LearningRate = lr } }

// WithClassWeights sets the class weighting, WeightsBalanced or WeightsNone.
func WithClassWeights(w string) Option { return func(c *config) { c.ClassWeights = w } }

// WithPatience sets the early-stopping patience in epochs. 0 turns early
// stopping off: every epoch runs and the model keeps the last epoch's
// weights (validation is still evaluated and reported per epoch), for
// validation sets too noisy to pick an epoch, such as weak labels.
func WithPatience(n int) Option { return func(c *config) { c.Patience = n } }

// WithStopOn sets the early-stopping metric.
func WithStopOn(metric string) Option { return func(c *config) { c.StopOn = metric } }

// WithDropout drops each id of a training example with probability p
// (input dropout; prediction uses every id).
func WithDropout(p float64) Option { return func(c *config) { c.Dropout = p } }

// WithSeed sets the random seed.
func WithSeed(seed uint64) Option { return func(c *config) { c.Seed = seed } }

// WithThreads sets the number of Hogwild workers; 0 uses GOMAXPROCS. With 1
// training is deterministic for a seed.
func WithThreads(n int) Option { return func(c *config) { c.Threads = n } }

// WithPretrained initialises the row of each vocabulary word from lookup(word)
// times Params.InitScale when lookup returns a vector (of length Dim;
// others are an error). A negation-marked word ("good_NEG") not found
// itself is initialised from its base word. Word2vec's Model.Vector fits
// with a small adapter.
func WithPretrained(lookup func(word string) []float32) Option {
	return func(c *config) { c.pretrained = lookup }
}

// WithOnEpoch calls fn after every epoch, from the goroutine that called
// Train.
func WithOnEpoch(fn func(EpochStats)) Option { return func(c *config) { c.onEpoch = fn } }

// ErrNoTrainingData is returned when the training set is empty.
var ErrNoTrainingData = errors.New("no training data")

// Train trains a model with the featurizer's id space on train, stopping
// early on valid (which may be nil or empty: then every epoch runs and the
// last weights are kept). labels names the classes; Dataset labels index
// it. It returns the model with the weights of the best epoch.
func Train(ctx context.Context, f *featurize.Featurizer, labels []string, train, valid *Dataset, opts ...Option) (*Model, *Result, error) {
	c := config{Params: DefaultParams()}
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	if c.Threads == 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	if len(labels) < 2 {
		return nil, nil, fmt.Errorf("checking labels %q: need at least 2 classes", labels)
	}
	if train == nil || train.Len() == 0 {
		return nil, nil, ErrNoTrainingData
	}
	if err := checkDataset(train, f.Rows(), len(labels)); err != nil {
		return nil, nil, fmt.Errorf("checking training set: %w", err)
	}
	if err := checkDataset(valid, f.Rows(), len(labels)); err != nil {
		return nil, nil, fmt.Errorf("checking validation set: %w", err)
	}
	start := time.Now()
	m := newModel(f, labels, c.Dim, c.Hidden)
	if err := initWeights(m, c); err != nil {
		return nil, nil, err
	}
	res := &Result{Params: c.Params}
	res.ClassCounts, res.ClassWeights = classWeights(train.Labels, len(labels), c.ClassWeights)
	weights := make([]float32, len(labels))
	for i, w := range res.ClassWeights {
		weights[i] = float32(w)
	}

	t := &trainer{m: m, data: train, weights: weights, lr0: c.LearningRate,
		total: float64(c.Epochs) * float64(train.Len()), threads: c.Threads, dropout: c.Dropout}
	hasValid := valid != nil && valid.Len() > 0
	var best *Model
	bestScore := math.Inf(-1)
	stale := 0
	for epoch := 1; epoch <= c.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("training epoch %d: %w", epoch, err)
		}
		t0 := time.Now()
		loss, err := t.epoch(ctx, epoch, c.Seed)
		if err != nil {
			return nil, nil, fmt.Errorf("training epoch %d: %w", epoch, err)
		}
		st := EpochStats{Epoch: epoch, TrainLoss: loss, LearningRate: t.lrAt(float64(epoch) * float64(train.Len()))}
		if hasValid {
			ev := Evaluate(m, valid, c.Threads)
			st.ValidationLoss, st.ValidationMacroRecall, st.ValidationAccuracy = ev.Loss, ev.MacroRecall, ev.Accuracy
			score := ev.MacroRecall
			if c.StopOn == StopOnLoss {
				score = -ev.Loss
			}
			switch {
			case c.Patience == 0:
				st.Best = true
				res.BestEpoch = epoch
			case score > bestScore:
				bestScore, stale, st.Best = score, 0, true
				best = m.clone(best)
				res.BestEpoch = epoch
			default:
				stale++
			}
		} else {
			st.Best = true
			res.BestEpoch = epoch
		}
		st.EpochsWithoutImprovement = stale
		st.Seconds = time.Since(t0).Seconds()
		res.Epochs = append(res.Epochs, st)
		if c.onEpoch != nil {
			c.onEpoch(st)
		}
		if hasValid && c.Patience > 0 && stale >= c.Patience && epoch < c.Epochs {
			res.StoppedEarly = true
			break
		}
	}
	if best != nil {
		m = best
	}
	res.Seconds = time.Since(start).Seconds()
	return m, res, nil
}

func checkDataset(d *Dataset, rows, classes int) error {
	if d == nil {
		return nil
	}
	if len(d.Labels) != d.Len() {
		return fmt.Errorf("%d labels for %d documents", len(d.Labels), d.Len())
	}
	if d.Soft != nil {
		if len(d.Soft) != d.Len()*classes {
			return fmt.Errorf("%d soft targets for %d documents of %d classes", len(d.Soft), d.Len(), classes)
		}
		for i := 0; i < d.Len(); i++ {
			var sum float32
			for _, q := range d.Soft[i*classes : (i+1)*classes] {
				if !(q >= 0 && q <= 1) {
					return fmt.Errorf("document %d: soft target %g outside [0, 1]", i, q)
				}
				sum += q
			}
			if sum < 0.99 || sum > 1.01 {
				return fmt.Errorf("document %d: soft targets sum to %g, want 1", i, sum)
			}
		}
	}
	for i, y := range d.Labels {
		if y < 0 || int(y) >= classes {
			return fmt.Errorf("document %d: label %d out of range [0, %d)", i, y, classes)
		}
	}
	if d.Corpus != nil {
		if d.Docs.Len() != 0 {
			return fmt.Errorf("both a corpus and %d documents of ids", d.Docs.Len())
		}
		if r := d.Corpus.Featurizer().Rows(); r != rows {
			return fmt.Errorf("corpus featurizer of %d rows, model of %d", r, rows)
		}
		return nil
	}
	for _, id := range d.IDs {
		if id < 0 || int(id) >= rows {
			return fmt.Errorf("id %d out of range [0, %d)", id, rows)
		}
	}
	return nil
}

// classWeights counts the classes and returns their loss weights.
func classWeights(labels []int32, classes int, mode string) ([]int, []float64) {
	counts := make([]int, classes)
	for _, y := range labels {
		counts[y]++
	}
	w := make([]float64, classes)
	for i, n := range counts {
		switch {
		case mode == WeightsNone:
			w[i] = 1
		case n > 0:
			w[i] = float64(len(labels)) / (float64(classes) * float64(n))
		}
	}
	return counts, w
}

func initWeights(m *Model, c config) error {
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	// fastText's uniform(-1/dim, 1/dim) for a linear head; with a hidden
	// layer the pooled vector must be large enough for gradients to reach
	// the embeddings through two layers, so uniform(-1, 1).
	bound := 1 / float32(m.dim)
	if m.hidden > 0 {
		bound = 1
	}
	for i := m.dim; i < len(m.emb); i++ {
		m.emb[i] = (2*rng.Float32() - 1) * bound
	}
	if m.hidden > 0 {
		// He-uniform W1; Glorot-uniform W2 (with a zero W2 no gradient
		// would reach W1 at the start).
		b := float32(math.Sqrt(6 / float64(m.dim)))
		for i := range m.w1 {
			m.w1[i] = (2*rng.Float32() - 1) * b
		}
		b = float32(math.Sqrt(6 / float64(m.hidden+len(m.labels))))
		for i := range m.w2 {
			m.w2[i] = (2*rng.Float32() - 1) * b
		}
	}
	if c.pretrained == nil {
		return nil
	}
	scale := float32(c.InitScale)
	for i, w := range m.feat.Vocab() {
		v := c.pretrained(w)
		if v == nil && len(w) > len(featurize.NegSuffix) && w[len(w)-len(featurize.NegSuffix):] == featurize.NegSuffix {
			v = c.pretrained(w[:len(w)-len(featurize.NegSuffix)])
		}
		if v == nil {
			continue
		}
		if len(v) != m.dim {
			return fmt.Errorf("initialising word %q: pre-trained vector has %d values, model dim is %d", w, len(v), m.dim)
		}
		row := m.emb[(i+1)*m.dim : (i+2)*m.dim]
		for k, x := range v {
			row[k] = x * scale
		}
	}
	return nil
}

// clone copies m's weights into dst (allocated when nil) and returns it.
func (m *Model) clone(dst *Model) *Model {
	if dst == nil {
		dst = newModel(m.feat, m.labels, m.dim, m.hidden)
	}
	copy(dst.emb, m.emb)
	copy(dst.w1, m.w1)
	copy(dst.b1, m.b1)
	copy(dst.w2, m.w2)
	copy(dst.b2, m.b2)
	return dst
}

type trainer struct {
	m       *Model
	data    *Dataset
	weights []float32
	lr0     float64
	total   float64 // examples over all epochs
	threads int
	dropout float64
	done    atomic.Int64 // examples processed, all epochs
	lock    hogwildLock
}

func (t *trainer) lrAt(done float64) float64 {
	return t.lr0 * max(0, 1-done/t.total)
}

// chunk is the number of examples a worker trains between learning-rate
// updates and context checks.
const chunk = 256

// epoch trains one pass over the shuffled data and returns the mean loss.
func (t *trainer) epoch(ctx context.Context, epoch int, seed uint64) (float64, error) {
	n := t.data.Len()
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
	rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })

	threads := min(t.threads, max(1, n/chunk))
	losses := make([]float64, threads)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for w := 0; w < threads; w++ {
		part := perm[w*n/threads : (w+1)*n/threads]
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newStepper(t.m)
			var scratch []int32 // ids of a corpus document
			if t.dropout > 0 {
				s.rng = rand.New(rand.NewPCG(seed^0x5bd1e995, uint64(epoch)<<20|uint64(w)))
				s.keep = uint64(float64(1<<53) * (1 - t.dropout))
			}
			var sum float64
			for len(part) > 0 {
				if ctx.Err() != nil {
					failed.Store(true)
					return
				}
				k := min(chunk, len(part))
				lr := float32(t.lrAt(float64(t.done.Load())))
				t.lock.Lock()
				for _, i := range part[:k] {
					y := t.data.Labels[i]
					ids := t.data.ids(int(i), scratch)
					if t.data.Corpus != nil {
						scratch = ids
					}
					var target []float32
					if t.data.Soft != nil {
						c := len(t.weights)
						target = t.data.Soft[int(i)*c : (int(i)+1)*c]
					}
					sum += float64(s.step(ids, int(y), target, t.weights[y], lr))
				}
				t.lock.Unlock()
				t.done.Add(int64(k))
				part = part[k:]
			}
			losses[w] = sum
		}()
	}
	wg.Wait()
	if failed.Load() {
		return 0, ctx.Err()
	}
	var sum float64
	for _, l := range losses {
		sum += l
	}
	return sum / float64(n), nil
}

// stepper holds one worker's buffers.
type stepper struct {
	m             *Model
	pooled, gPool []float32
	z, a, gA, gZ  []float32
	p, g          []float32
	rng           *rand.Rand // input dropout; nil without
	keep          uint64     // keep an id when rng.Uint64()>>11 < keep
	kept          []int32
}

func newStepper(m *Model) *stepper {
	c := len(m.labels)
	s := &stepper{m: m, pooled: make([]float32, m.dim), gPool: make([]float32, m.dim),
		p: make([]float32, c), g: make([]float32, c)}
	if m.hidden > 0 {
		s.z = make([]float32, m.hidden)
		s.a = make([]float32, m.hidden)
		s.gZ = make([]float32, m.hidden)
		s.gA = make([]float32, m.hidden)
	} else {
		s.gA = s.gPool
	}
	return s
}

// step does one SGD step on a document and returns its weighted loss:
// cross-entropy against class y, or against the soft target distribution
// when target is not nil.
func (s *stepper) step(ids []int32, y int, target []float32, weight, lr float32) float32 {
	m := s.m
	dim := m.dim
	if s.rng != nil {
		s.kept = s.kept[:0]
		for _, id := range ids {
			if s.rng.Uint64()>>11 < s.keep {
				s.kept = append(s.kept, id)
			}
		}
		ids = s.kept
	}
	clear(s.pooled)
	var count float32
	for _, id := range ids {
		if id != 0 {
			addTo(s.pooled, m.emb[int(id)*dim:(int(id)+1)*dim])
			count++
		}
	}
	inv := 1 / max(count, 1)
	for k := range s.pooled {
		s.pooled[k] *= inv
	}
	x := s.pooled
	if m.hidden > 0 {
		dense(x, m.w1, m.b1, s.z)
		for k, v := range s.z {
			s.a[k] = max(v, 0)
		}
		x = s.a
	}
	dense(x, m.w2, m.b2, s.p)
	softmax(s.p)
	var loss float32
	if target == nil {
		loss = -weight * float32(math.Log(float64(max(s.p[y], 1e-30))))
		for j, pj := range s.p {
			s.g[j] = weight * pj
		}
		s.g[y] -= weight
	} else {
		for j, pj := range s.p {
			if q := target[j]; q > 0 {
				loss -= weight * q * float32(math.Log(float64(max(pj, 1e-30))))
			}
			s.g[j] = weight * (pj - target[j])
		}
	}
	// Gradient w.r.t. x (before W2 changes), then update W2 and b2.
	c := len(s.g)
	for i, xv := range x {
		row := m.w2[i*c : (i+1)*c]
		var acc float32
		for j, gj := range s.g {
			acc += row[j] * gj
			row[j] -= lr * xv * gj
		}
		s.gA[i] = acc
	}
	for j, gj := range s.g {
		m.b2[j] -= lr * gj
	}
	if m.hidden > 0 {
		for k, v := range s.z {
			if v > 0 {
				s.gZ[k] = s.gA[k]
			} else {
				s.gZ[k] = 0
			}
		}
		h := m.hidden
		for i, pv := range s.pooled {
			row := m.w1[i*h : (i+1)*h]
			var acc float32
			for k, gz := range s.gZ {
				acc += row[k] * gz
				row[k] -= lr * pv * gz
			}
			s.gPool[i] = acc
		}
		for k, gz := range s.gZ {
			m.b1[k] -= lr * gz
		}
	}
	if count == 0 {
		return loss
	}
	scale := -lr * inv
	for _, id := range ids {
		if id == 0 {
			continue
		}
		row := m.emb[int(id)*dim : (int(id)+1)*dim]
		for k, gv := range s.gPool {
			row[k] += scale * gv
		}
	}
	return loss
}
