// Package onnxtest builds seeded random classifiers and token id batches for
// tests of the ONNX exporter, the pure-Go runtime and anything that serves
// their models. Everything is deterministic for a given seed (math/rand/v2
// PCG).
package onnxtest
