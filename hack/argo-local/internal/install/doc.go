// Package install puts what tweetflow's WorkflowTemplates need into an
// argo-local instance: the chart's resources (from the real `helm
// template` output), the artifact bucket and the demo data. The e2e tests
// and `argo-local.sh up` (through cmd/install) share it, so a developer's
// instance is set up exactly as the tests' is.
package install
