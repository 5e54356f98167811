package main

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/badinput"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

var goldenRows = regexp.MustCompile(`labeling functions on (\d+) golden rows`)

// TestLabelBrokenInputs runs the broken-input corpus (issue 11) through
// label's raw --golden input: exit code, messages, golden rows evaluated
// and the summary's bad rows (bounded by --max-bad-rows as in ingest).
func TestLabelBrokenInputs(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "in", "balance-split", "train", sampleTweets(t))
	tweets := s.URI("in", "balance-split", "train")
	for i, c := range badinput.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			runID := "r" + string(rune('a'+i/26)) + string(rune('a'+i%26))
			path := c.Make(t, t.TempDir())
			r := s.Run(t, stages.Label, run, runID, "--rules", rules, "--tweets", tweets, "--golden", path, "--model", "majority",
				"--label-column", "label", "--id-column", "id", "--max-bad-rows", "10")
			o := badinput.Outcome{Code: r.Code, Stderr: r.Stderr, Published: -1}
			if _, ok := s.Manifest(t, runID, "label", "report"); ok {
				m := goldenRows.FindStringSubmatch(r.Stdout)
				if m == nil {
					t.Fatalf("stdout does not say how many golden rows:\n%s", r.Stdout)
				}
				o.Published, _ = strconv.Atoi(m[1])
			}
			if c.Exit != 2 {
				if b, ok := s.Summary(t, runID, "label").Extra["bad_rows"].(float64); ok {
					o.BadRows = int(b)
				}
			}
			badinput.Check(t, c, path, o, true, "no rows with the rules' labels")
		})
	}
}
