// Command quality trains the tweetflow classifier on the real SemEval data
// and prints development-set quality: macro recall, accuracy and macro F1.
//
// Three-class: trained on every semeval2017-task4a file except
// twitter-2016test-A.txt (duplicate ids dropped), 10% of it held out
// (stratified, seeded) for early stopping; scored on twitter-2016test-A.txt.
// Binary: trained on the SemEval negative/positive rows of the same files
// plus Sentiment140 and NLTK twitter_samples; scored on the
// negative/positive rows of twitter-2016test-A.txt.
//
//	go run ./hack/quality -data /work/shared/data -mode both
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/model/word2vec"
	"github.com/tweetflow/tweetflow/internal/onnx"
	"github.com/tweetflow/tweetflow/internal/text"
)

const devFile = "twitter-2016test-A.txt"

func main() {
	var (
		dataDir  = flag.String("data", "/work/shared/data", "data folder (see its README.md)")
		mode     = flag.String("mode", "both", "three, binary or both")
		p        = classifier.DefaultParams()
		s        = featurize.DefaultSettings()
		charNg   = flag.String("char-ngrams", fmt.Sprintf("%d-%d", s.CharMin, s.CharMax), "char n-gram lengths min-max, or 0")
		w2v      = flag.Bool("w2v", false, "initialise word rows from word2vec trained on the training tweets")
		w2vDev   = flag.Bool("w2v-dev-text", false, "also feed the dev set's (unlabeled) text to word2vec (transductive; not for reported numbers)")
		w2vEp    = flag.Int("w2v-epochs", 5, "word2vec epochs")
		w2vMin   = flag.Int("w2v-min-count", 2, "word2vec min count")
		holdout  = flag.Float64("holdout", 0.1, "share of the training data held out for early stopping")
		verbose  = flag.Bool("v", false, "print every epoch")
		s140in3  = flag.Bool("extra-in-three", false, "also train the three-class model on the Sentiment140/NLTK pos/neg tweets")
		binExtra = flag.Bool("binary-extra", true, "train the binary model on Sentiment140/NLTK too (else SemEval only)")
	)
	flag.IntVar(&p.Dim, "dim", p.Dim, "embedding dimension")
	flag.IntVar(&p.Hidden, "hidden", p.Hidden, "hidden layer width")
	flag.IntVar(&p.Epochs, "epochs", p.Epochs, "maximum epochs")
	flag.Float64Var(&p.LearningRate, "lr", p.LearningRate, "learning rate")
	flag.StringVar(&p.ClassWeights, "class-weights", p.ClassWeights, "balanced or none")
	flag.IntVar(&p.Patience, "patience", p.Patience, "early-stopping patience")
	flag.StringVar(&p.StopOn, "stop-on", p.StopOn, "macro_recall or loss")
	flag.Float64Var(&p.Dropout, "dropout", p.Dropout, "input dropout")
	flag.Float64Var(&p.InitScale, "init-scale", p.InitScale, "scale of pre-trained vectors")
	flag.Uint64Var(&p.Seed, "seed", p.Seed, "seed")
	flag.IntVar(&p.Threads, "threads", 0, "threads (0 = all cores)")
	flag.IntVar(&s.WordNgrams, "word-ngrams", s.WordNgrams, "longest word n-gram")
	flag.IntVar(&s.Buckets, "buckets", s.Buckets, "hash buckets")
	flag.IntVar(&s.MinCount, "min-count", s.MinCount, "vocabulary min count")
	flag.BoolVar(&s.Negation, "negation", s.Negation, "negation marking")
	flag.BoolVar(&s.Elongation, "elongation", s.Elongation, "elongation shortening")
	flag.StringVar(&s.Lexicon, "lexicon", s.Lexicon, `lexicon features: "" or vader`)
	flag.BoolVar(&s.Lowercase, "lowercase", s.Lowercase, "lower-case tokens")
	flag.IntVar(&s.LexiconBins, "lexicon-bins", s.LexiconBins, "lexicon valence bins, 4 or 8")
	flag.BoolVar(&s.LexiconIntensity, "lexicon-intensity", s.LexiconIntensity, "emit lexicon ids ceil(|valence|) times")
	flag.BoolVar(&s.Boosters, "boosters", s.Boosters, "a lexicon word after a booster emits its lexicon id once more")
	flag.IntVar(&s.ButRepeat, "but-repeat", s.ButRepeat, "extra repeats of the word and lexicon ids after the last \"but\"")
	flag.IntVar(&s.NegationWindow, "negation-window", s.NegationWindow, "a negation scope ends after this many marked tokens (0: at punctuation only)")
	v1 := flag.Bool("v1", false, "featurizer format v1 (the settings before v2's lexicon changes)")
	flag.Parse()
	if *v1 {
		s.Format, s.LexiconBins, s.LexiconIntensity, s.Boosters, s.ButRepeat, s.NegationWindow = featurize.FormatV1, 0, false, false, 0, 0
	}
	s.CharMin, s.CharMax = 0, 0
	if *charNg != "0" {
		if _, err := fmt.Sscanf(*charNg, "%d-%d", &s.CharMin, &s.CharMax); err != nil {
			fatal(fmt.Errorf("parsing -char-ngrams %q: %w", *charNg, err))
		}
	}
	if p.Threads == 0 {
		p.Threads = runtime.GOMAXPROCS(0)
	}

	semDir := filepath.Join(*dataDir, "semeval2017-task4a")
	seen := map[string]bool{}
	dev, err := readSemEval(filepath.Join(semDir, devFile), seen)
	fatal(err)
	files, err := filepath.Glob(filepath.Join(semDir, "twitter-*.txt"))
	fatal(err)
	var sem []tweet
	for _, f := range files {
		if filepath.Base(f) == devFile {
			continue
		}
		// Ids of the dev set are dropped from training too ("seen").
		t, err := readSemEval(f, seen)
		fatal(err)
		sem = append(sem, t...)
	}
	var extra []tweet
	s140s, _ := filepath.Glob(filepath.Join(*dataDir, "sentiment140", "*.csv"))
	for _, f := range s140s {
		t, err := readSentiment140(f, seen)
		fatal(err)
		extra = append(extra, t...)
	}
	for _, name := range []string{"negative_tweets.txt", "positive_tweets.txt"} {
		t, err := readNLTK(filepath.Join(*dataDir, "nltk-twitter-samples", name))
		fatal(err)
		extra = append(extra, t...)
	}
	fmt.Printf("data: semeval train %d, dev %d, sentiment140+nltk %d\n", len(sem), len(dev), len(extra))
	cleaner, err := text.NewCleaner() // the clean stage's defaults
	fatal(err)
	for _, set := range [][]tweet{sem, dev, extra} {
		for i := range set {
			set[i].text = cleaner.Clean(set[i].text)
		}
	}

	var lookup func(string) []float32
	if *w2v {
		corpus := append(append([]tweet(nil), sem...), extra...)
		if *w2vDev {
			corpus = append(corpus, dev...)
		}
		t0 := time.Now()
		fs := s
		fs.Negation = false
		f0, err := featurize.New(fs, nil)
		fatal(err)
		sentences := func(yield func([]string) bool) {
			for _, t := range corpus {
				if !yield(f0.Tokens(t.text)) {
					return
				}
			}
		}
		wm, err := word2vec.Train(context.Background(), iter.Seq[[]string](sentences),
			word2vec.WithDim(p.Dim), word2vec.WithEpochs(*w2vEp), word2vec.WithMinCount(*w2vMin),
			word2vec.WithThreads(p.Threads), word2vec.WithSeed(p.Seed))
		fatal(err)
		lookup = func(w string) []float32 {
			v, ok := wm.Vector(w)
			if !ok {
				return nil
			}
			return v
		}
		fmt.Printf("word2vec: %d words from %d tweets in %.1fs\n", wm.Len(), len(corpus), time.Since(t0).Seconds())
	}

	fmt.Printf("featurizer: %+v\n", s)
	fmt.Printf("params: %+v\n", p)
	var bin *classifier.Model
	if *mode == "binary" || *mode == "both" || *transfer {
		labels := []string{"negative", "positive"}
		train := sem
		if *binExtra {
			train = append(append([]tweet(nil), sem...), extra...)
		}
		bin = run("binary", labels, keep(train, labels), keep(dev, labels), s, p, lookup, *holdout, *verbose)
	}
	if *mode == "three" || *mode == "both" {
		train := sem
		if *s140in3 {
			train = append(append([]tweet(nil), sem...), extra...)
		}
		if *transfer {
			// Word rows of the binary model as pre-trained vectors.
			w := bin.Weights()
			lookup = func(word string) []float32 {
				id, ok := bin.Featurizer().WordID(word)
				if !ok {
					return nil
				}
				return w.Embedding[int(id)*w.Dim : int(id+1)*w.Dim]
			}
		}
		run("three-class", []string{"negative", "neutral", "positive"}, train, dev, s, p, lookup, *holdout, *verbose)
	}
}

