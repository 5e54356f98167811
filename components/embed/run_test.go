package main

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/clean"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

var runFn = component.Typed(run)

// debianPython has gensim (python3-gensim); plain python3 may not.
const debianPython = "/usr/bin/python3"

// small is the embed flags of the tests: fast and deterministic.
var small = []string{"--dim", "12", "--epochs", "2", "--min-count", "3", "--threads", "1", "--seed", "3"}

// trainSet commits the cleaned rows of one SemEval demo file as
// runs/<run>/balance-split/train and returns them.
func trainSet(t *testing.T, s *stagetest.Store, run string) []dataset.Tweet {
	t.Helper()
	raw := stagetest.ReadRaw(t, filepath.Join(stagetest.DemoData(t), "semeval", "twitter-2016train-A.txt"))
	rows, _, err := clean.Run(raw)
	if err != nil {
		t.Fatal(err)
	}
	s.WriteTweets(t, run, "balance-split", "train", rows)
	return rows
}

// vectorsText parses word2vec text format.
func vectorsText(t *testing.T, b []byte) (dim int, vecs map[string][]float64, order []string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		t.Fatal("vectors.txt is empty")
	}
	head := strings.Fields(sc.Text())
	if len(head) != 2 {
		t.Fatalf("vectors.txt header %q, want '<words> <dim>'", sc.Text())
	}
	n, err1 := strconv.Atoi(head[0])
	dim, err2 := strconv.Atoi(head[1])
	if err1 != nil || err2 != nil {
		t.Fatalf("vectors.txt header %q", sc.Text())
	}
	vecs = map[string][]float64{}
	for sc.Scan() {
		f := strings.Split(sc.Text(), " ")
		if len(f) != dim+1 {
			t.Fatalf("vectors.txt line %q: %d fields, want %d", sc.Text(), len(f), dim+1)
		}
		v := make([]float64, dim)
		for i := range v {
			if v[i], err1 = strconv.ParseFloat(f[i+1], 64); err1 != nil {
				t.Fatal(err1)
			}
		}
		vecs[f[0]] = v
		order = append(order, f[0])
	}
	if len(vecs) != n {
		t.Fatalf("vectors.txt has %d words, header says %d", len(vecs), n)
	}
	return dim, vecs, order
}

func TestEmbedWritesVectorsAndVocabulary(t *testing.T) {
	s := stagetest.NewFS(t)
	rows := trainSet(t, s, "r1")
	r := s.MustRun(t, stages.Embed, runFn, "r1", small...)

	m := s.MustManifest(t, "r1", "embed", "vectors")
	var names []string
	for _, f := range m.Files {
		names = append(names, f.Name)
	}
	if strings.Join(names, ",") != "vectors.bin,vectors.txt,vocab.txt" {
		t.Fatalf("vectors output has %v", names)
	}

	// The vocabulary is every token of clean_text seen --min-count times.
	counts := map[string]int{}
	for _, tw := range rows {
		for _, w := range featurize.Tokenize(tw.CleanText) {
			counts[w]++
		}
	}
	want := map[string]int{}
	for w, n := range counts {
		if n >= 3 {
			want[w] = n
		}
	}
	vocab := strings.Split(strings.TrimSpace(string(s.File(t, "r1", "embed", "vectors", VocabFile))), "\n")
	if len(vocab) != len(want) {
		t.Errorf("vocab.txt has %d words, %d tokens occur at least 3 times", len(vocab), len(want))
	}
	prev := math.MaxInt
	for _, l := range vocab {
		w, c, _ := strings.Cut(l, " ")
		n, err := strconv.Atoi(c)
		if err != nil || want[w] != n {
			t.Fatalf("vocab.txt line %q: counted %d", l, want[w])
		}
		if n > prev {
			t.Fatalf("vocab.txt is not sorted by count: %q after a count of %d", l, prev)
		}
		prev = n
	}

	dim, vecs, order := vectorsText(t, s.File(t, "r1", "embed", "vectors", TextFile))
	if dim != 12 || len(vecs) != len(want) {
		t.Errorf("vectors.txt: %d words x %d dims, want %d x 12", len(vecs), dim, len(want))
	}
	for i, l := range vocab {
		if w, _, _ := strings.Cut(l, " "); order[i] != w {
			t.Fatalf("vectors.txt word %d is %q, vocab.txt has %q", i, order[i], w)
		}
	}
	sum := s.Summary(t, "r1", "embed")
	if sum.RowsIn != int64(len(rows)) || sum.RowsOut != int64(len(want)) {
		t.Errorf("summary rows in/out %d/%d, want %d/%d", sum.RowsIn, sum.RowsOut, len(rows), len(want))
	}
	if !strings.Contains(r.Stdout, "x 12 dims") {
		t.Errorf("stdout: %s", r.Stdout)
	}
}

