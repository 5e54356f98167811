package ortcheck

import (
	"errors"
	"path/filepath"
	goruntime "runtime"
)

// ErrNoCgo is returned by Run, RunGraph and Version in binaries built
// without cgo, which cannot load ONNX Runtime.
var ErrNoCgo = errors.New("ortcheck: built without cgo, cannot load onnxruntime")

// Environment variables read by LibPath and the tests.
const (
	// LibEnv overrides the path of libonnxruntime.so.1.
	LibEnv = "ONNXRUNTIME_LIB"
	// RequireEnv set to "1" turns skipped ONNX Runtime tests into failures.
	RequireEnv = "TWEETFLOW_REQUIRE_ORT"
	// InstallScript installs the library and prints its path.
	InstallScript = "hack/install-onnxruntime.sh"
)

// LibPath returns where libonnxruntime.so.1 is expected: getenv(LibEnv) when
// set, otherwise the path hack/install-onnxruntime.sh installs to under
// getenv("TWEETFLOW_CACHE") (default $HOME/.cache/tweetflow). Pass os.Getenv.
// It does not check that the file exists.
func LibPath(getenv func(string) string) string {
	if p := getenv(LibEnv); p != "" {
		return p
	}
	cache := getenv("TWEETFLOW_CACHE")
	if cache == "" {
		cache = filepath.Join(getenv("HOME"), ".cache", "tweetflow")
	}
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[goruntime.GOARCH]
	return filepath.Join(cache, "onnxruntime", "node_modules", "onnxruntime-node", "bin", "napi-v6",
		goruntime.GOOS, arch, "libonnxruntime.so.1")
}