var transfer = flag.Bool("transfer", false, "initialise the three-class word rows from a binary model trained first (sentiment-specific embeddings)")

func keep(ts []tweet, labels []string) []tweet {
	var out []tweet
	for _, t := range ts {
		if slices.Contains(labels, t.label) {
			out = append(out, t)
		}
	}
	return out
}

// split holds out a stratified, seeded share of ts.
func split(ts []tweet, share float64, seed uint64) (train, hold []tweet) {
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	byLabel := map[string][]int{}
	for _, i := range idx {
		byLabel[ts[i].label] = append(byLabel[ts[i].label], i)
	}
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for _, l := range labels {
		ids := byLabel[l]
		k := int(float64(len(ids)) * share)
		for _, i := range ids[:k] {
			hold = append(hold, ts[i])
		}
		for _, i := range ids[k:] {
			train = append(train, ts[i])
		}
	}
	return train, hold
}

func run(name string, labels []string, all, dev []tweet, s featurize.Settings, p classifier.Params,
	lookup func(string) []float32, holdout float64, verbose bool) *classifier.Model {
	t0 := time.Now()
	all = keep(all, labels)
	train, hold := split(all, holdout, p.Seed)
	index := map[string]int{}
	for i, l := range labels {
		index[l] = i
	}
	b, err := featurize.NewBuilder(s)
	fatal(err)
	for _, t := range train {
		b.Add(t.text)
	}
	f, docs, err := b.Build()
	fatal(err)
	trainSet := &classifier.Dataset{Docs: *docs}
	for _, t := range train {
		trainSet.Labels = append(trainSet.Labels, int32(index[t.label]))
	}
	encode := func(ts []tweet) *classifier.Dataset {
		d := &classifier.Dataset{}
		for _, t := range ts {
			d.Add(f.AppendIDs(nil, t.text), index[t.label])
		}
		return d
	}
	holdSet, devSet := encode(hold), encode(dev)
	prep := time.Since(t0)
	opts := []classifier.Option{classifier.WithParams(p)}
	if lookup != nil {
		opts = append(opts, classifier.WithPretrained(lookup))
	}
	if verbose {
		opts = append(opts, classifier.WithOnEpoch(func(e classifier.EpochStats) {
			ev := "" // dev-set score per epoch, for diagnosis only
			fmt.Printf("  epoch %2d train loss %.4f val loss %.4f val macro recall %.4f acc %.4f lr %.3f %.1fs%s\n",
				e.Epoch, e.TrainLoss, e.ValidationLoss, e.ValidationMacroRecall, e.ValidationAccuracy, e.LearningRate, e.Seconds, ev)
		}))
	}
	m, res, err := classifier.Train(context.Background(), f, labels, trainSet, holdSet, opts...)
	fatal(err)
	proba := classifier.PredictDataset(m, &devSet.Docs, p.Threads)
	if *calibrate {
		hp := classifier.PredictDataset(m, &holdSet.Docs, p.Threads)
		delta := tuneBias(hp, holdSet.Labels, len(labels))
		fmt.Printf("%s: bias shifts tuned on the holdout: %.2f\n", name, delta)
		shift(proba, delta)
	}
	checkONNX(name, m, devSet)
	if *saveDir != "" {
		dir := filepath.Join(*saveDir, name)
		fatal(os.MkdirAll(dir, 0o755))
		t1 := time.Now()
		err := classifier.Save(m, &classifier.Metadata{ModelVersion: "quality-" + name, CreatedAt: time.Now().UTC(),
			Params: res.Params, Training: res}, func(n string) (io.WriteCloser, error) { return os.Create(filepath.Join(dir, n)) })
		fatal(err)
		st, _ := os.Stat(filepath.Join(dir, classifier.WeightsFile))
		fmt.Printf("%s: saved to %s in %.2fs (weights.bin %.1f MB)\n", name, dir, time.Since(t1).Seconds(), float64(st.Size())/(1<<20))
	}
	y := make([]int, devSet.Len())
	for i, l := range devSet.Labels {
		y[i] = int(l)
	}
	flat := make([]float64, len(proba))
	for i, v := range proba {
		flat[i] = float64(v)
	}
	r, err := metrics.ComputeFlat(y, flat, labels)
	fatal(err)
	fmt.Printf("%s: train %d, early-stop holdout %d, dev %d; rows %d (vocab %d), %d ids/tweet\n",
		name, trainSet.Len(), holdSet.Len(), devSet.Len(), f.Rows(), f.Settings().VocabSize, len(docs.IDs)/max(1, docs.Len()))
	fmt.Printf("%s: best epoch %d of %d (stopped early %v), class weights %.3f\n", name, res.BestEpoch, len(res.Epochs), res.StoppedEarly, res.ClassWeights)
	var per []string
	for _, l := range labels {
		per = append(per, fmt.Sprintf("%s R %.3f P %.3f", l, float64(r.PerClass[l].Recall), float64(r.PerClass[l].Precision)))
	}
	fmt.Printf("%s DEV: macro recall %.4f  accuracy %.4f  macro F1 %.4f  roc-auc %.4f  [%s]\n",
		name, float64(r.MacroRecall), r.Accuracy, float64(r.MacroF1), float64(r.ROCAUC), strings.Join(per, ", "))
	fmt.Printf("%s: time: featurize %.1fs, train %.1fs, total %.1fs\n", name, prep.Seconds(), res.Seconds, time.Since(t0).Seconds())
	return m
}

