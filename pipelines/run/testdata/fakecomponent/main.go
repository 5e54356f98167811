// Command fakecomponent is every fake component of the executor's tests:
// it picks its contract by the name it was called by.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/pipelines/run/internal/fake"
)

func main() {
	c, ok := fake.All[filepath.Base(os.Args[0])]
	if !ok {
		fmt.Fprintf(os.Stderr, "fakecomponent: unknown name %q\n", os.Args[0])
		os.Exit(2)
	}
	component.Main(*c, fake.Run)
}
