package stages

import (
	"strconv"

	c "github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/kafka"
	"github.com/tweetflow/tweetflow/internal/model/classifier"
	"github.com/tweetflow/tweetflow/internal/model/classifier/featurize"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/settings"
)

// formatNames are the --format values of the components that read raw files.
var formatNames = []string{"auto", "sentiment140", "semeval", "nltk", "jsonl", "parquet", "csv", "tsv"}

var shardRows = c.Param{Name: "shard-rows", Type: c.Int, Default: "100000", Min: c.F(1),
	Description: "Maximum rows per Parquet shard of the output dataset."}

// Ingest reads raw tweet files into a dataset.
var Ingest = c.Contract{
	Name:    "ingest",
	Summary: "Read raw tweet files (CSV/TSV with a header, Sentiment140 CSV, SemEval TSV, NLTK, JSONL incl. Twitter API v1.1/v2 objects, Parquet) into a tweetflow dataset",
	Description: "Reads every source (local paths, globs, folders or s3:// prefixes), decodes its format, " +
		"maps its labels and writes Parquet shards. A postgres://user@host/db?table=<name> (or ?query=<URL-encoded SELECT>) source reads a PostgreSQL table or query " +
		"through a cursor in a read-only transaction (a table in id order), its columns mapped by the column flags (defaults: text, id, label, created_at, user_name or user; a query URI goes last in its --sources value, its commas kept). Bad rows are reported with file, line and reason; " +
		"more than --max-bad-rows of them fail the stage without publishing anything.",
	Params: []c.Param{
		{Name: "format", Default: "auto", Enum: formatNames,
			Description: "Input format; auto detects it per file from the extension and content."},
		{Name: "label-map", Description: "Label mapping applied to every source, e.g. '0->negative,4->positive'; empty uses the format's default mapping."},
		{Name: "max-bad-rows", Type: c.Int, Default: "10", Min: c.F(0),
			Description: "Bad rows to skip (counted in the summary) before the stage fails."},
		shardRows,
	},
	Inputs: []c.Artifact{{Name: "sources", Kind: c.Sources, List: true,
		Description: "raw tweet files: paths, globs, folders, s3://bucket/prefix, or postgres://...?table=|query= (a PostgreSQL table or query)"}},
	Outputs:   []c.Artifact{{Name: "tweets", Kind: c.Dataset, Description: "the ingested tweets"}},
	Shardable: true,
}

