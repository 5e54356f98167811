# tweetflow developer loop. `make help` lists the targets.
SHELL := /usr/bin/env bash
GO ?= go
BIN ?= $(CURDIR)/bin
STORE ?= $(CURDIR)/.tweetflow
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TEMPLATE := pipelines/training/generated/workflowtemplate.yaml
export TWEETFLOW_CACHE ?= $(HOME)/.cache/tweetflow
LDFLAGS := -s -w -X github.com/tweetflow/tweetflow/internal/version.Version=$(VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build every component and the tweetflow CLI into ./bin (static, CGO off)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./components/... ./cmd/...

.PHONY: demo
demo: build ## Run the whole training pipeline on the demo data in a local folder
	$(BIN)/tweetflow run --template $(TEMPLATE) --bin $(BIN) --store $(STORE)

.PHONY: deps
deps: ## Install the pinned tools the tests need (apt, MinIO, ONNX Runtime)
	hack/install-test-deps.sh

.PHONY: test
# -timeout 30m per test binary: on a cold machine a test that builds a
# binary in another configuration (build-serving-image's CGO_ENABLED=0
# serve) compiles the standard library and its dependencies again, which
# took over go test's default 10 minutes on a busy 2-core machine.
test: deps ## Run the tests (installs what they need first)
	TWEETFLOW_REQUIRE_MINIO=1 TWEETFLOW_REQUIRE_ORT=1 TWEETFLOW_REQUIRE_TOOLS=1 TWEETFLOW_REQUIRE_POSTGRES=1 TWEETFLOW_REQUIRE_BROWSER=1 PATH="$(TWEETFLOW_CACHE)/bin:$$PATH" $(GO) test -count=1 -timeout 30m ./...
	$(GO) test -count=1 -timeout 30m -race -short ./internal/artifact/... ./internal/component/... ./pipelines/... ./internal/scoring/... ./internal/serving/... ./internal/onnx/runtime/... ./internal/clean/... ./internal/extsort/... ./internal/model/classifier/featurize/... ./internal/weak/...

.PHONY: argo-tools
argo-tools: ## Build the real Argo engine's binaries once into the tools cache (kube-apiserver, etcd, workflow-controller, argoexec)
	hack/argo-local/build.sh

.PHONY: argo-up
argo-up: images argo-tools ## Start the real Argo engine locally (etcd, kube-apiserver, workflow-controller, MinIO, kubelet stand-in; needs root)
	hack/argo-local/argo-local.sh up

.PHONY: argo-down
argo-down: ## Stop what argo-up started
	hack/argo-local/argo-local.sh down

.PHONY: test-argo
test-argo: images argo-tools ## Run the compiled workflows on the real Argo engine (e2e test, tag argo, in hack/argo-local)
	trap '$(CURDIR)/hack/argo-local/argo-local.sh down' EXIT; \
	hack/argo-local/argo-local.sh up >/dev/null && eval "$$(hack/argo-local/argo-local.sh env)" && \
	cd hack/argo-local && PATH="$(TWEETFLOW_CACHE)/bin:$$PATH" $(GO) test -tags argo -count=1 -v -timeout 90m ./e2e

CHAOS_TRIALS ?= 50

.PHONY: chaos
chaos: build ## Kill random components and tweetflow run itself mid-run, rerun, check nothing is lost or left (CHAOS_TRIALS=50)
	$(GO) run ./hack/chaos --bin $(BIN) --template $(TEMPLATE) --trials $(CHAOS_TRIALS)

.PHONY: chaos-short
chaos-short: ## make chaos with 3 trials (the version .ci/run runs)
	$(MAKE) chaos CHAOS_TRIALS=3

.PHONY: bench
bench: deps ## Run the benchmarks (throughput, memory, peer comparisons)
	hack/bench.sh

.PHONY: generate
generate: ## Regenerate checked-in files (workflow YAML and its chart copy, CLI docs, ONNX protobuf types)
	$(GO) run ./cmd/tweetflow compile --out $(TEMPLATE)
	cp $(TEMPLATE) charts/tweetflow/files/workflowtemplate.yaml
	$(GO) run ./cmd/tweetflow compile --pipeline scoring --out pipelines/scoring/generated/workflowtemplate.yaml
	$(GO) run ./cmd/tweetflow compile --pipeline labeling --out pipelines/labeling/generated/workflowtemplate.yaml
	cp pipelines/labeling/generated/workflowtemplate.yaml charts/tweetflow/files/labeling-workflowtemplate.yaml
	$(GO) run ./cmd/tweetflow components docs --out docs/components.md
	hack/gen-onnx-proto.sh

.PHONY: images
images: build ## Build one OCI image layout per component into out/images (no Docker daemon)
	$(GO) run ./images/build --bin $(BIN) --version $(VERSION) --out out/images

.PHONY: verify
verify: generate ## Regenerate and fail on a diff; vet, gofmt, no env reads outside composition roots
	@git diff --exit-code -- $(TEMPLATE) pipelines/scoring/generated pipelines/labeling/generated charts/tweetflow/files docs/components.md internal/onnx/onnxpb || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) run ./hack/getenvcheck
	PATH="$(TWEETFLOW_CACHE)/bin:$$PATH" hack/kubeconform.sh
	PATH="$(TWEETFLOW_CACHE)/bin:$$PATH" helm lint --strict charts/tweetflow

.PHONY: clean
clean: ## Remove build outputs and the local artifact store
	rm -rf $(BIN) $(STORE)
