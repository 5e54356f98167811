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

# Chromium for the annotator's browser test (components/annotate), pinned.
# Debian's security archive replaces Chromium often and drops old builds: when
# the pinned build is gone, the current one is installed with a warning (the
# test logs the version it ran with) and this pin should be bumped.
CHROMIUM_VERSION="156.0.8078.114-1~deb12u1"
have=$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)
if [ "$have" != "$CHROMIUM_VERSION" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  if apt-cache madison chromium | grep -qF " $CHROMIUM_VERSION "; then
    echo "installing chromium $CHROMIUM_VERSION"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --allow-downgrades "chromium=$CHROMIUM_VERSION" >/dev/null
  elif [ -z "$have" ]; then
    echo "warning: chromium $CHROMIUM_VERSION is no longer in the archive; installing $(apt-cache policy chromium | awk '/Candidate/ {print $2}')" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium $CHROMIUM_VERSION is no longer in the archive; keeping $have" >&2
  fi
fi

# MinIO (the S3 conformance tests) and helm, kubeconform, crane (the chart
# and manifest checks) are Go builds, cached once built: on a cold machine
# they are the slow part (~13 minutes one after the other on 2 cores). They
# build at the same time, since one Go build alone leaves a core idle while
# it links or waits on a dependency; each writes its output to a log that is
# shown if it fails.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
hack/install-minio.sh >"$logs/minio" 2>&1 &
minio_pid=$!
hack/install-tools.sh >"$logs/tools" 2>&1 &
tools_pid=$!
# PostgreSQL for the scorer's sink tests (Debian package).
hack/install-postgres.sh >/dev/null
# ONNX Runtime for the export parity tests (npm package, cached).
hack/install-onnxruntime.sh
failed=0
for job in "minio $minio_pid" "tools $tools_pid"; do
  read -r name pid <<<"$job"
  if wait "$pid"; then
    grep -v '^/' "$logs/$name" || true
  else
    echo "hack/install-$name.sh failed:" >&2
    cat "$logs/$name" >&2
    failed=1
  fi
done
exit "$failed"