// Clean normalises tweet text, extracts URLs and deduplicates.
var Clean = c.Contract{
	Name:    "clean",
	Summary: "Normalise tweet text for modelling, extract URLs and drop duplicates",
	Description: "Fills clean_text (URLs, @mentions, HTML entities, emojis and RT prefixes handled per the options) " +
		"and urls, keeps the raw text, drops empty results, deduplicates by id (first wins) and by normalised text, and " +
		"resolves conflicting labels of the same text by the --conflicts rule. The drop counts are in the summary.",
	Params: []c.Param{
		{Name: "urls", Default: "token", Enum: []string{"token", "remove"}, Description: "What to do with URLs in clean_text: replace by <url>, or remove (they are kept in the urls column either way)."},
		{Name: "mentions", Default: "token", Enum: []string{"token", "remove"}, Description: "What to do with @mentions: replace by <user>, or remove."},
		{Name: "emojis", Default: "keep", Enum: []string{"keep", "token", "remove"}, Description: "What to do with emoji sequences (ZWJ sequences, skin tones and flags count as one): keep, replace by <emoji>, or remove."},
		{Name: "lowercase", Type: c.Bool, Default: "true", Description: "Lowercase clean_text."},
		{Name: "strip-rt", Type: c.Bool, Default: "true", Description: "Remove retweet markers such as 'RT @user:'."},
		{Name: "squeeze-repeats", Type: c.Bool, Default: "true", Description: "Shorten runs of more than 3 identical characters to 3 ('cooooool' -> 'coool')."},
		{Name: "strip-hash", Type: c.Bool, Default: "false", Description: "Drop the '#' of hashtags ('#happy' -> 'happy')."},
		{Name: "trailing-hashtags", Default: "keep", Enum: []string{"keep", "token", "remove"},
			Description: "What to do with the trailing tag block, the hashtags (with mentions, URLs, emoji and punctuation among them) after the last word ('new fund <url> #fintech #ai'): keep; token: write the word tb_ before it and each hashtag as a tb_ word ('tb_ <url> tb_fintech tb_ai'), so a model weighs topic words in trailing hashtag spam apart from the sentence's; or remove it. token and remove need --strip-hash=false."},
		{Name: "conflicts", Default: "majority", Enum: []string{"majority", "first"},
			Description: "Rule for one normalised text with different labels: its strict majority label (ties dropped as ambiguous; reads the input twice), or the first row seen."},
		{Name: "mode", Default: "all", Enum: []string{"all", "map", "reduce"},
			Description: "all: clean and deduplicate in one step. map: only clean the text of every row (fills clean_text and urls, drops nothing), per shard of a fan-out. " +
				"reduce: deduplicate and resolve labels over the gathered output of map steps, without cleaning again (their cleaner.json must match this step's options)."},
		{Name: "state", Default: "disk", Enum: []string{"disk", "memory"},
			Description: "Where the dedupe state (one record per row: id and text hashes, labels) lives. disk: sorted runs in temporary files (about 50 bytes a row on disk, 48 MiB of sort buffers), so memory stays flat whatever the input size; always reads the input twice. " +
				"memory: hash tables of about 52 bytes per unique row, a little faster on inputs that fit."},
		{Name: "spill-dir", Description: "Folder of the temporary files of --state disk (default: $TMPDIR, else /tmp; the scratch volume in a pod)."},
		shardRows,
	},
	Inputs:    []c.Artifact{{Name: "tweets", Kind: c.Dataset, From: "ingest/tweets", Description: "the dataset to clean"}},
	Outputs:   []c.Artifact{{Name: "tweets", Kind: c.Dataset, Description: "the cleaned, deduplicated tweets"}},
	Shardable: true,
}

// Help shared by the labels and positive-label parameters.
const (
	labelsHelp = "The label set, in class order: 'three-class' (negative,neutral,positive), 'binary' (negative,positive), " +
		"'all' (every label present in the data, sorted), or a comma list of at least 2 labels like 'AI,OTHER' or " +
		"'anger,joy,optimism,sadness' (exactly those, in that order; names are case-sensitive)."
	positiveHelp = "The positive class of a two-class model, whose ROC and PR curves are reported: empty takes the default, " +
		"the label named first in an explicit labels list (AI,OTHER -> AI), 'positive' for binary, else the label named positive or the last label."
)

// BalanceSplit splits a dataset into train/validation/test.
var BalanceSplit = c.Contract{
	Name:    "balance-split",
	Summary: "Split a dataset into stratified train / validation / test sets, optionally balanced",
	Description: "A seeded, stratified split: the same input and seed always give byte-identical outputs. " +
		"Validation is written twice, with the class proportions of the data and balanced by down-sampling; " +
		"the training set can be balanced by down- or up-sampling. Prints a table of class counts per split.",
	Params: []c.Param{
		{Name: "seed", Type: c.Int, Default: "42", Description: "Seed of the shuffle and sampling."},
		{Name: "train-fraction", Type: c.Float, Default: "0.8", Min: c.F(0), Max: c.F(1), Description: "Share of rows in the training set."},
		{Name: "validation-fraction", Type: c.Float, Default: "0.1", Min: c.F(0), Max: c.F(1), Description: "Share of rows in the validation set; the rest is the test set."},
		{Name: "train-balance", Default: "none", Enum: []string{"none", "down", "up"}, Description: "Balance the training set's classes by down-sampling, up-sampling, or not at all."},
		{Name: "labels", Default: "three-class", Description: labelsHelp + " Rows with other labels are dropped. " +
			"'none': the data is unlabeled (e.g. for a labeling stage): every row is kept and the split is a seeded random one, not stratified."},
		{Name: "test-rows", Type: c.Int, Default: "0", Min: c.F(0), Description: "Rows in the test set (stratified by class); 0 uses the fractions. When test-rows or validation-rows is set, the training set gets every remaining row."},
		{Name: "validation-rows", Type: c.Int, Default: "0", Min: c.F(0), Description: "Rows in the validation set (stratified by class); 0 uses validation-fraction."},
		shardRows,
	},
	Inputs: []c.Artifact{{Name: "tweets", Kind: c.Dataset, From: "clean/tweets", Description: "the cleaned dataset"}},
	Outputs: []c.Artifact{
		{Name: "train", Kind: c.Dataset, Description: "training set"},
		{Name: "validation", Kind: c.Dataset, Description: "validation set with the data's class proportions"},
		{Name: "validation-balanced", Kind: c.Dataset, Description: "validation set balanced by down-sampling"},
		{Name: "test", Kind: c.Dataset, Description: "test set with the data's class proportions"},
	},
}

