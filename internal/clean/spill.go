package clean

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/extsort"
)

// DefaultSpillMemory is the default memory budget of WithSpill: the bytes
// of sort buffers, whatever the number of rows.
const DefaultSpillMemory = 48 << 20

// WithSpill makes Plan and ProcessAll keep the per-id and per-key state on
// disk instead of in hash tables: sorted runs of fixed-size records in
// temporary files under dir ("" = os.TempDir), with about memory bytes of
// sort buffers (<= 0: DefaultSpillMemory). Memory then stays flat however
// many rows there are; the disk holds about 50 bytes a row while Plan
// runs and 8 until ProcessAll ends. The rows and Stats are those of the
// in-memory path (TestSpillMatchesMemory). The row-by-row Observe and
// Decide still use the hash tables.
func WithSpill(dir string, memory int64) Option {
	return func(p *Processor) {
		if memory <= 0 {
			memory = DefaultSpillMemory
		}
		p.spill = &spillConfig{dir: dir, memory: memory}
	}
}

type spillConfig struct {
	dir    string
	memory int64
}

// Spills reports whether the Processor was made WithSpill.
func (p *Processor) Spills() bool { return p.spill != nil }

// Plan is pass 1 of a two-pass run over src. With WithSpill it decides
// every row on disk (with the majority rule when majority is set, else
// first wins), so that the ProcessAll that follows over the same rows in
// the same order only applies the decisions. Without WithSpill it is
// ObserveAll when majority is set, and does nothing (reads nothing)
// otherwise: ProcessAll then decides in one streaming pass.
func (p *Processor) Plan(ctx context.Context, src RowSource, workers int, majority bool) error {
	if p.spill == nil {
		if majority {
			return p.ObserveAll(ctx, src, workers)
		}
		return nil
	}
	p.Close()
	p.rows = nil
	pl, err := p.planSpill(ctx, src, workers, majority)
	if err != nil {
		return err
	}
	p.plan = pl
	return nil
}

// Close removes the temporary files of a Plan that ProcessAll did not
// consume. It is safe to call more than once.
func (p *Processor) Close() error {
	if p.plan == nil {
		return nil
	}
	err := p.plan.decisions.Close()
	p.plan = nil
	return err
}

// The records of a spilled plan. A row's number and label index share one
// uint64: row<<8 | label, label 0 meaning unlabeled (or not counted) and
// i+1 the label of index i; keys 0 mean an empty key.
type (
	idRecord struct {
		id     uint64 // id hash as the idSet compares it (62 bits, never 0)
		rowLab uint64
		key    uint64
	}
	// keyRecord is an extsort.Pair: A the key hash, B rowLab.
	keyRecord = extsort.Pair
)

// maxSpillLabels is the number of distinct labels a row can carry in a
// spilled plan's records (the MaxLabels limit applies to counted ones).
const maxSpillLabels = 255

var (
	idCodec = extsort.Codec[idRecord]{
		Size: 24,
		Put: func(b []byte, r idRecord) {
			binary.LittleEndian.PutUint64(b, r.id)
			binary.LittleEndian.PutUint64(b[8:], r.rowLab)
			binary.LittleEndian.PutUint64(b[16:], r.key)
		},
		Get: func(b []byte) idRecord {
			return idRecord{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])}
		},
		Compare: func(a, b idRecord) int {
			if c := cmp.Compare(a.id, b.id); c != 0 {
				return c
			}
			return cmp.Compare(a.rowLab, b.rowLab)
		},
	}
	// A decision record is row<<3 | Decision.
	decisionCodec = extsort.Codec[uint64]{
		Size:    8,
		Put:     func(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) },
		Get:     func(b []byte) uint64 { return binary.LittleEndian.Uint64(b) },
		Compare: cmp.Compare[uint64],
	}
)

// spillPlan is the outcome of planSpill: every row's decision, sorted by
// row.
type spillPlan struct {
	decisions *extsort.Sorter[uint64]
	rows      int64
}

