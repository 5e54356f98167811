// Package stages declares the contract of every tweetflow component, once,
// and the typed parameters each component's run function takes (params.go:
// one XParams struct per contract, with shared groups such as ColumnFields
// and RawReadFields), decoded once by the harness (component.Typed);
// TestParamsMatchContracts holds every struct to its contract.
//
// It has no heavy imports: components/ (the CLIs) and pipelines/ (the DSL
// that compiles to Argo) both read these values, so a component's flags, its
// Argo template and its reference doc cannot drift apart.
package stages
