package clean

import (
	"context"
	"errors"
	"runtime"
	"sync"

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
	rows  []dataset.Tweet
	idh   []uint64 // xxhash of the id (0 and unused when the id is empty)
	keys  []uint64 // xxhash of the NormKey of the clean text
	ok    []bool   // false: the key is empty
	ready chan struct{}
}

// ObserveAll is Observe on every row of src, in order, with the text work
// (cleaning and key hashing) spread over workers goroutines (<= 0:
// GOMAXPROCS). The counts are those of calling Observe row by row.
func (p *Processor) ObserveAll(ctx context.Context, src RowSource, workers int) error {
	p.observed = true
	return p.pipeline(ctx, src, workers, false, func(c *chunk) error {
		for i := range c.rows {
			t := &c.rows[i]
			if t.ID != "" && !p.firstID(c.idh[i], seenObserve) {
				continue
			}
			if err := p.observeKey(t, c.keys[i], c.ok[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// ProcessAll is Decide on every row of src, in order, with the text work
// (cleaning, URL extraction and key hashing) spread over workers
// goroutines (<= 0: GOMAXPROCS); kept rows, with CleanText and URLs
// filled, go to emit in input order. Decisions and Stats are those of
// calling Decide row by row. An error of src or emit stops it.
func (p *Processor) ProcessAll(ctx context.Context, src RowSource, workers int, emit func(*dataset.Tweet) error) error {
	return p.pipeline(ctx, src, workers, true, func(c *chunk) error {
		for i := range c.rows {
			t := &c.rows[i]
			p.stats.In++
			if t.ID != "" && !p.firstID(c.idh[i], seenProcess) {
				p.stats.DroppedDupID++
				continue
			}
			if p.decideKey(t, c.keys[i], c.ok[i]) != Keep {
				continue
			}
			if err := emit(t); err != nil {
				return err
			}
		}
		return nil
	})
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
func (p *Processor) pipeline(ctx context.Context, src RowSource, workers int, fill bool, apply func(*chunk) error) error {
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
				buf = p.prepare(c, fill, buf)
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

// prepare does the text work of one chunk: id hashes, keys and, with
// fill, CleanText and URLs. buf is scratch space, returned grown.
func (p *Processor) prepare(c *chunk, fill bool, buf []byte) []byte {
	for i := range c.rows {
		t := &c.rows[i]
		c.idh[i] = 0
		if t.ID != "" {
			c.idh[i] = xxhash.Sum64String(t.ID)
		}
		clean := p.cleaner.Clean(t.Text)
		if fill {
			t.CleanText = clean
			t.URLs = text.ExtractURLs(t.Text)
		}
		buf = text.AppendNormKey(buf[:0], clean)
		c.ok[i] = len(buf) > 0
		c.keys[i] = 0
		if c.ok[i] {
			c.keys[i] = xxhash.Sum64(buf)
		}
	}
	return buf
}
