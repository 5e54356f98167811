package dashboard

import (
	"math"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// BucketIndex is the time bucket of t for buckets of width (whole
// seconds, at least one): floor(unix seconds / width seconds). Bucket i
// starts at i*width after the Unix epoch, in UTC; the SQL of Query
// computes the same index, floor(extract(epoch from t) / width).
func BucketIndex(t time.Time, width time.Duration) int64 {
	w := int64(width / time.Second)
	if w < 1 {
		w = 1
	}
	s := t.Unix()
	q := s / w
	if s%w != 0 && s < 0 {
		q--
	}
	return q
}

// BucketStart is the start time of bucket i (UTC).
func BucketStart(i int64, width time.Duration) time.Time {
	w := int64(width / time.Second)
	if w < 1 {
		w = 1
	}
	return time.Unix(i*w, 0).UTC()
}

// LabelCount is the number of rows of one label in one time bucket.
type LabelCount struct {
	Bucket int64
	Label  string
	N      int64
}

// Bucket is one time bucket of the counts chart.
type Bucket struct {
	Index  int64
	Start  time.Time
	Counts []int64 // per label, in the order Buckets returns
	Total  int64
	// Rate is the share of the focus label among the bucket's rows; NaN
	// when the bucket is empty.
	Rate float64
}

// Buckets lays counts out as the n consecutive buckets ending with bucket
// last (oldest first), empty buckets included, with the share of the focus
// label in each. Counts outside that range are ignored. The label order is
// labels, then any other label found in counts, sorted; it is returned
// with the buckets.
func Buckets(counts []LabelCount, labels []string, focus string, width time.Duration, last int64, n int) ([]Bucket, []string) {
	if n < 1 {
		n = 1
	}
	order := slices.Clone(labels)
	var extra []string
	for _, c := range counts {
		if !slices.Contains(order, c.Label) && !slices.Contains(extra, c.Label) {
			extra = append(extra, c.Label)
		}
	}
	slices.Sort(extra)
	order = append(order, extra...)
	pos := map[string]int{}
	for i, l := range order {
		pos[l] = i
	}
	first := last - int64(n) + 1
	out := make([]Bucket, n)
	for i := range out {
		idx := first + int64(i)
		out[i] = Bucket{Index: idx, Start: BucketStart(idx, width), Counts: make([]int64, len(order)), Rate: math.NaN()}
	}
	for _, c := range counts {
		if c.Bucket < first || c.Bucket > last {
			continue
		}
		b := &out[c.Bucket-first]
		b.Counts[pos[c.Label]] += c.N
		b.Total += c.N
	}
	fi, hasFocus := pos[focus]
	for i := range out {
		b := &out[i]
		if b.Total > 0 {
			b.Rate = 0
			if hasFocus {
				b.Rate = float64(b.Counts[fi]) / float64(b.Total)
			}
		}
	}
	return out, order
}

// Hashtags returns the distinct hashtags of a tweet's text, lowercased, in
// order of appearance: '#' (or the full-width '＃') followed by letters,
// digits, marks or '_', with at least one letter, and not preceded by a
// letter, digit, '_', '&' or '/' (so "a#b", the HTML reference "&#39;"
// and a URL fragment "/#top" are not tags).
func Hashtags(text string) []string {
	var out []string
	prev := ' '
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if (r == '#' || r == '＃') && !isTagRune(prev) && prev != '&' && prev != '/' {
			j := i + size
			letter := false
			for j < len(text) {
				c, s := utf8.DecodeRuneInString(text[j:])
				if !isTagRune(c) {
					break
				}
				if unicode.IsLetter(c) {
					letter = true
				}
				j += s
			}
			if letter {
				tag := lower(text[i+size : j])
				if !slices.Contains(out, tag) {
					out = append(out, tag)
				}
			}
			if j > i+size {
				prev, _ = utf8.DecodeLastRuneInString(text[:j])
				i = j
				continue
			}
		}
		prev = r
		i += size
	}
	return out
}

func isTagRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func lower(s string) string {
	b := make([]rune, 0, len(s))
	for _, r := range s {
		b = append(b, unicode.ToLower(r))
	}
	return string(b)
}
