package serving

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

func TestModelMatchesReference(t *testing.T) {
	for _, hidden := range []int{0, 5} {
		tm, err := servingtest.Random(servingtest.Options{Hidden: hidden, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := tm.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		m, err := Load(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.Version() != "test-v1" || len(m.Labels()) != 3 || m.Labels()[2] != "positive" {
			t.Fatalf("version %q labels %v", m.Version(), m.Labels())
		}
		texts := append([]string{"", "   "}, servingtest.Texts...)
		// Big enough to take the parallel path.
		for len(texts) < 300 {
			texts = append(texts, texts...)
		}
		got, err := m.Predict(texts)
		if err != nil {
			t.Fatal(err)
		}
		for i, txt := range texts {
			want := tm.Reference(txt)
			for j := range want {
				if math.Abs(float64(got[i][j]-want[j])) > 1e-5 {
					t.Fatalf("hidden %d text %q: got %v, want %v", hidden, txt, got[i], want)
				}
			}
		}
	}
}

// TestPredictBatchSizes: every batch size (one chunk, several chunks, the
// shared-chunk parallel path from parallelMin texts) gives each text the
// probabilities it gets alone, in input order.
func TestPredictBatchSizes(t *testing.T) {
	tm, err := servingtest.Random(servingtest.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadFiles(tm.Files, "sizes")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i := 0; len(texts) < 300; i++ {
		// Different lengths, so sorting by length reorders them.
		texts = append(texts, strings.Repeat(servingtest.Texts[i%len(servingtest.Texts)]+" ", 1+i%4))
	}
	alone := make([][]float32, len(texts))
	for i, txt := range texts {
		p, err := m.Predict([]string{txt})
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = p[0]
	}
	for _, n := range []int{1, 2, chunkRows - 1, chunkRows + 1, parallelMin - 1, parallelMin, parallelMin + 1, 100, 300} {
		got, err := m.Predict(texts[:n])
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			for j := range got[i] {
				if math.Abs(float64(got[i][j]-alone[i][j])) > 1e-6 {
					t.Fatalf("batch of %d, text %d: %v, alone %v", n, i, got[i], alone[i])
				}
			}
		}
	}
}

// TestAnyLabelNames: a model with labels other than sentiment, some of
// them needing JSON escapes, answers /predict with its own label names and
// lists its positive label; a positive label outside the labels fails to
// load.
func TestAnyLabelNames(t *testing.T) {
	labels := []string{"AI", `not "AI"`, "émotion\\joie", "x y"}
	tm, err := servingtest.Random(servingtest.Options{Version: "any", Labels: labels, Seed: 9,
		Metadata: map[string]string{PositiveKey: "AI"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadFiles(tm.Files, "any")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Labels(), labels) || m.PositiveLabel() != "AI" {
		t.Fatalf("labels %q positive %q", m.Labels(), m.PositiveLabel())
	}
	ts := httptest.NewServer(New(StaticRegistry(m)))
	defer ts.Close()
	text := servingtest.Texts[0]
	resp, err := http.Post(ts.URL+"/predict", "application/json", strings.NewReader(`{"text":`+strconv.Quote(text)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Label         string             `json:"label"`
		Probabilities map[string]float64 `json:"probabilities"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := tm.Reference(text)
	best := 0
	for j, l := range labels {
		if p, ok := got.Probabilities[l]; !ok || math.Abs(p-float64(want[j])) > 1e-5 {
			t.Errorf("p(%q) = %v (present %v), want %v", l, p, ok, want[j])
		}
		if want[j] > want[best] {
			best = j
		}
	}
	if got.Label != labels[best] || len(got.Probabilities) != len(labels) {
		t.Errorf("label %q, probabilities %v; want %q", got.Label, got.Probabilities, labels[best])
	}
	resp, err = http.Get(ts.URL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Models []struct {
			Labels      []string        `json:"labels"`
			Positive    string          `json:"positive_label"`
			TextOptions json.RawMessage `json:"text_options"`
		} `json:"models"`
	}
	err = json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if err != nil || len(models.Models) != 1 || !slices.Equal(models.Models[0].Labels, labels) || models.Models[0].Positive != "AI" {
		t.Errorf("/models: %+v, %v", models, err)
	}
	// The text options let a client clean text as the model does (score --predict-url).
	if wantOpts, _ := json.Marshal(m.TextOptions()); len(models.Models) != 1 || string(models.Models[0].TextOptions) != string(wantOpts) {
		t.Errorf("/models text_options: %+v, want %s", models, wantOpts)
	}

	bad, err := servingtest.Random(servingtest.Options{Labels: []string{"AI", "OTHER"}, Metadata: map[string]string{PositiveKey: "ai"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFiles(bad.Files, "bad"); err == nil || !strings.Contains(err.Error(), `checking positive label "ai": not one of the labels`) {
		t.Errorf("a positive label outside the labels loaded: %v", err)
	}
}
