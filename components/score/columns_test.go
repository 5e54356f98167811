package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestScoreHeaderCSV scores a CSV with a header through the column flags:
// ids, users and texts come from the named columns, in any order.
func TestScoreHeaderCSV(t *testing.T) {
	st := stagetest.NewFS(t)
	modelURI, _ := commitModel(t, st, "m1")
	p := filepath.Join(t.TempDir(), "in.csv")
	in := "handle,body,tid\nann,\"great flight, thanks!\",71\nbob,\"two\nlines \"\"quoted\"\"\",72\n"
	if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	st.MustRun(t, stages.Score, runWith(nil), "r", "--model", modelURI, "--tweets", p,
		"--text-column", "body", "--id-column", "tid", "--user-column", "handle")
	rows := scores(t, st, "r")
	if len(rows) != 2 || rows[0].ID != "71" || rows[0].User != "ann" || rows[0].Text != "great flight, thanks!" ||
		rows[1].ID != "72" || rows[1].Text != "two\nlines \"quoted\"" {
		t.Fatalf("rows %+v", rows)
	}
}
