package featurize

import (
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/tweetflow/tweetflow/internal/text"
)

// The fast path of AppendIDs. The straightforward path (Tokens, then
// appendTokenIDs: 3 to 5 map lookups, FNV hashing of every char n-gram and
// a few allocations per token) is what Builder and Tokens use and what the
// package documentation describes; the fast path gives exactly the same ids
// (TestFastPathMatchesReference) from a table built once per featurizer:
// for every vocabulary word (without its NegSuffix) and every lexicon word
// k, the ids and flags of k and of k+NegSuffix. An in-vocabulary token
// then costs one FNV-1a hash and one probe of the table.

// Flags of a fastEnt (of the normalised token k, not of its marked form).
const (
	fFix      uint8 = 1 << iota // normalising k gives k: a raw token equal to k needs no normalising
	fNegator                    // IsNegator(k)
	fEndScope                   // endsScope(k)
	fMarkable                   // markable(k)
	fBooster                    // boosters[k]
	fBut                        // k == "but"
)

// fastEnt holds what featurizing needs of a normalised token k in its two
// forms: k (form 0) and k+NegSuffix (form 1).
type fastEnt struct {
	keyOff, keyLen uint32    // k is fastTable.keys[keyOff:keyOff+keyLen]
	word           [2]int32  // word id, 0 when not in the vocabulary
	chars          [2]uint32 // the form's char n-gram ids start at fastTable.chars[chars[form]]
	nchars         [2]uint32 // and there are nchars[form] of them
	lex            int16     // lexicon bin of k (special id specialBase+lex, +bins for form 1), -1 when none
	lexN           uint8     // times the lexicon id is emitted (ceil(|valence|) with LexiconIntensity, else 1)
	flags          uint8
}

// fastTable is the per-featurizer lookup table of the fast path: an
// open-addressing (linear probing, at most half full) hash table keyed by
// the FNV-1a hash of the normalised token (the hash word n-grams start
// with), whose entries, keys and char n-gram ids are laid out in
// vocabulary order, that is by decreasing frequency, so the common words
// share few cache lines.
type fastTable struct {
	slots []uint64 // FNV-1a of the key << 32 | entry index + 1; 0 = empty
	bits  uint     // len(slots) = 1 << bits
	ents  []fastEnt
	keys  string  // keys of all entries, concatenated
	chars []int32 // char n-gram ids: all form-0 ones first, then form 1
	bins  int32   // lexicon bins (offset of the negated bins)
	pool  sync.Pool
}

// lookup returns the entry of the normalised token k with FNV-1a hash h,
// or nil.
func (t *fastTable) lookup(k string, h uint32) *fastEnt {
	mask := uint32(len(t.slots) - 1)
	for i := (h * 0x9E3779B1) >> (32 - t.bits); ; i = (i + 1) & mask {
		sl := t.slots[i]
		if sl == 0 {
			return nil
		}
		if uint32(sl>>32) == h {
			e := &t.ents[uint32(sl)-1]
			if t.keys[e.keyOff:e.keyOff+e.keyLen] == k {
				return e
			}
		}
	}
}

// fastScratch is the reusable memory of one AppendIDs call.
type fastScratch struct {
	raw  []string
	toks []fastTok
}

// fastTok is one normalised token of a text.
type fastTok struct {
	s     string   // normalised token, without NegSuffix
	e     *fastEnt // nil: not in the table (then see flags)
	h     uint32   // FNV-1a of s
	neg   bool     // negation-marked (form 1)
	flags uint8    // e.flags, or computed for tokens outside the table
}

// appendTokens is the tokenizer of the fast path: text.AppendTokens, the
// appending form of Tokenize.
var appendTokens = text.AppendTokens

// table returns the fast path's table, building it on first use.
func (f *Featurizer) table() *fastTable {
	f.fastOnce.Do(func() { f.fast = f.buildTable() })
	return f.fast
}

