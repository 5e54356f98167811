#!/usr/bin/env bash
# The real Argo Workflows engine on this machine, without Docker or a
# container runtime: etcd, kube-apiserver, Argo's workflow-controller, MinIO
# and a kubelet stand-in (cmd/kubelet) that runs the pods from the OCI image
# layouts `make images` writes, all on 127.0.0.1 with private data folders.
#
#   hack/argo-local/argo-local.sh up      # start (stops a previous instance first)
#   hack/argo-local/argo-local.sh down    # stop by PID, keep the logs
#   hack/argo-local/argo-local.sh env     # print the variables to use it
#
# Needs root (the kubelet stand-in makes mount and PID namespaces), openssl,
# curl, Go, the binaries of hack/argo-local/build.sh and hack/install-minio.sh
# (built once into the tools cache), and out/images (`make images`).
#
# Environment: ARGO_LOCAL_DIR (state, default <repo>/.argo-local),
# ARGO_LOCAL_NAMESPACE (tweetflow), ARGO_LOCAL_IMAGES (<repo>/out/images),
# ARGO_LOCAL_ETCD_PORT (23790), ARGO_LOCAL_API_PORT (16443),
# ARGO_LOCAL_MINIO_PORT (19000), ARGO_LOCAL_KUBELET_PORT (10250, the kubelet
# stand-in's API for pods/exec and pods/log), TWEETFLOW_CACHE.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

dir="${ARGO_LOCAL_DIR:-$repo/.argo-local}"
ns="${ARGO_LOCAL_NAMESPACE:-tweetflow}"
images="${ARGO_LOCAL_IMAGES:-$repo/out/images}"
etcd_port="${ARGO_LOCAL_ETCD_PORT:-23790}"
api_port="${ARGO_LOCAL_API_PORT:-16443}"
minio_port="${ARGO_LOCAL_MINIO_PORT:-19000}"
kubelet_port="${ARGO_LOCAL_KUBELET_PORT:-10250}"
cache="${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}"
tools="$cache/bin"
run="$dir/run"
pki="$dir/pki"
ARGO_MODULE="github.com/argoproj/argo-workflows/v3"
ARGO_VERSION="v3.7.18"
# MinIO credentials of this throwaway instance (127.0.0.1 only).
minio_user="argo-local"
minio_password="argo-local-secret"

die() { echo "argo-local: $*" >&2; exit 1; }
log() { echo "argo-local: $*" >&2; }

# stop NAME: SIGTERM the process of run/NAME.pid, SIGKILL after 15 s.
stop() {
	local f="$run/$1.pid" pid
	[[ -f "$f" ]] || return 0
	pid="$(cat "$f")"
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			log "$1 (pid $pid) did not stop in 15 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$f"
}

down() {
	for n in kubelet workflow-controller minio kube-apiserver etcd; do stop "$n"; done
	log "stopped (logs in $dir/logs)"
}

# start NAME CMD...: run CMD in the background, log to logs/NAME.log, pid in run/NAME.pid.
start() {
	local name="$1"
	shift
	"$@" >"$dir/logs/$name.log" 2>&1 &
	echo $! >"$run/$name.pid"
}

