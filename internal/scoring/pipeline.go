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
	// DefaultWriteTimeout bounds the write of one batch to the sinks.
	DefaultWriteTimeout = time.Minute
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
	Duration time.Duration // from the start of scoring to the end of writing
}

// Pipeline scores tweets in batches and writes each batch to every sink.
// A batch is stored when it holds BatchSize tweets or when FlushInterval
// has passed since its first tweet arrived, so a slow stream is still
// stored promptly.
//
// A batch goes through three stages, each taken by one batch at a time
// and in order: scoring, writing to the sinks, and finishing (the
// WithAfterBatch function and Store's after: a Kafka source stores dead
// letters and commits offsets there). The stages overlap: while batch N
// finishes, N+1 can be written and N+2 scored, and the source gathers
// N+3; at most two batches are in flight beside the one gathered (the
// source waits). A batch is written only when every batch before it was,
// and finished only when every batch before it finished without error:
// after a failure no later batch is written or finished (its offsets are
// not committed), and the error, that of the earliest failed batch, is
// returned by Run, Store or Wait.
type Pipeline struct {
	scorer       Scorer
	sinks        []Sink
	batchSize    int
	flushEvery   time.Duration
	writeTimeout time.Duration
	onBatch      func(BatchInfo)
	afterBatch   func(context.Context) error

	buf      []dataset.Tweet
	received atomic.Int64

	// The batches in flight, in order: last was submitted most recently,
	// prev before it. Each is scored, written and finished (after ran)
	// in its own goroutine, after the batch before it (see submit).
	last, prev *batch
	free       chan []Row // row buffers of finished batches, for reuse

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

// WithWriteTimeout bounds the write of one batch to the sinks (default
// DefaultWriteTimeout). Writes are not interrupted when the context of Run
// is cancelled, only by this timeout, so that a cancelled run still stores
// the batch it was writing.
func WithWriteTimeout(d time.Duration) PipelineOption {
	return func(p *Pipeline) { p.writeTimeout = d }
}

// WithOnBatch sets a function called after each stored batch, from the
// goroutine that wrote it (one call at a time, in batch order).
func WithOnBatch(fn func(BatchInfo)) PipelineOption { return func(p *Pipeline) { p.onBatch = fn } }

// WithAfterBatch sets a function run after each batch is stored and every
// earlier batch finished without error (before Store's after), from the
// goroutine that wrote it, with a context bounded by the write timeout;
// its error fails the pipeline like a sink's (the component stores queued
// dead letters there).
func WithAfterBatch(fn func(context.Context) error) PipelineOption {
	return func(p *Pipeline) { p.afterBatch = fn }
}

// NewPipeline returns a pipeline scoring with s into sinks.
func NewPipeline(s Scorer, sinks []Sink, opts ...PipelineOption) *Pipeline {
	p := &Pipeline{scorer: s, sinks: sinks, batchSize: DefaultBatchSize, flushEvery: DefaultFlushInterval,
		writeTimeout: DefaultWriteTimeout, stats: Stats{Labels: map[string]int64{}}, free: make(chan []Row, 3)}
	for _, o := range opts {
		o(p)
	}
	if p.batchSize <= 0 {
		p.batchSize = DefaultBatchSize
	}
	if p.writeTimeout <= 0 {
		p.writeTimeout = DefaultWriteTimeout
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
// finishes the batch it is writing, stores the buffered tweets and those
// already queued in in, and returns an error wrapping the context's
// error). Sink writes get a context that outlives ctx, bounded by the write
// timeout; so does scoring (an HTTPScorer's retries are bounded by its
// retry budget), so that the batch in hand is still scored and stored.
// The sinks are not closed. Run must not be called concurrently.
func (p *Pipeline) Run(ctx context.Context, in <-chan dataset.Tweet) (err error) {
	defer func() {
		// Every return waits for the batches in flight.
		if werr := p.wait(); werr != nil {
			err = errors.Join(err, werr)
		}
	}()
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
			err := p.drain(ctx, in)
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

// flush submits the buffered tweets as a batch.
func (p *Pipeline) flush(ctx context.Context) error {
	if len(p.buf) == 0 {
		return nil
	}
	tweets := p.buf
	p.buf = make([]dataset.Tweet, 0, p.batchSize)
	return p.submit(ctx, tweets, nil)
}

// Store submits tweets as one batch: it is scored, written to every sink
// and then finished in other goroutines (see Pipeline), and Store returns
// once the batch has started, when at most one earlier batch is still in
// flight. After the batch is stored and the earlier ones finished without
// error, after (when set) is called with a context bounded by the write
// timeout that outlives ctx's cancellation (a stream source commits its
// position there). The pipeline keeps tweets until the batch is scored:
// the caller must not modify them. An error of an earlier batch (scoring,
// writing or after) is returned by the next Store, Wait or Run, once
// every batch in flight has ended; the batch is then not submitted. Store
// is for sources that batch on their own (a Kafka consumer); it must not
// be called concurrently with Run, Store or Wait. An empty batch still
// runs after, in order.
func (p *Pipeline) Store(ctx context.Context, tweets []dataset.Tweet, after func(context.Context) error) error {
	p.received.Add(int64(len(tweets)))
	return p.submit(ctx, tweets, after)
}

// Wait waits for every batch in flight and returns the error of the
// earliest that failed, if any.
func (p *Pipeline) Wait() error { return p.wait() }

// batch is one batch on its way through the stages. Each channel is closed
// when the batch is through a stage (or skipped it), after the error of
// that stage is set.
type batch struct {
	tweets []dataset.Tweet
	after  func(context.Context) error
	start  time.Time // scoring started

	scored   chan struct{}
	written  chan struct{}
	writeErr error // the batch's scoring or write error, or an earlier batch's
	done     chan struct{}
	err      error // writeErr, or an earlier batch's error, or after's
}

// submit starts tweets as a batch behind those in flight, once at most
// one batch is in flight (or returns the error of a failed one).
func (p *Pipeline) submit(ctx context.Context, tweets []dataset.Tweet, after func(context.Context) error) error {
	if p.prev != nil {
		<-p.prev.done
		if p.prev.err != nil {
			return p.wait()
		}
	}
	if p.last != nil {
		select {
		case <-p.last.done:
			if p.last.err != nil {
				return p.wait()
			}
		default:
		}
	}
	b := &batch{tweets: tweets, after: after,
		scored: make(chan struct{}), written: make(chan struct{}), done: make(chan struct{})}
	go p.process(ctx, b, p.last)
	p.prev, p.last = p.last, b
	return nil
}

// process takes b through the stages, each after prev (the batch before
// it, nil for none) is through it.
func (p *Pipeline) process(ctx context.Context, b, prev *batch) {
	var rows []Row
	var err error
	if prev != nil {
		<-prev.scored
	}
	b.start = time.Now()
	if len(b.tweets) > 0 {
		var buf []Row
		select {
		case buf = <-p.free:
		default:
		}
		rows, err = p.scorer.ScoreInto(context.WithoutCancel(ctx), buf[:0], b.tweets)
		clear(b.tweets) // drop references to the tweets' strings
		b.tweets = nil
	}
	close(b.scored)

	if prev != nil {
		<-prev.written
		if prev.writeErr != nil {
			err = prev.writeErr // the earliest failure
		}
	}
	if err == nil {
		err = p.write(ctx, rows, b.start)
	}
	b.writeErr = err
	close(b.written)
	if rows != nil {
		clear(rows) // drop references to the strings
		select {
		case p.free <- rows[:0]:
		default:
		}
	}

	if prev != nil {
		<-prev.done
		if prev.err != nil {
			err = prev.err
		}
	}
	for _, fn := range []func(context.Context) error{p.afterBatch, b.after} {
		if err == nil && fn != nil {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.writeTimeout)
			err = fn(wctx)
			cancel()
		}
	}
	b.err = err
	close(b.done)
}

// wait waits for every batch in flight and returns the error of the
// earliest that failed, if any.
func (p *Pipeline) wait() error {
	if p.last == nil {
		return nil
	}
	<-p.last.done
	err := p.last.err
	p.last, p.prev = nil, nil
	return err
}

// write stores one batch in every sink, with a context that outlives
// ctx's cancellation, bounded by the write timeout.
func (p *Pipeline) write(ctx context.Context, rows []Row, start time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.writeTimeout)
	defer cancel()
	for _, s := range p.sinks {
		if err := s.Write(wctx, rows); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.stats.RowsOut += int64(len(rows))
	p.stats.Batches++
	for i := range rows {
		p.stats.Labels[rows[i].Label]++
	}
	p.mu.Unlock()
	if p.onBatch != nil {
		p.onBatch(BatchInfo{Rows: len(rows), Duration: time.Since(start)})
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
