package featurize

import (
	"fmt"

	"github.com/tweetflow/tweetflow/internal/text"
)

// Tokenize splits clean text into tokens: text.Tokenize, the tokenizer
// shared by every tweetflow stage. It is a variable only so that tests can
// substitute it; programs must not change it. Featurizer.AppendIDs (and
// IDs) tokenize with text.AppendTokens, the same tokenizer into reused
// scratch, and do not see a substitute.
var Tokenize func(cleanText string) []string = text.Tokenize

// TokenizerName names the tokenizer behind Tokenize and its algorithm
// version. It is written to featurizer.json, and a featurizer whose
// settings name another tokenizer is rejected (Settings.Validate), so a
// model is never served with a tokenizer it was not trained with.
var TokenizerName = fmt.Sprintf("tweetflow-text/v%d", text.Version)
