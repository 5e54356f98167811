package run

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// workDirPattern names the temporary work folders of runs (os.MkdirTemp).
const workDirPattern = "tweetflow-run-"

// workLockName is the lock file a run holds in its work folder while it lives.
const workLockName = ".lock"

// legacyAge is how old a work folder without a lock file must be to be
// removed as abandoned: one being created has no lock for a moment.
const legacyAge = time.Hour

// newWorkDir creates the run's temporary work folder, locked as in use, and
// removes the work folders of runs that died without removing theirs
// (killed with SIGKILL, or a crash). done unlocks and removes the folder.
func newWorkDir(tmp string) (dir string, removed int, done func(), err error) {
	removed = cleanStaleWorkDirs(tmp)
	dir, err = os.MkdirTemp(tmp, workDirPattern)
	if err != nil {
		return "", removed, nil, err
	}
	unlock, err := lockWorkDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", removed, nil, err
	}
	return dir, removed, func() { removeWorkDir(dir, unlock) }, nil
}

// removeWorkDir removes a work folder with its lock file last, so that a
// process killed halfway (SIGKILL while it was cleaning up) leaves a folder
// that still has its lock file: unlocked, hence abandoned, and removed by
// the next run (a folder without one counts as being created, for
// legacyAge).
func removeWorkDir(dir string, unlock func()) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != workLockName {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
	unlock()
	os.RemoveAll(dir)
}

// cleanStaleWorkDirs removes the work folders under tmp that no live run
// holds and returns how many it removed. Problems are ignored: cleaning up
// after others must not fail this run.
func cleanStaleWorkDirs(tmp string) int {
	if tmp == "" {
		tmp = os.TempDir()
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), workDirPattern) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		if ok, err := workDirAbandoned(dir); err != nil || !ok {
			continue
		}
		removeWorkDir(dir, func() {})
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			n++
		}
	}
	return n
}

func olderThan(p string, age time.Duration) bool {
	st, err := os.Stat(p)
	return err == nil && time.Since(st.ModTime()) > age
}
