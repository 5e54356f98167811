package clean

import (
	"fmt"

	"github.com/cespare/xxhash/v2"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

// MaxLabels is the number of distinct non-empty labels a Processor can
// count (enough for a five-point scale).
const MaxLabels = 5

// Stats counts what a Processor did in its Process pass. Every row given to
// Process is counted once in In and once in exactly one of Out or the
// Dropped fields:
//
//	In = Out + DroppedDupID + DroppedEmpty + DroppedDupText + DroppedMinority + DroppedTie
type Stats struct {
	In              int64 `json:"in"`
	Out             int64 `json:"out"`
	DroppedDupID    int64 `json:"dropped_dup_id"`   // an earlier row had the same id
	DroppedEmpty    int64 `json:"dropped_empty"`    // no content token after cleaning
	DroppedDupText  int64 `json:"dropped_dup_text"` // a row with the same key (and label) was kept
	DroppedMinority int64 `json:"dropped_minority"` // its label lost its key's majority vote
	DroppedTie      int64 `json:"dropped_tie"`      // its key's labels tie: ambiguous text
	// ConflictsResolved counts keys with more than one label and a strict
	// majority; ConflictsTied keys with more than one label and a tie.
	ConflictsResolved int64 `json:"conflicts_resolved"`
	ConflictsTied     int64 `json:"conflicts_tied"`
	// UniqueKeys is the number of distinct keys seen by Process.
	UniqueKeys int64 `json:"unique_keys"`
}

// Option configures a Processor.
type Option func(*Processor)

// WithCleaner sets the text cleaner (default: text.NewCleaner()).
func WithCleaner(c *text.Cleaner) Option { return func(p *Processor) { p.cleaner = c } }

// WithPrecleaned says the rows are already cleaned (the map step of a
// sharded clean): their CleanText and URLs are kept as given and the key is
// computed from CleanText, not from cleaning Text again. Cleaning is
// idempotent in effect, so the reduce over cleaned rows makes the same
// decisions as the normal path over the raw rows.
func WithPrecleaned() Option { return func(p *Processor) { p.precleaned = true } }

const (
	seenObserve = 1 << iota
	seenProcess
)

type keyState struct {
	counts  [MaxLabels]uint32
	emitted bool // a row of this key has been kept
	decided bool // counted in the conflict stats / UniqueKeys
}

// Processor runs the clean stage's row logic. It is not safe for
// concurrent use; see the package documentation for the rules.
type Processor struct {
	cleaner    *text.Cleaner
	precleaned bool // rows carry CleanText and URLs already (WithPrecleaned)
	ids        idSet
	keys       keyTable
	labels     map[string]int
	observed   bool
	rows       *rowCache // pass-1 results per row, from ObserveAll
	spill      *spillConfig
	plan       *spillPlan // every row's decision, from a spilled Plan
	stats      Stats
	buf        []byte
}

// NewProcessor returns a Processor.
func NewProcessor(opts ...Option) (*Processor, error) {
	p := &Processor{
		labels: make(map[string]int),
		buf:    make([]byte, 0, 512),
	}
	for _, opt := range opts {
		opt(p)
	}
	if p.cleaner == nil {
		c, err := text.NewCleaner()
		if err != nil {
			return nil, fmt.Errorf("creating text cleaner: %w", err)
		}
		p.cleaner = c
	}
	return p, nil
}

// Cleaner returns the text cleaner in use (its Options belong in the
// stage's output metadata).
func (p *Processor) Cleaner() *text.Cleaner { return p.cleaner }

// key cleans s and returns the hash of its NormKey, and false when the key
// is empty.
func (p *Processor) key(clean string) (uint64, bool) {
	p.buf = text.AppendNormKey(p.buf[:0], clean)
	if len(p.buf) == 0 {
		return 0, false
	}
	return keyHash(p.buf), true
}

// keyHash is the 63-bit hash of a non-empty NormKey (the top bit is free
// for the row cache of ObserveAll), never 0.
func keyHash(key []byte) uint64 {
	return fixKey(xxhash.Sum64(key) &^ rowDupID)
}

func (p *Processor) labelIndex(label string) (int, error) {
	if i, ok := p.labels[label]; ok {
		return i, nil
	}
	if len(p.labels) == MaxLabels {
		return 0, fmt.Errorf("counting label %q: more than %d distinct labels", label, MaxLabels)
	}
	i := len(p.labels)
	p.labels[label] = i
	return i, nil
}

// Observe is pass 1 of the two-pass mode: it counts the label of t under
// its key. It does not modify t. Call it for every row, in the order
// Process will see them, before the first Process call. It fails only when
// the rows carry more than MaxLabels distinct labels.
func (p *Processor) Observe(t *dataset.Tweet) error {
	p.observed = true
	p.rows = nil // the row cache of ObserveAll no longer matches
	if t.ID != "" {
		if p.ids.mark(xxhash.Sum64String(t.ID), seenObserve)&seenObserve != 0 {
			return nil
		}
	}
	kh, ok := p.key(p.cleanText(t))
	return p.observeKey(t, kh, ok)
}

// observeKey counts t's label under key kh (ok false: empty key), once
// t's id has passed the duplicate check.
func (p *Processor) observeKey(t *dataset.Tweet, kh uint64, ok bool) error {
	if !ok || t.Label == "" {
		return nil
	}
	li, err := p.labelIndex(t.Label)
	if err != nil {
		return fmt.Errorf("observing tweet %q: %w", t.ID, err)
	}
	slot, _ := p.keys.slot(kh, true)
	ks := p.keys.get(slot)
	if ks.counts[li] < ^uint32(0) {
		ks.counts[li]++
	}
	p.keys.set(slot, ks)
	return nil
}

// majority returns the index of the strict majority label (-1 when no row
// is labeled), the number of distinct labels, and whether the top tie.
func (ks *keyState) majority() (best, distinct int, tie bool) {
	best = -1
	var top uint32
	for i, c := range ks.counts {
		if c == 0 {
			continue
		}
		distinct++
		switch {
		case c > top:
			best, top, tie = i, c, false
		case c == top:
			tie = true
		}
	}
	return best, distinct, tie
}

// Decision is what Decide did with a row.
type Decision uint8

// Decisions; every one but Keep drops the row and is counted in the
// matching Stats field.
const (
	Keep         Decision = iota // kept
	DropDupID                    // Stats.DroppedDupID
	DropEmpty                    // Stats.DroppedEmpty
	DropDupText                  // Stats.DroppedDupText
	DropMinority                 // Stats.DroppedMinority
	DropTie                      // Stats.DroppedTie
)

var decisionNames = [...]string{"keep", "dup_id", "empty", "dup_text", "minority", "tie"}

// String returns "keep", "dup_id", "empty", "dup_text", "minority" or "tie".
func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return fmt.Sprintf("decision(%d)", uint8(d))
}

