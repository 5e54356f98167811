// Command build-serving-image packs the model server and an exported model
// into a reproducible OCI image without a container daemon, writes it as an
// OCI layout and pushes it when --registry is set. See
// `build-serving-image --help` and package internal/image.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.BuildServingImage, run) }
