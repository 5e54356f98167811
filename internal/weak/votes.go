package weak

import (
	"errors"
	"fmt"
)

// Votes is the label matrix: Votes[i][j] is LF j's vote on row i, a class
// index or Abstain.
type Votes [][]int

// Apply votes every LF on every input. It fails when an LF votes a class
// outside [0, classes) or reports an error through an Err() error method
// (a model rule whose model failed).
func Apply(lfs []LF, inputs []*Input, classes int) (Votes, error) {
	out := make(Votes, len(inputs))
	flat := make([]int, len(inputs)*len(lfs))
	for i, in := range inputs {
		row := flat[i*len(lfs) : (i+1)*len(lfs) : (i+1)*len(lfs)]
		for j, lf := range lfs {
			v := lf.Vote(in)
			if v != Abstain && (v < 0 || v >= classes) {
				return nil, fmt.Errorf("LF %q voted %d on row %d: want a class in [0, %d) or Abstain", lf.Name(), v, i, classes)
			}
			row[j] = v
		}
		out[i] = row
	}
	for _, lf := range lfs {
		if e, ok := lf.(interface{ Err() error }); ok {
			if err := e.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// check validates a vote matrix for m LFs and k classes.
func (v Votes) check(k int) (m int, err error) {
	if len(v) == 0 {
		return 0, errors.New("no rows")
	}
	m = len(v[0])
	for i, row := range v {
		if len(row) != m {
			return 0, fmt.Errorf("row %d has %d votes, want %d", i, len(row), m)
		}
		for j, x := range row {
			if x != Abstain && (x < 0 || x >= k) {
				return 0, fmt.Errorf("row %d LF %d: vote %d outside [0, %d)", i, j, x, k)
			}
		}
	}
	return m, nil
}

// covered reports whether some LF voted on the row.
func covered(row []int) bool {
	for _, x := range row {
		if x != Abstain {
			return true
		}
	}
	return false
}
