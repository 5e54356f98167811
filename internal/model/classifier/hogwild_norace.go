//go:build !race

package classifier

// hogwildLock is a no-op: workers update the shared weights without locks
// (Hogwild). Those data races are intended; see hogwild_race.go.
type hogwildLock struct{}

func (hogwildLock) Lock()   {}
func (hogwildLock) Unlock() {}
