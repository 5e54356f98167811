// Package word2vec trains word embeddings with word2vec (Mikolov et al.
// 2013): skip-gram (default) or CBOW with negative sampling, in pure Go.
//
// Train consumes the sentences (token slices; the caller tokenizes) once:
// it counts words, keeps those seen at least MinCount times (at most
// MaxVocab, most frequent first, ties broken by word), and encodes the
// corpus into one []int32 of word ids with sentence boundaries. Epochs
// re-read that array, so the token strings are never held twice.
//
// Training follows the original C tool and gensim: subsampling of frequent
// words (sample=1e-3), a reduced window drawn uniformly in 1..Window per
// centre word, Negative noise words drawn from unigram^0.75 (Walker alias
// table), a sigmoid lookup table, float32 weights, and a learning rate
// decaying linearly from Alpha to MinAlpha over all epochs. The corpus is
// cut into chunks of whole sentences (about ChunkSize words) that Threads
// goroutines take in turn and train on lock-free (Hogwild).
//
// # Determinism
//
// Every random choice is drawn from a math/rand/v2 PCG stream derived from
// (Seed, epoch, chunk), and the vectors are initialised from Seed. With
// Threads=1 two runs give bit-identical vectors; with more threads the
// interleaving of Hogwild updates makes runs differ slightly.
//
// # Data races and -race
//
// Hogwild updates race on the weight matrices by design. In builds with
// the race detector the workers still run concurrently, but each chunk is
// trained under a mutex (hogwild_race.go), so `go test -race` passes for
// this package and for callers that train with Threads > 1; training is
// then effectively single-threaded.
//
// # Kernels
//
// On amd64 with AVX2 and FMA, one negative-sampling step (dot product,
// sigmoid and loss lookup, both updates) is a single assembly function
// (kernels_amd64.s), checked bit for bit against the Go composition in the
// tests; elsewhere, or with the purego build tag, unrolled Go loops
// (kernels.go) do the work. The two paths differ in the last bits. For each
// sentence the examples and their noise words are drawn first, so that the
// noise rows (random, mostly cache misses) are prefetched two examples
// ahead.
//
// # Files
//
// WriteBinary/ReadBinary use this package's format (header, JSON
// parameters, vocabulary with counts, little-endian float32 matrix, CRC-32C;
// see format.go). WriteText/ReadText use the standard word2vec text format
// that gensim's KeyedVectors.load_word2vec_format(path, binary=False)
// reads, and WriteVocab/ReadVocab the "word count" vocabulary file.
package word2vec
