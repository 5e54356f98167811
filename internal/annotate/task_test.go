package annotate

import (
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

func TestTaskFromTweetKeepsTheWeakLabel(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   dataset.Tweet
		want Task
	}{
		{"label stage output", dataset.Tweet{ID: "7", Text: "deep learning https://x.io", CleanText: "deep learning <url>",
			URLs: []string{"https://x.io"}, Label: "AI", LabelConfidence: 0.93, LabelProbs: map[string]float64{"AI": 0.93, "OTHER": 0.07}},
			Task{TweetID: "7", Text: "deep learning https://x.io", CleanText: "deep learning <url>", URLs: []string{"https://x.io"}, WeakLabel: "AI", WeakConfidence: 0.93}},
		{"hand label, no confidence", dataset.Tweet{ID: "8", Text: "hi", Label: "OTHER"},
			Task{TweetID: "8", Text: "hi", WeakLabel: "OTHER"}},
		{"unlabeled", dataset.Tweet{ID: "9", Text: "hi"}, Task{TweetID: "9", Text: "hi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TaskFromTweet(&tc.in)
			if got.TweetID != tc.want.TweetID || got.Text != tc.want.Text || got.CleanText != tc.want.CleanText ||
				got.WeakLabel != tc.want.WeakLabel || got.WeakConfidence != tc.want.WeakConfidence || len(got.URLs) != len(tc.want.URLs) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
