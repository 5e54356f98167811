package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

const demoDir = "../../testdata/demo"

// TestDemoData ingests the committed demo dataset: every row is good, the
// SemEval files are the unmodified shared ones, and the development set is
// not among them.
func TestDemoData(t *testing.T) {
	all, err := ExpandLocal([]string{demoDir})
	if err != nil {
		t.Fatal(err)
	}
	var files []string // the training demo: ai-tweets is the labeling pipeline's (TestDemoAITweets)
	for _, f := range all {
		if !strings.Contains(filepath.ToSlash(f), "/ai-tweets/") {
			files = append(files, f)
		}
	}
	labels := map[string]int{}
	perFormat := map[Format]int64{}
	st, err := Ingest(context.Background(), LocalSources(files, FormatAuto, nil), func(tw *dataset.Tweet) error {
		labels[tw.Label]++
		return nil
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Sources {
		perFormat[s.Format] += s.RowsOut
		if strings.Contains(s.Name, "2016test") {
			t.Errorf("the development set %s is in the demo data", s.Name)
		}
	}
	if len(files) != 11 || perFormat[FormatSemEval] != 29702 || perFormat[FormatJSONL] != 20 || st.BadRows != 0 {
		t.Fatalf("%d files, rows per format %v, %d bad", len(files), perFormat, st.BadRows)
	}
	if len(labels) != 3 {
		t.Errorf("labels %v", labels)
	}
	for _, f := range files {
		if filepath.Ext(f) != ".txt" {
			continue
		}
		shared := filepath.Join(realData, "semeval2017-task4a", filepath.Base(f))
		want, err := os.ReadFile(shared)
		if err != nil {
			continue // no shared data here
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", f, shared)
		}
	}
}

// TestDemoAITweets ingests the labeling pipeline's demo data: the unlabeled
// stream (11,807 rows, unique ids) and the hand-labeled dev set (its labels
// kept as written with the permissive map), every row good.
func TestDemoAITweets(t *testing.T) {
	for _, tc := range []struct {
		dir    string
		rows   int64
		labels map[string]int
	}{
		{"unlabeled", 11807, map[string]int{"": 11807}},
		{"golden", 500, map[string]int{"AI": 132, "OTHER": 362, "UNSURE": 6}},
	} {
		files, err := ExpandLocal([]string{filepath.Join(demoDir, "ai-tweets", tc.dir)})
		if err != nil {
			t.Fatal(err)
		}
		lm, err := ParseLabelMap("*")
		if err != nil {
			t.Fatal(err)
		}
		labels := map[string]int{}
		ids := map[string]bool{}
		st, err := Ingest(context.Background(), LocalSources(files, FormatAuto, lm), func(tw *dataset.Tweet) error {
			labels[tw.Label]++
			if ids[tw.ID] {
				t.Errorf("%s: id %s repeats", tc.dir, tw.ID)
			}
			ids[tw.ID] = true
			return nil
		}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if st.RowsOut != tc.rows || st.BadRows != 0 || len(labels) != len(tc.labels) {
			t.Errorf("%s: %d rows (%d bad), labels %v; want %d rows, labels %v", tc.dir, st.RowsOut, st.BadRows, labels, tc.rows, tc.labels)
		}
		for l, n := range tc.labels {
			if labels[l] != n {
				t.Errorf("%s: %d rows labeled %q, want %d", tc.dir, labels[l], l, n)
			}
		}
	}
}
