package text

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Version is the version of the cleaning and tokenizing algorithm. It is part
// of Options (and so of the fingerprint) so that a model trained with one
// version refuses to be served by code that cleans text differently. Bump it
// whenever Clean, Tokenize or NormKey change their output for any input.
const Version = 1

// Mode says what Clean does with one kind of entity (URL, mention, emoji).
type Mode string

// Modes. Not every entity accepts every mode: see Options.
const (
	ModeKeep   Mode = "keep"   // leave the entity as it is
	ModeRemove Mode = "remove" // replace the entity by a space
	ModeToken  Mode = "token"  // replace the entity by its placeholder token
)

// Placeholder tokens written by ModeToken. Tokenize keeps them whole.
const (
	TokenURL   = "<url>"
	TokenUser  = "<user>"
	TokenEmoji = "<emoji>"
	// TokenTagBlock marks the start of a trailing hashtag block rewritten
	// by TrailingHashtags ModeToken. It is a plain word (no hashtag body
	// is empty, so no rewritten hashtag can produce it).
	TokenTagBlock = "tb_"
	// TagBlockPrefix replaces the '#' of each hashtag of a trailing block
	// under TrailingHashtags ModeToken: "#ai" -> "tb_ai".
	TagBlockPrefix = "tb_"
)

// Options configure a Cleaner. The zero value is not useful: start from
// DefaultOptions. Options are JSON-serialisable so that a trained model can
// store exactly how its text was cleaned; Fingerprint identifies them.
type Options struct {
	// Version is the algorithm version the options were made for; Version
	// by default. NewCleaner rejects any other value.
	Version int `json:"version"`
	// URLs: ModeToken (default, "<url>") or ModeRemove.
	URLs Mode `json:"urls"`
	// Mentions (@user): ModeToken (default, "<user>") or ModeRemove.
	// Keeping mentions is not offered: a kept "@name" after a removed prefix
	// would make Clean non-idempotent (see StripRT).
	Mentions Mode `json:"mentions"`
	// Emojis: ModeKeep (default; each emoji sequence becomes one token),
	// ModeRemove or ModeToken ("<emoji>").
	Emojis Mode `json:"emojis"`
	// StripRT removes retweet markers "RT @user:" (the word "rt" in any
	// case, an optional ':', spaces, the mention and an optional ':')
	// wherever they occur. Default true.
	StripRT bool `json:"strip_rt"`
	// Lowercase maps every rune to lower case (unicode.ToLower). Default true.
	Lowercase bool `json:"lowercase"`
	// SqueezeRepeats shortens runs of more than 3 identical runes (letters,
	// punctuation, symbols; never digits or emoji) to 3: "cooooool" ->
	// "coool", "!!!!!" -> "!!!". Default true.
	SqueezeRepeats bool `json:"squeeze_repeats"`
	// StripHashSign drops the '#' of hashtags ("#happy" -> "happy"; a '#'
	// right after a non-space becomes a space: "(#happy)" -> "( happy)").
	// Default false: the hashtag stays one token "#happy".
	StripHashSign bool `json:"strip_hash_sign"`
	// TrailingHashtags says what Clean does with the trailing tag block:
	// the run of tokens after the last word of the cleaned text (and after
	// the punctuation right after that word), made of hashtags, <user>,
	// <url>, emoji, emoticons and punctuation, with at least one hashtag ("... new fund <url> #fintech #ai #ml"). ModeKeep
	// (default; stored as "" so that the options and fingerprints of
	// models made before the option are unchanged) leaves it; ModeToken
	// writes the marker TokenTagBlock before the block and rewrites each
	// of its hashtags "#ai" as the word "tb_ai", so that a model can weigh
	// topic words in a trailing hashtag block apart from the same words in
	// the sentence; ModeRemove drops the whole block (a text that is only
	// a tag block becomes empty). Not with
	// StripHashSign, which leaves no hashtag to find.
	TrailingHashtags Mode `json:"trailing_hashtags,omitempty"`
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{
		Version:        Version,
		URLs:           ModeToken,
		Mentions:       ModeToken,
		Emojis:         ModeKeep,
		StripRT:        true,
		Lowercase:      true,
		SqueezeRepeats: true,
		StripHashSign:  false,
	}
}

