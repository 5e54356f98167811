// Command serve is tweetflow's model server: it loads exported models
// (local folders or s3:// URIs) and answers POST /predict, KServe v2
// inference, health checks and Prometheus metrics. See `serve --help` and
// package internal/serving.
package main

import (
	"context"
	"os"
)

func main() { os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr, nil)) }
