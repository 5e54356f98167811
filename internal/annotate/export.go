package annotate

import (
	"context"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// ExportStats counts what Export wrote and left out.
type ExportStats struct {
	Tasks     int            // tasks in the store
	Rows      int            // golden rows written
	Ties      int            // tasks excluded because their top labels tie
	Skipped   int            // tasks excluded because every answer is a skip
	Unlabeled int            // tasks without any answer
	Labels    map[string]int // rows per label
}

// Export resolves the current answers into golden labels (Resolve) and
// calls write with one dataset row per decided task, by task id: the
// tweet's id, text, clean text and urls, the final label, and Source
// "annotate:task/<id>".
func Export(ctx context.Context, s *Store, write func(*dataset.Tweet) error) (ExportStats, error) {
	st := ExportStats{Labels: map[string]int{}}
	p, err := s.Progress(ctx)
	if err != nil {
		return st, err
	}
	st.Tasks = p.Tasks
	votes, err := s.Votes(ctx)
	if err != nil {
		return st, err
	}
	res := Resolve(votes)
	st.Ties, st.Skipped = len(res.Ties), len(res.Skipped)
	ids := make([]int64, 0, len(res.Decisions))
	for _, d := range res.Decisions {
		ids = append(ids, d.TaskID)
	}
	tasks, err := s.Tasks(ctx, ids)
	if err != nil {
		return st, err
	}
	for _, d := range res.Decisions {
		t, ok := tasks[d.TaskID]
		if !ok {
			return st, fmt.Errorf("exporting: task %d has answers but is missing", d.TaskID)
		}
		row := dataset.Tweet{ID: t.TweetID, Text: t.Text, CleanText: t.CleanText, URLs: t.URLs, Label: d.Label,
			Source: fmt.Sprintf("annotate:task/%d", t.ID)}
		if err := write(&row); err != nil {
			return st, fmt.Errorf("exporting task %d (tweet %q): %w", t.ID, t.TweetID, err)
		}
		st.Rows++
		st.Labels[d.Label]++
	}
	st.Unlabeled = st.Tasks - st.Rows - st.Ties - st.Skipped
	return st, nil
}