// planSpill decides every row of src with three external sorts:
//
//  1. reading: rows with an id go to the id sort (id hash, row), rows
//     without one to the key sort (key hash, row) or, with an empty key,
//     straight to the decisions;
//  2. the id sort's first row of each id goes on to the key sort (or is
//     empty), the others are duplicate ids;
//  3. the key sort gives each key's rows in input order: a first walk over
//     the group counts its labels, a second (a second iterator over the
//     same runs, one group behind) decides each row with decideRow;
//  4. the decisions, sorted by row, are what ProcessAll reads.
func (p *Processor) planSpill(ctx context.Context, src RowSource, workers int, majority bool) (_ *spillPlan, err error) {
	cfg := p.spill
	sortOpts := func(share int64) []extsort.Option {
		return []extsort.Option{extsort.WithDir(cfg.dir), extsort.WithMemory(cfg.memory / share)}
	}
	ids, err := extsort.New(idCodec, sortOpts(2)...)
	if err != nil {
		return nil, err
	}
	defer ids.Close()
	keys, err := extsort.New(extsort.PairCodec, sortOpts(4)...)
	if err != nil {
		return nil, err
	}
	defer keys.Close()
	decisions, err := extsort.New(decisionCodec, sortOpts(4)...)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			decisions.Close()
		}
	}()
	decide := func(row uint64, d Decision) error { return decisions.Add(row<<3 | uint64(d)) }

	// 1. Read.
	var names []string // label index i+1 is names[i]
	labelOf := map[string]uint64{}
	var row uint64
	err = p.pipeline(ctx, src, workers, prepKey, func(c *chunk) error {
		for i := range c.rows {
			t := &c.rows[i]
			var lab uint64
			if majority && t.Label != "" {
				l, ok := labelOf[t.Label]
				if !ok {
					if len(names) == maxSpillLabels {
						return fmt.Errorf("reading tweet %q: label %q: more than %d distinct labels", t.ID, t.Label, maxSpillLabels)
					}
					names = append(names, t.Label)
					l = uint64(len(names))
					labelOf[t.Label] = l
				}
				lab = l
			}
			rowLab := row<<8 | lab
			var err error
			switch {
			case t.ID != "":
				h := c.idh[i] & idHashMask
				if h == 0 {
					h = 1
				}
				err = ids.Add(idRecord{id: h, rowLab: rowLab, key: c.keys[i]})
			case !c.ok[i]:
				err = decide(row, DropEmpty)
			default:
				err = keys.Add(keyRecord{A: c.keys[i], B: rowLab})
			}
			if err != nil {
				return fmt.Errorf("planning clean: %w", err)
			}
			row++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// 2. Duplicate ids.
	it, err := ids.Sort()
	if err != nil {
		return nil, fmt.Errorf("sorting ids: %w", err)
	}
	var prev uint64 // id hashes are never 0
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		switch {
		case r.id == prev:
			err = decide(r.rowLab>>8, DropDupID)
		case r.key == 0:
			err = decide(r.rowLab>>8, DropEmpty)
		default:
			err = keys.Add(keyRecord{A: r.key, B: r.rowLab})
		}
		if err != nil {
			return nil, fmt.Errorf("planning clean: %w", err)
		}
		prev = r.id
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("sorting ids: %w", err)
	}
	ids.Close()

	// 3. Keys.
	if err := p.decideKeys(ctx, keys, majority, names, decide); err != nil {
		return nil, err
	}
	keys.Close()
	if decisions.Len() != int64(row) {
		return nil, fmt.Errorf("planning clean: %d decisions for %d rows", decisions.Len(), row)
	}
	return &spillPlan{decisions: decisions, rows: int64(row)}, nil
}

// decideKeys walks the key sort group by group (step 3 of planSpill).
func (p *Processor) decideKeys(ctx context.Context, keys *extsort.Sorter[keyRecord], majority bool, names []string,
	decide func(uint64, Decision) error) error {
	walk, err := keys.Sort()
	if err != nil {
		return fmt.Errorf("sorting keys: %w", err)
	}
	if !majority {
		// First wins: the first row of each group is kept.
		var prev uint64 // keys in the sort are never 0
		var n int
		for r, ok := walk.Next(); ok; r, ok = walk.Next() {
			if n++; n%65536 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			d := DropDupText
			if r.A != prev {
				p.countKey(0, false)
				d, prev = Keep, r.A
			}
			if err := decide(r.B>>8, d); err != nil {
				return fmt.Errorf("planning clean: %w", err)
			}
		}
		return walk.Err()
	}
	// Majority: count reads each group ahead of walk, which decides it.
	count, err := keys.Sort()
	if err != nil {
		return fmt.Errorf("sorting keys: %w", err)
	}
	// dense maps a record's label index to its counter in keyState + 1,
	// given in the order labels are first counted (as Observe does).
	var dense [maxSpillLabels + 1]int
	nCounted := 0
	next, more := count.Next()
	for n := 0; more; n++ {
		if n%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		key := next.A
		var ks keyState
		group := 0
		for ; more && next.A == key; next, more = count.Next() {
			group++
			l := uint8(next.B)
			if l == 0 {
				continue
			}
			if dense[l] == 0 {
				if nCounted == MaxLabels {
					return fmt.Errorf("counting label %q: more than %d distinct labels", names[l-1], MaxLabels)
				}
				nCounted++
				dense[l] = nCounted
			}
			ks.counts[dense[l]-1]++
		}
		best, distinct, tie := ks.majority()
		p.countKey(distinct, tie)
		for range group {
			r, _ := walk.Next()
			label := dense[uint8(r.B)] - 1 // -1: unlabeled
			d := decideRow(true, best, tie, label, ks.emitted)
			ks.emitted = ks.emitted || d == Keep
			if err := decide(r.B>>8, d); err != nil {
				return fmt.Errorf("planning clean: %w", err)
			}
		}
	}
	if err := count.Err(); err != nil {
		return err
	}
	return walk.Err()
}

// processPlanned is ProcessAll after a spilled Plan: the decisions come
// from disk in row order.
func (p *Processor) processPlanned(ctx context.Context, src RowSource, workers int, emit func(*dataset.Tweet) error) error {
	pl := p.plan
	defer p.Close()
	it, err := pl.decisions.Sort()
	if err != nil {
		return fmt.Errorf("sorting decisions: %w", err)
	}
	var row uint64
	next := func(*dataset.Tweet) (Decision, error) {
		v, ok := it.Next()
		if !ok {
			if err := it.Err(); err != nil {
				return 0, fmt.Errorf("reading decisions: %w", err)
			}
			return 0, fmt.Errorf("processing rows: more rows than the %d of the plan", pl.rows)
		}
		if v>>3 != row {
			return 0, fmt.Errorf("processing rows: the plan has no decision for row %d", row)
		}
		row++
		return Decision(v & 7), nil
	}
	end := func() error {
		if int64(row) != pl.rows {
			return fmt.Errorf("processing rows: %d rows, but the plan saw %d", row, pl.rows)
		}
		return nil
	}
	return p.processDecided(ctx, src, workers, emit, next, end)
}