# wait_for NAME SECONDS CMD...: poll CMD until it succeeds while NAME runs.
wait_for() {
	local name="$1" secs="$2"
	shift 2
	for _ in $(seq 1 $((secs * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$run/$name.pid")" 2>/dev/null || { tail -20 "$dir/logs/$name.log" >&2; die "$name exited (log: $dir/logs/$name.log)"; }
		sleep 0.2
	done
	tail -20 "$dir/logs/$name.log" >&2
	die "$name not ready after $secs s (log: $dir/logs/$name.log)"
}

# issue NAME SUBJECT EXT: a key and a certificate signed by the CA, once.
issue() {
	[[ -f "$pki/$1.crt" ]] && return 0
	openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
	printf '%s\n' "$3" >"$pki/$1.ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 3650 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
	chmod 600 "$pki/$1.key"
}

pki() {
	mkdir -p "$pki"
	if [[ ! -f "$pki/ca.crt" ]]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=argo-local-ca" \
			-keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
		chmod 600 "$pki/ca.key"
	fi
	issue apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth"
	# The kubelet stand-in's API (pods/exec, pods/log) and the API server's
	# client certificate for it (--kubelet-client-certificate), as kubeadm
	# issues them.
	issue kubelet "/O=system:nodes/CN=system:node:argo-local" "subjectAltName=IP:127.0.0.1,DNS:argo-local,DNS:localhost
extendedKeyUsage=serverAuth"
	issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
	if [[ ! -f "$pki/sa.key" ]]; then
		openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
		openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
		chmod 600 "$pki/sa.key"
	fi
	if [[ ! -f "$pki/admin.token" ]]; then
		# One static token for the controller, the kubelet and the tests: cluster-admin.
		openssl rand -hex 24 >"$pki/admin.token"
		printf '%s,argo-local-admin,argo-local-admin,system:masters\n' "$(cat "$pki/admin.token")" >"$pki/tokens.csv"
		chmod 600 "$pki/tokens.csv" "$pki/admin.token"
	fi
}

kubeconfig() {
	cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: argo-local
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: argo-local-admin
  user:
    token: $(cat "$pki/admin.token")
contexts:
- name: argo-local
  context: {cluster: argo-local, user: argo-local-admin, namespace: $ns}
current-context: argo-local
EOF
	chmod 600 "$dir/kubeconfig"
}

print_env() {
	cat <<EOF
export KUBECONFIG=$dir/kubeconfig
export ARGO_LOCAL_NAMESPACE=$ns
export ARGO_LOCAL_KUBELET_DIR=$dir/kubelet
export ARGO_LOCAL_EXTRA_IMAGES=$dir/images
export ARGO_LOCAL_S3_ENDPOINT=127.0.0.1:$minio_port
export ARGO_LOCAL_S3_ACCESS_KEY=$minio_user
export ARGO_LOCAL_S3_SECRET_KEY=$minio_password
EOF
}

up() {
	[[ "$(id -u)" == 0 ]] || die "must run as root (the kubelet stand-in creates mount and PID namespaces)"
	command -v openssl >/dev/null || die "openssl is required"
	command -v curl >/dev/null || die "curl is required"
	[[ -d "$images" ]] || die "no component images in $images: run 'make images' first"
	mkdir -p "$dir"
	if [[ -d "$run" ]]; then down; fi
	# A fresh cluster every time: the etcd, MinIO and kubelet state go; the PKI stays.
	rm -rf "$run" "$dir/etcd" "$dir/minio" "$dir/kubelet" "$dir/logs" "$dir/images"
	mkdir -p "$run" "$dir/logs" "$dir/bin"

	log "tools (built once into $tools)"
	"$here/build.sh" >/dev/null
	minio="$("$repo/hack/install-minio.sh" | tail -1)"
	for t in etcd kube-apiserver workflow-controller argoexec; do [[ -x "$tools/$t" ]] || die "$tools/$t is missing"; done
	helm="$("$repo/hack/install-tools.sh" | tail -1)/helm"
	(cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$dir/bin/" ./cmd/kubelet ./cmd/bootstrap ./cmd/install)

	log "executor image argoexec:$ARGO_VERSION (OCI layout from $tools/argoexec)"
	mkdir -p "$run/argoexec-bin"
	cp "$tools/argoexec" "$run/argoexec-bin/argoexec"
	(cd "$repo" && go run ./images/build --bin "$run/argoexec-bin" --only argoexec --version "$ARGO_VERSION" --out "$dir/images" >/dev/null)

	pki
	kubeconfig
	export KUBECONFIG="$dir/kubeconfig"

	log "etcd on 127.0.0.1:$etcd_port"
	start etcd "$tools/etcd" --data-dir "$dir/etcd" \
		--listen-client "http://127.0.0.1:$etcd_port" --listen-peer "http://127.0.0.1:$((etcd_port + 1))"
	wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health"

	log "kube-apiserver on 127.0.0.1:$api_port"
	start kube-apiserver "$tools/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$etcd_port" \
		--bind-address=127.0.0.1 --advertise-address=192.0.2.2 --secure-port="$api_port" \
		--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
		--authorization-mode=RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
		--service-cluster-ip-range=10.96.0.0/24 --enable-priority-and-fairness=false \
		--kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
		--kubelet-client-key="$pki/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
		--cert-dir="$run/apiserver-certs"
	wait_for kube-apiserver 120 curl -sf --cacert "$pki/ca.crt" -H "Authorization: Bearer $(cat "$pki/admin.token")" \
		"https://127.0.0.1:$api_port/readyz"

	log "namespace $ns, Argo CRDs and workflow-controller-configmap"
	argo_src="$(cd "$repo" && go mod download -json "$ARGO_MODULE@$ARGO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
	cat >"$run/controller-configmap.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  metricsConfig: |
    enabled: false
  telemetryConfig: |
    enabled: false
EOF
	"$dir/bin/bootstrap" --kubeconfig "$KUBECONFIG" --namespace "$ns" --ca "$pki/ca.crt" \
		--manifests "$argo_src/manifests/base/crds/minimal,$run/controller-configmap.yaml" >&2

	log "MinIO on 127.0.0.1:$minio_port"
	MINIO_ROOT_USER="$minio_user" MINIO_ROOT_PASSWORD="$minio_password" MINIO_BROWSER=off \
		start minio "$minio" server --quiet --address "127.0.0.1:$minio_port" "$dir/minio"
	wait_for minio 60 curl -sf "http://127.0.0.1:$minio_port/minio/health/ready"

	log "workflow-controller $ARGO_VERSION (namespaced to $ns)"
	# DEFAULT_REQUEUE_TIME: Argo's default 10 s between reconciliations
	# dominates small workflows; Argo's own e2e setup uses a short one too.
	LEADER_ELECTION_DISABLE=true DEFAULT_REQUEUE_TIME="${ARGO_LOCAL_REQUEUE_TIME:-2s}" \
		start workflow-controller "$tools/workflow-controller" --kubeconfig "$KUBECONFIG" \
		--namespaced --managed-namespace "$ns" --executor-image "argoexec:$ARGO_VERSION" \
		--executor-image-pull-policy IfNotPresent --loglevel info

	log "kubelet stand-in (images from $images and $dir/images)"
	start kubelet "$dir/bin/kubelet" --kubeconfig "$KUBECONFIG" --root-dir "$dir/kubelet" \
		--images "$images,$dir/images" --api-port "$api_port" \
		--port "$kubelet_port" --tls-cert-file "$pki/kubelet.crt" --tls-private-key-file "$pki/kubelet.key" \
		--client-ca-file "$pki/ca.crt"
	wait_for kubelet 30 grep -q "node argo-local ready" "$dir/logs/kubelet.log"
	# The controller serves /healthz on :6060 (fixed in its main.go) once its informers run.
	wait_for workflow-controller 120 curl -sf http://127.0.0.1:6060/healthz

	log "tweetflow: the chart's WorkflowTemplates, artifact repository, S3 Secret and RBAC (helm template); demo data in MinIO"
	"$dir/bin/install" --kubeconfig "$KUBECONFIG" --namespace "$ns" --repo "$repo" --helm "$helm" \
		--s3-endpoint "127.0.0.1:$minio_port" --s3-access-key "$minio_user" --s3-secret-key "$minio_password" >&2
	log "up: the pods' logs are in $dir/kubelet/pods/<uid>/logs; the components' in $dir/logs"
	print_env
}

case "${1:-}" in
up) up ;;
down) down ;;
env) print_env ;;
*)
	echo "usage: $0 up|down|env" >&2
	exit 2
	;;
esac
