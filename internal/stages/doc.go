// Package stages declares the contract of every tweetflow component, once.
//
// It has no heavy imports: components/ (the CLIs) and pipelines/ (the DSL
// that compiles to Argo) both read these values, so a component's flags, its
// Argo template and its reference doc cannot drift apart.
package stages
