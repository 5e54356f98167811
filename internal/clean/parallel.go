package clean

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

// RowSource streams rows to yield, in a fixed order, and returns the first
// error yield returns (as dataset.ReadOutput does). The *dataset.Tweet may
// be reused between calls; its strings must stay valid.
type RowSource func(yield func(*dataset.Tweet) error) error

// chunkRows is the number of rows handed to a worker at a time.
const chunkRows = 256

// chunk is a run of consecutive rows and the text work done on them.
type chunk struct {
	rows []dataset.Tweet
	idh  []uint64 // xxhash of the id (0 and unused when the id is empty)
	keys []uint64 // xxhash of the NormKey of the clean text
	ok   []bool   // false: the key is empty
	// scratch holds the clean text of one row while its key is computed.
	scratch []byte
	err     error // of deciding the chunk's rows (processDecided)
	ready   chan struct{}
}

// ObserveAll is Observe on every row of src, in order, with the text work
// (cleaning and key hashing) spread over workers goroutines (<= 0:
// GOMAXPROCS). The counts are those of calling Observe row by row.
//
// It also keeps, per row, the pass-1 result (8 bytes: the key hash, or
// whether the id was a duplicate), so that a following ProcessAll over the
// same rows decides without hashing again and cleans only the rows it
// keeps; that ProcessAll also frees the id set, so it ends the
// Processor's run (a later Decide would not know the earlier ids). Any
// Observe or Decide call before it drops the cache.
func (p *Processor) ObserveAll(ctx context.Context, src RowSource, workers int) error {
	p.observed = true
	cache := &rowCache{}
	p.rows = nil
	err := p.pipeline(ctx, src, workers, prepKey, func(c *chunk) error {
		for i := range c.rows {
			t := &c.rows[i]
			if t.ID != "" && !p.firstID(c.idh[i], seenObserve) {
				cache.add(rowDupID)
				continue
			}
			cache.add(c.keys[i]) // 0 when empty
			if err := p.observeKey(t, c.keys[i], c.ok[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		p.rows = cache
	}
	return err
}

// rowDupID marks a row of the cache whose id was seen before (else the
// entry is its key hash, 0 for an empty key).
const rowDupID = 1 << 63

// rowCache is the per-row result of pass 1, in blocks so that it grows
// without copying.
type rowCache struct {
	blocks [][]uint64
	n      int
}

const rowBlock = 1 << 16

func (r *rowCache) add(v uint64) {
	if r.n%rowBlock == 0 {
		r.blocks = append(r.blocks, make([]uint64, rowBlock))
	}
	r.blocks[r.n/rowBlock][r.n%rowBlock] = v
	r.n++
}

func (r *rowCache) at(i int) uint64 { return r.blocks[i/rowBlock][i%rowBlock] }

// ProcessAll is Decide on every row of src, in order, with the text work
// (cleaning, URL extraction and key hashing) spread over workers
// goroutines (<= 0: GOMAXPROCS); kept rows, with CleanText and URLs
// filled, go to emit in input order. Decisions and Stats are those of
// calling Decide row by row. An error of src or emit stops it.
func (p *Processor) ProcessAll(ctx context.Context, src RowSource, workers int, emit func(*dataset.Tweet) error) error {
	switch {
	case p.plan != nil:
		return p.processPlanned(ctx, src, workers, emit)
	case p.rows != nil:
		return p.processCached(ctx, src, workers, emit)
	}
	return p.pipeline(ctx, src, workers, prepAll, func(c *chunk) error {
		for i := range c.rows {
			t := &c.rows[i]
			d := DropDupID
			if t.ID == "" || p.firstID(c.idh[i], seenProcess) {
				d = p.decideKey(t, c.keys[i], c.ok[i])
			}
			p.count(d)
			if d != Keep {
				continue
			}
			if err := emit(t); err != nil {
				return err
			}
		}
		return nil
	})
}

// processCached is ProcessAll after ObserveAll: decisions come from the
// row cache, in the reading goroutine, and workers clean the kept rows.
func (p *Processor) processCached(ctx context.Context, src RowSource, workers int, emit func(*dataset.Tweet) error) error {
	cache := p.rows
	p.rows = nil
	// The cache knows the duplicate ids: free the id set for pass 2.
	p.ids = idSet{}
	row := 0
	next := func(t *dataset.Tweet) (Decision, error) {
		if row >= cache.n {
			return 0, fmt.Errorf("processing rows: more rows than the %d of the observe pass", cache.n)
		}
		v := cache.at(row)
		row++
		if v == rowDupID {
			return DropDupID, nil
		}
		return p.decideKey(t, v, v != 0), nil
	}
	end := func() error {
		if row != cache.n {
			return fmt.Errorf("processing rows: %d rows, but the observe pass saw %d", row, cache.n)
		}
		return nil
	}
	return p.processDecided(ctx, src, workers, emit, next, end)
}

// processDecided is pass 2 when next gives each row's decision in input
// order (it runs in the reading goroutine, so workers clean only the kept
// rows); end is called after the last row. It counts every decision.
func (p *Processor) processDecided(ctx context.Context, src RowSource, workers int, emit func(*dataset.Tweet) error,
	next func(*dataset.Tweet) (Decision, error), end func() error) error {
	var failed bool // the reading goroutine's: a row's decision failed
	decide := func(c *chunk) {
		c.err = nil
		for i := range c.rows {
			c.ok[i] = false
			if failed {
				continue
			}
			d, err := next(&c.rows[i])
			if err != nil {
				c.err, failed = err, true
				continue
			}
			p.count(d)
			c.ok[i] = d == Keep
		}
	}
	err := p.pipelineWith(ctx, src, workers, prepKept, decide, func(c *chunk) error {
		for i := range c.rows {
			if c.ok[i] {
				if err := emit(&c.rows[i]); err != nil {
					return err
				}
			}
		}
		return c.err
	})
	if err == nil {
		err = end()
	}
	return err
}

// firstID marks id hash h as seen in a pass (flag) and reports whether it
// was new in that pass.
func (p *Processor) firstID(h uint64, flag uint8) bool {
	return p.ids.mark(h, flag)&flag == 0
}

var errStopped = errors.New("clean pipeline stopped")

// pipeline reads src into chunks (one goroutine), lets workers do the text
// work on them, and calls apply on each chunk in input order (the calling
// goroutine, so apply may use the Processor's state). At most about
// 4*workers chunks are in memory.
func (p *Processor) pipeline(ctx context.Context, src RowSource, workers int, mode prepMode, apply func(*chunk) error) error {
	return p.pipelineWith(ctx, src, workers, mode, nil, apply)
}

// pipelineWith is pipeline with pre called on each full chunk, in order,
// by the reading goroutine before the workers get it.
func (p *Processor) pipelineWith(ctx context.Context, src RowSource, workers int, mode prepMode, pre func(*chunk), apply func(*chunk) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *chunk, 4*workers)
	for range cap(free) {
		free <- &chunk{
			rows: make([]dataset.Tweet, 0, chunkRows),
			idh:  make([]uint64, chunkRows), keys: make([]uint64, chunkRows), ok: make([]bool, chunkRows),
			ready: make(chan struct{}, 1),
		}
	}
	work := make(chan *chunk, cap(free))
	ordered := make(chan *chunk, cap(free))

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for c := range work {
				buf = p.prepare(c, mode, buf)
				c.ready <- struct{}{}
			}
		}()
	}

	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(work)
		var c *chunk
		send := func() error {
			if pre != nil {
				pre(c)
			}
			select {
			case work <- c:
			case <-ctx.Done():
				return errStopped
			}
			ordered <- c // never blocks: at most cap(free) chunks exist
			c = nil
			return nil
		}
		err := src(func(t *dataset.Tweet) error {
			if c == nil {
				select {
				case c = <-free:
				case <-ctx.Done():
					return errStopped
				}
				c.rows = c.rows[:0]
			}
			c.rows = append(c.rows, *t)
			if len(c.rows) == chunkRows {
				return send()
			}
			return nil
		})
		if err == nil && c != nil {
			err = send()
		}
		readErr <- err
	}()

	var err error
	for c := range ordered {
		<-c.ready
		if err == nil {
			if err = apply(c); err != nil {
				cancel()
			}
		}
		free <- c
	}
	wg.Wait()
	if rerr := <-readErr; err == nil && !errors.Is(rerr, errStopped) {
		err = rerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// prepMode says what text work a chunk needs.
type prepMode uint8

const (
	prepKey  prepMode = iota // id hashes and keys (pass 1)
	prepAll                  // also CleanText and URLs (streaming pass 2)
	prepKept                 // only CleanText and URLs, of rows with ok set
)

// prepare does the text work of one chunk. buf is scratch space, returned
// grown.
func (p *Processor) prepare(c *chunk, mode prepMode, buf []byte) []byte {
	for i := range c.rows {
		t := &c.rows[i]
		if mode == prepKept {
			if c.ok[i] {
				p.fill(t)
			}
			continue
		}
		c.idh[i] = 0
		if t.ID != "" {
			c.idh[i] = xxhash.Sum64String(t.ID)
		}
		var clean string
		switch {
		case p.precleaned:
			clean = t.CleanText
		case mode == prepAll:
			clean = p.cleaner.Clean(t.Text)
			t.CleanText = clean
			t.URLs = text.ExtractURLs(t.Text)
		default: // only the key is needed: clean into scratch space
			c.scratch = p.cleaner.AppendClean(c.scratch[:0], t.Text)
			clean = unsafe.String(unsafe.SliceData(c.scratch), len(c.scratch))
		}
		buf = text.AppendNormKey(buf[:0], clean)
		c.ok[i] = len(buf) > 0
		c.keys[i] = 0
		if c.ok[i] {
			c.keys[i] = keyHash(buf)
		}
	}
	return buf
}
