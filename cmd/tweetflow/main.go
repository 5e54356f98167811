// Command tweetflow compiles the training pipeline to an Argo
// WorkflowTemplate, runs it locally and writes the component reference.
// See pipelines/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tweetflow/tweetflow/pipelines/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args, os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
