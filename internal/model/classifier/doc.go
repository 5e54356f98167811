// Package classifier trains and runs tweetflow's sentiment classifier, a
// fastText-style bag of embeddings with a softmax head, and reads and
// writes its model folder. Text becomes ids with the featurize
// sub-package; the model is convertible to internal/onnx's Classifier
// (Weights) without importing it.
//
// # Model
//
// For the ids of a text (featurize: vocabulary words, lexicon features,
// hashed word and character n-grams), all rows of one embedding table
// E [Rows, Dim] (row 0 all zeros, the padding):
//
//	pooled = sum of E[id] over the ids / max(1, number of non-zero ids)
//	h      = relu(pooled @ W1 + b1)          only with a hidden layer
//	p      = softmax(h @ W2 + b2)            (pooled instead of h without)
//
// PredictProba computes this in float32 in exactly the order of the ONNX
// graph (sum in id order, divide, MatMul accumulating over inputs in
// order, Add bias, ReLU, max-shifted Softmax), so the exported graph gives
// the same probabilities.
//
// # Training
//
// Train minimises the class-weighted cross-entropy
// -w[y] log p[y] by SGD over the shuffled examples, one example at a time,
// with a learning rate decaying linearly from LearningRate to 0 over all
// Epochs (fastText). Only the embedding rows of an example's ids are
// updated (each by lr * grad / count); the dense layers are updated every
// step. Class weights "balanced" are n / (C * n_c) (scikit-learn), "none"
// 1. Optional input dropout drops each id of a training example with
// probability Dropout. Initialisation: E uniform(-1/Dim, 1/Dim) (uniform
// (-1, 1) with a hidden layer), W1 He-uniform, W2 zero (Glorot-uniform with
// a hidden layer), biases zero; vocabulary rows from pre-trained vectors
// when WithPretrained is given.
//
// After every epoch the validation set is scored (mean cross-entropy,
// accuracy, macro recall); the weights of the best epoch by StopOn (macro
// recall by default) are kept, and training stops after Patience epochs
// without improvement. WithOnEpoch receives each epoch's EpochStats.
//
// # Determinism and threads
//
// Every random choice comes from math/rand/v2 PCG streams derived from
// Seed. With Threads = 1 two runs give bit-identical weights. With more
// threads the workers update the shared weights lock-free (Hogwild), so
// runs differ slightly; under the race detector (hogwild_race.go) workers
// take turns per chunk of 256 examples so that -race reports only
// unintended races.
//
// # Data
//
// A Dataset is featurize.Docs (all ids in one []int32 with offsets) plus
// one int32 label per document, so 50k tweets with ~250 ids each take
// ~50 MB; the text itself is not kept (featurize.Builder reads it once).
// For large training sets a Dataset holds a featurize.Corpus instead: each
// document as its ~20 interned tokens (4 bytes each), its ids (word and
// lexicon ids looked up once per distinct token, char and word n-grams
// hashed) recomputed into a per-worker buffer every epoch, so 1M tweets
// take ~100 MB instead of ~1 GB, at a small cost in speed, with the same
// ids and results.
//
// # Model folder
//
// Save writes, through a create(name) sink:
//
//	weights.bin      the weights (below)
//	featurizer.json  featurize.Settings
//	vocab.txt        the vocabulary, one word a line (line i = id i)
//	rules.yaml       only with rule features (featurize.RulesFile): the
//	                 rules file whose rules are features; Load parses it
//	                 (internal/weak) and attaches it to the featurizer
//	metadata.json    Metadata: format "tweetflow-classifier/v1",
//	                 model_version (run id), created_at, labels (output
//	                 order), rows, dim, hidden, featurizer settings,
//	                 cleaning (internal/text Options, filled by the stage), params,
//	                 training (per-epoch stats, best epoch, class weights
//	                 and counts), data digests, metrics, extra
//
// weights.bin is little-endian: the 8 bytes "TFCLSW01"; six uint32 —
// format version (1), rows, dim, hidden (0 = none), classes, 0 (reserved);
// float32 arrays E [rows, dim], then with a hidden layer W1 [dim, hidden]
// and b1 [hidden], then W2 [in, classes] and b2 [classes] (in = hidden or
// dim), all row-major; finally the uint32 CRC-32 (IEEE) of every byte
// before it. Load and LoadFS read a folder back and check sizes, checksum
// and the zero padding row.
//
// # Defaults
//
// DefaultParams and featurize.DefaultSettings are the settings chosen on
// the SemEval development set with hack/quality (see its README).
package classifier
