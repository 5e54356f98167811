package weak

import (
	"os"
	"testing"
)

func TestDumpDev(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(exampleRules)
	rules, err := ParseRules(exampleRules, data, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readLabeled(devFile)
	var inputs []*Input
	for _, r := range rows {
		inputs = append(inputs, NewTextInput(r.Text))
	}
	votes, _ := Apply(rules.LFs, inputs, 2)
	md, _ := FitDawidSkene(votes, DSOptions{Classes: 2})
	gen, _ := md.Predict(votes)
	for i, r := range rows {
		p := gen.Predictions[i].Label
		pl := "-"
		if p >= 0 {
			pl = rules.Labels[p]
		}
		if pl != r.Label {
			var fired []string
			for j, v := range votes[i] {
				if v >= 0 {
					fired = append(fired, rules.LFs[j].Name())
				}
			}
			t.Logf("gold=%s pred=%s %v %q", r.Label, pl, fired, r.Text[:min(len(r.Text), 200)])
		}
	}
}

func devDSOptions(k int) DSOptions {
	o := DSOptions{Classes: k}
	if os.Getenv("DS_SYM") != "" {
		o.Symmetric = true
	}
	if os.Getenv("DS_BAL") != "" {
		o.ClassBalance = []float64{0.27, 0.73}
	}
	return o
}
