//go:build !race

package featurize

const raceEnabled = false
