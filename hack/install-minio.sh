#!/usr/bin/env bash
# Builds the MinIO server used by the S3 tests (internal/testutil/miniotest)
# from the Go module proxy into a cache folder, and prints its path.
#
#   hack/install-minio.sh            # builds once, then reuses the binary
#   MINIO_BIN=$(hack/install-minio.sh | tail -1)
#
# The cache folder is ${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}/bin. The build
# takes a few minutes on 2 cores and needs only the Go module proxy.
set -euo pipefail

MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

cache="${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}"
bin_dir="$cache/bin"
bin="$bin_dir/minio"
stamp="$bin_dir/minio.version"

if [[ -x "$bin" ]] && { [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" == "$MINIO_VERSION" ]]; }; then
	echo "$bin"
	exit 0
fi

mkdir -p "$bin_dir"
echo "building $MINIO_MODULE@$MINIO_VERSION into $bin_dir (a few minutes)..." >&2
# CGO off: a static binary that needs no system libraries.
GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" \
	go install -ldflags="-s -w" "$MINIO_MODULE@$MINIO_VERSION" >&2
echo "$MINIO_VERSION" >"$stamp"
echo "$bin"
