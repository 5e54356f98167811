package weak

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/testutil/shareddata"
)

// seedIsAITweet is the seed's is_ai_tweet LF as the data README describes
// it: after removing '#' and '@' and lowercasing, a space-padded keyword of
// its positive list appears in the text. ai votes the AI class.
func seedIsAITweet(ai int) LF {
	kw := []string{"artificial intelligence", "robotics", "machine learning", "scikit", "mathematics",
		"deep learning", "tensorflow", "pytorch", "neural network", "computer vision", "image processing",
		"nlp", "natural language processing", "nltk", "spacy", "iot", "analytics", "big data", "data science",
		"data mining", "apache spark", "hadoop", "kafka", "airflow", "mlflow",
		"artificialintelligence", "machinelearning", "deeplearning", "neuralnetwork", "neuralnetworks",
		"computervision", "imageprocessing", "naturallanguageprocessing", "bigdata", "datascience", "datamining",
		"apachespark", "#ai", "#ml", "#dl"}
	return FuncLF{LFName: "seed_is_ai_tweet", Fn: func(in *Input) int {
		t := " " + strings.ToLower(strings.NewReplacer("#", "", "@", "").Replace(in.Text)) + " "
		for _, k := range kw {
			if strings.Contains(t, " "+k+" ") {
				return ai
			}
		}
		return Abstain
	}}
}

type labeledRow struct {
	ID    json.RawMessage `json:"id"`
	Text  string          `json:"text"`
	Label string          `json:"label"`
}