// Validate reports whether the options can configure a Cleaner.
func (o Options) Validate() error {
	if o.Version != Version {
		return fmt.Errorf("checking text options: version %d is not supported (this code implements version %d)", o.Version, Version)
	}
	if o.URLs != ModeToken && o.URLs != ModeRemove {
		return fmt.Errorf("checking text options: urls mode %q is not one of %q, %q", o.URLs, ModeToken, ModeRemove)
	}
	if o.Mentions != ModeToken && o.Mentions != ModeRemove {
		return fmt.Errorf("checking text options: mentions mode %q is not one of %q, %q", o.Mentions, ModeToken, ModeRemove)
	}
	if o.Emojis != ModeKeep && o.Emojis != ModeToken && o.Emojis != ModeRemove {
		return fmt.Errorf("checking text options: emojis mode %q is not one of %q, %q, %q", o.Emojis, ModeKeep, ModeToken, ModeRemove)
	}
	switch o.TrailingHashtags {
	case "", ModeKeep:
	case ModeToken, ModeRemove:
		if o.StripHashSign {
			return fmt.Errorf("checking text options: trailing hashtags mode %q needs the hashtags' '#': it cannot be combined with strip_hash_sign", o.TrailingHashtags)
		}
	default:
		return fmt.Errorf("checking text options: trailing hashtags mode %q is not one of %q, %q, %q", o.TrailingHashtags, ModeKeep, ModeToken, ModeRemove)
	}
	return nil
}

// Fingerprint is a short stable identifier of the options: the first 16 hex
// digits of the SHA-256 of their canonical JSON (which includes Version).
// Two Cleaners with equal fingerprints produce identical text and tokens.
func (o Options) Fingerprint() string {
	o = o.normalized()
	b, err := json.Marshal(o)
	if err != nil { // cannot happen: Options holds only strings, ints and bools
		panic(fmt.Sprintf("marshalling text options: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// normalized maps the spellings of one behaviour to one value: the trailing
// hashtags mode "keep" is stored as "".
func (o Options) normalized() Options {
	if o.TrailingHashtags == ModeKeep {
		o.TrailingHashtags = ""
	}
	return o
}

// Option changes one setting of the Options a Cleaner is built from.
type Option func(*Options)

// WithOptions replaces all settings, e.g. with options read from a model.
func WithOptions(o Options) Option { return func(p *Options) { *p = o } }

// WithURLs sets the URL mode (ModeToken or ModeRemove).
func WithURLs(m Mode) Option { return func(o *Options) { o.URLs = m } }

// WithMentions sets the mention mode (ModeToken or ModeRemove).
func WithMentions(m Mode) Option { return func(o *Options) { o.Mentions = m } }

// WithEmojis sets the emoji mode (ModeKeep, ModeToken or ModeRemove).
func WithEmojis(m Mode) Option { return func(o *Options) { o.Emojis = m } }

// WithStripRT turns removal of "RT @user:" markers on or off.
func WithStripRT(on bool) Option { return func(o *Options) { o.StripRT = on } }

// WithLowercase turns lowercasing on or off.
func WithLowercase(on bool) Option { return func(o *Options) { o.Lowercase = on } }

// WithSqueezeRepeats turns squeezing of repeated runes on or off.
func WithSqueezeRepeats(on bool) Option { return func(o *Options) { o.SqueezeRepeats = on } }

// WithStripHashSign turns dropping of the hashtag '#' on or off.
func WithStripHashSign(on bool) Option { return func(o *Options) { o.StripHashSign = on } }

// WithTrailingHashtags sets the trailing tag block mode (ModeKeep,
// ModeToken or ModeRemove).
func WithTrailingHashtags(m Mode) Option { return func(o *Options) { o.TrailingHashtags = m } }
