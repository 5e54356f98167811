package split

import (
	"fmt"
	"math"
	"math/rand/v2"
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
}

// Validate checks the proportions.
func (c Config) Validate() error {
	if c.Train < 0 || c.Validation < 0 || c.Train+c.Validation > 1+1e-9 {
		return fmt.Errorf("invalid split proportions: train %g + validation %g must be between 0 and 1", c.Train, c.Validation)
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
	for c, rows := range byClass {
		n := len(rows)
		perm := rng.Perm(n)
		for k, row := range rows {
			p.rank[row] = int32(perm[k])
		}
		p.nTrain[c] = int(math.Round(cfg.Train * float64(n)))
		p.nVal[c] = min(int(math.Round(cfg.Validation*float64(n))), n-p.nTrain[c])
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
