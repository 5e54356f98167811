#!/usr/bin/env bash
# Builds the real Argo engine's binaries for hack/argo-local once, pinned, into
# the tools cache (${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}/bin), with a
# version stamp next to each binary; a binary whose stamp matches is skipped.
#
#   etcd                  go.etcd.io/etcd/server/v3 v3.5.21 embedded (kube/etcd)
#   kube-apiserver        k8s.io/kubernetes v1.33.13 (kube/, a wrapper module)
#   workflow-controller   github.com/argoproj/argo-workflows/v3 v3.7.18
#   argoexec              the same, built from a copy of the module source
#   argo                  the same: Argo's CLI (argo list/get/logs/submit/watch
#                         against argo-local's kubeconfig); its UI is not built
#                         (a JavaScript build): `argo server` serves a page
#                         saying so
#
# argoexec cannot be built from the module zip: in git,
# workflow/executor/osspecific/signal_linux.go is a symlink to signal_darwin.go
# and module zips drop symlinks (the build fails with "undefined: Setpgid"),
# so the source is copied into the cache and the file restored as a copy.
#
# All builds need only the Go module proxy and share the normal Go build cache.
# Cold: about 15+ CPU-minutes (kube-apiserver dominates) and ~2 GB of memory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

K8S_VERSION="v1.33.13"
ETCD_VERSION="v3.5.21"
ARGO_MODULE="github.com/argoproj/argo-workflows/v3"
ARGO_VERSION="v3.7.18"

cache="${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}"
bin_dir="$cache/bin"
mkdir -p "$bin_dir"
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -trimpath"
NICE="${NICE:-nice -n 10}"

# fresh NAME VERSION: true when $bin_dir/NAME exists with a matching stamp.
fresh() { [[ -x "$bin_dir/$1" && -f "$bin_dir/$1.version" && "$(cat "$bin_dir/$1.version")" == "$2" ]]; }
stamp() { echo "$2" >"$bin_dir/$1.version"; }

if ! fresh etcd "$ETCD_VERSION" || ! fresh kube-apiserver "$K8S_VERSION"; then
	echo "building etcd $ETCD_VERSION and kube-apiserver $K8S_VERSION into $bin_dir (the slow part: ~15 CPU-minutes)..." >&2
	minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
	ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
	(cd "$here/kube" && $NICE go build -ldflags "$ld" -o "$bin_dir/" ./etcd k8s.io/kubernetes/cmd/kube-apiserver)
	stamp etcd "$ETCD_VERSION"
	stamp kube-apiserver "$K8S_VERSION"
fi

if ! fresh workflow-controller "$ARGO_VERSION" || ! fresh argoexec "$ARGO_VERSION" || ! fresh argo "$ARGO_VERSION"; then
	echo "building workflow-controller, argoexec and argo $ARGO_VERSION into $bin_dir..." >&2
	mod_dir=$(go mod download -json "$ARGO_MODULE@$ARGO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
	[[ -n "$mod_dir" ]] || { echo "build.sh: could not download $ARGO_MODULE@$ARGO_VERSION" >&2; exit 1; }
	src="$cache/src/argo-workflows-$ARGO_VERSION"
	if [[ ! -f "$src/.complete" ]]; then
		rm -rf "$src"
		mkdir -p "$cache/src"
		cp -r "$mod_dir" "$src.tmp"
		chmod -R u+w "$src.tmp"
		cp "$src.tmp/workflow/executor/osspecific/signal_darwin.go" "$src.tmp/workflow/executor/osspecific/signal_linux.go"
		mv "$src.tmp" "$src"
		touch "$src/.complete"
	fi
	# The CLI embeds the UI's built files (ui/dist/app, not in the module):
	# a page saying so stands in for them.
	if [[ ! -f "$src/ui/dist/app/index.html" ]]; then
		mkdir -p "$src/ui/dist/app"
		echo '<!doctype html><title>Argo UI</title><p>The Argo UI is not built in hack/argo-local (it needs a JavaScript build); use the argo CLI.' >"$src/ui/dist/app/index.html"
	fi
	ld="-s -w -X $ARGO_MODULE.version=$ARGO_VERSION -X $ARGO_MODULE.gitTag=$ARGO_VERSION -X $ARGO_MODULE.gitTreeState=clean"
	(cd "$src" && $NICE go build -ldflags "$ld" -o "$bin_dir/" ./cmd/workflow-controller ./cmd/argoexec ./cmd/argo)
	stamp workflow-controller "$ARGO_VERSION"
	stamp argoexec "$ARGO_VERSION"
	stamp argo "$ARGO_VERSION"
fi
echo "$bin_dir"
