#!/usr/bin/env bash
# Installs what the tests need, pinned, from the registries this project may
# use (Debian packages, the Go module proxy, npm). Idempotent: skips what is
# already there. Used by `make test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(skopeo umoci python3-onnx python3-sklearn python3-gensim python3-flask gunicorn wrk hyperfine protobuf-compiler)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# MinIO server for the S3 conformance tests (built once, cached).
[ -x hack/install-minio.sh ] && hack/install-minio.sh
# PostgreSQL for the scorer's sink tests (Debian package).
[ -x hack/install-postgres.sh ] && hack/install-postgres.sh >/dev/null
# ONNX Runtime for the export parity tests (npm package, cached).
[ -x hack/install-onnxruntime.sh ] && hack/install-onnxruntime.sh
# helm, kubeconform, crane for the chart and manifest checks (cached).
[ -x hack/install-tools.sh ] && hack/install-tools.sh
exit 0
