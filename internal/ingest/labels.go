package ingest

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// LabelMap turns the raw label of a source row into a tweetflow label.
//
// Lookup tries the raw label as it is (spaces trimmed), then lower-cased.
// A raw label with no entry is an unknown label: the row is a bad row,
// unless the map is Permissive, in which case the raw label is kept as it
// is written (spaces trimmed, case kept: "AI" stays "AI", so a label set
// like AI,OTHER names it as the data does).
type LabelMap struct {
	m          map[string]string
	Permissive bool
}

// ParseLabelMap parses a spec like "0->negative,4->positive,2->neutral".
// Items are separated by commas; a lone "*" item makes the map permissive.
// Targets are lower-cased; an empty spec gives an empty (strict) map.
func ParseLabelMap(spec string) (*LabelMap, error) {
	lm := &LabelMap{m: map[string]string{}}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if item == "*" {
			lm.Permissive = true
			continue
		}
		from, to, ok := strings.Cut(item, "->")
		from, to = strings.TrimSpace(from), strings.ToLower(strings.TrimSpace(to))
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("parsing label map %q: item %q: want RAW->LABEL (e.g. 0->negative), or * to keep unknown labels", spec, item)
		}
		if prev, dup := lm.m[from]; dup && prev != to {
			return nil, fmt.Errorf("parsing label map %q: %q maps to both %q and %q", spec, from, prev, to)
		}
		lm.m[from] = to
	}
	return lm, nil
}

// DefaultLabelMap is the mapping used when a source has none. The
// sentiment datasets' own formats have fixed labels, so anything else in
// them is a data error: sentiment140 maps 0/2/4 to negative/neutral/
// positive, semeval and nltk accept negative, neutral and positive in any
// case. The general formats (jsonl, csv, tsv, parquet) carry whatever label
// set the data has: they keep any label as it is written (permissive), with
// negative, neutral and positive in any case normalised to lower case, so
// "AI", "OTHER" or "joy" flow through as the data names them and a label set
// (--labels) picks the ones a model learns.
func DefaultLabelMap(f Format) *LabelMap {
	sentiment := map[string]string{"negative": "negative", "neutral": "neutral", "positive": "positive"}
	switch f {
	case FormatSentiment140:
		return &LabelMap{m: map[string]string{"0": "negative", "2": "neutral", "4": "positive"}}
	case FormatSemEval, FormatNLTK:
		return &LabelMap{m: sentiment}
	}
	return &LabelMap{m: sentiment, Permissive: true}
}

// Map returns the label for raw, or ok=false for an unknown label.
func (lm *LabelMap) Map(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if l, ok := lm.m[raw]; ok {
		return l, true
	}
	lower := strings.ToLower(raw)
	if l, ok := lm.m[lower]; ok {
		return l, true
	}
	if lm.Permissive && raw != "" {
		return raw, true
	}
	return "", false
}

// mapBytes is Map for a byte slice; it does not allocate when the
// trimmed label has an entry as it is.
func (lm *LabelMap) mapBytes(raw []byte) (string, bool) {
	if l, ok := lm.m[string(bytes.TrimSpace(raw))]; ok {
		return l, true
	}
	return lm.Map(string(raw))
}

// String renders the map in spec syntax, sorted.
func (lm *LabelMap) String() string {
	items := make([]string, 0, len(lm.m)+1)
	for k, v := range lm.m {
		items = append(items, k+"->"+v)
	}
	sort.Strings(items)
	if lm.Permissive {
		items = append(items, "*")
	}
	return strings.Join(items, ",")
}

func (lm *LabelMap) unknown(raw string) string {
	return fmt.Sprintf("unknown label %q (known: %s; map it with a label map like %q, or make the map permissive with \"*\")", raw, lm.String(), raw+"->negative")
}
