package main

import (
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/badinput"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestScoreBrokenInputs runs the broken-input corpus (issue 11) through
// score with file input: exit code, messages, scored rows, the summary's
// bad rows, and no control character in the cleaned text the model saw.
func TestScoreBrokenInputs(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	for i, c := range badinput.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			run := "r" + string(rune('a'+i/26)) + string(rune('a'+i%26))
			path := c.Make(t, t.TempDir())
			r := st.Run(t, stages.Score, runWith(strings.NewReader("")), run, "--model", modelURI, "--tweets", path,
				"--label-column", "label", "--id-column", "id", "--max-bad-rows", "10")
			o := badinput.Outcome{Code: r.Code, Stderr: r.Stderr, Published: -1}
			if _, ok := st.Manifest(t, run, "score", "scores"); ok {
				rows := scores(t, st, run)
				o.Published = len(rows)
				for _, row := range rows {
					o.CleanText += row.CleanText + "\n"
				}
			}
			if c.Exit != 2 {
				if b, ok := st.Summary(t, run, "score").Extra["bad_rows"].(float64); ok {
					o.BadRows = int(b)
				}
			}
			badinput.Check(t, c, path, o, false, "")
		})
	}
}
