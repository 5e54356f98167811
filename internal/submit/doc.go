// Package submit starts runs of the training pipeline on a cluster: it
// creates an Argo Workflow from the installed WorkflowTemplate
// (spec.workflowTemplateRef), with parameter overrides and a generated name.
//
// Submit talks to the Kubernetes API directly (POST
// /apis/argoproj.io/v1alpha1/namespaces/<ns>/workflows), so it needs no argo
// CLI and no Argo Server; before creating the Workflow it reads the
// WorkflowTemplate and checks every parameter override against the
// template's parameters and their enums, so a typo fails at once instead of
// as a failed workflow. SubmitToArgoServer does the same through the Argo
// Server's REST API (POST /api/v1/workflows/<ns>/submit), for users who have
// an Argo Server token but no Kubernetes credentials. Wait polls a workflow
// until it finishes.
//
// A Config says where the API is and how to authenticate: FromKubeconfig
// (client-go's loading rules: --kubeconfig, $KUBECONFIG, ~/.kube/config, with
// exec plugins, client certificates and tokens), InCluster (the pod's
// service account), or a Server URL with a bearer Token and an optional
// HTTPClient carrying the TLS settings.
//
// API errors come back as *APIError with the HTTP code, the Kubernetes
// Status reason and message, and a hint for the common cases (401: the
// credentials were rejected; 403: RBAC; 404: template, CRD or namespace
// missing; 409: the name is taken).
package submit
