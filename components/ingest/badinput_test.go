package main

import (
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/badinput"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestIngestBrokenInputs runs the broken-input corpus (issue 11) through
// ingest: exit code, messages, published rows and the summary's bad rows.
func TestIngestBrokenInputs(t *testing.T) {
	for _, c := range badinput.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			s := stagetest.NewFS(t)
			path := c.Make(t, t.TempDir())
			r := s.Run(t, stages.Ingest, component.Typed(run), "r", "--sources", path, "--label-map", "*",
				"--label-column", "label", "--id-column", "id", "--max-bad-rows", "10")
			o := badinput.Outcome{Code: r.Code, Stderr: r.Stderr, Published: -1}
			if _, ok := s.Manifest(t, "r", "ingest", "tweets"); ok {
				tw := s.Tweets(t, "r", "ingest", "tweets")
				o.Published = len(tw)
				for _, x := range tw {
					if x.Label != "AI" && x.Label != "OTHER" {
						t.Errorf("row %s label %q", x.ID, x.Label)
					}
					if c.NUL && strings.Contains(x.Text, "\x00") {
						o.CleanText += "" // ingest keeps the raw text as read
					}
				}
			}
			if c.Exit != 2 {
				o.BadRows = int(s.Summary(t, "r", "ingest").Extra["bad_rows"].(float64))
			}
			badinput.Check(t, c, path, o, false, "")
		})
	}
}