// Embed trains word2vec vectors.
var Embed = c.Contract{
	Name:        "embed",
	Summary:     "Train word2vec embeddings (skip-gram or CBOW with negative sampling) on the training text",
	Description: "Tokenizes clean_text like training and serving do, builds the vocabulary and trains word vectors. Writes vectors.bin (tweetflow format), vectors.txt (word2vec text format, loadable by gensim) and vocab.txt.",
	Params: []c.Param{
		{Name: "algorithm", Default: "skipgram", Enum: []string{"skipgram", "cbow"}, Description: "Skip-gram with negative sampling, or CBOW."},
		{Name: "dim", Type: c.Int, Default: "50", Min: c.F(1), Max: c.F(1000), Description: "Vector dimension (train takes its dimension from these vectors)."},
		{Name: "window", Type: c.Int, Default: "5", Min: c.F(1), Description: "Maximum context window on each side."},
		{Name: "negative", Type: c.Int, Default: "5", Min: c.F(1), Description: "Negative samples per positive pair."},
		{Name: "min-count", Type: c.Int, Default: "2", Min: c.F(1), Description: "Ignore words rarer than this."},
		{Name: "sample", Type: c.Float, Default: "0.001", Min: c.F(0), Description: "Subsampling threshold of frequent words (0 disables)."},
		{Name: "epochs", Type: c.Int, Default: "5", Min: c.F(1), Description: "Passes over the corpus."},
		{Name: "alpha", Type: c.Float, Default: "0.025", Min: c.F(0), Description: "Initial learning rate, decayed linearly."},
		{Name: "threads", Type: c.Int, Default: "0", Min: c.F(0), Description: "Worker threads; 0 uses every core. 1 with a seed is deterministic."},
		{Name: "seed", Type: c.Int, Default: "1", Description: "Random seed."},
	},
	Inputs:  []c.Artifact{{Name: "train", Kind: c.Dataset, From: "balance-split/train", Description: "the training set"}},
	Outputs: []c.Artifact{{Name: "vectors", Kind: c.Files, Description: "word vectors and vocabulary"}},
}

// trainDefaults and featDefaults are the classifier's and featurizer's
// defaults (classifier.DefaultParams, featurize.DefaultSettings): train's
// parameters declare them; they are not typed out again
// (TestTrainDefaultsAreTheClassifiers decodes them back).
var (
	trainDefaults = classifier.DefaultParams()
	featDefaults  = featurize.DefaultSettings()
)

// charNgramsDefault is featDefaults' character n-gram range as --char-ngrams text.
func charNgramsDefault() string {
	if featDefaults.CharMax == 0 {
		return "0"
	}
	return strconv.Itoa(featDefaults.CharMin) + "-" + strconv.Itoa(featDefaults.CharMax)
}

// lexiconDefault is featDefaults' lexicon as --lexicon text.
func lexiconDefault() string {
	if featDefaults.Lexicon == "" {
		return "none"
	}
	return featDefaults.Lexicon
}

