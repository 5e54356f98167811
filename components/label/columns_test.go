package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// A golden CSV with its own column names (any order, quoted multi-line
// texts) evaluates like the same rows as JSONL, through the column flags
// every component that reads raw files has; a misspelt column is an error
// naming it.
func TestLabelGoldenCSVThroughColumnFlags(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", sampleTweets(t))

	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	path := filepath.Join(t.TempDir(), "golden.csv")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(out)
	if err := w.Write([]string{"answer", "notes", "body", "tweet_id"}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ ID, Text, Label string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]string{r.Label, "checked, \"twice\"", r.Text, r.ID}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := out.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}

	golden := regexp.MustCompile(`labeling functions on (\d+) golden rows`)
	fromJSONL := s.MustRun(t, stages.Label, component.Typed(run), "j", "--tweets", s.URI("r1", "balance-split", "train"),
		"--rules", rules, "--golden", sample, "--golden-format", "jsonl")
	fromCSV := s.MustRun(t, stages.Label, component.Typed(run), "c", "--tweets", s.URI("r1", "balance-split", "train"),
		"--rules", rules, "--golden", path, "--text-column", "body", "--label-column", "answer", "--id-column", "tweet_id")
	mj, mc := golden.FindStringSubmatch(fromJSONL.Stdout), golden.FindStringSubmatch(fromCSV.Stdout)
	if mj == nil || mc == nil || mj[1] != mc[1] || mj[1] == "0" {
		t.Fatalf("golden rows: JSONL %v, CSV %v\n%s", mj, mc, fromCSV.Stdout)
	}
	var ej, ec []json.RawMessage
	for _, x := range []struct {
		run string
		to  *[]json.RawMessage
	}{{"j", &ej}, {"c", &ec}} {
		if err := json.Unmarshal(s.File(t, x.run, "label", "report", "evaluation.json"), x.to); err != nil {
			t.Fatal(err)
		}
	}
	if len(ej) == 0 || len(ej) != len(ec) {
		t.Fatalf("evaluations: JSONL %d, CSV %d", len(ej), len(ec))
	}
	for i := range ej {
		if string(ej[i]) != string(ec[i]) {
			t.Errorf("evaluation %d differs:\nJSONL %s\nCSV   %s", i, ej[i], ec[i])
		}
	}

	res := s.Run(t, stages.Label, component.Typed(run), "bad", "--tweets", s.URI("r1", "balance-split", "train"),
		"--rules", rules, "--golden", path, "--text-column", "body", "--label-column", "label")
	if res.Code == 0 || !regexp.MustCompile(`column "label" \(--label-column\) is not in the header`).MatchString(res.Stderr) {
		t.Errorf("misspelt column: exit %d\n%s", res.Code, res.Stderr)
	}
}