var saveDir = flag.String("save", "", "write the model folders under this directory")

// checkONNX converts the model to internal/onnx's reference classifier and
// compares its probabilities with PredictProba on the first dev tweets.
func checkONNX(name string, m *classifier.Model, d *classifier.Dataset) {
	w := m.Weights()
	c := &onnx.Classifier{Embedding: w.Embedding, Rows: w.Rows, Dim: w.Dim, Labels: w.Labels,
		Output: onnx.Dense{W: w.Output.W, B: w.Output.B, In: w.Output.In, Out: w.Output.Out}}
	if w.Hidden != nil {
		c.Hidden = &onnx.Dense{W: w.Hidden.W, B: w.Hidden.B, In: w.Hidden.In, Out: w.Hidden.Out}
	}
	fatal(c.Validate())
	n := min(d.Len(), 2000)
	batch := make([][]int64, n)
	for i := range batch {
		for _, id := range d.Doc(i) {
			batch[i] = append(batch[i], int64(id))
		}
	}
	var diff float64
	for i, p := range c.Predict(batch) {
		for j, v := range m.PredictProba(batch[i]) {
			diff = math.Max(diff, math.Abs(float64(v-p[j])))
		}
	}
	fmt.Printf("%s: onnx reference vs PredictProba on %d tweets: max abs diff %g\n", name, n, diff)
}