// Train trains the tweet classifier.
var Train = c.Contract{
	Name:    "train",
	Summary: "Train the tweet classifier (mean of word and n-gram embeddings, softmax head) with early stopping",
	Description: "fastText-style classifier over token ids: word embeddings (initialised from embed's vectors), hashed word " +
		"and character n-grams, an optional hidden layer and a softmax over the labels. Class weights for imbalanced data, " +
		"early stopping on the validation set. Writes one versioned model folder: weights, tokenizer settings, vocabulary and metadata.json.",
	Params: []c.Param{
		{Name: "labels", Default: "three-class", Description: labelsHelp + " Training rows with other labels are skipped; data without any of the labels is an error."},
		{Name: "positive-label", Description: positiveHelp + " Recorded in the model's metadata.json and ONNX metadata (positive_label)."},
		{Name: "epochs", Type: c.Int, Default: strconv.Itoa(trainDefaults.Epochs), Min: c.F(1), Description: "Maximum training epochs (the learning rate decays linearly to 0 over them)."},
		{Name: "learning-rate", Type: c.Float, Default: strconv.FormatFloat(trainDefaults.LearningRate, 'g', -1, 64), Min: c.F(0), Description: "Initial learning rate, decayed linearly."},
		{Name: "dim", Type: c.Int, Default: strconv.Itoa(trainDefaults.Dim), Min: c.F(1), Max: c.F(1000), Description: "Embedding dimension when no --vectors are given; with vectors, their dimension is used."},
		{Name: "hidden", Type: c.Int, Default: strconv.Itoa(trainDefaults.Hidden), Min: c.F(0), Description: "Hidden layer width; 0 means a linear head."},
		{Name: "word-ngrams", Type: c.Int, Default: strconv.Itoa(featDefaults.WordNgrams), Min: c.F(1), Max: c.F(5), Description: "Longest word n-gram hashed into features."},
		{Name: "char-ngrams", Default: charNgramsDefault(), Description: "Character n-gram lengths as min-max, or 0 to disable."},
		{Name: "buckets", Type: c.Int, Default: strconv.Itoa(featDefaults.Buckets), Min: c.F(0), Description: "Hash buckets for n-gram features (rows of the embedding table beyond the vocabulary)."},
		{Name: "min-count", Type: c.Int, Default: strconv.Itoa(featDefaults.MinCount), Min: c.F(1), Description: "Vocabulary: keep words seen at least this often."},
		{Name: "lexicon", Default: lexiconDefault(), Enum: []string{featurize.LexiconVADER, "none"}, Description: "Add VADER sentiment-lexicon valence features, or not."},
		{Name: "negation", Type: c.Bool, Default: strconv.FormatBool(featDefaults.Negation), Description: "Mark words after a negation ('not good' -> 'good_NEG') until punctuation."},
		{Name: "class-weights", Default: trainDefaults.ClassWeights, Enum: []string{classifier.WeightsBalanced, classifier.WeightsNone}, Description: "Weight classes inversely to their frequency, or not."},
		{Name: "patience", Type: c.Int, Default: strconv.Itoa(trainDefaults.Patience), Min: c.F(0), Description: "Epochs without validation improvement before stopping early; 0 runs every epoch and keeps the last one (for noisy validation sets such as weak labels)."},
		{Name: "seed", Type: c.Int, Default: strconv.FormatUint(trainDefaults.Seed, 10), Description: "Random seed."},
		{Name: "threads", Type: c.Int, Default: strconv.Itoa(trainDefaults.Threads), Min: c.F(0), Description: "Worker threads; 0 uses every core. 1 with a seed is deterministic."},
		{Name: "weak-labels", Default: "none", Enum: []string{"none", "hard", "soft"},
			Description: "Training on the label stage's weak labels: none uses the label column as is; hard uses it (the label model's argmax) and drops rows below --min-label-confidence; soft also trains against label_probs (cross-entropy with the label model's probabilities). hard and soft need the label_probs column."},
		{Name: "min-label-confidence", Type: c.Float, Default: "0", Min: c.F(0), Max: c.F(1),
			Description: "With --weak-labels hard or soft: drop training rows whose label_confidence is below this."},
		{Name: "rule-features", Type: c.Bool, Default: "false",
			Description: "Make the labeling functions of --rules features of the model: every rule that fires on a tweet adds its own learned " +
				"embedding, so the model learns how far to trust each rule (and settles their conflicts) from the training labels, " +
				"beside the words. The rules file is saved with the model, and serve, score and evaluate-gate apply it to every tweet. " +
				"Rules with model: are refused."},
		{Name: "rule-repeat", Type: c.Int, Default: "8", Min: c.F(1), Max: c.F(1000),
			Description: "With --rule-features: how many times a fired rule's feature counts in the tweet's mean of embeddings " +
				"(a word adds its own id and 10-20 character n-grams). On the example rules 4 to 32 measured about the same (8 is the middle); 1 gave the rules too little weight."},
	},
	Inputs: []c.Artifact{
		{Name: "train", Kind: c.Dataset, From: "balance-split/train", Description: "the training set"},
		{Name: "validation", Kind: c.Dataset, From: "balance-split/validation", Description: "the validation set for early stopping"},
		{Name: "vectors", Kind: c.Files, From: "embed/vectors", Optional: true, Description: "pre-trained word vectors from embed"},
		{Name: "rules", Kind: c.Sources, Optional: true, Description: "with --rule-features: the YAML rules file (a path or s3:// URI) whose rules become features"},
	},
	Outputs: []c.Artifact{{Name: "model", Kind: c.Model, Description: "the versioned model folder"}},
}

