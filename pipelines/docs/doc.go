// Package docs renders the Markdown reference of component contracts
// (docs/components.md): per component its summary, description, a usage
// line, and tables of parameters (type, default, allowed values, env var),
// inputs, outputs and results, then the common flags of every component.
package docs
