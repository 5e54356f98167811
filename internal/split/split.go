package split

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Balance modes of the training set.
const (
	BalanceNone = "none"
	BalanceDown = "down"
	BalanceUp   = "up"
)

// Config of a split.
type Config struct {
	Seed         uint64
	Train        float64 // share of each class in train
	Validation   float64 // share of each class in validation; test gets the rest
	TrainBalance string  // none, down or up
	// TestRows and ValidationRows, when positive, fix the size of the test
	// and validation sets instead of the fractions (a fixed-size golden
	// set); the train set gets every remaining row and Train is ignored.
	// When only one is set the other set keeps its fraction of all rows
	// (test: 1 - Train - Validation).
	TestRows, ValidationRows int
}

// fixed reports whether row counts replace the fractions.
func (c Config) fixed() bool { return c.TestRows > 0 || c.ValidationRows > 0 }

// Validate checks the proportions.
func (c Config) Validate() error {
	if c.Train < 0 || c.Validation < 0 || c.Train+c.Validation > 1+1e-9 {
		return fmt.Errorf("invalid split proportions: train %g + validation %g must be between 0 and 1", c.Train, c.Validation)
	}
	if c.TestRows < 0 || c.ValidationRows < 0 {
		return fmt.Errorf("invalid split sizes: test rows %d and validation rows %d must not be negative", c.TestRows, c.ValidationRows)
	}
	switch c.TrainBalance {
	case BalanceNone, BalanceDown, BalanceUp, "":
	default:
		return fmt.Errorf("invalid train balance %q: want none, down or up", c.TrainBalance)
	}
	return nil
}

// Copies says how many times one row goes to each output.
type Copies struct {
	Train, Validation, ValidationBalanced, Test int
}

// Plan is a split of rows with known classes.
type Plan struct {
	classes []uint8
	rank    []int32 // rank of the row within its class
	nTrain  []int
	nVal    []int
	valBal  int
	cfg     Config
	upBase  []int // up-sampling: copies per training row
	upExtra []int // and one more for ranks below this
	downM   int
}

// New plans the split of rows whose class indices are classes (0..k-1, in
// input order); k is the number of classes.
func New(classes []uint8, k int, cfg Config) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if k <= 0 || k > 255 {
		return nil, fmt.Errorf("invalid class count %d", k)
	}
	byClass := make([][]int32, k)
	for i, c := range classes {
		if int(c) >= k {
			return nil, fmt.Errorf("row %d: class %d out of range 0..%d", i, c, k-1)
		}
		byClass[c] = append(byClass[c], int32(i))
	}
	p := &Plan{classes: classes, rank: make([]int32, len(classes)), nTrain: make([]int, k), nVal: make([]int, k), cfg: cfg}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7765657466c0))
	p.valBal = math.MaxInt
	p.downM = math.MaxInt
	maxTrain := 0
	sizes := make([]int, k)
	for c, rows := range byClass {
		sizes[c] = len(rows)
	}
	var nTest []int
	if cfg.fixed() {
		total := len(classes)
		val, test := cfg.ValidationRows, cfg.TestRows
		if val == 0 {
			val = int(math.Round(cfg.Validation * float64(total)))
		}
		if test == 0 {
			test = int(math.Round(max(0, 1-cfg.Train-cfg.Validation) * float64(total)))
		}
		if val+test > total {
			return nil, fmt.Errorf("invalid split sizes: %d test + %d validation rows, but the data has %d rows", test, val, total)
		}
		// Both sets take every class's share of the rows (largest
		// remainder); test is apportioned among what validation left.
		p.nVal = apportion(val, sizes)
		left := make([]int, k)
		for c := range sizes {
			left[c] = sizes[c] - p.nVal[c]
		}
		nTest = apportion(test, left)
	}
	for c, rows := range byClass {
		n := len(rows)
		perm := rng.Perm(n)
		for k, row := range rows {
			p.rank[row] = int32(perm[k])
		}
		if nTest != nil {
			p.nTrain[c] = n - p.nVal[c] - nTest[c]
		} else {
			p.nTrain[c] = int(math.Round(cfg.Train * float64(n)))
			p.nVal[c] = min(int(math.Round(cfg.Validation*float64(n))), n-p.nTrain[c])
		}
		if n == 0 {
			continue // an absent class does not shrink the balanced sets to zero
		}
		p.valBal = min(p.valBal, p.nVal[c])
		p.downM = min(p.downM, p.nTrain[c])
		maxTrain = max(maxTrain, p.nTrain[c])
	}
	if p.valBal == math.MaxInt {
		p.valBal, p.downM = 0, 0
	}
	if cfg.TrainBalance == BalanceUp {
		p.upBase = make([]int, k)
		p.upExtra = make([]int, k)
		for c := range byClass {
			if p.nTrain[c] > 0 {
				p.upBase[c] = maxTrain / p.nTrain[c]
				p.upExtra[c] = maxTrain % p.nTrain[c]
			}
		}
	}
	return p, nil
}

// apportion splits total among classes in proportion to their sizes by
// the largest remainder (ties to the lower class index); no class gets more
// than its size. total must not exceed the sum of sizes.
func apportion(total int, sizes []int) []int {
	out := make([]int, len(sizes))
	sum := 0
	for _, n := range sizes {
		sum += n
	}
	if sum == 0 || total <= 0 {
		return out
	}
	type rem struct {
		c int
		r float64
	}
	rems := make([]rem, 0, len(sizes))
	given := 0
	for c, n := range sizes {
		q := float64(total) * float64(n) / float64(sum)
		out[c] = int(q)
		given += out[c]
		rems = append(rems, rem{c, q - float64(out[c])})
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.r, a.r) })
	for i := 0; given < total; i = (i + 1) % len(rems) {
		if c := rems[i].c; out[c] < sizes[c] {
			out[c]++
			given++
		}
	}
	return out
}

// Rows is the number of rows planned.
func (p *Plan) Rows() int { return len(p.classes) }

// Copies returns where row i (input order) goes.
func (p *Plan) Copies(i int) Copies {
	c, r := int(p.classes[i]), int(p.rank[i])
	var out Copies
	switch {
	case r < p.nTrain[c]:
		switch p.cfg.TrainBalance {
		case BalanceDown:
			if r < p.downM {
				out.Train = 1
			}
		case BalanceUp:
			out.Train = p.upBase[c]
			if r < p.upExtra[c] {
				out.Train++
			}
		default:
			out.Train = 1
		}
	case r < p.nTrain[c]+p.nVal[c]:
		out.Validation = 1
		if r-p.nTrain[c] < p.valBal {
			out.ValidationBalanced = 1
		}
	default:
		out.Test = 1
	}
	return out
}

// Counts returns rows per class per output, computed from the plan.
func (p *Plan) Counts(k int) map[string][]int {
	out := map[string][]int{"train": make([]int, k), "validation": make([]int, k), "validation-balanced": make([]int, k), "test": make([]int, k)}
	for i := range p.classes {
		c := p.Copies(i)
		cl := p.classes[i]
		out["train"][cl] += c.Train
		out["validation"][cl] += c.Validation
		out["validation-balanced"][cl] += c.ValidationBalanced
		out["test"][cl] += c.Test
	}
	return out
}
