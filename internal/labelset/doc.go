// Package labelset parses the labels parameter that balance-split, train
// and the pipelines share, and resolves it to the ordered class names of a
// model. It is the one place that knows the forms:
//
//   - three-class: negative, neutral, positive (sentiment)
//   - binary: negative, positive (Sentiment140-style sentiment)
//   - all: every label present in the data, sorted
//   - an explicit comma list such as "AI,OTHER" or
//     "anger,joy,optimism,sadness": exactly those labels, in that order
//   - none: the data is unlabeled (only balance-split accepts it)
//
// The order of the labels is the class order of the model: the columns of
// its probabilities, of the confusion matrix and of the score outputs.
//
// It also holds the rule for the positive class of a two-class problem,
// the class whose ROC and PR curves evaluate-gate reports: the label named
// first in an explicit list, "positive" for binary.
package labelset
