package word2vec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// tinyModel is a hand-made model with known geometry.
func tinyModel() *Model {
	m := newModel(
		[]string{"king", "queen", "apple", "pear", "é"},
		[]int64{10, 9, 5, 5, 1},
		3,
		[]float32{
			1, 0.9, 0, // king
			0.9, 1, 0, // queen
			0, 0.1, 1, // apple
			0, -0.1, 0.8, // pear
			-1, 0.25, 1e-7, // é
		},
	)
	m.Params = DefaultParams()
	m.Params.Threads = 0
	m.Stats.EpochLoss = []float64{2.5, 2.25}
	return m
}

func TestMostSimilar(t *testing.T) {
	m := tinyModel()
	cases := []struct {
		word string
		k    int
		want []string
	}{
		{"king", 1, []string{"queen"}},
		{"king", 10, []string{"queen", "apple", "pear", "é"}},
		{"apple", 2, []string{"pear", "queen"}},
		{"é", 0, nil},
	}
	for _, tc := range cases {
		nb, err := m.MostSimilar(tc.word, tc.k)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, n := range nb {
			got = append(got, n.Word)
			if i > 0 && n.Similarity > nb[i-1].Similarity {
				t.Errorf("%s: not sorted: %v", tc.word, nb)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("MostSimilar(%q, %d) = %v, want %v", tc.word, tc.k, nb, tc.want)
		}
	}
	nb, _ := m.MostSimilar("king", 1)
	if s := nb[0].Similarity; s < 0.994 || s > 0.995 { // cos = 1.8/1.81
		t.Errorf("cos(king, queen) = %v, want 0.9945", s)
	}
	if _, err := m.MostSimilar("prince", 3); err == nil {
		t.Error("want an error for an unknown word")
	}
	if v, ok := m.Vector("pear"); !ok || !slices.Equal(v, []float32{0, -0.1, 0.8}) {
		t.Errorf("Vector(pear) = %v, %v", v, ok)
	}
	if _, ok := m.Vector("prince"); ok {
		t.Error("Vector of an unknown word")
	}
	if m.Index("apple") != 2 || m.Index("x") != -1 || m.Len() != 5 {
		t.Error("Index/Len")
	}
}

func TestMeanVector(t *testing.T) {
	m := tinyModel()
	cases := []struct {
		tokens []string
		n      int
		want   []float32
	}{
		{[]string{"king", "queen"}, 2, []float32{0.95, 0.95, 0}},
		{[]string{"apple", "nope", "pear", "apple"}, 3, []float32{0, 0.1 / 3, (1 + 0.8 + 1) / 3}},
		{[]string{"pear"}, 1, []float32{0, -0.1, 0.8}},
		{[]string{"nope"}, 0, []float32{0, 0, 0}},
		{nil, 0, []float32{0, 0, 0}},
	}
	for _, tc := range cases {
		dst := []float32{7, 7, 7}
		n := m.MeanVector(tc.tokens, dst)
		if n != tc.n {
			t.Errorf("MeanVector(%v) found %d, want %d", tc.tokens, n, tc.n)
		}
		for k := range dst {
			if d := dst[k] - tc.want[k]; d > 1e-6 || d < -1e-6 {
				t.Errorf("MeanVector(%v) = %v, want %v", tc.tokens, dst, tc.want)
				break
			}
		}
	}
}

func sameModel(t *testing.T, got, want *Model, counts bool) {
	t.Helper()
	if got.Dim != want.Dim || !slices.Equal(got.Words, want.Words) {
		t.Fatalf("got %d words dim %d, want %d words dim %d", len(got.Words), got.Dim, len(want.Words), want.Dim)
	}
	if counts && !slices.Equal(got.Counts, want.Counts) {
		t.Errorf("counts %v, want %v", got.Counts, want.Counts)
	}
	for i := range want.Vectors { // bit-identical, NaN-free
		if got.Vectors[i] != want.Vectors[i] {
			t.Fatalf("vector value %d: %v, want %v", i, got.Vectors[i], want.Vectors[i])
		}
	}
	for _, w := range want.Words {
		if got.Index(w) != want.Index(w) {
			t.Errorf("index of %q", w)
		}
	}
}

// golden compares b with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, b []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s changed (run go test -update if intended):\n%q\nwant\n%q", path, b, want)
	}
}

func TestFormatsGolden(t *testing.T) {
	m := tinyModel()
	var bin, txt, voc bytes.Buffer
	if err := m.WriteBinary(&bin); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteVocab(&voc); err != nil {
		t.Fatal(err)
	}
	golden(t, "tiny.w2v", bin.Bytes())
	golden(t, "tiny.txt", txt.Bytes())
	golden(t, "tiny.vocab", voc.Bytes())
}