// EvaluateGate scores a model and gates it.
var EvaluateGate = c.Contract{
	Name:    "evaluate-gate",
	Summary: "Score a model on labeled data, write metrics and an HTML report, and gate on ROC-AUC / PR-AUC",
	Description: "Computes accuracy, macro recall/F1, per-class precision/recall, the confusion matrix, ROC-AUC and PR-AUC " +
		"(binary: of the positive class; multi-class: macro one-vs-rest) with their curves. Below a threshold it exits 3, " +
		"names the metric, its value and the threshold, and reports passed=false so the pipeline skips export. " +
		"--data takes a dataset or any file ingest reads; raw files are ingested and cleaned as the model's training data was.",
	Params: []c.Param{
		{Name: metrics.ROCAUC.Param, Type: c.Float, Default: "0.75", Min: c.F(0), Max: c.F(1), Description: "Lowest acceptable ROC-AUC (0-1)."},
		{Name: metrics.PRAUC.Param, Type: c.Float, Default: "0.6", Min: c.F(0), Max: c.F(1), Description: "Lowest acceptable PR-AUC / average precision (0-1)."},
		{Name: metrics.MacroRecall.Param, Type: c.Float, Default: "0", Min: c.F(0), Max: c.F(1), Description: "Lowest acceptable macro recall (0-1); 0 disables."},
		{Name: "format", Default: "auto", Enum: formatNames, Description: "Format of --data when it is a raw file."},
		{Name: "label-map", Description: "Label mapping for raw --data files, e.g. '0->negative,4->positive'."},
		{Name: "max-bad-rows", Type: c.Int, Default: "10", Min: c.F(0),
			Description: "Bad rows of raw --data files to skip (counted in the summary) before the stage fails, as in ingest."},
		{Name: "positive-label", Description: positiveHelp + " Empty uses the model's recorded positive label."},
	},
	Inputs: []c.Artifact{
		{Name: "model", Kind: c.Model, From: "train/model", Description: "the model to score"},
		{Name: "data", Kind: c.Sources, From: "balance-split/test", Description: "labeled data: a dataset or raw files ingest reads"},
	},
	Outputs: []c.Artifact{{Name: "metrics", Kind: c.Files, Description: "metrics.json and report.html"}},
	Results: gateResults(),
}

// gateResults are evaluate-gate's results: passed and the metrics.Reported.
func gateResults() []c.Result {
	rs := []c.Result{{Name: metrics.GatePassed, Description: "true when every threshold is met"}}
	for _, h := range metrics.Reported {
		rs = append(rs, c.Result{Name: h.Result, Description: h.Description})
	}
	return rs
}

// ExportONNX writes the model as ONNX.
var ExportONNX = c.Contract{
	Name:        "export-onnx",
	Summary:     "Export a gated model as a standard ONNX graph (token ids in, class probabilities out)",
	Description: "Writes model.onnx (opset 17) with label names and tokenizer settings as metadata props, plus the tokenizer files the server needs.",
	Params: []c.Param{
		{Name: "verify", Type: c.Bool, Default: "true", Description: "Run the exported graph in the pure-Go runtime and compare with the model's own probabilities before publishing."},
	},
	Inputs:  []c.Artifact{{Name: "model", Kind: c.Model, From: "train/model", Description: "the trained model"}},
	Outputs: []c.Artifact{{Name: "onnx", Kind: c.Files, Description: "model.onnx and the tokenizer files"}},
}

