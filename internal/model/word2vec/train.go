package word2vec

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Progress is passed to the WithProgress callback.
type Progress struct {
	Epoch       int           // current epoch, 1-based
	Epochs      int           // total epochs
	EpochDone   bool          // true for the report at the end of an epoch
	Words       int64         // raw corpus words processed so far, all epochs
	TotalWords  int64         // raw corpus words x epochs
	WordsPerSec float64       // raw words per second of training so far
	Loss        float64       // mean loss per example in the epoch so far
	Alpha       float64       // learning rate at the last processed chunk
	Elapsed     time.Duration // training time so far (vocabulary building excluded)
}

// Stats describe a finished training run.
type Stats struct {
	Sentences      int           // non-empty sentences with at least one vocabulary word
	RawWords       int64         // input tokens in one epoch, out-of-vocabulary ones included
	VocabWords     int64         // in-vocabulary tokens in one epoch
	EffectiveWords int64         // tokens trained on after subsampling, all epochs
	Examples       int64         // positive examples (pairs for skip-gram, windows for CBOW), all epochs
	EpochLoss      []float64     // mean loss per example of each epoch
	VocabTime      time.Duration // reading the input, building the vocabulary, encoding
	TrainTime      time.Duration // the epochs only
}

// WordsPerSec returns raw corpus words x epochs per second of training
// (the figure to compare with other implementations).
func (s Stats) WordsPerSec() float64 {
	if s.TrainTime <= 0 {
		return 0
	}
	return float64(s.RawWords) * float64(len(s.EpochLoss)) / s.TrainTime.Seconds()
}

// ErrEmptyVocabulary is returned when no word reaches the minimum count.
var ErrEmptyVocabulary = errors.New("empty vocabulary")

// Train reads the sentences once (each a slice of tokens; the caller
// tokenizes), builds the vocabulary, encodes the corpus into word ids and
// trains word vectors on it. The sequence is consumed exactly once, and the
// token strings are not retained beyond the vocabulary.
//
// The loss reported is the SGNS negative log-likelihood of one example:
// -log sigma(v_out(w_O).h) - sum_k log sigma(-v_out(w_k).h), averaged over
// the examples of an epoch, with h the input vector of the context word
// (skip-gram) or the mean of the window (CBOW). It is computed from the
// same lookup table as the gradient; outside |x| < 6 -log sigma(x) is taken
// as max(0, -x), which is off by less than 0.0025.
func Train(ctx context.Context, sentences iter.Seq[[]string], opts ...Option) (*Model, error) {
	s := settings{Params: DefaultParams()}
	for _, o := range opts {
		o(&s)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("training word2vec: %w", err)
	}
	start := time.Now()
	c, err := buildCorpus(ctx, sentences, s.Params)
	if err != nil {
		return nil, fmt.Errorf("building vocabulary: %w", err)
	}
	if len(c.words) == 0 {
		return nil, fmt.Errorf("building vocabulary with min count %d from %d words: %w", s.MinCount, c.rawWords, ErrEmptyVocabulary)
	}
	vocabTime := time.Since(start)
	m, err := train(ctx, c, s)
	if err != nil {
		return nil, err
	}
	m.Stats.VocabTime = vocabTime
	return m, nil
}

type trainer struct {
	p          Params
	c          *corpus
	dim        int
	syn0, syn1 []float32
	keep       []uint64
	noise      []aliasEntry

	hogwild hogwildLock

	// Progress bookkeeping, guarded by mu.
	mu         sync.Mutex
	progress   func(Progress)
	every      int64
	nextReport int64
	start      time.Time
	words      int64
	epochLoss  float64
	epochEx    int64
	effective  int64
	examples   int64
	lastAlpha  float64
}

