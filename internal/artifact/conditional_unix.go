//go:build unix

package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockConditional takes an exclusive flock on the folder that holds key
// (created if missing), so every process of this machine that writes key
// conditionally takes turns, whichever folder it resolved as the store
// root. A folder removed and re-created meanwhile (Delete removes empty
// folders) is locked again.
func (s *FS) lockConditional(ctx context.Context, key string) (func(), error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(p)
	for i := 0; ; i++ {
		if err := os.MkdirAll(dir, 0o755); err != nil && !racyMkdir(err) {
			return nil, err
		}
		f, err := os.Open(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && i < fsRetries {
				continue
			}
			return nil, err
		}
		if err := flock(ctx, f); err != nil {
			f.Close()
			return nil, err
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(dir)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return func() { f.Close() }, nil
		}
		f.Close()
		if i >= fsRetries {
			return nil, errors.New("locking " + dir + ": the folder keeps being removed")
		}
	}
}

func flock(ctx context.Context, f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
