// Command balance-split splits a dataset into stratified train, validation
// and test sets. See `balance-split --help` and docs/components.md.
package main

import (
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() { component.MainOf(stages.BalanceSplit, run) }
