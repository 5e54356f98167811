// Command serve is tweetflow's model server: it loads exported models
// (local folders or s3:// URIs) and answers POST /predict, KServe v2
// inference, health checks and Prometheus metrics. It runs in the
// component harness under its contract (stages.Serve). See `serve --help`,
// docs/components.md and package internal/serving.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.Main(stages.Serve, newRun(nil)) }