type worker struct {
	rng    rand.PCG
	buf    []int32 // subsampled sentence
	wins   []int32 // reduced window per position
	ex     []pair  // skip-gram examples of the sentence
	negBuf []int32 // Negative noise words per example (-1 = skipped draw)
	neu1   []float32
	e      []float32

	loss      float64
	examples  int64
	effective int64
	alpha     float64
}

func train(ctx context.Context, c *corpus, s settings) (*Model, error) {
	p := s.Params
	t := &trainer{
		p:        p,
		c:        c,
		dim:      p.Dim,
		keep:     keepThresholds(c.counts, p.Sample),
		noise:    newAliasTable(c.counts, 0.75),
		progress: s.progress,
		every:    s.progressEvery,
	}
	n := len(c.words)
	t.syn0 = make([]float32, n*p.Dim)
	t.syn1 = make([]float32, n*p.Dim)
	init := rand.NewPCG(p.Seed, splitmix64(0x9e3779b97f4a7c15))
	inv := 1 / float32(p.Dim)
	for i := range t.syn0 {
		u := float32(init.Uint64()>>40) / (1 << 24) // [0, 1)
		t.syn0[i] = (u - 0.5) * inv
	}

	workers := make([]*worker, p.Threads)
	for i := range workers {
		workers[i] = &worker{
			neu1: make([]float32, p.Dim),
			e:    make([]float32, p.Dim),
		}
	}
	stats := Stats{Sentences: len(c.sentEnd), RawWords: c.rawWords, VocabWords: int64(len(c.ids))}
	t.start = time.Now()
	t.nextReport = t.every
	for epoch := range p.Epochs {
		t.epochLoss, t.epochEx = 0, 0
		var next atomic.Int64
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() {
				for {
					ci := int(next.Add(1) - 1)
					if ci >= len(c.chunks) || ctx.Err() != nil {
						return
					}
					t.hogwild.Lock()
					w.runChunk(t, epoch, ci)
					t.hogwild.Unlock()
					t.chunkDone(w, epoch, c.chunks[ci].raw)
				}
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("training epoch %d: %w", epoch+1, err)
		}
		loss := 0.0
		if t.epochEx > 0 {
			loss = t.epochLoss / float64(t.epochEx)
		}
		stats.EpochLoss = append(stats.EpochLoss, loss)
		if t.progress != nil {
			t.progress(t.snapshot(epoch, true))
		}
	}
	stats.TrainTime = time.Since(t.start)
	stats.EffectiveWords = t.effective
	stats.Examples = t.examples
	m := newModel(c.words, c.counts, p.Dim, t.syn0)
	m.Params = p
	m.Stats = stats
	return m, nil
}

// chunkDone folds a worker's counters into the totals and reports progress.
func (t *trainer) chunkDone(w *worker, epoch int, raw int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.words += raw
	t.epochLoss += w.loss
	t.epochEx += w.examples
	t.effective += w.effective
	t.examples += w.examples
	t.lastAlpha = w.alpha
	w.loss, w.examples, w.effective = 0, 0, 0
	if t.progress != nil && t.every > 0 && t.words >= t.nextReport {
		for t.nextReport <= t.words {
			t.nextReport += t.every
		}
		t.progress(t.snapshot(epoch, false))
	}
}

func (t *trainer) snapshot(epoch int, done bool) Progress {
	el := time.Since(t.start)
	pr := Progress{
		Epoch:      epoch + 1,
		Epochs:     t.p.Epochs,
		EpochDone:  done,
		Words:      t.words,
		TotalWords: t.c.rawWords * int64(t.p.Epochs),
		Alpha:      t.lastAlpha,
		Elapsed:    el,
	}
	if s := el.Seconds(); s > 0 {
		pr.WordsPerSec = float64(t.words) / s
	}
	if t.epochEx > 0 {
		pr.Loss = t.epochLoss / float64(t.epochEx)
	}
	return pr
}

