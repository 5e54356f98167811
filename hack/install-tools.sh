#!/usr/bin/env bash
# Installs the pinned deployment tools (helm, kubeconform, crane) from the Go
# module proxy into a cache folder, skipping those already built at the pinned
# version, and prints the bin folder on the last line.
#
#   hack/install-tools.sh                       # builds what is missing
#   PATH="$(hack/install-tools.sh | tail -1):$PATH"
#
# The cache folder is ${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}/bin. Only the
# Go module proxy is needed. helm takes the longest (a few minutes on 2 cores
# the first time); later runs return at once.
set -euo pipefail

# "name package@version [extra ldflags]", one per tool. Change an entry and
# the tool is rebuilt on the next run (each binary has a NAME.version stamp
# beside it holding its entry).
#
# helm's own Makefile sets its version and the Kubernetes version it
# assumes (client-go v0.37 -> 1.37) through ldflags; without them
# `helm template` assumes Kubernetes v1.20 and refuses charts that need newer.
HELM_VERSION=v3.22.0
TOOLS=(
	"helm helm.sh/helm/v3/cmd/helm@${HELM_VERSION} -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"
	"kubeconform github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0"
	"crane github.com/google/go-containerregistry/cmd/crane@v0.22.1"
)

cache="${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}"
bin_dir="$cache/bin"
mkdir -p "$bin_dir"

for entry in "${TOOLS[@]}"; do
	read -r name pkg ldflags <<<"$entry"
	bin="$bin_dir/$name"
	stamp="$bin_dir/$name.version"
	if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$entry" ]]; then
		continue
	fi
	echo "building $pkg into $bin_dir..." >&2
	start=$SECONDS
	# CGO off: static binaries that need no system libraries.
	GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" \
		go install -ldflags="-s -w ${ldflags:-}" "$pkg" >&2
	echo "$entry" >"$stamp"
	echo "built $name in $((SECONDS - start))s" >&2
done

echo "$bin_dir"
