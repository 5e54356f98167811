package synthcorpus

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// Emotions is the emotion-like label set (TweetEval's emotion task).
var Emotions = []string{"anger", "joy", "optimism", "sadness"}

// cues are the class words of the emotion labels; other labels get
// generated cue words.
var cues = map[string][]string{
	"anger":    {"furious", "outraged", "angry", "rage", "livid", "annoyed", "hate", "infuriating", "mad", "disgusting"},
	"joy":      {"happy", "delighted", "laughing", "fun", "awesome", "celebrate", "thrilled", "yay", "lovely", "party"},
	"optimism": {"hope", "hopeful", "tomorrow", "believe", "better", "future", "confident", "soon", "improve", "forward"},
	"sadness":  {"sad", "crying", "miss", "lonely", "heartbroken", "tears", "grief", "depressed", "lost", "sorrow"},
}

var filler = []string{"the", "a", "today", "my", "this", "is", "so", "just", "and", "with", "at", "work", "weekend",
	"game", "phone", "coffee", "train", "morning", "night", "friends", "again", "really", "you", "we", "it", "on"}

// Cues returns the cue words of label: the emotion words, or words made
// from the label's name.
func Cues(label string) []string {
	if c, ok := cues[label]; ok {
		return c
	}
	base := strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return 'x'
	}, label))
	out := make([]string, 8)
	for i := range out {
		out[i] = base + "cue" + strconv.Itoa(i)
	}
	return out
}

// Options tune Generate.
type Options struct {
	// Noise is the probability that a tweet also carries a cue word of
	// another class (default 0.15).
	Noise float64
	// Weights are relative class frequencies (default equal).
	Weights []float64
}

// Generate returns n tweets labeled from labels, with ids "1".."n", Text
// and CleanText (the same lower-case text).
func Generate(seed uint64, n int, labels []string, o Options) []dataset.Tweet {
	if o.Noise == 0 {
		o.Noise = 0.15
	}
	w := o.Weights
	if len(w) != len(labels) {
		w = make([]float64, len(labels))
		for i := range w {
			w[i] = 1
		}
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]dataset.Tweet, n)
	for i := range out {
		x, c := r.Float64()*sum, 0
		for c < len(w)-1 && x >= w[c] {
			x -= w[c]
			c++
		}
		var words []string
		for range 3 + r.IntN(6) {
			words = append(words, filler[r.IntN(len(filler))])
		}
		own := Cues(labels[c])
		for range 1 + r.IntN(2) {
			words = append(words, own[r.IntN(len(own))])
		}
		if len(labels) > 1 && r.Float64() < o.Noise {
			oc := (c + 1 + r.IntN(len(labels)-1)) % len(labels)
			ow := Cues(labels[oc])
			words = append(words, ow[r.IntN(len(ow))])
		}
		r.Shuffle(len(words), func(a, b int) { words[a], words[b] = words[b], words[a] })
		text := strings.Join(words, " ")
		out[i] = dataset.Tweet{ID: strconv.Itoa(i + 1), CreatedAt: start.Add(time.Duration(i) * time.Minute), User: "user" + strconv.Itoa(r.IntN(50)),
			Text: text, CleanText: text, Label: labels[c]}
	}
	return out
}

// WriteJSONL writes tweets in the JSONL form ingest reads: one
// {"id","text","created_at","label"} object a line (no label when empty).
func WriteJSONL(w io.Writer, tweets []dataset.Tweet) error {
	enc := json.NewEncoder(w)
	for _, t := range tweets {
		row := struct {
			ID        string `json:"id"`
			Text      string `json:"text"`
			CreatedAt string `json:"created_at,omitempty"`
			Label     string `json:"label,omitempty"`
		}{t.ID, t.Text, "", t.Label}
		if !t.CreatedAt.IsZero() {
			row.CreatedAt = t.CreatedAt.UTC().Format(time.RFC3339)
		}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("writing tweet %s: %w", t.ID, err)
		}
	}
	return nil
}