func (f *Featurizer) buildTable() *fastTable {
	s := &f.s
	t := &fastTable{bins: int32(lexiconBins(s.LexiconBins))}
	t.pool.New = func() any { return &fastScratch{} }
	// The keys: vocabulary words without NegSuffix in vocabulary order,
	// then the lexicon words.
	seen := make(map[string]bool, len(f.vocab)+8000)
	var keys []string
	add := func(k string) {
		if seen[k] || k == "" || strings.HasSuffix(k, NegSuffix) {
			return
		}
		seen[k] = true
		keys = append(keys, k)
	}
	for _, w := range f.vocab {
		base, _ := strings.CutSuffix(w, NegSuffix)
		add(base)
	}
	if s.Specials > 0 {
		lex := make([]string, 0, len(vaderLexicon()))
		for w := range vaderLexicon() {
			lex = append(lex, w)
		}
		slices.Sort(lex)
		for _, w := range lex {
			add(w)
		}
	}
	base := f.bucketBase()
	var kb strings.Builder
	t.ents = make([]fastEnt, len(keys))
	for form := range 2 {
		for i, k := range keys {
			e := &t.ents[i]
			w := k
			if form == 1 {
				w += NegSuffix
			}
			e.word[form] = f.index[w]
			e.chars[form] = uint32(len(t.chars))
			t.chars = appendCharNgrams(t.chars, s, base, w)
			e.nchars[form] = uint32(len(t.chars)) - e.chars[form]
			if form == 1 {
				continue
			}
			e.keyOff, e.keyLen = uint32(kb.Len()), uint32(len(k))
			kb.WriteString(k)
			e.flags = tokFlags(k)
			if normToken(s, k) == k {
				e.flags |= fFix
			}
			e.lex, e.lexN = -1, 1
			if s.Specials > 0 {
				if bin, v := lexiconBin(k, s.LexiconBins); bin >= 0 {
					e.lex = int16(bin)
					if s.LexiconIntensity {
						e.lexN = uint8(math.Ceil(float64(abs32(v))))
					}
				}
			}
		}
	}
	t.keys = kb.String()
	t.bits = 3
	for 1<<t.bits < 2*len(keys) {
		t.bits++
	}
	t.slots = make([]uint64, 1<<t.bits)
	mask := uint32(len(t.slots) - 1)
	for n, k := range keys {
		h := FNV1a32(k)
		i := (h * 0x9E3779B1) >> (32 - t.bits)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = uint64(h)<<32 | uint64(n+1)
	}
	return t
}

// normToken applies lower-casing and elongation shortening to one token
// (the per-token part of normalize).
func normToken(s *Settings, t string) string {
	if s.Lowercase {
		t = strings.ToLower(t)
	}
	if s.Elongation {
		t = shortenElongation(t)
	}
	return t
}

// tokFlags computes the flags of a normalised token outside the table.
func tokFlags(k string) uint8 {
	var flags uint8
	if IsNegator(k) {
		flags |= fNegator
	}
	if endsScope(k) {
		flags |= fEndScope
	}
	if markable(k) {
		flags |= fMarkable
	}
	if boosters[k] {
		flags |= fBooster
	}
	if k == "but" {
		flags |= fBut
	}
	return flags
}