func TestEmbedDeterministicWithOneThread(t *testing.T) {
	s := stagetest.NewFS(t)
	trainSet(t, s, "a")
	trainSet(t, s, "b")
	s.MustRun(t, stages.Embed, runFn, "a", small...)
	s.MustRun(t, stages.Embed, runFn, "b", small...)
	da := s.MustManifest(t, "a", "embed", "vectors").Digest()
	if db := s.MustManifest(t, "b", "embed", "vectors").Digest(); da != db {
		t.Fatalf("two runs with --threads 1 --seed 3 differ: %s vs %s", da, db)
	}
	s.MustRun(t, stages.Embed, runFn, "b", append(small, "--seed", "4")...)
	if db := s.MustManifest(t, "b", "embed", "vectors").Digest(); da == db {
		t.Fatal("a different seed gave identical vectors")
	}
}

// TestEmbedVectorsLoadInGensim loads vectors.txt with gensim's
// KeyedVectors and compares a vector and the vocabulary size.
func TestEmbedVectorsLoadInGensim(t *testing.T) {
	if _, err := os.Stat(debianPython); err != nil {
		t.Skipf("no %s", debianPython)
	}
	if err := exec.Command(debianPython, "-c", "import gensim").Run(); err != nil {
		t.Skipf("gensim not importable by %s: %v", debianPython, err)
	}
	s := stagetest.NewFS(t)
	trainSet(t, s, "g")
	s.MustRun(t, stages.Embed, runFn, "g", small...)
	b := s.File(t, "g", "embed", "vectors", TextFile)
	p := filepath.Join(t.TempDir(), "vectors.txt")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, vecs, order := vectorsText(t, b)
	word := order[len(order)/2]
	script := `
import sys
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)
print(len(kv.index_to_key), kv.vector_size)
print(" ".join(repr(float(x)) for x in kv[sys.argv[2]]))
`
	out, err := exec.Command(debianPython, "-c", script, p, word).CombinedOutput()
	if err != nil {
		t.Fatalf("gensim failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		t.Fatalf("gensim printed %q", out)
	}
	if got := lines[len(lines)-2]; got != strconv.Itoa(len(vecs))+" 12" {
		t.Errorf("gensim sees %q words x dims, want %d 12", got, len(vecs))
	}
	vals := strings.Fields(lines[len(lines)-1])
	if len(vals) != 12 {
		t.Fatalf("gensim vector of %q: %q", word, lines[len(lines)-1])
	}
	for i, v := range vals {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.Abs(f-vecs[word][i]) > 1e-6 {
			t.Fatalf("gensim vector of %q [%d] = %s, vectors.txt has %g", word, i, v, vecs[word][i])
		}
	}
}

func TestEmbedErrors(t *testing.T) {
	s := stagetest.NewFS(t)
	trainSet(t, s, "e")
	if r := s.Run(t, stages.Embed, runFn, "e", "--dim", "0"); r.Code != 2 || !strings.Contains(r.Stderr, "dim") {
		t.Errorf("--dim 0: exit %d, want 2:\n%s", r.Code, r.Stderr)
	}
	r := s.Run(t, stages.Embed, runFn, "e", "--min-count", "1000000", "--threads", "1")
	if r.Code != 1 || !strings.Contains(r.Stderr, "--min-count") {
		t.Errorf("empty vocabulary: exit %d, want 1 naming --min-count:\n%s", r.Code, r.Stderr)
	}
	if _, ok := s.Manifest(t, "e", "embed", "vectors"); ok {
		t.Error("a failed embed committed vectors")
	}
	if r := s.Run(t, stages.Embed, runFn, "missing", "--dim", "8"); r.Code != 1 || !strings.Contains(r.Stderr, "balance-split/train") {
		t.Errorf("missing input: exit %d, want 1 naming the input:\n%s", r.Code, r.Stderr)
	}
}
