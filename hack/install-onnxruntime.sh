#!/usr/bin/env bash
# install-onnxruntime.sh installs the ONNX Runtime shared library used by the
# parity tests (internal/onnx/ortcheck) and prints the path of
# libonnxruntime.so.1.
#
# The library comes from the npm package onnxruntime-node, which ships the
# prebuilt native binaries inside the package itself. The package's own
# postinstall download (CUDA/TensorRT extras) is switched off with
# ONNXRUNTIME_NODE_INSTALL=skip, so only the registry tarball is fetched.
#
# The install goes to ${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}/onnxruntime
# and is skipped when the library is already there. Only the path is written
# to stdout; progress goes to stderr, so callers can do
#
#	export ONNXRUNTIME_LIB="$(hack/install-onnxruntime.sh)"
set -euo pipefail

version="${ONNXRUNTIME_NODE_VERSION:-1.30.0}"
cache="${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}"
dir="$cache/onnxruntime"

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) plat=linux/x64 ;;
Linux-aarch64) plat=linux/arm64 ;;
*)
	echo "install-onnxruntime: unsupported platform $(uname -s)-$(uname -m)" >&2
	exit 1
	;;
esac
lib="$dir/node_modules/onnxruntime-node/bin/napi-v6/$plat/libonnxruntime.so.1"

find_lib() {
	if [[ -f "$lib" ]]; then
		echo "$lib"
		return 0
	fi
	# Fall back to a search in case the package layout changes.
	local found
	found="$(find "$dir/node_modules/onnxruntime-node" -name 'libonnxruntime.so.1' -path "*${plat}*" 2>/dev/null | sort | head -n1 || true)"
	if [[ -n "$found" ]]; then
		echo "$found"
		return 0
	fi
	return 1
}

if find_lib >/dev/null 2>&1; then
	find_lib
	exit 0
fi

command -v npm >/dev/null || {
	echo "install-onnxruntime: npm is required (apt-get install npm)" >&2
	exit 1
}

mkdir -p "$dir"
tmp="$(mktemp -d "$cache/onnxruntime.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "install-onnxruntime: installing onnxruntime-node@$version into $dir" >&2
(
	cd "$tmp"
	echo '{"name":"tweetflow-onnxruntime","private":true}' >package.json
	ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error \
		"onnxruntime-node@$version" >&2
)
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
find_lib || {
	echo "install-onnxruntime: libonnxruntime.so.1 not found under $dir" >&2
	exit 1
}
