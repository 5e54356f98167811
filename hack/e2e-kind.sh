#!/usr/bin/env bash
# End-to-end run of tweetflow on a local kind cluster.
#
# NEEDS DOCKER, and kind, kubectl, curl (7.75+, for --aws-sigv4) and Go on
# PATH, plus network access to pull kindest/node, the Argo Workflows, MinIO
# and registry:2 images. It has NOT been run in CI nor where it was written
# (that environment has no Docker and no internet): it is checked with
# `bash -n` and shellcheck only. Treat a first run as a shakedown.
#
# What it does:
#   1. starts a local registry (localhost:5001) and a kind cluster wired to it
#   2. installs Argo Workflows (the cluster-install manifests of the
#      argo-workflows Go module in go.mod, v3.7.18, images pinned to it)
#   3. builds the binaries and component images (no Docker needed for that)
#      and pushes them to the local registry with crane
#   4. installs the chart with MinIO, uploads the demo data to MinIO
#   5. runs the training pipeline (run ID "e2e") and waits for it
#   6. serves the exported model with the chart's model server and curls
#      /readyz and POST /predict
#
# Usage:
#   hack/e2e-kind.sh            # create, run, and delete the cluster
#   KEEP=1 hack/e2e-kind.sh     # keep the cluster and registry afterwards
#
# Environment: CLUSTER (tweetflow-e2e), NAMESPACE (tweetflow), REGISTRY_PORT
# (5001), TIMEOUT_MINUTES (45), KEEP (0).
set -euo pipefail

CLUSTER="${CLUSTER:-tweetflow-e2e}"
NAMESPACE="${NAMESPACE:-tweetflow}"
REGISTRY_NAME="kind-registry"
REGISTRY_PORT="${REGISTRY_PORT:-5001}"
REGISTRY="localhost:${REGISTRY_PORT}/tweetflow"
TIMEOUT_MINUTES="${TIMEOUT_MINUTES:-45}"
KEEP="${KEEP:-0}"
TAG="e2e"
RUN_ID="e2e"
ARGO_MODULE="github.com/argoproj/argo-workflows/v3"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$(mktemp -d)"
pids=()

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'e2e-kind: %s\n' "$*" >&2; exit 1; }

cleanup() {
	local status=$?
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
	if [[ "$KEEP" != 1 ]]; then
		kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
		docker rm -f "$REGISTRY_NAME" >/dev/null 2>&1 || true
	else
		echo "kept cluster $CLUSTER (kubectl --context kind-$CLUSTER) and registry $REGISTRY_NAME" >&2
	fi
	exit "$status"
}
trap cleanup EXIT

# port_forward RESOURCE LOCAL:REMOTE starts a port-forward in the background
# and waits until the local port answers.
port_forward() {
	local port="${2%%:*}"
	kubectl -n "$NAMESPACE" port-forward "$1" "$2" >"$work/pf-$port.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 1 30); do
		if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
			return 0
		fi
		sleep 1
	done
	cat "$work/pf-$port.log" >&2
	die "port-forward of $1 to $port did not come up"
}

# secret_value KEY prints one key of the chart's S3 secret.
secret_value() {
	kubectl -n "$NAMESPACE" get secret tweetflow-s3 -o "jsonpath={.data.$1}" | base64 -d
}

log "checking prerequisites"
for cmd in docker kind kubectl curl go; do
	command -v "$cmd" >/dev/null || die "$cmd is required (see the top of this script)"
done
docker info >/dev/null 2>&1 || die "docker is not running or not reachable"
curl --help all 2>/dev/null | grep -q -- --aws-sigv4 || die "curl 7.75+ (with --aws-sigv4) is required to upload to MinIO"
bin_dir="$(hack/install-tools.sh | tail -1)"
export PATH="$bin_dir:$PATH"

log "local registry $REGISTRY_NAME on localhost:$REGISTRY_PORT"
if [[ "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)" != true ]]; then
	docker run -d --restart=always -p "127.0.0.1:${REGISTRY_PORT}:5000" --network bridge --name "$REGISTRY_NAME" registry:2 >/dev/null
fi

log "kind cluster $CLUSTER"
if ! kind get clusters | grep -qx "$CLUSTER"; then
	cat >"$work/kind.yaml" <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
EOF
	kind create cluster --name "$CLUSTER" --config "$work/kind.yaml" --wait 120s
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null
# The nodes reach the registry as kind-registry:5000 under the name
# localhost:<port> (kind's local registry recipe).
for node in $(kind get nodes --name "$CLUSTER"); do
	docker exec "$node" mkdir -p "/etc/containerd/certs.d/localhost:${REGISTRY_PORT}"
	printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" |
		docker exec -i "$node" cp /dev/stdin "/etc/containerd/certs.d/localhost:${REGISTRY_PORT}/hosts.toml"
