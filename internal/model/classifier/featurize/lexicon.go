package featurize

import (
	_ "embed"
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

// lexiconFeatures are the special rows of the lexicon features, in id
// order after the vocabulary: the valence bin of a lexicon token, and the
// same bins for tokens in a negation scope.
var lexiconFeatures = []string{
	"lex:neg2", "lex:neg1", "lex:pos1", "lex:pos2",
	"lex:neg2" + NegSuffix, "lex:neg1" + NegSuffix, "lex:pos1" + NegSuffix, "lex:pos2" + NegSuffix,
}

// specials returns the number of special rows of s.
func specials(s Settings) int {
	if s.Lexicon == LexiconVADER {
		return len(lexiconFeatures)
	}
	return 0
}

// lexiconBin returns the index in lexiconFeatures of a normalised token,
// or -1: valence <= -2, < 0, > 0 (and < 2), >= 2; plus 4 when the token
// carries NegSuffix. A hashtag not in the lexicon is looked up without '#'.
func lexiconBin(tok string) int {
	base, negated := strings.CutSuffix(tok, NegSuffix)
	v, ok := vaderLexicon()[base]
	if !ok && len(base) > 1 && base[0] == '#' {
		v, ok = vaderLexicon()[base[1:]]
	}
	if !ok || v == 0 {
		return -1
	}
	bin := 0
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
	if negated {
		bin += 4
	}
	return bin
}