// alphaAt returns the learning rate at in-vocabulary token offset pos of
// epoch: a linear decay from Alpha to MinAlpha over the whole training.
func (t *trainer) alphaAt(epoch, pos int) float64 {
	total := float64(len(t.c.ids)) * float64(t.p.Epochs)
	done := float64(epoch)*float64(len(t.c.ids)) + float64(pos)
	a := t.p.Alpha - (t.p.Alpha-t.p.MinAlpha)*done/total
	return max(a, t.p.MinAlpha)
}

// pair is a skip-gram example: input (context) word and output word.
type pair struct{ in, out int32 }

// splitmix64 scrambles x (used to derive independent PCG streams).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// runChunk trains on one chunk. Every random choice comes from a PCG
// stream derived from (seed, epoch, chunk), so the choices do not depend on
// which worker runs the chunk; with one thread the result is bit-identical
// from run to run.
func (w *worker) runChunk(t *trainer, epoch, ci int) {
	c := t.c
	ch := c.chunks[ci]
	w.rng.Seed(t.p.Seed, splitmix64(uint64(epoch)<<40^uint64(ci)))
	keep := t.keep
	for si := ch.firstSent; si < ch.endSent; si++ {
		start := 0
		if si > 0 {
			start = c.sentEnd[si-1]
		}
		sent := c.ids[start:c.sentEnd[si]]
		alpha := t.alphaAt(epoch, start)
		w.alpha = alpha
		buf := w.buf[:0]
		for _, id := range sent {
			k := keep[id]
			if k > 1<<32-1 || uint64(uint32(w.rng.Uint64())) < k {
				buf = append(buf, id)
			}
		}
		w.buf = buf
		w.effective += int64(len(buf))
		if len(buf) < 2 {
			continue
		}
		if t.p.Arch == CBOW {
			w.cbow(t, buf, float32(alpha))
		} else {
			w.skipGram(t, buf, float32(alpha))
		}
	}
}

// negStepGo scores one output row against h, applies the fused update and
// returns the example's loss term. label is 1 for the true word, 0 for noise.
func negStepGo(h, out, e []float32, label, alpha float32) float32 {
	f := dot(h, out)
	var sig, loss float32
	switch {
	case f >= maxExp:
		sig = 1
		if label == 0 {
			loss = f
		}
	case f <= -maxExp:
		sig = 0
		if label == 1 {
			loss = -f
		}
	default:
		i := int((f + maxExp) * expScale)
		if i >= expTableSize { // float rounding just below maxExp
			i = expTableSize - 1
		}
		sig = sigmoidTable[i]
		if label == 1 {
			loss = logSigTable[i]
		} else {
			loss = logSigTable[expTableSize-1-i]
		}
	}
	sgd((label-sig)*alpha, h, out, e)
	return loss
}

// lookahead is how many examples ahead the rows of the noise words are
// prefetched.
const lookahead = 2

// windows draws the reduced window (uniform in 1..Window) of every position.
func (w *worker) windows(t *trainer, n int) []int32 {
	window := uint64(t.p.Window)
	wins := w.wins[:0]
	for range n {
		wins = append(wins, int32(t.p.Window-int((w.rng.Uint64()>>32)*window>>32)))
	}
	w.wins = wins
	return wins
}

// drawNoise appends Negative noise words for an example whose true word is
// target; a draw equal to target is skipped (stored as -1), as in word2vec
// and gensim.
func (w *worker) drawNoise(t *trainer, negs []int32, target int32) []int32 {
	for range t.p.Negative {
		d := sampleAlias(t.noise, w.rng.Uint64())
		if d == target {
			d = -1
		}
		negs = append(negs, d)
	}
	return negs
}

