// Package chartcheck checks the Helm chart in charts/tweetflow. Its tests
// render the chart with `helm template` (defaults, and every optional
// feature on), decode every manifest strictly into the k8s.io/api types and
// the WorkflowTemplate into Argo's v1alpha1 type, and assert what the chart
// promises: hardened security contexts, probes on /healthz and /readyz,
// Services and HPAs that point at what exists, secret references that
// resolve, the executor RBAC, Argo's artifact repository format, one
// WorkflowTemplate per shipped pipeline (training, labeling) equal to the
// compiled one apart from the release's overrides and its own parameter
// defaults, and values.schema.json rejecting bad values. They also run
// `helm lint --strict` and kubeconform -strict against the Argo CRD schemas.
//
// The tests need helm and kubeconform (hack/install-tools.sh builds them into
// ${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}/bin); without them they skip,
// naming the script, unless TWEETFLOW_REQUIRE_TOOLS=1 makes that a failure.
//
// The package's only library code is CRDSchema, which turns a
// CustomResourceDefinition's openAPIV3Schema into a JSON schema file for
// kubeconform (the conversion of kubeconform's openapi2jsonschema.py, strict
// variant), used offline by the tests and by hack/kubeconform.sh through the
// crd2jsonschema command.
package chartcheck
