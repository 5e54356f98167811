package dataset

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// DefaultLabels is the label set of the generator and of the ingest defaults.
var DefaultLabels = []string{"negative", "neutral", "positive"}

// GenerateOptions tunes Generate.
type GenerateOptions struct {
	Labels []string // label set (default DefaultLabels)
	// Cleaned also fills CleanText and URLs, as the clean stage would
	// (roughly: lower-cased text; URLs copied from the text).
	Cleaned bool
}

var (
	genWords = []string{"the", "a", "love", "hate", "great", "bad", "game", "today", "tomorrow", "not",
		"so", "happy", "sad", "movie", "phone", "new", "best", "worst", "can't", "won't", "I'm",
		"café", "naïve", "Zürich", "東京", "こんにちは", "привет", "مرحبا", "ok", "lol", "smh", "#1"}
	genEmoji = []string{"😀", "😂", "😍", "😭", "👍", "🔥", "❤️", "🇺🇸", "👩‍👩‍👧", "☹", "™", "…"}
	genStart = time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	genSpan  = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - genStart
)

// Generate returns n random valid tweets, deterministic for a seed: text of
// words in several scripts, emojis (incl. ZWJ sequences and flags), mentions,
// hashtags and URLs; labels from opts.Labels; CreatedAt zero for about one
// row in five; unique numeric ids.
func Generate(seed uint64, n int, opts GenerateOptions) []Tweet {
	labels := opts.Labels
	if len(labels) == 0 {
		labels = DefaultLabels
	}
	rng := rand.New(rand.NewPCG(seed, 0x7477656574666c6f)) // "tweetflo"
	out := make([]Tweet, n)
	var b strings.Builder
	for i := range out {
		t := &out[i]
		t.ID = strconv.FormatUint(1_000_000_000_000_000_000+seed%1_000_000*1_000_000_000+uint64(i), 10)
		if rng.IntN(5) != 0 {
			t.CreatedAt = time.UnixMilli(genStart + rng.Int64N(genSpan)).UTC()
		}
		if rng.IntN(10) != 0 {
			t.User = fmt.Sprintf("user_%d", rng.IntN(5000))
		}
		t.Label = labels[rng.IntN(len(labels))]
		t.Source = fmt.Sprintf("generated-%d.jsonl:%d", seed, i+1)
		b.Reset()
		var urls []string
		for w, nw := 0, 1+rng.IntN(25); w < nw; w++ {
			if w > 0 {
				b.WriteByte(' ')
			}
			switch k := rng.IntN(20); {
			case k == 0:
				fmt.Fprintf(&b, "@user_%d", rng.IntN(5000))
			case k == 1:
				fmt.Fprintf(&b, "#tag%d", rng.IntN(100))
			case k == 2:
				u := fmt.Sprintf("https://t.co/%08x", rng.Uint32())
				urls = append(urls, u)
				b.WriteString(u)
			case k < 5:
				b.WriteString(genEmoji[rng.IntN(len(genEmoji))])
			case k == 5:
				b.WriteRune(rune(0x4e00 + rng.IntN(0x9fff-0x4e00))) // CJK
			default:
				b.WriteString(genWords[rng.IntN(len(genWords))])
			}
		}
		t.Text = b.String()
		if opts.Cleaned {
			t.CleanText = strings.ToLower(t.Text)
			t.URLs = urls
		}
	}
	return out
}

// ResampleOptions tunes Resample.
type ResampleOptions struct {
	// IDBase is added to the row index to form the new ids (default 9e18,
	// far above real tweet ids so resampled ids never collide with them).
	IDBase uint64
	// PerturbRate is the probability that each whitespace-separated token
	// is replaced by a random token of another pool row with the same label
	// (0 keeps the texts as they are).
	PerturbRate float64
}

// Resample builds a corpus of n rows from pool, streaming them to fn, with
// a PCG seeded by seed (same seed, pool and options: same rows):
//
//   - row i is pool[k] for k drawn uniformly with replacement;
//   - its ID becomes IDBase+i (unique), its Source "resample:<i>:<pool source>";
//   - with PerturbRate p > 0, each token of its text is, with probability p,
//     replaced by a random token from another pool row with the same label
//     (CleanText is then cleared; URLs are kept).
//
// Labels, users and timestamps are those of the drawn row, so the label mix
// matches the pool's in expectation. The Tweet passed to fn is reused.
func Resample(seed uint64, pool []Tweet, n int, opts ResampleOptions, fn func(*Tweet) error) error {
	if len(pool) == 0 {
		return fmt.Errorf("resampling %d rows: empty pool", n)
	}
	base := opts.IDBase
	if base == 0 {
		base = 9_000_000_000_000_000_000
	}
	rng := rand.New(rand.NewPCG(seed, 0x726573616d706c65)) // "resample"
	var byLabel map[string][]int
	var tokens [][]string // pool texts split once
	if opts.PerturbRate > 0 {
		byLabel = map[string][]int{}
		tokens = make([][]string, len(pool))
		for i := range pool {
			byLabel[pool[i].Label] = append(byLabel[pool[i].Label], i)
			tokens[i] = strings.Fields(pool[i].Text)
		}
	}
	var t Tweet
	var b strings.Builder
	for i := 0; i < n; i++ {
		k := rng.IntN(len(pool))
		src := &pool[k]
		t = *src
		t.ID = strconv.FormatUint(base+uint64(i), 10)
		t.Source = "resample:" + strconv.Itoa(i) + ":" + src.Source
		if opts.PerturbRate > 0 && len(tokens[k]) > 0 {
			same := byLabel[src.Label]
			b.Reset()
			for j, tok := range tokens[k] {
				if rng.Float64() < opts.PerturbRate {
					if other := tokens[same[rng.IntN(len(same))]]; len(other) > 0 {
						tok = other[rng.IntN(len(other))]
					}
				}
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(tok)
			}
			t.Text = b.String()
			t.CleanText = ""
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	return nil
}
