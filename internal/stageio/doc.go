// Package stageio holds the small pieces of glue every stage repeats:
// opening a dataset input and writing a sharded dataset output (label sets
// are in package labelset). It joins the artifact store to the dataset
// format so stage code stays a few lines.
package stageio
