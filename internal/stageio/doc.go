// Package stageio holds the small pieces of glue every stage repeats:
// opening a dataset input, writing a sharded dataset output, and labels
// sets. It joins the artifact store to the dataset format so stage code
// stays a few lines.
package stageio
