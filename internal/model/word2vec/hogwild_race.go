//go:build race

package word2vec

import "sync"

// hogwildLock serialises the weight updates of the workers when the race
// detector is on. Hogwild training races on the weight matrices by design;
// under -race the workers still run concurrently (work dispatch, progress
// and loss bookkeeping stay checked) but process one chunk at a time, so
// that the detector reports only unintended races, for this package and
// for any caller that trains with Threads > 1 in its own race tests.
type hogwildLock struct{ sync.Mutex }
