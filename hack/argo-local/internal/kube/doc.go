// Package kube holds the small Kubernetes client helpers of hack/argo-local:
// server-side apply of multi-document YAML (CRDs, `helm template` output)
// through the dynamic client, and the bootstrap a cluster without a
// controller manager needs (namespace, default ServiceAccount,
// kube-root-ca.crt). It lives in the hack/argo-local module so that
// client-go's graph stays out of the main module.
package kube
