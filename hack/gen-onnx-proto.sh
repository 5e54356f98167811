#!/usr/bin/env bash
# gen-onnx-proto.sh regenerates internal/onnx/onnxpb from Debian's onnx.proto.
#
# Source: /usr/lib/python3/dist-packages/onnx/onnx.proto from the Debian
# package python3-onnx (1.12.0-2+b4 when this was written: onnx 1.12.0,
# IR version 8, max opset 17). The file is copied with a go_package option
# added, then compiled with protoc (apt protobuf-compiler) and protoc-gen-go at
# the version of google.golang.org/protobuf required by go.mod, installed into
# a cache GOBIN. The output depends only on those three inputs (no
# timestamps or paths), so `make verify` can regenerate and diff.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${ONNX_PROTO:-/usr/lib/python3/dist-packages/onnx/onnx.proto}"
out="$root/internal/onnx/onnxpb"
cache="${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}"

[[ -f "$src" ]] || {
	echo "gen-onnx-proto: $src not found (apt-get install python3-onnx)" >&2
	exit 1
}
command -v protoc >/dev/null || {
	echo "gen-onnx-proto: protoc not found (apt-get install protobuf-compiler)" >&2
	exit 1
}

pbver="$(cd "$root" && go list -m -f '{{.Version}}' google.golang.org/protobuf)"
gobin="$cache/gobin/protoc-gen-go@$pbver"
if [[ ! -x "$gobin/protoc-gen-go" ]]; then
	echo "gen-onnx-proto: installing protoc-gen-go@$pbver into $gobin" >&2
	GOBIN="$gobin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$pbver"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/out"

# Record where the file came from, and add the go_package option right after
# the package statement.
if ver="$(dpkg-query -W -f='${Version}' python3-onnx 2>/dev/null)" && [[ "$src" == /usr/lib/python3/dist-packages/* ]]; then
	origin="Debian python3-onnx $ver"
else
	origin="$(basename "$src")"
fi
awk -v origin="$origin" '
	NR == 1 {
		print "// Copied from " origin " by hack/gen-onnx-proto.sh, which added go_package."
	}
	{ print }
	/^package onnx;$/ && !done {
		print ""
		print "option go_package = \"github.com/tweetflow/tweetflow/internal/onnx/onnxpb\";"
		done = 1
	}
	END { if (!done) { print "gen-onnx-proto: no \"package onnx;\" line" > "/dev/stderr"; exit 1 } }
' "$src" >"$work/in/onnx.proto"

PATH="$gobin:$PATH" protoc \
	--proto_path="$work/in" \
	--go_out="$work/out" \
	--go_opt=paths=source_relative \
	"$work/in/onnx.proto"

# The generated header records the protoc and protoc-gen-go versions: a
# different toolchain shows up as a diff, which is intended.
mkdir -p "$out"
cp "$work/in/onnx.proto" "$out/onnx.proto"
cp "$work/out/onnx.pb.go" "$out/onnx.pb.go"
echo "gen-onnx-proto: wrote $out/onnx.pb.go (protoc $(protoc --version | awk '{print $2}'), protoc-gen-go $pbver)" >&2
