package synthcorpus

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestGenerateSeededAndLabeled(t *testing.T) {
	a := Generate(1, 400, Emotions, Options{})
	if b := Generate(1, 400, Emotions, Options{}); !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different tweets")
	}
	if c := Generate(2, 400, Emotions, Options{}); reflect.DeepEqual(a, c) {
		t.Fatal("another seed, same tweets")
	}
	counts := map[string]int{}
	for _, tw := range a {
		counts[tw.Label]++
		// Every tweet carries a cue word of its own class.
		found := false
		for _, w := range strings.Fields(tw.Text) {
			for _, c := range Cues(tw.Label) {
				found = found || w == c
			}
		}
		if !found {
			t.Fatalf("tweet %q (%s) has no cue word of its class", tw.Text, tw.Label)
		}
	}
	for _, l := range Emotions {
		if counts[l] < 60 {
			t.Errorf("label %s: %d of 400 tweets", l, counts[l])
		}
	}
}

func TestWeightsAndGeneratedCues(t *testing.T) {
	tw := Generate(3, 1000, []string{"AI", "OTHER"}, Options{Weights: []float64{1, 3}})
	n := 0
	for _, x := range tw {
		if x.Label == "AI" {
			n++
		}
	}
	if n < 200 || n > 300 {
		t.Errorf("%d AI tweets of 1000, want about 250", n)
	}
	if c := Cues("Not Sure!"); c[0] != "notxsurexcue0" {
		t.Errorf("cues of a label with spaces: %q", c)
	}
}

func TestWriteJSONL(t *testing.T) {
	var b bytes.Buffer
	tw := Generate(1, 2, []string{"a", "b"}, Options{})
	tw[1].Label = ""
	if err := WriteJSONL(&b, tw); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"label":"`) || strings.Contains(lines[1], `"label"`) || !strings.Contains(lines[0], `"created_at":"2020-01-01T00:00:00Z"`) {
		t.Fatalf("jsonl:\n%s", b.String())
	}
}
