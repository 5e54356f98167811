// Package featurize turns clean tweet text into the integer ids the
// tweetflow classifier embeds: vocabulary words, lexicon features, hashed
// word n-grams and hashed character n-grams, all indexing one embedding
// table. Training (internal/model/classifier) and serving both use this
// package, so a model's ids are computed by the same code everywhere. It
// has no dependencies beyond the standard library.
//
// # Pipeline
//
// For a clean text (the clean stage's output):
//
//  1. Tokenize (a package variable, internal/text's Tokenize;
//     Settings.Tokenizer records its name).
//  2. Normalise each token: strings.ToLower (Lowercase), runs of 3 or more
//     equal letters shortened to 2 (Elongation: "sooo" -> "soo").
//  3. Negation marking (Negation): after a negator (IsNegator: "not", "no",
//     "never", "cannot", "dont", ... or any word ending in "n't") every
//     token up to the next token made only of . , : ; ! ? gets the suffix
//     "_NEG", except @mentions, URLs, "<...>" placeholders and tokens
//     without a letter or digit (emoticons). With NegationWindow n > 0
//     (format v2) the scope also ends after n marked tokens (VADER looks
//     3 words back for a negation).
//
// # Ids
//
// The embedding table has Rows = 1 + VocabSize + Specials + Buckets + R
// rows (R = len(RuleFeatures), usually 0):
//
//	0                         padding (all zeros; never produced)
//	1 .. V                    vocabulary word i (line i of vocab.txt)
//	V+1 .. V+S                special features (lexicon bins, see below)
//	V+S+1 .. V+S+Buckets      hash buckets shared by word and char n-grams
//	V+S+Buckets+1 .. +R       rule features, rule j at V+S+Buckets+1+j
//
// The ids of a text are, for each token in order: its word id if the token
// is in the vocabulary (unknown words have none), its lexicon ids if any,
// then the bucket ids of its character n-grams; after all tokens, the
// bucket ids of the word n-grams in order of their first token and then of
// their length; then the "but" clause ids and the booster ids (below).
// Duplicates are kept (the model averages over all ids, so an id emitted
// twice weighs twice).
//
// Character n-grams (CharMin > 0): the token without its "_NEG" suffix
// and without the leading '#' of a hashtag is wrapped as "<" + token +
// ">"; every substring of CharMin..CharMax runes (Unicode code points of
// the UTF-8 text) is hashed, by start position
// then length, except a single boundary rune; for a negation-marked token
// the hashed string is the byte 0x01 followed by the n-gram, so negated
// words have their own n-gram buckets. Word n-grams (WordNgrams >
// 1): for n = 2..WordNgrams, each run of n consecutive (normalised) tokens
// joined by single spaces is hashed. A hashed string s goes to bucket
// FNV1a32(s) mod Buckets, id V+S+1+bucket; FNV1a32 is 32-bit FNV-1a over
// the UTF-8 bytes (offset basis 2166136261, prime 16777619).
//
// Lexicon features (Lexicon "vader"): a token found in the embedded VADER
// lexicon (lexicon/README.md; a hashtag is also looked up without '#')
// adds the special id of its valence bin. With LexiconBins 4 (format v1,
// where the field is 0): V+1 valence <= -2, V+2 in (-2, 0), V+3 in (0, 2),
// V+4 >= 2; V+5..V+8 the same bins for negation-marked tokens (looked up
// without the suffix). With 8 bins: V+1+b for b = floor(valence)+4
// clamped to 0..7 ([-4,-3) ... [3,4]), V+9..V+16 for negation-marked
// tokens. Format v2 options, all off in v1 (see also NegationWindow):
//
//   - LexiconIntensity: the lexicon id is emitted ceil(|valence|) times
//     (1..4), so strong words weigh more in the mean (as VADER sums
//     valences).
//   - Boosters: a lexicon token right after one of VADER's booster or
//     dampener words ("very", "really", "so", "kinda", ...; a
//     negation-marked booster counts) emits its lexicon id once more.
//   - ButRepeat: every token after the last "but" (or "but_NEG") emits its
//     word id and lexicon ids ButRepeat more times: the clause after "but"
//     usually carries the sentiment (VADER weighs it 1.5x).
//
// # Rule features
//
// With RuleFeatures (format v2), the rules of a labeling-function file
// (internal/weak's RuleFeatures, attached with AttachRules after New or
// Load) are features too: AppendTweetIDs(dst, raw, clean) appends the ids
// of the clean text, then for every rule that fires on the tweet (raw
// text) its id, RuleRepeat times (at least once), in rule order. The rules
// read the raw tweet (hashtags in camel case, mentions, URLs), which the
// clean text no longer has, so every path that scores tweets passes both
// texts: Builder.AddTweet in training, Corpus.AppendIDs, serving. A
// featurizer with rule features refuses the clean-text-only paths
// (Builder.Add, and AppendTweetIDs before AttachRules) with ErrNoRules
// instead of scoring without its rules; AppendIDs itself stays the ids of
// the clean text. The rules file is saved beside the settings as RulesFile.
//
// # Files
//
// Save writes featurizer.json (Settings as JSON, including vocab_size,
// specials and rows) and vocab.txt (one word a line, UTF-8, "\n"; line i
// is id i). Load reads them back and checks the sizes.
//
// # Building
//
// Builder reads the training texts once, keeping only interned token
// numbers, then Build picks the vocabulary (count >= MinCount, the MaxVocab
// most frequent, by decreasing count then word) and returns the ids of
// every text in a compact Docs (one flat []int32 with offsets: ~1 KB a
// tweet with char n-grams). BuildCorpus returns a Corpus instead: each text
// as its interned token numbers (~90 bytes a tweet) plus every distinct
// token's word, lexicon and char n-gram ids once; Corpus.AppendIDs
// recomputes a text's ids (hashing its word n-grams, adding the "but" and
// booster ids) without allocating, so a trainer can featurize each example
// per epoch in a reused buffer. NewCorpusBuilder builds a Corpus of other
// texts (a validation set) with an existing featurizer.
//
// # Performance
//
// Featurizer.AppendIDs (the serving path) does not run the pipeline above
// token by token: on first use it builds a lookup table (fast.go) of every
// vocabulary word (without "_NEG") and every lexicon word k, holding for k
// and k+"_NEG" the word id, the lexicon id and repeat count, the char
// n-gram ids and the negator / scope-end / markable / booster / "but"
// flags. The table is an open-addressing hash table keyed by the FNV-1a
// hash of the token (which is also where its word n-gram hashes start),
// with entries and ids laid out in vocabulary order (by frequency), so the
// common words share few cache lines: about 4 MB and 25 ms for the demo
// model's 14,814 words plus the lexicon. A token equal to its normalised
// form costs one hash and one probe; other tokens are normalised first,
// and tokens outside the table (not in the vocabulary in either form) have
// their lexicon id and char n-grams computed as before. Tokens go into
// pooled scratch (text.AppendTokens), so AppendIDs allocates nothing for
// most texts. The ids are exactly those of the straightforward path
// (Tokens, then each token's ids), which Builder and Corpus use:
// TestFastPathMatchesReference compares both on thousands of SemEval
// tweets, cleaned and raw, under eight settings, plus edge cases (words
// outside the vocabulary, negations, hashtags, elongations, non-ASCII,
// tokens already ending in "_NEG", which take the straightforward path).
//
// BenchmarkAppendIDsTweets compares the two paths on real tweets; its
// figures are in docs/benchmarks.md.
package featurize
