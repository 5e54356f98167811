// Package ortcheck runs tweetflow classifier models in ONNX Runtime, the
// reference the exporter (package onnx) and the pure-Go executor (package
// runtime) are proven against.
//
// It loads libonnxruntime.so.1 at run time through
// github.com/yalue/onnxruntime_go and therefore needs cgo; keep it out of the
// serving path. hack/install-onnxruntime.sh installs the library (from the
// npm package onnxruntime-node) into the tweetflow cache and prints its path.
//
// Without cgo the package still builds, but Run, RunGraph and Version return
// ErrNoCgo. The tests skip when the library is missing or cgo is off, unless
// TWEETFLOW_REQUIRE_ORT=1, in which case they fail. ONNXRUNTIME_LIB overrides
// the library path.
//
// ONNX Runtime allows one environment per process: the first library path
// used wins, and a later call with another path fails.
package ortcheck
