package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/component"
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
			r := s.Run(t, stages.Label, component.Typed(run), runID, "--rules", rules, "--tweets", tweets, "--golden", path, "--model", "majority",
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

// A rules file that is a FIFO is refused at once instead of blocking the
// stage in open (issue 11, defect 5).
func TestLabelRulesFIFO(t *testing.T) {
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", sampleTweets(t))
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan stagetest.Result, 1)
	go func() { done <- s.Run(t, stages.Label, component.Typed(run), "r1", "--rules", p) }()
	select {
	case r := <-done:
		if r.Code == 0 || !strings.Contains(r.Stderr, "named pipe (FIFO)") || !strings.Contains(r.Stderr, p) {
			t.Errorf("exit %d:\n%s", r.Code, r.Stderr)
		}
	case <-time.After(20 * time.Second):
		if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			w.Close() // unblock the stage
		}
		t.Fatal("label blocked opening a FIFO rules file")
	}
}