var calibrate = flag.Bool("calibrate", false, "shift log-probabilities by per-class offsets that maximise holdout macro recall")

// tuneBias grid-searches offsets (class 0 fixed at 0) added to the log
// probabilities that maximise macro recall.
func tuneBias(p []float32, y []int32, c int) []float64 {
	logp := make([]float64, len(p))
	for i, v := range p {
		logp[i] = math.Log(math.Max(float64(v), 1e-30))
	}
	best, bestScore := make([]float64, c), -1.0
	cur := make([]float64, c)
	var rec func(k int)
	rec = func(k int) {
		if k == c {
			if s := macroRecall(logp, y, c, cur); s > bestScore+1e-12 {
				bestScore = s
				copy(best, cur)
			}
			return
		}
		for d := -1.0; d <= 1.0001; d += 0.05 {
			cur[k] = d
			rec(k + 1)
		}
	}
	rec(1)
	return best
}

func macroRecall(logp []float64, y []int32, c int, delta []float64) float64 {
	hit := make([]float64, c)
	tot := make([]float64, c)
	for i, yi := range y {
		row := logp[i*c : (i+1)*c]
		k := 0
		for j := range row {
			if row[j]+delta[j] > row[k]+delta[k] {
				k = j
			}
		}
		tot[yi]++
		if k == int(yi) {
			hit[yi]++
		}
	}
	var s float64
	for j := range hit {
		s += hit[j] / math.Max(tot[j], 1)
	}
	return s / float64(c)
}

func shift(p []float32, delta []float64) {
	c := len(delta)
	for i := 0; i < len(p); i += c {
		for j := range delta {
			p[i+j] *= float32(math.Exp(delta[j]))
		}
	}
}

func fatal(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "quality:", err)
		os.Exit(1)
	}
}