// Process decides whether t is kept: it is Decide(t) == Keep.
func (p *Processor) Process(t *dataset.Tweet) bool { return p.Decide(t) == Keep }

// Decide decides what happens to t and says why. It fills t.CleanText and
// t.URLs (except for duplicate ids, which are dropped before cleaning).
// Without a prior Observe pass it works in streaming mode (first row of a
// key wins); after one, it applies the majority rule. In two-pass mode
// Decide must see the same rows in the same order as Observe; a row whose
// key was never observed is treated as in streaming mode.
func (p *Processor) Decide(t *dataset.Tweet) Decision {
	p.rows = nil // ProcessAll must not skip the id set after this
	d := DropDupID
	if t.ID == "" || p.ids.mark(xxhash.Sum64String(t.ID), seenProcess)&seenProcess == 0 {
		p.fill(t)
		kh, ok := p.key(t.CleanText)
		d = p.decideKey(t, kh, ok)
	}
	p.count(d)
	return d
}

// count adds a row with decision d to the Stats.
func (p *Processor) count(d Decision) {
	p.stats.In++
	switch d {
	case Keep:
		p.stats.Out++
	case DropDupID:
		p.stats.DroppedDupID++
	case DropEmpty:
		p.stats.DroppedEmpty++
	case DropDupText:
		p.stats.DroppedDupText++
	case DropMinority:
		p.stats.DroppedMinority++
	case DropTie:
		p.stats.DroppedTie++
	}
}

