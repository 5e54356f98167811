// Command serve is tweetflow's model server: it loads exported models
// (local folders or s3:// URIs) and answers POST /predict, KServe v2
// inference, health checks and Prometheus metrics. See `serve --help` and
// package internal/serving.
package main

import (
	"context"
	"io"
	"net"
	"os"
)

func main() { os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr, nil)) }

// run is runEnv with the process environment: this file is serve's
// composition root.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, listening func(net.Addr)) int {
	return runEnv(ctx, args, os.LookupEnv, stdout, stderr, listening)
}
