package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/weak"
)

const (
	sample = "../../internal/weak/testdata/ai_sample.jsonl"
	rules  = "../../examples/labeling/ai-tweets.rules.yaml"
)

// sampleTweets reads the committed sample as unlabeled tweets (the label
// stage must not see hand labels).
func sampleTweets(t *testing.T) []dataset.Tweet {
	t.Helper()
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []dataset.Tweet
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ ID, Text string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, dataset.Tweet{ID: r.ID, Text: r.Text, CleanText: strings.ToLower(r.Text)})
	}
	return out
}

func TestLabelWithGolden(t *testing.T) {
	s := stagetest.NewFS(t)
	in := sampleTweets(t)
	s.WriteTweets(t, "r1", "balance-split", "train", in)
	res := s.MustRun(t, stages.Label, component.Typed(run), "r1", "--rules", rules, "--golden", sample, "--golden-format", "jsonl")
	for _, want := range []string{"coverage", "overlaps", "conflicts", "ai_field_terms", "learned acc.", "emp. acc.", "generative vs golden", "majority   vs golden"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	out := s.Tweets(t, "r1", "label", "tweets")
	sum := s.Summary(t, "r1", "label")
	uncovered := int(sum.Extra["uncovered"].(float64))
	if len(out)+uncovered != len(in) || len(out) == 0 {
		t.Fatalf("%d labeled + %d uncovered != %d input rows", len(out), uncovered, len(in))
	}
	for _, tw := range out {
		if tw.Label != "AI" && tw.Label != "OTHER" {
			t.Fatalf("row %s: label %q", tw.ID, tw.Label)
		}
		p := tw.LabelProbs
		if len(p) != 2 || p[tw.Label] != tw.LabelConfidence || p["AI"]+p["OTHER"] < 0.999 || p["AI"]+p["OTHER"] > 1.001 || tw.LabelConfidence < 0.5 {
			t.Fatalf("row %s: label %q confidence %g probs %v", tw.ID, tw.Label, tw.LabelConfidence, p)
		}
	}
	var rep weak.Report
	if err := json.Unmarshal(s.File(t, "r1", "label", "report", SummaryJSON), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Golden == nil || rep.Golden.GoldRows != 50 || len(rep.Evaluation) != 2 || rep.Summary.LFs[0].LearnedAccuracy == nil {
		t.Fatalf("report: golden %+v, %d evaluations", rep.Golden, len(rep.Evaluation))
	}
	var evals []weak.NamedEval
	if err := json.Unmarshal(s.File(t, "r1", "label", "report", EvaluationJSON), &evals); err != nil {
		t.Fatal(err)
	}
	// The sample is labeled by hand; the rules must beat chance clearly.
	for _, e := range evals {
		if e.Eval.Rows != 50 || e.Eval.MacroRecall < 0.7 {
			t.Errorf("%s: rows %d macro recall %.3f", e.Model, e.Eval.Rows, e.Eval.MacroRecall)
		}
	}
	html := string(s.File(t, "r1", "label", "report", SummaryHTML))
	// LF names may wrap after their underscores (<wbr>).
	for _, want := range []string{"<svg", "ai_<wbr>field_<wbr>terms", "generative vs golden", "golden \\ predicted"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") || strings.Contains(html, "<script") {
		t.Error("the HTML report must be self-contained")
	}

	// Deterministic: a second run gives the same dataset bytes.
	s.MustRun(t, stages.Label, component.Typed(run), "r2", "--rules", rules, "--tweets", s.URI("r1", "balance-split", "train"))
	if a, b := s.MustManifest(t, "r1", "label", "tweets").Digest(), s.MustManifest(t, "r2", "label", "tweets").Digest(); a != b {
		t.Errorf("two runs differ: %s vs %s", a, b)
	}
}

func TestLabelMajorityAndMinConfidence(t *testing.T) {
	s := stagetest.NewFS(t)
	in := sampleTweets(t)
	s.WriteTweets(t, "r1", "balance-split", "train", in)
	// Rules that must disagree on some rows: every row gets an OTHER vote,
	// rows naming the field one or two AI votes (2:1 is confidence 2/3).
	conflicting := filepath.Join(t.TempDir(), "conflict.rules.yaml")
	if err := os.WriteFile(conflicting, []byte(`labels: [AI, OTHER]
rules:
  - {name: ai_word, label: AI, keywords: [ai, artificial intelligence]}
  - {name: ml_word, label: AI, keywords: [machine learning, data science, ml]}
  - {name: any_tweet, label: OTHER, length: {min_words: 0}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s.MustRun(t, stages.Label, component.Typed(run), "r1", "--rules", conflicting, "--model", "majority", "--min-confidence", "0.99")
	for _, tw := range s.Tweets(t, "r1", "label", "tweets") {
		if tw.LabelConfidence < 0.99 {
			t.Fatalf("row %s kept with confidence %g < 0.99", tw.ID, tw.LabelConfidence)
		}
	}
	sum := s.Summary(t, "r1", "label")
	if sum.Extra["below_min_confidence"].(float64) == 0 {
		t.Errorf("no row below 0.99 majority confidence: %v", sum.Extra)
	}
}

func TestLabelBadRules(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", sampleTweets(t))
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, body string
		args       []string
		want       []string
	}{
		{"typo.yaml", "labels: [AI, OTHER]\nrules:\n  - name: kw\n    label: AI\n    keywrds: [ai]\n", nil,
			[]string{"typo.yaml", `rule #1 "kw"`, `field "keywrds"`, "unknown field"}},
		{"label.yaml", "labels: [AI, OTHER]\nrules:\n  - name: kw\n    label: SPAM\n    keywords: [ai]\n", nil,
			[]string{`field "label"`, `"SPAM" is not in labels`}},
		{"two.yaml", "labels: [AI, OTHER]\nrules:\n  - {name: a, label: AI, keywords: [ai]}\n  - {name: b, label: OTHER, keywords: [cat]}\n", nil,
			[]string{"2 labeling functions", "at least 3", "--model majority"}},
		{"balance.yaml", "labels: [AI, OTHER]\nrules:\n  - {name: a, label: AI, keywords: [ai]}\n  - {name: b, label: OTHER, keywords: [cat]}\n  - {name: c, label: OTHER, keywords: [dog]}\n",
			[]string{"--class-balance", "0.5"}, []string{"--class-balance", "1 values", "2 labels"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--rules", write(tc.name, tc.body)}, tc.args...)
			r := s.Run(t, stages.Label, component.Typed(run), "r1", args...)
			if r.Code == 0 {
				t.Fatal("want a non-zero exit")
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
		})
	}
}

// A model rule loads an exported model folder given relative to the rules
// file and votes where the model's probability passes the threshold; the
// golden set is a committed dataset with lower-case labels.
func TestLabelModelRuleAndGoldenDataset(t *testing.T) {
	s := stagetest.NewFS(t)
	texts := servingtest.Texts
	var in []dataset.Tweet
	for i, x := range texts {
		in = append(in, dataset.Tweet{ID: fmt.Sprint(i), Text: x})
	}
	s.WriteTweets(t, "r1", "balance-split", "train", in)
	m, err := servingtest.Random(servingtest.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range m.Files {
		if err := os.WriteFile(filepath.Join(dir, "m", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The threshold splits the texts: the median probability of positive.
	var ps []float64
	for _, x := range texts {
		ps = append(ps, float64(m.Reference(x)[2]))
	}
	sorted := slices.Clone(ps)
	slices.Sort(sorted)
	th := sorted[len(sorted)/2]
	body := fmt.Sprintf(`labels: [positive, negative]
rules:
  - {name: model_pos, label: positive, model: {path: m, threshold: %v}}
  - {name: sad, label: negative, emoticons: [":("]}
  - {name: bad, label: negative, keywords: [worst, disappointed, fail, cancelled]}
`, th)
	rulesPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesPath, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s.WriteTweets(t, "g", "annotate", "golden", []dataset.Tweet{
		{ID: "g1", Text: texts[0], Label: "positive"}, {ID: "g2", Text: texts[1], Label: "NEGATIVE"}, {ID: "g3", Text: "meh", Label: "unsure"},
	})
	res := s.MustRun(t, stages.Label, component.Typed(run), "r1", "--rules", rulesPath, "--model", "majority", "--golden", s.URI("g", "annotate", "golden"))
	if !strings.Contains(res.Stdout, "2 golden rows") {
		t.Errorf("want 2 golden rows (unsure skipped):\n%s", res.Stdout)
	}
	var rep weak.Report
	if err := json.Unmarshal(s.File(t, "r1", "label", "report", SummaryJSON), &rep); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, p := range ps {
		if p >= th {
			want++
		}
	}
	if got := rep.Summary.LFs[0].Coverage * float64(len(texts)); math.Abs(got-float64(want)) > 1e-9 {
		t.Errorf("model rule voted on %v texts, the model passes the threshold on %d", got, want)
	}
}