done
if [[ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME")" == null ]]; then
	docker network connect kind "$REGISTRY_NAME"
fi

log "Argo Workflows (manifests of $ARGO_MODULE in go.mod)"
argo_dir="$(go list -m -f '{{.Dir}}' "$ARGO_MODULE")"
argo_version="$(go list -m -f '{{.Version}}' "$ARGO_MODULE")"
cp -r "$argo_dir/manifests" "$work/argo"
chmod -R u+w "$work/argo"
mkdir -p "$work/argo/e2e"
cat >"$work/argo/e2e/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../cluster-install
images:
  - name: quay.io/argoproj/workflow-controller
    newTag: ${argo_version}
  - name: quay.io/argoproj/argocli
    newTag: ${argo_version}
EOF
kubectl create namespace argo --dry-run=client -o yaml | kubectl apply -f -
kubectl apply --server-side -k "$work/argo/e2e" >/dev/null
kubectl -n argo rollout status deployment/workflow-controller --timeout=5m

log "binaries and images (OCI layouts, pushed with crane)"
make build
rm -rf out/images
go run ./images/build --bin bin --version "$TAG" --out out/images
for dir in out/images/*/; do
	name="$(basename "$dir")"
	crane push --insecure "$dir" "${REGISTRY}/tweetflow-${name}:${TAG}"
done

log "chart with MinIO (model server off until there is a model)"
chart_args=(--namespace "$NAMESPACE" --create-namespace
	--set fullnameOverride=tweetflow
	--set "image.registry=$REGISTRY" --set "image.tag=$TAG" --set image.pullPolicy=Always
	--set minio.enabled=true --set minio.persistence.enabled=false
	--set workflow.podGCStrategy=)
helm upgrade --install tweetflow charts/tweetflow "${chart_args[@]}" --set server.enabled=false --wait --timeout 5m

log "demo data into MinIO (s3://tweetflow/demo/semeval)"
port_forward svc/tweetflow-minio 9000:9000
access_key="$(secret_value access-key)"
secret_key="$(secret_value secret-key)"
for f in testdata/demo/semeval/*.txt; do
	curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "${access_key}:${secret_key}" \
		-T "$f" "http://127.0.0.1:9000/tweetflow/demo/semeval/$(basename "$f")"
done

log "training pipeline (run ID $RUN_ID)"
cat >"$work/workflow.yaml" <<EOF
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: tweetflow-e2e-
spec:
  workflowTemplateRef:
    name: tweetflow-training
  arguments:
    parameters:
      - {name: sources, value: "s3://tweetflow/demo/semeval"}
      - {name: run-id, value: "${RUN_ID}"}
      - {name: dim, value: "32"}
      - {name: embed-epochs, value: "1"}
      - {name: epochs, value: "3"}
      - {name: min-roc-auc, value: "0.5"}
      - {name: min-pr-auc, value: "0.3"}
EOF
wf="$(kubectl -n "$NAMESPACE" create -f "$work/workflow.yaml" -o name)"
echo "submitted $wf" >&2
deadline=$((SECONDS + TIMEOUT_MINUTES * 60))
phase=""
while ((SECONDS < deadline)); do
	phase="$(kubectl -n "$NAMESPACE" get "$wf" -o jsonpath='{.status.phase}')"
	case "$phase" in
	Succeeded) break ;;
	Failed | Error)
		kubectl -n "$NAMESPACE" get "$wf" -o jsonpath='{.status.message}{"\n"}' >&2
		kubectl -n "$NAMESPACE" get pods -l "workflows.argoproj.io/workflow=${wf#*/}" >&2
		die "workflow $wf ended $phase"
		;;
	esac
	sleep 10
done
[[ "$phase" == Succeeded ]] || die "workflow $wf still $phase after $TIMEOUT_MINUTES minutes"
kubectl -n "$NAMESPACE" get "$wf" -o jsonpath='{range .status.nodes.*}{.displayName}{"\t"}{.phase}{"\n"}{end}' | sort >&2

log "model server on s3://tweetflow/runs/$RUN_ID/export-onnx/onnx"
helm upgrade --install tweetflow charts/tweetflow "${chart_args[@]}" \
	--set server.enabled=true --set server.replicas=1 \
	--set "server.model=s3://tweetflow/runs/$RUN_ID/export-onnx/onnx" --wait --timeout 5m
port_forward svc/tweetflow-server 8080:80
curl -fsS http://127.0.0.1:8080/readyz >/dev/null
answer="$(curl -fsS -H 'Content-Type: application/json' -d '{"text": "what a lovely day, I love it"}' http://127.0.0.1:8080/predict)"
echo "POST /predict -> $answer" >&2
grep -q '"label"' <<<"$answer" || die "unexpected /predict answer: $answer"
curl -fsS http://127.0.0.1:8080/metrics | grep -q '^# TYPE' || die "/metrics has no Prometheus metrics"

log "e2e passed"
