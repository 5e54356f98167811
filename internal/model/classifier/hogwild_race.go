//go:build race

package classifier

import "sync"

// hogwildLock serialises the weight updates of the workers when the race
// detector is on: Hogwild training races on the weights by design, so under
// -race the workers still run concurrently but train one chunk of examples
// at a time, and the detector reports only unintended races (also for
// callers that train with Threads > 1 in their own race tests).
type hogwildLock struct{ sync.Mutex }
