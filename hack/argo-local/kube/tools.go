//go:build tools

// Package kube pins kube-apiserver (k8s.io/kubernetes) for hack/argo-local/build.sh.
// It is a module of its own so that the Kubernetes graph (31 staging modules
// replaced by their published v0.33.x versions) never enters the main module.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