// BuildServingImage builds the model server image without a Docker daemon.
var BuildServingImage = c.Contract{
	Name:        "build-serving-image",
	Summary:     "Build a reproducible OCI image of the model server with the exported model, no Docker daemon needed",
	Description: "Appends the server binary and the ONNX model as layers to a minimal base (CA certificates, non-root user), sets entrypoint, env and labels (model version, run ID) and writes an OCI layout; pushes it when --registry is set.",
	Params: []c.Param{
		{Name: "registry", Description: "Registry to push to, e.g. ghcr.io/acme; empty writes only the OCI layout."},
		{Name: "repository", Default: "tweetflow-model", Description: "Image repository name under the registry."},
		{Name: "tag", Description: "Image tag; empty uses the run ID."},
		{Name: "server-binary", Description: "Path of the model server binary to package; empty looks beside this binary, then on PATH."},
		{Name: "insecure-registry", Type: c.Bool, Default: "false", Description: "Push over plain HTTP (local registries)."},
	},
	Inputs:  []c.Artifact{{Name: "onnx", Kind: c.Files, From: "export-onnx/onnx", Description: "the exported model"}},
	Outputs: []c.Artifact{{Name: "image", Kind: c.Files, Description: "the image as an OCI layout"}},
	// They change the image: part of the step-cache key.
	Settings: []*settings.Setting{settings.CACerts, settings.SourceDateEpoch, settings.ImageSource},
	Results: []c.Result{
		{Name: "digest", Description: "image manifest digest"},
		{Name: "image", Description: "pushed image reference, empty when not pushed"},
	},
}

