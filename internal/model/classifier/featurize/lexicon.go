package featurize

import (
	_ "embed"
	"math"
	"strconv"
	"strings"
	"sync"
)

// LexiconVADER is the value of Settings.Lexicon that enables the VADER
// lexicon features (see lexicon/README.md).
const LexiconVADER = "vader"

//go:embed lexicon/vader.tsv
var vaderTSV string

var (
	vaderOnce sync.Once
	vader     map[string]float32
)

func vaderLexicon() map[string]float32 {
	vaderOnce.Do(func() {
		vader = make(map[string]float32, 7500)
		for _, line := range strings.Split(vaderTSV, "\n") {
			word, score, ok := strings.Cut(line, "\t")
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(score, 32)
			if err != nil {
				panic("featurize: bad lexicon line " + strconv.Quote(line))
			}
			vader[word] = float32(v)
		}
	})
	return vader
}

// Valence returns the VADER valence (-4..4) of a lower-case word, and
// whether the lexicon has it. Other packages (the weak-supervision lexicon
// rules) read the same embedded lexicon through it.
func Valence(word string) (float64, bool) {
	v, ok := vaderLexicon()[word]
	return float64(v), ok
}

// lexiconFeatures name the special rows of the lexicon features with 4
// bins, in id order after the vocabulary: the valence bin of a lexicon
// token, and the same bins for tokens in a negation scope.
var lexiconFeatures = []string{
	"lex:neg2", "lex:neg1", "lex:pos1", "lex:pos2",
	"lex:neg2" + NegSuffix, "lex:neg1" + NegSuffix, "lex:pos1" + NegSuffix, "lex:pos2" + NegSuffix,
}

// specials returns the number of special rows of s: twice the number of
// valence bins (plain and negated) with the lexicon, else 0.
func specials(s Settings) int {
	if s.Lexicon != LexiconVADER {
		return 0
	}
	return 2 * lexiconBins(s.LexiconBins)
}

func lexiconBins(n int) int {
	if n == 0 {
		return 4
	}
	return n
}

// lexiconBin returns the special row of a normalised token and its
// valence, or -1: with 4 bins valence <= -2, < 0, > 0 (and < 2), >= 2;
// with 8 bins [-4, -3), [-3, -2), [-2, -1), [-1, 0), (0, 1), [1, 2),
// [2, 3), [3, 4]; plus the number of bins when the token carries
// NegSuffix. A hashtag not in the lexicon is looked up without '#'.
func lexiconBin(tok string, bins int) (int, float32) {
	base, negated := strings.CutSuffix(tok, NegSuffix)
	return lexiconBinBase(base, negated, bins)
}

// lexiconBinBase is lexiconBin of base, plus NegSuffix when negated.
func lexiconBinBase(base string, negated bool, bins int) (int, float32) {
	v, ok := vaderLexicon()[base]
	if !ok && len(base) > 1 && base[0] == '#' {
		v, ok = vaderLexicon()[base[1:]]
	}
	if !ok || v == 0 {
		return -1, 0
	}
	bins = lexiconBins(bins)
	var bin int
	if bins == 8 {
		bin = min(max(int(math.Floor(float64(v)))+4, 0), 7)
	} else {
		switch {
		case v <= -2:
			bin = 0
		case v < 0:
			bin = 1
		case v < 2:
			bin = 2
		default:
			bin = 3
		}
	}
	if negated {
		bin += bins
	}
	return bin, v
}

// boosters are VADER's intensifiers and dampeners: the one-word keys of
// BOOSTER_DICT in vader-sentiment 1.1.3's src/vaderSentiment.js, with
// "kind" and "sort" standing for its "kind of" and "sort of".
var boosters = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`absolutely amazingly awfully completely considerably decidedly deeply
effing enormously entirely especially exceptionally extremely fabulously flipping flippin
fricking frickin frigging friggin fully fucking greatly hella highly hugely incredibly
intensely majorly more most particularly purely quite really remarkably so substantially
thoroughly totally tremendously uber unbelievably unusually utterly very
almost barely hardly kind kinda kindof less little marginally occasionally partly scarcely
slightly somewhat sort sorta sortof`) {
		boosters[w] = true
	}
}
