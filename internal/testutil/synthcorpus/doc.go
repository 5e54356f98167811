// Package synthcorpus generates small, seeded, learnable labeled tweet
// corpora for tests of label sets other than sentiment: an emotion-like
// set (anger, joy, optimism, sadness) or any list of labels. Each tweet
// mixes neutral filler words with a few cue words of its class and, with
// some probability, a cue word of another class, so a classifier learns
// it well but not perfectly. The same seed always gives the same tweets.
package synthcorpus
