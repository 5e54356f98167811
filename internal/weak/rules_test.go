package weak

import (
	"errors"
	"strings"
	"testing"
)

func mustRules(t *testing.T, body string, opts ParseOptions) *Rules {
	t.Helper()
	r, err := ParseRules("t.yaml", []byte(body), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRulesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"empty", "", []string{`rules "t.yaml"`, "empty file"}},
		{"yaml syntax", "labels: [a, b\n", []string{`rules "t.yaml"`}},
		{"top unknown", "labels: [a, b]\nrulez: []\n", []string{`field "rulez"`, "unknown field", "line 2"}},
		{"one label", "labels: [a]\nrules: [{name: x, label: a, keywords: [k]}]\n", []string{`field "labels"`, "at least 2"}},
		{"dup label", "labels: [a, a]\nrules: [{name: x, label: a, keywords: [k]}]\n", []string{`duplicate label "a"`}},
		{"no rules", "labels: [a, b]\n", []string{`field "rules"`, "no rules"}},
		{"rule unknown field", "labels: [a, b]\nrules:\n  - name: x\n    label: a\n    keywrds: [k]\n", []string{`rule #1 "x"`, `field "keywrds"`, "line 5"}},
		{"nested unknown", "labels: [a, b]\nrules:\n  - name: x\n    label: a\n    lexicon: {mn: 1}\n", []string{`rule #1 "x"`, `field "lexicon.mn"`}},
		{"no name", "labels: [a, b]\nrules:\n  - {name: x, label: a, keywords: [k]}\n  - {label: a, keywords: [k]}\n", []string{"rule #2", `field "name"`, "missing"}},
		{"label not listed", "labels: [a, b]\nrules: [{name: x, label: c, keywords: [k]}]\n", []string{`field "label"`, `"c" is not in labels`}},
		{"no condition", "labels: [a, b]\nrules: [{name: x, label: a}]\n", []string{`rule #1 "x"`, "no condition"}},
		{"two conditions", "labels: [a, b]\nrules: [{name: x, label: a, keywords: [k], regex: [k]}]\n", []string{`field "regex"`, "more than one condition"}},
		{"bad regex", "labels: [a, b]\nrules: [{name: x, label: a, regex: ['(']}]\n", []string{`field "regex"`, "regular expression"}},
		{"empty keywords", "labels: [a, b]\nrules: [{name: x, label: a, keywords: []}]\n", []string{`field "keywords"`, "empty list"}},
		{"punct keyword", "labels: [a, b]\nrules: [{name: x, label: a, keywords: ['!!']}]\n", []string{`field "keywords"`, "no letters"}},
		{"bad domain", "labels: [a, b]\nrules: [{name: x, label: a, domains: ['http://x.org/a']}]\n", []string{`field "domains"`, "host name"}},
		{"lexicon empty", "labels: [a, b]\nrules: [{name: x, label: a, lexicon: {}}]\n", []string{`field "lexicon"`, "min, max"}},
		{"lexicon order", "labels: [a, b]\nrules: [{name: x, label: a, lexicon: {min: 2, max: 1}}]\n", []string{`field "lexicon"`, "min 2 > max 1"}},
		{"length negative", "labels: [a, b]\nrules: [{name: x, label: a, length: {max_words: -1}}]\n", []string{`field "length"`, "negative"}},
		{"wrong type", "labels: [a, b]\nrules: [{name: x, label: a, retweet: maybe}]\n", []string{`rule #1 "x"`, "maybe"}},
		{"dup name", "labels: [a, b]\nrules: [{name: x, label: a, keywords: [k]}, {name: x, label: b, keywords: [j]}]\n", []string{`rule #2 "x"`, "duplicate rule name"}},
		{"hashtags on regex", "labels: [a, b]\nrules: [{name: x, label: a, regex: [k], hashtags: false}]\n", []string{`field "hashtags"`}},
		{"model without loader", "labels: [a, b]\nrules: [{name: x, label: a, model: {path: m, threshold: 0.9}}]\n", []string{`field "model"`, "no model loader"}},
		{"model threshold", "labels: [a, b]\nrules: [{name: x, label: a, model: {path: m, threshold: 2}}]\n", []string{`field "model.threshold"`}},
		{"rule not a mapping", "labels: [a, b]\nrules: [just-a-string]\n", []string{"rule #1", "want a mapping"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules("t.yaml", []byte(tc.body), ParseOptions{})
			if err == nil {
				t.Fatal("want an error")
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Errorf("error %T is not a *RuleError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// fakeModel predicts P(class 0) = 0.9 for texts containing "robot", else 0.2.
type fakeModel struct{ fail bool }

func (fakeModel) Labels() []string { return []string{"AI", "OTHER"} }
func (f fakeModel) Predict(texts []string) ([][]float32, error) {
	if f.fail {
		return nil, errors.New("graph exploded")
	}
	out := make([][]float32, len(texts))
	for i, s := range texts {
		p := float32(0.2)
		if strings.Contains(s, "robot") {
			p = 0.9
		}
		out[i] = []float32{p, 1 - p}
	}
	return out, nil
}

func TestRuleKinds(t *testing.T) {
	const body = `labels: [AI, OTHER]
rules:
  - {name: dl, label: AI, keywords: [deep learning]}
  - {name: tag, label: AI, keywords: ["#ai"]}
  - {name: word_ai, label: AI, keywords: [ai], hashtags: false}
  - {name: net, label: AI, keywords: [neural net*]}
  - {name: data_wo_science, label: OTHER, keywords: [data], without: [science]}
  - {name: re, label: AI, regex: ['\bgpt-?\d\b']}
  - {name: dom, label: AI, domains: [arxiv.org]}
  - {name: emo, label: OTHER, emoticons: [":)", "😂"]}
  - {name: happy, label: OTHER, lexicon: {min: 3}}
  - {name: rt, label: OTHER, retweet: true}
  - {name: short, label: OTHER, length: {max_words: 3}}
  - {name: model, label: AI, model: {path: m, threshold: 0.8}}
`
	loaded := ""
	r := mustRules(t, body, ParseOptions{LoadModel: func(p string) (Predictor, error) { loaded = p; return fakeModel{}, nil }})
	if loaded != "m" || len(r.LFs) != 12 || r.Labels[1] != "OTHER" {
		t.Fatalf("parsed %d LFs, labels %v, loaded %q", len(r.LFs), r.Labels, loaded)
	}
	byName := map[string]LF{}
	for _, lf := range r.LFs {
		byName[lf.Name()] = lf
	}
	const AI, OTHER, no = 0, 1, Abstain
	for _, tc := range []struct {
		lf, text string
		want     int
	}{
		{"dl", "Intro to Deep Learning today", AI},
		{"dl", "new post #DeepLearning", AI},
		{"dl", "new post #deeplearning", AI},
		{"dl", "deep-learning", AI},
		{"dl", "deeper learning", no},
		{"dl", "deep thoughts on learning", no},
		{"tag", "love #AI", AI},
		{"tag", "love AI", no},
		{"tag", "love #AIart", no},
		{"word_ai", "AI will change things", AI},
		{"word_ai", "spam #AI #ML", no},
		{"word_ai", "paint the chair", no},
		{"net", "neural networks rock", AI},
		{"net", "#NeuralNetworks rock", AI},
		{"net", "neural pathways", no},
		{"data_wo_science", "covid data today", OTHER},
		{"data_wo_science", "data science jobs", no},
		{"data_wo_science", "#DataScience rules", no},
		{"re", "try GPT-3 now", AI},
		{"re", "gptx", no},
		{"dom", "paper https://arxiv.org/abs/1 here", AI},
		{"dom", "paper https://export.arxiv.org/abs/1", AI},
		{"dom", "paper https://notarxiv.org/abs/1", no},
		{"emo", "nice :)", OTHER},
		{"emo", "lol 😂😂", OTHER},
		{"emo", "see https://x.org/:)a", no},
		{"happy", "I love this, great and wonderful day", OTHER},
		{"happy", "a table", no},
		{"happy", "terrible awful day", no},
		{"rt", "RT @bob: hi", OTHER},
		{"rt", "hi RT @bob", no},
		{"short", "so true lol", OTHER},
		{"short", "this one has more than three words", no},
		{"model", "a robot arm", AI},
		{"model", "a cat", no},
	} {
		if got := byName[tc.lf].Vote(NewTextInput(tc.text)); got != tc.want {
			t.Errorf("%s(%q) = %d, want %d", tc.lf, tc.text, got, tc.want)
		}
	}
}

func TestModelRuleErrors(t *testing.T) {
	body := "labels: [AI, OTHER]\nrules: [{name: m, label: AI, model: {path: p, threshold: 0.5}}]\n"
	r := mustRules(t, body, ParseOptions{LoadModel: func(string) (Predictor, error) { return fakeModel{fail: true}, nil }})
	if _, err := Apply(r.LFs, []*Input{NewTextInput("x")}, 2); err == nil || !strings.Contains(err.Error(), "graph exploded") || !strings.Contains(err.Error(), `rule "m"`) {
		t.Errorf("Apply = %v, want the model's error naming the rule", err)
	}
	_, err := ParseRules("t.yaml", []byte("labels: [x, y]\nrules: [{name: m, label: x, model: {path: p, threshold: 0.5}}]\n"),
		ParseOptions{LoadModel: func(string) (Predictor, error) { return fakeModel{}, nil }})
	if err == nil || !strings.Contains(err.Error(), `label "x" is not a class of model "p"`) {
		t.Errorf("label outside the model's classes: %v", err)
	}
	_, err = ParseRules("t.yaml", []byte(body), ParseOptions{LoadModel: func(string) (Predictor, error) { return nil, errors.New("no such folder") }})
	if err == nil || !strings.Contains(err.Error(), `field "model.path"`) || !strings.Contains(err.Error(), "no such folder") {
		t.Errorf("loader error: %v", err)
	}
}

func TestSplitCamel(t *testing.T) {
	for in, want := range map[string]string{
		"DeepLearning": "Deep Learning", "deeplearning": "deeplearning", "NLPTools": "NLP Tools",
		"AI4Good": "AI 4 Good", "AI": "AI", "iPhone": "i Phone", "big_data": "big _ data",
	} {
		if got := strings.Join(splitCamel(in), " "); got != want {
			t.Errorf("splitCamel(%q) = %q, want %q", in, got, want)
		}
	}
}

// The example rules file parses (the dev-set test measures it).
func TestExampleRulesParse(t *testing.T) {
	data := readFile(t, exampleRules)
	r, err := ParseRules(exampleRules, data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.LFs) < 10 || strings.Join(r.Labels, ",") != "AI,OTHER" {
		t.Fatalf("%d LFs, labels %v", len(r.LFs), r.Labels)
	}
}

func FuzzParseRules(f *testing.F) {
	f.Add([]byte("labels: [a, b]\nrules: [{name: x, label: a, keywords: [k, 'deep learning*', '#ai']}]\n"))
	f.Add([]byte("labels: [a, b]\nrules:\n  - {name: x, label: b, lexicon: {min: -1, max: 2}, without: [y]}\n  - {name: r, label: a, regex: ['a+']}\n"))
	f.Add([]byte("labels: [a, b]\nrules: [{name: x, label: a, length: {min_words: 2, max_chars: 10}}, {name: y, label: b, retweet: false}]\n"))
	f.Add(readFile(f, exampleRules))
	in := []*Input{NewTextInput("RT @x: #DeepLearning is data science :) https://arxiv.org/a"), NewTextInput("")}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRules("fuzz.yaml", data, ParseOptions{})
		if err != nil {
			if !strings.Contains(err.Error(), `rules "fuzz.yaml"`) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(r.Labels) < 2 || len(r.LFs) == 0 {
			t.Fatalf("accepted %d labels, %d LFs", len(r.Labels), len(r.LFs))
		}
		if _, err := Apply(r.LFs, in, len(r.Labels)); err != nil {
			t.Fatal(err)
		}
	})
}
