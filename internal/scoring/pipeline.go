package scoring

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
)

// Pipeline defaults.
const (
	DefaultBatchSize     = 512
	DefaultFlushInterval = time.Second
	// DefaultFlushTimeout bounds the last flush after the context is cancelled.
	DefaultFlushTimeout = 30 * time.Second
)

// Stats counts what a Pipeline stored.
type Stats struct {
	RowsOut int64            // rows scored and written to every sink
	Batches int64            // batches written
	Labels  map[string]int64 // rows per predicted label
}

// BatchInfo describes one stored batch, for progress reporting.
type BatchInfo struct {
	Rows     int
	Duration time.Duration // scoring plus writing
}

// Pipeline scores tweets in batches and writes each batch to every sink.
// A batch is stored when it holds BatchSize tweets or when FlushInterval
// has passed since its first tweet arrived, so a slow stream is still
// stored promptly.
type Pipeline struct {
	scorer       *Scorer
	sinks        []Sink
	batchSize    int
	flushEvery   time.Duration
	flushTimeout time.Duration
	onBatch      func(BatchInfo)

	buf      []dataset.Tweet
	rows     []Row
	received atomic.Int64

	mu    sync.Mutex
	stats Stats
}

// PipelineOption configures a Pipeline.
type PipelineOption func(*Pipeline)

// WithBatchSize sets the most tweets per batch (default DefaultBatchSize).
func WithBatchSize(n int) PipelineOption { return func(p *Pipeline) { p.batchSize = n } }

// WithFlushInterval sets the longest time a tweet waits in a partial batch
// (default DefaultFlushInterval; 0 or less waits for a full batch or the end).
func WithFlushInterval(d time.Duration) PipelineOption {
	return func(p *Pipeline) { p.flushEvery = d }
}

// WithFlushTimeout bounds the final flush made after the context of Run is
// cancelled (default DefaultFlushTimeout).
func WithFlushTimeout(d time.Duration) PipelineOption {
	return func(p *Pipeline) { p.flushTimeout = d }
}

// WithOnBatch sets a function called after each stored batch.
func WithOnBatch(fn func(BatchInfo)) PipelineOption { return func(p *Pipeline) { p.onBatch = fn } }

// NewPipeline returns a pipeline scoring with s into sinks.
func NewPipeline(s *Scorer, sinks []Sink, opts ...PipelineOption) *Pipeline {
	p := &Pipeline{scorer: s, sinks: sinks, batchSize: DefaultBatchSize, flushEvery: DefaultFlushInterval,
		flushTimeout: DefaultFlushTimeout, stats: Stats{Labels: map[string]int64{}}}
	for _, o := range opts {
		o(p)
	}
	if p.batchSize <= 0 {
		p.batchSize = DefaultBatchSize
	}
	return p
}

// Received counts the tweets taken from the input so far (stored or
// buffered); safe to call while Run runs.
func (p *Pipeline) Received() int64 { return p.received.Load() }

// Stats returns a copy of the counts so far; safe to call while Run runs.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Labels = maps.Clone(p.stats.Labels)
	return s
}

// Run stores the tweets received from in until in is closed (then it
// stores the last partial batch and returns nil) or ctx is done (then it
// stores the buffered tweets with a context that outlives ctx, bounded by
// the flush timeout, and returns an error wrapping the context's error).
// The sinks are not closed. Run must not be called concurrently.
func (p *Pipeline) Run(ctx context.Context, in <-chan dataset.Tweet) error {
	var timer *time.Timer
	var tick <-chan time.Time
	stopTimer := func() {
		if timer != nil {
			timer.Stop()
			tick = nil
		}
	}
	defer stopTimer()
	flush := func(fctx context.Context) error {
		stopTimer()
		return p.flush(fctx)
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.flushTimeout)
			err := p.drain(fctx, in)
			cancel()
			return errors.Join(fmt.Errorf("scoring stream: %w", context.Cause(ctx)), err)
		case <-tick:
			tick = nil
			if err := flush(ctx); err != nil {
				return err
			}
		case t, ok := <-in:
			if !ok {
				return flush(ctx)
			}
			p.buf = append(p.buf, t)
			p.received.Add(1)
			if len(p.buf) >= p.batchSize {
				if err := flush(ctx); err != nil {
					return err
				}
				continue
			}
			if len(p.buf) == 1 && p.flushEvery > 0 {
				if timer == nil {
					timer = time.NewTimer(p.flushEvery)
				} else {
					timer.Reset(p.flushEvery)
				}
				tick = timer.C
			}
		}
	}
}