// appendIDsFast is AppendIDs through the table. It returns ok == false
// (and dst unchanged) for the rare texts it does not handle: a normalised
// token that itself ends with NegSuffix.
func (f *Featurizer) appendIDsFast(dst []int32, cleanText string) ([]int32, bool) {
	t := f.table()
	sc := t.pool.Get().(*fastScratch)
	defer t.put(sc)
	s := &f.s

	// Tokenize and normalise.
	sc.raw = appendTokens(sc.raw[:0], cleanText)
	toks := sc.toks[:0]
	for _, r := range sc.raw {
		h := FNV1a32(r)
		e := t.lookup(r, h)
		if e != nil && e.flags&fFix != 0 {
			toks = append(toks, fastTok{s: r, e: e, h: h, flags: e.flags})
			continue
		}
		k := normToken(s, r)
		if k != r { // else r (= k) is not in the table, or it would be a fixpoint
			h = FNV1a32(k)
			e = t.lookup(k, h)
		}
		if e != nil {
			toks = append(toks, fastTok{s: k, e: e, h: h, flags: e.flags})
			continue
		}
		if strings.HasSuffix(k, NegSuffix) {
			sc.toks = toks[:0]
			return dst, false
		}
		toks = append(toks, fastTok{s: k, h: h, flags: tokFlags(k)})
	}
	sc.toks = toks

	// Negation marking (markNegation on the flags).
	if s.Negation {
		in := false
		left := 0
		for i := range toks {
			fl := toks[i].flags
			switch {
			case fl&fEndScope != 0:
				in = false
			case fl&fNegator != 0:
				in, left = true, s.NegationWindow
			case in && fl&fMarkable != 0:
				toks[i].neg = true
				if s.NegationWindow > 0 {
					left--
					in = left > 0
				}
			}
		}
	}

	// Per token: word id, lexicon ids, char n-grams.
	special := f.specialBase()
	bucket := f.bucketBase()
	for i := range toks {
		tk := &toks[i]
		e := tk.e
		if e == nil {
			// Outside the table: not in the vocabulary in either form
			// (every vocabulary word's base is in the table).
			dst = f.appendLexBase(dst, tk.s, tk.neg)
			dst = appendCharNgramsBase(dst, s, bucket, tk.s, tk.neg)
			continue
		}
		form := tk.form()
		if id := e.word[form]; id != 0 {
			dst = append(dst, id)
		}
		dst = t.appendLex(dst, e, special, form, int(e.lexN))
		c := e.chars[form]
		dst = append(dst, t.chars[c:c+e.nchars[form]]...)
	}

	// Word n-grams (appendWordNgrams).
	if s.WordNgrams > 1 {
		b := uint32(s.Buckets)
		for i := range toks {
			h := toks[i].h
			if toks[i].neg {
				h = fnvString(h, NegSuffix)
			}
			for n := 2; n <= s.WordNgrams && i+n <= len(toks); n++ {
				next := &toks[i+n-1]
				h = fnvString(fnvByte(h, ' '), next.s)
				if next.neg {
					h = fnvString(h, NegSuffix)
				}
				dst = append(dst, int32(bucket+h%b))
			}
		}
	}

	// The "but" clause and the boosters (appendContext).
	if s.ButRepeat > 0 {
		last := -1
		for i := range toks {
			if toks[i].flags&fBut != 0 {
				last = i
			}
		}
		for i := last + 1; last >= 0 && i < len(toks); i++ {
			tk := &toks[i]
			for range s.ButRepeat {
				if e := tk.e; e != nil {
					form := tk.form()
					if id := e.word[form]; id != 0 {
						dst = append(dst, id)
					}
					dst = t.appendLex(dst, e, special, form, int(e.lexN))
				} else {
					dst = f.appendLexBase(dst, tk.s, tk.neg)
				}
			}
		}
	}
	if s.Boosters && s.Specials > 0 {
		for i := 1; i < len(toks); i++ {
			if toks[i-1].flags&fBooster == 0 {
				continue
			}
			tk := &toks[i]
			if tk.e != nil {
				dst = t.appendLex(dst, tk.e, special, tk.form(), 1)
			} else if bin, _ := lexiconBinBase(tk.s, tk.neg, s.LexiconBins); bin >= 0 {
				dst = append(dst, special+int32(bin))
			}
		}
	}
	return dst, true
}

// put returns scratch to the pool, without references to the text.
func (t *fastTable) put(sc *fastScratch) {
	clear(sc.raw)
	clear(sc.toks)
	t.pool.Put(sc)
}

// form is 1 for a negation-marked token, else 0.
func (tk *fastTok) form() int {
	if tk.neg {
		return 1
	}
	return 0
}

// appendLex appends the lexicon id of form of e, if any, n times.
func (t *fastTable) appendLex(dst []int32, e *fastEnt, special int32, form, n int) []int32 {
	if e.lex < 0 {
		return dst
	}
	id := special + int32(e.lex) + int32(form)*t.bins
	for range n {
		dst = append(dst, id)
	}
	return dst
}