// Score is the stream scorer: it cleans incoming tweets, scores them with an
// exported model and stores the results. It is not part of the training
// pipeline; it runs on its own or in a scoring pipeline.
var Score = c.Contract{
	Name:    "score",
	Summary: "Clean incoming tweets, score them with an exported model and store the results (Parquet or PostgreSQL)",
	Description: "Reads tweets from files, globs, s3:// prefixes, a dataset, or '-' (standard input, one JSON tweet a line, as a stream), " +
		"cleans them exactly as the model's training text was cleaned, runs the exported ONNX graph and writes id, text, " +
		"clean text, urls, label, score and every class probability with the model version: to a Parquet dataset output " +
		"and, with --postgres-dsn, into a PostgreSQL table (idempotent upserts by tweet id and model version).",
	Params: []c.Param{
		{Name: "format", Default: "auto", Enum: formatNames, Description: "Format of raw --tweets files; '-' is always JSONL."},
		{Name: "batch-size", Type: c.Int, Default: "512", Min: c.F(1), Description: "Tweets scored and stored per batch (and per PostgreSQL transaction)."},
		{Name: "postgres-dsn", Setting: settings.PostgresDSN, Secret: true, Description: "PostgreSQL connection string (postgres://user:pass@host/db); empty uses DATABASE_URL, and without either only the Parquet output is written (file runs: consuming Kafka needs a database). Prefer the env var: flags show in process lists."},
		{Name: "flush-interval", Type: c.Duration, Default: "1s", Description: "Store a partial batch once its first tweet has waited this long (streams); 0 waits for full batches."},
		{Name: "table", Default: "tweet_scores", Description: "PostgreSQL table for the scores; created when missing, its schema migrated on start (idempotent)."},
		{Name: "table-prefix", Description: "Name the tables from a prefix and --table-version, as <prefix><version> (e.g. tweet_scores_ and 0: tweet_scores_0; the Kafka dead letters then default to tweet_scores_0_dead_letters); overrides --table."},
		{Name: "table-version", Type: c.Int, Default: "0", Min: c.F(0), Description: "Version in the table names made from --table-prefix."},
		{Name: "max-bad-rows", Type: c.Int, Default: "10", Min: c.F(0), Description: "Bad input rows to skip before failing (batch runs; with a dead-letter table bad rows are stored there and do not count)."},
		{Name: "dead-letter-table", Description: "PostgreSQL table for dead letters (bad rows, poison Kafka messages, rows PostgreSQL refuses: raw bytes, topic/partition/offset or file/line, reason, time); created when missing. Empty: <table>_dead_letters (tweet_scores_dead_letters by default) when consuming Kafka with a database, else none (bad file rows count against --max-bad-rows)."},
		{Name: "predict-url", Description: "Score through a tweetflow model server (serve) at this base URL (http://host:port) instead of loading --model: batches go to its POST /predict, texts are cleaned for clean_text with the options its GET /models lists, and rows carry the version that answered. A text the server refuses (too long; a request too large is split down to it) is dead-lettered with the server's reason and counted (refused_texts). Its model's labels must be those the table already holds (checked at start and whenever the answering version changes)."},
		{Name: "predict-concurrency", Type: c.Int, Default: "4", Min: c.F(1), Description: "With --predict-url: most requests in flight; a batch is split in up to this many requests (of at most 256 texts), and reading waits while they are out (backpressure)."},
		{Name: "predict-retry-budget", Type: c.Duration, Default: "1m", Min: c.F(0), Description: "With --predict-url: how long a request is retried while the server is unreachable or answers 5xx/429/408 (exponential backoff from 100ms to 5s, with jitter); past it score fails, and the batch is not stored (nor its Kafka offsets committed). 0 fails at the first error."},
		{Name: "predict-timeout", Type: c.Duration, Default: "30s", Min: c.F(0), Description: "With --predict-url: longest time one request may take before it is retried; 0 uses 30s."},
		shardRows,
	},
	Inputs: []c.Artifact{
		{Name: "model", Kind: c.Files, From: "export-onnx/onnx", Optional: true, Description: "the exported model folder (model.onnx and tokenizer files); required unless --predict-url is set"},
		{Name: "tweets", Kind: c.Sources, List: true, Optional: true, Description: "tweets to score: paths, globs, folders, s3:// prefixes, a dataset, or '-' for standard input (required unless --kafka-topics is set)"},
	},
	Outputs:   []c.Artifact{{Name: "scores", Kind: c.Dataset, Description: "the scored tweets (file and stdin runs; a Kafka consumer stores them only in PostgreSQL, as a stopped run publishes no output)"}},
	Shardable: true,
	NoCache:   true, // PostgreSQL writes are a side effect a cache hit would skip
}

// All lists every pipeline component, in pipeline order.
var All = []*c.Contract{&Ingest, &Clean, &BalanceSplit, &Embed, &Train, &EvaluateGate, &ExportONNX, &BuildServingImage}

// Components lists every component with a contract: the training
// pipeline's, the stream scorer and the data loop's (label, annotate). The
// reference docs cover these.
var Components = append(append([]*c.Contract{}, All...), &Score, &Label, &Annotate, &Dashboard, &Serve, &LoadPostgres, &Collect)

// ColumnParams map the columns of delimited files with a header (format
// csv or tsv, or auto-detected) to tweet fields. They are declared once
// here, added to every contract that reads raw files (init below) and
// decoded into ColumnFields.
var ColumnParams = []c.Param{
	{Name: "text-column", Default: "text", Description: "Header column holding the tweet text (CSV/TSV with a header; the column of a postgres:// table or query source); auto detection takes a file whose first line is a header with this column as CSV/TSV."},
	{Name: "label-column", Description: "Header column holding the label (CSV/TSV); empty: the rows are unlabeled (a postgres:// source: its label column when it has one). Values go through --label-map."},
	{Name: "id-column", Description: "Header column holding the tweet id (CSV/TSV); empty: the id is '<file name>:<line>' (a postgres:// source: its id column when it has one, which also orders a table)."},
	{Name: "time-column", Description: "Header column holding the creation time (CSV/TSV): RFC 3339, '2015-02-24 11:35:52 -0800', 'Mon Apr 06 22:19:45 +0000 2009' or unix seconds; empty: unknown (a postgres:// source: its created_at column when it has one)."},
	{Name: "user-column", Description: "Header column holding the user name (CSV/TSV); empty: no user (a postgres:// source: its user_name or user column when it has one)."},
}

