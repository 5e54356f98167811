//go:build !linux

package runtime

const (
	hugeMin    = 8 << 20
	hugeCopies = false
)

// hugeTable returns src: huge-page advice is only given on Linux.
func hugeTable(src []float32) []float32 { return src }