// readLabeled reads a JSONL file of {id, text, label}, dropping UNSURE rows.
func readLabeled(path string) ([]labeledRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []labeledRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r labeledRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		if r.Label != "UNSURE" {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

// devResult holds (a)-(c) on a labeled file.
type devResult struct {
	seed, majority, generative *Evaluation
	summary                    *Summary
}

func evaluateRulesOn(t *testing.T, rulesPath, dataPath string) devResult {
	t.Helper()
	data, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules(rulesPath, data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readLabeled(dataPath)
	if err != nil {
		t.Fatal(err)
	}
	class := map[string]int{}
	for i, l := range rules.Labels {
		class[l] = i
	}
	gold := make([]int, len(rows))
	inputs := make([]*Input, len(rows))
	for i, r := range rows {
		c, ok := class[r.Label]
		if !ok {
			t.Fatalf("%s row %d: label %q not in the rules' labels %q", dataPath, i+1, r.Label, rules.Labels)
		}
		gold[i], inputs[i] = c, NewTextInput(r.Text)
	}
	ai, other := class["AI"], class["OTHER"]
	var res devResult
	seedVotes, err := Apply([]LF{seedIsAITweet(ai)}, inputs, len(rules.Labels))
	if err != nil {
		t.Fatal(err)
	}
	seedPred := make([]int, len(rows))
	for i := range seedVotes {
		seedPred[i] = seedVotes[i][0]
	}
	// The seed's pipeline calls a tweet AI when its label model says so and
	// OTHER otherwise: the rule alone is "AI when it fires, else OTHER".
	if res.seed, err = Evaluate(gold, WithFallback(seedPred, other), rules.Labels); err != nil {
		t.Fatal(err)
	}
	votes, err := Apply(rules.LFs, inputs, len(rules.Labels))
	if err != nil {
		t.Fatal(err)
	}
	mv, err := MajorityVote(votes, len(rules.Labels))
	if err != nil {
		t.Fatal(err)
	}
	if res.majority, err = Evaluate(gold, mv.Labels(), rules.Labels); err != nil {
		t.Fatal(err)
	}
	md, err := FitDawidSkene(votes, DSOptions{Classes: len(rules.Labels)})
	if err != nil {
		t.Fatal(err)
	}
	gen, err := md.Predict(votes)
	if err != nil {
		t.Fatal(err)
	}
	if res.generative, err = Evaluate(gold, gen.Labels(), rules.Labels); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(rules.LFs))
	for i, lf := range rules.LFs {
		names[i] = lf.Name()
	}
	if res.summary, err = Summarize(names, rules.Labels, votes, gold, md.Accuracy); err != nil {
		t.Fatal(err)
	}
	return res
}

func logDev(t *testing.T, r devResult) {
	var b strings.Builder
	r.summary.WriteText(&b)
	t.Logf("LF summary:\n%s", b.String())
	for _, x := range []struct {
		name string
		e    *Evaluation
	}{{"(a) seed is_ai_tweet", r.seed}, {"(b) majority vote", r.majority}, {"(c) generative", r.generative}} {
		t.Logf("%-22s AI F1 %.4f  AI P %.4f R %.4f  macro recall %.4f  coverage %.4f  confusion %v",
			x.name, x.e.Class("AI").F1, x.e.Class("AI").Precision, x.e.Class("AI").Recall, x.e.MacroRecall, x.e.Coverage, x.e.Confusion)
	}
}

const exampleRules = "../../examples/labeling/ai-tweets.rules.yaml"

// TestExampleRulesOnDevSet measures (a) the seed's rule, (b) majority vote
// and (c) the generative model of the example rules on the 494 hand-labeled
// dev tweets (UNSURE dropped). The shared data may be absent (CI): the test
// skips then, unless TWEETFLOW_REQUIRE_DATA is set.
func TestExampleRulesOnDevSet(t *testing.T) {
	abs := filepath.Join(sspData(t), "dev_hand_labelled_500.jsonl")
	rulesPath := exampleRules
	if p := os.Getenv("WEAK_RULES"); p != "" {
		rulesPath = p
	}
	r := evaluateRulesOn(t, rulesPath, abs)
	logDev(t, r)
	if r.seed.Rows != 494 {
		t.Fatalf("dev set: %d rows without UNSURE, want 494", r.seed.Rows)
	}
	if os.Getenv("WEAK_RULES") != "" {
		return // measuring another rules file
	}
	// Measured values (docs/benchmarks.md), asserted to 3 decimals for the
	// seed's rule (fixed) and as floors for the example rules.
	seedAI := r.seed.Class("AI")
	if math.Abs(seedAI.F1-0.7303) > 1e-3 || math.Abs(r.seed.MacroRecall-0.8043) > 1e-3 {
		t.Errorf("(a) seed rule: AI F1 %.4f, macro recall %.4f; measured 0.7303, 0.8043", seedAI.F1, r.seed.MacroRecall)
	}
	for _, x := range []struct {
		name       string
		e          *Evaluation
		f1, recall float64
	}{{"(b) majority vote", r.majority, 0.86, 0.84}, {"(c) generative", r.generative, 0.84, 0.83}} {
		if f1 := x.e.Class("AI").F1; f1 < x.f1 || x.e.MacroRecall < x.recall {
			t.Errorf("%s: AI F1 %.4f (floor %.2f), macro recall %.4f (floor %.2f)", x.name, f1, x.f1, x.e.MacroRecall, x.recall)
		}
	}
	// Both label models beat the seed's single rule on AI F1 and macro
	// recall (rows no rule covers count as misses).
	for _, e := range []*Evaluation{r.majority, r.generative} {
		if e.Class("AI").F1 <= seedAI.F1 || e.MacroRecall <= r.seed.MacroRecall {
			t.Errorf("label model AI F1 %.4f, macro recall %.4f; seed rule %.4f, %.4f", e.Class("AI").F1, e.MacroRecall, seedAI.F1, r.seed.MacroRecall)
		}
	}
}

// TestExampleRulesOnSample is the always-run version on the committed
// 50-row sample of the dev file (15 AI, 35 OTHER).
func TestExampleRulesOnSample(t *testing.T) {
	r := evaluateRulesOn(t, exampleRules, "testdata/ai_sample.jsonl")
	logDev(t, r)
	if r.seed.Rows != 50 || r.summary.GoldRows != 50 {
		t.Fatalf("sample: %d rows", r.seed.Rows)
	}
	// Majority vote needs no fitting and beats the seed's rule on the
	// sample too. The generative model, fitted by EM on only these 50 rows'
	// votes (24 rules), is only checked for sanity: on so few rows it can
	// trust the wrong rules (measured: AI recall 0.60; on the 494 dev rows
	// 0.86).
	if e := r.majority; e.MacroRecall < 0.85 || e.Class("AI").Recall < 0.9 || e.MacroRecall <= r.seed.MacroRecall {
		t.Errorf("majority vote: macro recall %.4f, AI recall %.4f on the sample; seed rule macro recall %.4f", e.MacroRecall, e.Class("AI").Recall, r.seed.MacroRecall)
	}
	if e := r.generative; e.MacroRecall < 0.65 || e.Class("AI").Precision < 0.8 {
		t.Errorf("generative: macro recall %.4f, AI precision %.4f on the sample", e.MacroRecall, e.Class("AI").Precision)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sspData returns the folder of the ssp-ai-tweets data (skips without it
// unless TWEETFLOW_REQUIRE_DATA is set).
func sspData(t *testing.T) string {
	t.Helper()
	return shareddata.Dir(t, "ssp-ai-tweets", "dev_hand_labelled_500.jsonl")
}
