package stages

import c "github.com/tweetflow/tweetflow/internal/component"

// Label weakly labels a dataset with labeling functions and a label model.
var Label = c.Contract{
	Name:    "label",
	Summary: "Label tweets with labeling functions from a YAML rules file and a label model (weak supervision)",
	Description: "Applies the rules file's labeling functions (keywords, regexes, URL domains, emoticons, lexicon scores, " +
		"'word A without word B', retweet/length conditions, exported models) to every tweet, combines their votes by " +
		"majority vote or a generative label model (Dawid-Skene EM, learning each rule's accuracy without labels) and " +
		"writes the dataset with label (argmax), label_confidence and label_probs. Rows no rule votes on, majority-vote " +
		"ties and rows below --min-confidence are dropped and counted. Prints the LF analysis table (coverage, overlaps, " +
		"conflicts, learned accuracy) and writes it as JSON and HTML; with --golden, also each rule's empirical accuracy " +
		"and the precision/recall/F1 of both label models on the hand labels. The whole input is held in memory.",
	Params: []c.Param{
		{Name: "model", Default: "generative", Enum: []string{"majority", "generative"},
			Description: "Label model: majority vote (ties dropped), or Dawid-Skene EM (needs at least 3 rules)."},
		{Name: "class-balance", Description: "Class prior of the generative model as a comma list in the rules' label order (e.g. '0.3,0.7'); empty estimates it."},
		{Name: "seed", Type: c.Int, Default: "42", Description: "Seed of the generative model's random restarts."},
		{Name: "restarts", Type: c.Int, Default: "0", Min: c.F(0), Description: "Extra seeded random starting points of EM besides the majority-vote one; the most likely fit wins."},
		{Name: "min-confidence", Type: c.Float, Default: "0", Min: c.F(0), Max: c.F(1), Description: "Drop rows whose label probability is below this (0 keeps every labeled row)."},
		{Name: "golden-format", Default: "auto", Enum: []string{"auto", "sentiment140", "semeval", "nltk", "jsonl", "parquet"}, Description: "Format of raw --golden files."},
		{Name: "golden-label-map", Default: "*", Description: "Label mapping of raw --golden files; the default '*' keeps every label. Golden labels match the rules' labels case-insensitively; other labels (e.g. UNSURE) are skipped."},
		{Name: "max-bad-rows", Type: c.Int, Default: "10", Min: c.F(0),
			Description: "Bad rows of raw --golden files to skip (counted in the summary) before the stage fails, as in ingest."},
		shardRows,
	},
	Inputs: []c.Artifact{
		{Name: "rules", Kind: c.Sources, Description: "the YAML rules file: a path or s3:// URI"},
		{Name: "tweets", Kind: c.Dataset, From: "balance-split/train", Description: "the tweets to label"},
		{Name: "golden", Kind: c.Sources, List: true, Optional: true, Description: "hand-labeled tweets to evaluate against: a dataset or raw files ingest reads"},
	},
	Outputs: []c.Artifact{
		{Name: "tweets", Kind: c.Dataset, Description: "the weakly labeled tweets (label, label_confidence, label_probs)"},
		{Name: "report", Kind: c.Files, Description: "lf-summary.json, lf-summary.html and, with --golden, evaluation.json"},
	},
}