// drain stores the buffered tweets and those already waiting in in, in
// batches of at most batchSize.
func (p *Pipeline) drain(ctx context.Context, in <-chan dataset.Tweet) error {
	for n := len(in); n > 0; n-- {
		t, ok := <-in
		if !ok {
			break
		}
		p.buf = append(p.buf, t)
		p.received.Add(1)
		if len(p.buf) >= p.batchSize {
			if err := p.flush(ctx); err != nil {
				return err
			}
		}
	}
	return p.flush(ctx)
}

// flush scores and stores the buffered tweets.
func (p *Pipeline) flush(ctx context.Context) error {
	if len(p.buf) == 0 {
		return nil
	}
	start := time.Now()
	var err error
	p.rows, err = p.scorer.ScoreInto(p.rows[:0], p.buf)
	if err != nil {
		return err
	}
	for _, s := range p.sinks {
		if err := s.Write(ctx, p.rows); err != nil {
			return err
		}
	}
	n := len(p.rows)
	p.mu.Lock()
	p.stats.RowsOut += int64(n)
	p.stats.Batches++
	for i := range p.rows {
		p.stats.Labels[p.rows[i].Label]++
	}
	p.mu.Unlock()
	clear(p.buf) // drop references to the tweets' strings
	p.buf = p.buf[:0]
	clear(p.rows)
	if p.onBatch != nil {
		p.onBatch(BatchInfo{Rows: n, Duration: time.Since(start)})
	}
	return nil
}

// StreamStats is what Stream read and stored.
type StreamStats struct {
	Ingest ingest.Stats // complete when the sources were read to the end
	// RowsIn counts the rows read (good and bad) so far, also when reading
	// was cut short.
	RowsIn  int64
	BadRows int64
	Stats
}

// Stream reads sources in order (ingest.Ingest with opts: bad rows are
// counted and bounded by opts.MaxBadRows) and stores their tweets through
// p, batching by size and flush interval. A source reading from a pipe or
// a terminal (standard input) is scored as its lines arrive.
//
// When ctx is cancelled the buffered tweets are stored and Stream returns
// at once with an error wrapping the context's error; a reader blocked in
// Read (standard input) is left to return when its stream does, so the
// caller should close it or exit. A read error, too many bad rows or a
// sink error also ends Stream, after the tweets read before it are stored
// (sink errors excepted).
func Stream(ctx context.Context, sources []ingest.Source, p *Pipeline, opts ingest.Options) (StreamStats, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan dataset.Tweet, p.batchSize)
	var rowsIn, bad atomic.Int64
	onBad := opts.OnBadRow
	opts.OnBadRow = func(b ingest.BadRow) {
		bad.Add(1)
		rowsIn.Add(1)
		if onBad != nil {
			onBad(b)
		}
	}
	var ist ingest.Stats
	var ierr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		ist, ierr = ingest.Ingest(rctx, sources, func(t *dataset.Tweet) error {
			rowsIn.Add(1)
			select {
			case ch <- *t:
				return nil
			case <-rctx.Done():
				return context.Cause(rctx)
			}
		}, opts)
	}()
	err := p.Run(ctx, ch)
	st := StreamStats{Stats: p.Stats()}
	if err != nil {
		cancel() // unblock the reader if it waits to send
		st.RowsIn, st.BadRows = rowsIn.Load(), bad.Load()
		return st, err
	}
	<-done // ch was closed: the reader has returned
	st.Ingest, st.RowsIn, st.BadRows = ist, rowsIn.Load(), bad.Load()
	if ierr != nil {
		return st, ierr
	}
	return st, nil
}