// KafkaParams configure a Kafka source (score, collect): declared once
// here, added to those contracts (init below, the group defaulting to
// tweetflow-<component>) and decoded into KafkaFields (Config, Options).
var KafkaParams = []c.Param{
	{Name: "kafka-brokers", Type: c.Strings, Description: "Kafka bootstrap brokers (host:port); with --kafka-topics, the component consumes Kafka instead of reading files, until SIGTERM. SASL/TLS settings come only from the environment (the TWEETFLOW_KAFKA_* settings)."},
	{Name: "kafka-topics", Type: c.Strings, Description: "Kafka topics to consume (messages: one tweet each, tweetflow JSON or Twitter API v1.1/v2 objects)."},
	{Name: "kafka-group", Description: "Kafka consumer group; offsets are committed only after a batch is stored."},
	{Name: "kafka-start", Default: "earliest", Enum: []string{"earliest", "latest"}, Description: "Where a consumer group with no committed offset starts."},
	{Name: "kafka-max-message-bytes", Type: c.Int, Default: "1048576", Min: c.F(1), Description: "Larger Kafka messages are dead letters."},
	{Name: "kafka-session-timeout", Type: c.Duration, Default: "45s", Min: c.F(0), Description: "Kafka consumer group session timeout: a member that sends no heartbeat for this long (a crashed or killed consumer) is removed and its partitions reassigned; the broker bounds it (group.min/max.session.timeout.ms)."},
}

// KafkaSecurity are the SASL and TLS settings of a Kafka source (score,
// collect), parsed by kafka.Security: environment only, never flags, as
// the password is a secret and command lines show in process lists.
var KafkaSecurity = []*settings.Setting{
	kafkaEnv(kafka.EnvSASLMechanism, "kafka-sasl-mechanism", settings.String, false, "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty: no SASL"),
	kafkaEnv(kafka.EnvSASLUser, "kafka-sasl-username", settings.String, false, "SASL user name (needed with a mechanism)"),
	kafkaEnv(kafka.EnvSASLPassword, "kafka-sasl-password", settings.String, true, "SASL password"),
	kafkaEnv(kafka.EnvTLS, "kafka-tls", settings.Bool, false, "true turns TLS on (implied by the other TLS settings)"),
	kafkaEnv(kafka.EnvTLSCAFile, "kafka-tls-ca-file", settings.String, false, "PEM CA bundle of the brokers' certificates; empty: the system roots"),
	kafkaEnv(kafka.EnvTLSCertFile, "kafka-tls-cert-file", settings.String, false, "client certificate file for mutual TLS, with the key file"),
	kafkaEnv(kafka.EnvTLSKeyFile, "kafka-tls-key-file", settings.String, false, "client key file for mutual TLS"),
	kafkaEnv(kafka.EnvTLSServerName, "kafka-tls-server-name", settings.String, false, "expected server name of the brokers' certificates; empty: the broker host"),
	kafkaEnv(kafka.EnvTLSInsecure, "kafka-tls-insecure", settings.Bool, false, "true skips certificate verification (tests only)"),
}

func kafkaEnv(env, name string, typ settings.Type, secret bool, usage string) *settings.Setting {
	return &settings.Setting{Name: name, Env: []string{env}, Type: typ, Category: settings.CategoryKafka, Usage: usage, Secret: secret, EnvOnly: true}
}

// The contracts that read raw tweet files take the column mapping too.
func init() {
	for _, ct := range []*c.Contract{&Score, &Collect} {
		ct.Settings = append(ct.Settings, KafkaSecurity...)
		for _, p := range KafkaParams {
			if p.Name == "kafka-group" {
				p.Default = "tweetflow-" + ct.Name
			}
			ct.Params = append(ct.Params, p)
		}
	}
	for _, ct := range []*c.Contract{&Ingest, &EvaluateGate, &Score, &Label, &Collect} {
		ct.Params = append(ct.Params, ColumnParams...)
	}
}
