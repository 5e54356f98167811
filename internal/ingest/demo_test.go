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
	files, err := ExpandLocal([]string{demoDir})
	if err != nil {
		t.Fatal(err)
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
