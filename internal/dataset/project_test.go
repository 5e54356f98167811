package dataset

import (
	"context"
	"io"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// TestReadOutputColumns checks that a projected read returns id, text and
// the asked columns as written, leaves the others empty, and rejects an
// unknown column.
func TestReadOutputColumns(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	in := Generate(11, 700, GenerateOptions{Cleaned: true})
	out := artifact.NewOutput(store, "ds")
	w := NewShardWriter(func(name string) (io.WriteCloser, error) { return out.Create(ctx, name) }, WithShardRows(300), WithBatchRows(128))
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cols := range [][]string{{ColLabel}, {ColLabel, ColURLs, ColCreatedAt}, {}} {
		var got []Tweet
		if err := ReadOutputColumns(ctx, store, "ds", cols, func(t *Tweet) error { got = append(got, *t); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(in) {
			t.Fatalf("%v: %d rows, want %d", cols, len(got), len(in))
		}
		has := map[string]bool{}
		for _, c := range cols {
			has[c] = true
		}
		for i, g := range got {
			w := in[i]
			want := Tweet{ID: w.ID, Text: w.Text}
			if has[ColLabel] {
				want.Label = w.Label
			}
			if has[ColURLs] && len(w.URLs) > 0 {
				want.URLs = w.URLs
			}
			if has[ColCreatedAt] {
				want.CreatedAt = w.CreatedAt
			}
			if g.ID != want.ID || g.Text != want.Text || g.Label != want.Label || g.User != "" || g.Source != "" ||
				g.CleanText != "" || !g.CreatedAt.Equal(want.CreatedAt) || len(g.URLs) != len(want.URLs) {
				t.Fatalf("%v row %d: got %+v, want %+v", cols, i, g, want)
			}
		}
	}
	if err := ReadOutputColumns(ctx, store, "ds", []string{"nope"}, func(*Tweet) error { return nil }); err == nil {
		t.Error("unknown column: no error")
	}
}
