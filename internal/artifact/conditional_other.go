//go:build !unix

package artifact

import (
	"context"
	"sync"
)

var conditionalMu sync.Mutex

// lockConditional has no cross-process lock here: WriteIf is exact only
// within one process.
func (s *FS) lockConditional(context.Context, string) (func(), error) {
	conditionalMu.Lock()
	return conditionalMu.Unlock, nil
}