// skipGram trains on one subsampled sentence. Every example (context word
// predicting the centre word) and its noise words are drawn first, so that
// the noise rows can be prefetched a few examples ahead: their cache misses
// are the main cost of the inner loop.
func (w *worker) skipGram(t *trainer, sent []int32, alpha float32) {
	dim, neg := t.dim, t.p.Negative
	syn0, syn1 := t.syn0, t.syn1
	wins := w.windows(t, len(sent))
	ex := w.ex[:0]
	for i, center := range sent {
		lo, hi := max(0, i-int(wins[i])), min(len(sent), i+int(wins[i])+1)
		for j := lo; j < hi; j++ {
			if j != i {
				ex = append(ex, pair{in: sent[j], out: center})
			}
		}
	}
	negs := w.negBuf[:0]
	for _, p := range ex {
		negs = w.drawNoise(t, negs, p.out)
	}
	w.ex, w.negBuf = ex, negs
	for k := range min(lookahead, len(ex)) {
		prefetch(syn1, dim, negs[k*neg:(k+1)*neg])
	}
	e := w.e[:dim]
	var loss float32
	for k, p := range ex {
		if a := k + lookahead; a < len(ex) {
			prefetch(syn1, dim, negs[a*neg:(a+1)*neg])
		}
		h := syn0[int(p.in)*dim : int(p.in)*dim+dim]
		pos := syn1[int(p.out)*dim : int(p.out)*dim+dim]
		clear(e)
		if useAsm { // the common case, without wrapper calls
			loss += stepAVX2(&h[0], &pos[0], &e[0], dim, 1, alpha)
			for _, d := range negs[k*neg : (k+1)*neg] {
				if d >= 0 {
					loss += stepAVX2(&h[0], &syn1[int(d)*dim], &e[0], dim, 0, alpha)
				}
			}
		} else {
			loss += negStepGo(h, pos, e, 1, alpha)
			for _, d := range negs[k*neg : (k+1)*neg] {
				if d >= 0 {
					loss += negStepGo(h, syn1[int(d)*dim:int(d)*dim+dim], e, 0, alpha)
				}
			}
		}
		axpy(1, e, h)
	}
	w.loss += float64(loss)
	w.examples += int64(len(ex))
}

// cbow trains on one subsampled sentence: each centre word is predicted
// from the mean of its context vectors, and the error is added to every
// context vector (gensim cbow_mean=1). Noise rows are prefetched ahead.
func (w *worker) cbow(t *trainer, sent []int32, alpha float32) {
	dim, neg := t.dim, t.p.Negative
	syn0, syn1 := t.syn0, t.syn1
	wins := w.windows(t, len(sent))
	negs := w.negBuf[:0]
	for _, center := range sent {
		negs = w.drawNoise(t, negs, center)
	}
	w.negBuf = negs
	for k := range min(lookahead, len(sent)) {
		prefetch(syn1, dim, negs[k*neg:(k+1)*neg])
	}
	e := w.e[:dim]
	h := w.neu1[:dim]
	var loss float32
	n := len(sent)
	for i, center := range sent {
		if a := i + lookahead; a < n {
			prefetch(syn1, dim, negs[a*neg:(a+1)*neg])
		}
		lo, hi := max(0, i-int(wins[i])), min(n, i+int(wins[i])+1)
		clear(h)
		for j := lo; j < hi; j++ {
			if j != i {
				ctx := int(sent[j])
				axpy(1, syn0[ctx*dim:ctx*dim+dim], h)
			}
		}
		inv := 1 / float32(hi-lo-1)
		for k := range h {
			h[k] *= inv
		}
		clear(e)
		loss += negStep(h, syn1[int(center)*dim:int(center)*dim+dim], e, 1, alpha)
		for _, d := range negs[i*neg : (i+1)*neg] {
			if d >= 0 {
				loss += negStep(h, syn1[int(d)*dim:int(d)*dim+dim], e, 0, alpha)
			}
		}
		for j := lo; j < hi; j++ {
			if j != i {
				ctx := int(sent[j])
				axpy(1, e, syn0[ctx*dim:ctx*dim+dim])
			}
		}
	}
	w.loss += float64(loss)
	w.examples += int64(n)
}
