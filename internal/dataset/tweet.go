package dataset

import "time"

// Tweet is one row of a tweetflow dataset. Stage-specific columns are empty
// until the stage that fills them has run (clean fills CleanText and URLs).
type Tweet struct {
	ID        string    // source tweet id, as text (ids exceed float precision)
	CreatedAt time.Time // zero when unknown
	User      string    // author handle or id; empty when unknown
	Text      string    // raw text as ingested (escapes decoded)
	Label     string    // normalised label, e.g. "negative", "neutral", "positive"; empty when unlabeled
	Source    string    // where the row came from: "<file>:<line>" or an s3 URI with line
	CleanText string    // normalised text for modelling (clean stage)
	URLs      []string  // web links extracted from Text (clean stage)

	// Weak labels (label stage): the label model's probability of Label,
	// and its probability per class name. 0 and nil when unset (stored as
	// nulls).
	LabelConfidence float64
	LabelProbs      map[string]float64
}