func TestBinaryRoundTrip(t *testing.T) {
	m := mustTrain(t, plantedCorpus(4, 500, 1), plantedOpts(WithEpochs(2))...)
	b := binaryBytes(t, m)
	got, err := ReadBinary(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, got, m, true)
	wantP := m.Params
	wantP.Threads = 0 // not recorded
	if got.Params != wantP {
		t.Errorf("params %+v, want %+v", got.Params, wantP)
	}
	if !slices.Equal(got.Stats.EpochLoss, m.Stats.EpochLoss) {
		t.Errorf("epoch loss %v, want %v", got.Stats.EpochLoss, m.Stats.EpochLoss)
	}
	nb1, _ := m.MostSimilar("m0_0", 3)
	nb2, _ := got.MostSimilar("m0_0", 3)
	if !slices.Equal(nb1, nb2) {
		t.Errorf("neighbours differ after round trip: %v vs %v", nb1, nb2)
	}

	// Damage is detected.
	for _, pos := range []int{0, 9, 40, len(b) / 2, len(b) - 1} {
		bad := slices.Clone(b)
		bad[pos] ^= 0x10
		if _, err := ReadBinary(bytes.NewReader(bad)); err == nil {
			t.Errorf("flipping a bit at byte %d went unnoticed", pos)
		}
	}
	for _, n := range []int{0, 10, 30, len(b) - 4, len(b) - 1} {
		if _, err := ReadBinary(bytes.NewReader(b[:n])); err == nil {
			t.Errorf("truncation to %d bytes went unnoticed", n)
		}
	}
}

func TestTextRoundTrip(t *testing.T) {
	m := mustTrain(t, plantedCorpus(4, 500, 1), plantedOpts(WithEpochs(2))...)
	var txt, voc bytes.Buffer
	if err := m.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	got, err := ReadText(bytes.NewReader(txt.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sameModel(t, got, m, false)
	if err := m.WriteVocab(&voc); err != nil {
		t.Fatal(err)
	}
	words, counts, err := ReadVocab(&voc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(words, m.Words) || !slices.Equal(counts, m.Counts) {
		t.Errorf("vocabulary round trip: %v %v", words, counts)
	}
	for _, bad := range []string{"", "a b", "a\nb", "\xff"} {
		m := newModel([]string{bad}, []int64{1}, 1, []float32{0})
		if err := m.WriteText(&bytes.Buffer{}); err == nil {
			t.Errorf("WriteText accepted word %q", bad)
		}
		if err := m.WriteVocab(&bytes.Buffer{}); err == nil {
			t.Errorf("WriteVocab accepted word %q", bad)
		}
	}
	for _, bad := range []string{"", "2 2\na 1 2\n", "1 2\na 1\n", "1 2\na 1 x\n", "x y\n", "2 1\na 1\na 2\n"} {
		if _, err := ReadText(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadText accepted %q", bad)
		}
	}
}

// TestGensimLoadsText checks that gensim reads the text format: vocabulary
// size, order and one vector.
func TestGensimLoadsText(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("%s not found", py)
	}
	if err := exec.Command(py, "-c", "import gensim").Run(); err != nil {
		t.Skipf("gensim not importable by %s: %v", py, err)
	}
	m := mustTrain(t, plantedCorpus(4, 500, 1), plantedOpts(WithEpochs(1))...)
	// Make sure non-ASCII words pass too.
	m = newModel(append(slices.Clone(m.Words), "ünï_😀"), append(slices.Clone(m.Counts), 1), m.Dim,
		append(slices.Clone(m.Vectors), m.Vectors[:m.Dim]...))
	path := filepath.Join(t.TempDir(), "vectors.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteText(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	const script = `
import json, sys
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=False)
w = sys.argv[2]
print(json.dumps({"n": len(kv), "dim": kv.vector_size, "words": kv.index_to_key,
                  "vec": [float(x) for x in kv[w]], "dtype": str(kv.vectors.dtype)}))
`
	probe := m.Words[3]
	out, err := exec.Command(py, "-c", script, path, probe).Output()
	if err != nil {
		t.Fatalf("gensim: %v", err)
	}
	var res struct {
		N, Dim int
		Words  []string
		Vec    []float64
		Dtype  string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	if res.N != m.Len() || res.Dim != m.Dim || !slices.Equal(res.Words, m.Words) {
		t.Fatalf("gensim read %d words of dim %d, want %d of dim %d", res.N, res.Dim, m.Len(), m.Dim)
	}
	want, _ := m.Vector(probe)
	for i, v := range want {
		if float32(res.Vec[i]) != v {
			t.Fatalf("gensim vector of %q[%d] = %v, want %v", probe, i, res.Vec[i], v)
		}
	}
	if res.Dtype != "float32" {
		t.Errorf("gensim dtype %s", res.Dtype)
	}
}