// cleanText is t's clean text: t.CleanText when the rows are precleaned,
// else Text cleaned.
func (p *Processor) cleanText(t *dataset.Tweet) string {
	if p.precleaned {
		return t.CleanText
	}
	return p.cleaner.Clean(t.Text)
}

// fill sets t.CleanText and t.URLs, unless the rows are precleaned.
func (p *Processor) fill(t *dataset.Tweet) {
	if !p.precleaned {
		Preclean(p.cleaner, t)
	}
}

// decideKey is Decide once t's id has passed the duplicate check and its
// CleanText, URLs and key kh (ok false: empty key) are filled. It updates
// the key's state and the key-level Stats (UniqueKeys, conflicts); the
// caller counts the decision.
func (p *Processor) decideKey(t *dataset.Tweet, kh uint64, ok bool) Decision {
	if !ok {
		return DropEmpty
	}
	slot, seen := p.keys.slot(kh, true)
	ks := p.keys.get(slot)
	best, distinct, tie := ks.majority()
	if !ks.decided {
		ks.decided = true
		p.countKey(distinct, tie)
	}
	li := -1
	if t.Label != "" {
		if i, known := p.labels[t.Label]; known {
			li = i
		} else {
			li = MaxLabels // a label no counted row has: never the majority
		}
	}
	d := decideRow(p.observed && seen, best, tie, li, ks.emitted)
	if d == Keep {
		ks.emitted = true
	}
	p.keys.set(slot, ks)
	return d
}

// countKey counts a key seen for the first time in the pass 2 Stats, with
// the number of distinct labels counted under it and whether they tie.
func (p *Processor) countKey(distinct int, tie bool) {
	p.stats.UniqueKeys++
	if distinct > 1 {
		if tie {
			p.stats.ConflictsTied++
		} else {
			p.stats.ConflictsResolved++
		}
	}
}

// decideRow is the rule for a row of a non-empty key: counted says the
// key's labels were counted in pass 1 (majority mode), best is the index
// of its majority label (-1: no labeled row) and tie whether the top
// labels tie; label is the row's label index (-1: unlabeled) and emitted
// whether a row of the key was kept already.
func decideRow(counted bool, best int, tie bool, label int, emitted bool) Decision {
	switch {
	case !counted || best < 0:
		// streaming, unobserved key, or a key without labeled rows: first wins
		if emitted {
			return DropDupText
		}
	case tie:
		return DropTie
	case label < 0:
		return DropDupText // a labeled row represents this text
	case label != best:
		return DropMinority
	case emitted:
		return DropDupText
	}
	return Keep
}

// Preclean fills t.CleanText and t.URLs from t.Text with c: the map step of
// a sharded clean, whose rows a WithPrecleaned Processor then decides.
func Preclean(c *text.Cleaner, t *dataset.Tweet) {
	t.CleanText = c.Clean(t.Text)
	t.URLs = text.ExtractURLs(t.Text)
}

// Stats returns the counts so far.
func (p *Processor) Stats() Stats { return p.stats }

// Run applies both passes to an in-memory slice and returns the kept rows
// (copies, with CleanText and URLs filled) in their original order.
func Run(tweets []dataset.Tweet, opts ...Option) ([]dataset.Tweet, Stats, error) {
	p, err := NewProcessor(opts...)
	if err != nil {
		return nil, Stats{}, err
	}
	for i := range tweets {
		if err := p.Observe(&tweets[i]); err != nil {
			return nil, Stats{}, err
		}
	}
	var out []dataset.Tweet
	for i := range tweets {
		t := tweets[i]
		if p.Process(&t) {
			out = append(out, t)
		}
	}
	return out, p.Stats(), nil
}
