#!/usr/bin/env bash
# Validates Kubernetes manifests with kubeconform -strict, offline: the Argo
# Workflows kinds against JSON schemas converted from the CRDs that ship in
# the argo-workflows Go module (the version in go.mod), other kinds are
# skipped (the strict Go decoding in internal/chartcheck covers them).
#
#   hack/kubeconform.sh              # the generated WorkflowTemplate and the
#                                    # chart rendered with defaults and with
#                                    # every optional feature on
#   hack/kubeconform.sh FILE...      # the given manifests
#
# Needs helm and kubeconform: hack/install-tools.sh builds them (it is run
# here, and returns at once when they are built).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bin_dir="$(hack/install-tools.sh | tail -1)"
export PATH="$bin_dir:$PATH"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

argo_dir="$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)"
if [[ -z "$argo_dir" || ! -d "$argo_dir/manifests/base/crds/full" ]]; then
	go mod download github.com/argoproj/argo-workflows/v3
	argo_dir="$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)"
fi
go run ./internal/chartcheck/crd2jsonschema -out "$work/schemas" "$argo_dir"/manifests/base/crds/full/argoproj.io_*.yaml

files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
	files=(pipelines/training/generated/workflowtemplate.yaml pipelines/scoring/generated/workflowtemplate.yaml pipelines/labeling/generated/workflowtemplate.yaml)
	helm template tweetflow charts/tweetflow --namespace tweetflow >"$work/chart-defaults.yaml"
	helm template tweetflow charts/tweetflow --namespace tweetflow \
		--set minio.enabled=true --set server.autoscaling.enabled=true \
		--set server.model=s3://tweetflow/models/demo \
		--set 'image.pullSecrets={regcred}' --set schedule.enabled=true >"$work/chart-all.yaml"
	files+=("$work/chart-defaults.yaml" "$work/chart-all.yaml")
fi

# -ignore-missing-schemas: only the Argo kinds have local schemas. kubeconform
# also skips a kind whose schema does not compile, so a skipped Argo kind
# fails the check.
status=0
kubeconform -strict -summary -verbose -ignore-missing-schemas \
	-schema-location "$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
	"${files[@]}" | tee "$work/report" || status=$?
if grep -E ' (Workflow|WorkflowTemplate|CronWorkflow|ClusterWorkflowTemplate) skipped$' "$work/report"; then
	echo "kubeconform skipped the Argo resources above: their schema is missing or does not compile" >&2
	exit 1
fi
exit "$status"
