//go:build unix

package artifact

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// conditionalLock is the lock file of FS.WriteIf, at the store root. Its
// name starts with tmpPrefix: List never shows it and no key can name it.
const conditionalLock = tmpPrefix + "conditional.lock"

func (s *FS) lockConditional(ctx context.Context) (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.root, conditionalLock), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
