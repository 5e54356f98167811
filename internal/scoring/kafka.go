package scoring

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
)

// DefaultMaxMessageBytes is the largest Kafka message ConsumeKafka
// decodes; larger ones are dead letters.
const DefaultMaxMessageBytes = 1 << 20

// DefaultSessionTimeout is the consumer group session timeout of
// ConsumeKafka (franz-go's default).
const DefaultSessionTimeout = 45 * time.Second

// KafkaOptions configures ConsumeKafka.
type KafkaOptions struct {
	Client   []kgo.Opt // how to reach the cluster (kafka.Config.Opts)
	Topics   []string
	Group    string // consumer group
	Earliest bool   // with no committed offset, start at the oldest record (else the newest)

	// BatchSize is the most records per batch (default DefaultBatchSize)
	// and FlushInterval the longest a record waits in a partial batch
	// (default DefaultFlushInterval).
	BatchSize     int
	FlushInterval time.Duration
	// MaxMessageBytes: larger messages are dead letters (default DefaultMaxMessageBytes).
	MaxMessageBytes int
	// SessionTimeout is the consumer group session timeout (default
	// DefaultSessionTimeout): a member silent this long (killed) loses
	// its partitions.
	SessionTimeout time.Duration
	LabelMap       *ingest.LabelMap // nil: labels kept as they are

	// DeadLetters, when set, stores the poison messages of a batch (and
	// the rows the PostgreSQL sink refused, queued with Add) before its
	// offsets are committed. Without it poison messages are only reported
	// through OnDeadLetter.
	DeadLetters *DeadLetterSink
	// OnDeadLetter, when set, is called for each poison message (from the
	// consuming goroutine).
	OnDeadLetter func(DeadLetter)
	// OnCommit, when set, is called after offsets were committed, with
	// the error of the commit (from the goroutine finishing the batch; one
	// call at a time, in batch order).
	OnCommit func(offsets map[string]map[int32]int64, err error)
	// OnAssigned and OnRevoked, when set, are called on rebalances.
	OnAssigned, OnRevoked func(map[string][]int32)
}

// BatchStore stores the batches of a stream source, in order. A
// *Pipeline scores them; collect keeps them raw.
type BatchStore interface {
	// StoreBatch starts storing tweets, decoded from the records raw
	// (raw[i] is tweets[i]'s record; the store may keep the slices), and
	// once they are stored calls after (when set) with a context that
	// outlives ctx's cancellation. A store error, or after's, is returned
	// by the next StoreBatch or Wait. An empty batch still runs after.
	StoreBatch(ctx context.Context, tweets []dataset.Tweet, raw [][]byte, after func(context.Context) error) error
	// Wait waits for the batch being stored, if any, and returns its error.
	Wait() error
}

// StoreBatch is Store (the raw records are not used): a Pipeline is a BatchStore.
func (p *Pipeline) StoreBatch(ctx context.Context, tweets []dataset.Tweet, _ [][]byte, after func(context.Context) error) error {
	return p.Store(ctx, tweets, after)
}

// KafkaStats counts what ConsumeKafka read.
type KafkaStats struct {
	Records     int64 // records polled
	DeadLetters int64 // poison records
	Commits     int64 // successful offset commits
}

// ConsumeKafka consumes opts.Topics in consumer group opts.Group and
// stores the tweets through p (a *Pipeline scores them) until ctx is done. Records are decoded like
// JSONL lines (ingest.RecordDecoder: tweetflow objects, Twitter API v1.1
// and v2 objects); a record that is not a tweet (invalid JSON, no text,
// larger than MaxMessageBytes) is a dead letter and the stream goes on.
//
// Delivery: a batch's offsets (its last record + 1 per partition, dead
// letters included) are committed only after the batch is stored in every
// sink of p and its dead letters are stored, so every record is stored at
// least once, and with the PostgreSQL sink's upsert exactly once in the
// table. Rebalances are blocked while records are being processed
// (kgo.BlockRebalanceOnPoll); when the group wants to rebalance, the
// consumer stores and commits what it holds before letting it go on, and
// commits again when partitions are revoked, so no record of a revoked
// partition is stored after its new owner started. When ctx is cancelled
// (SIGTERM), the batch in hand is stored and committed, then the consumer
// leaves the group; the returned error wraps the context's.
//
// Commit failures (a rebalance fenced the commit) are reported through
// OnCommit and not fatal: the records are delivered again, and the upsert
// makes that harmless. A sink or dead-letter write error ends ConsumeKafka
// without committing the batch.
func ConsumeKafka(ctx context.Context, p BatchStore, opts KafkaOptions) (KafkaStats, error) {
	if len(opts.Topics) == 0 {
		return KafkaStats{}, errors.New("consuming from Kafka: no topic given")
	}
	if opts.Group == "" {
		return KafkaStats{}, errors.New("consuming from Kafka: no consumer group given")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = DefaultSessionTimeout
	}
	c := &consumer{p: p, o: opts, dec: ingest.NewRecordDecoder(opts.LabelMap), names: map[string]map[int32]string{},
		committed: map[string]map[int32]kgo.EpochOffset{}}
	start := kgo.NewOffset().AtEnd()
	if opts.Earliest {
		start = kgo.NewOffset().AtStart()
	}
	fetchMax := int32(max(opts.MaxMessageBytes+(64<<10), 1<<20))
	kopts := append(append([]kgo.Opt{}, opts.Client...),
		kgo.ConsumeTopics(opts.Topics...),
		kgo.ConsumerGroup(opts.Group),
		kgo.SessionTimeout(opts.SessionTimeout),
		// franz-go's default heartbeat (3s) must stay below the session timeout.
		kgo.HeartbeatInterval(min(3*time.Second, opts.SessionTimeout/3)),
		kgo.ConsumeResetOffset(start),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.FetchMaxPartitionBytes(fetchMax),
		kgo.OnPartitionsCallbackBlocked(func(context.Context, *kgo.Client) { c.rebalance.Store(true) }),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			if opts.OnAssigned != nil {
				opts.OnAssigned(m)
			}
		}),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
	)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return KafkaStats{}, fmt.Errorf("creating the Kafka client: %w", err)
	}
	c.cl = cl
	err = c.run(ctx)
	// Stopped by ctx: store and commit what is in hand. After a failure
	// (a batch that was not stored), nothing more is stored or committed:
	// a later batch's offsets would skip the failed one's records.
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Cause(ctx)) || errors.Is(err, ctx.Err())) {
		if ferr := c.submit(ctx); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	if werr := p.Wait(); werr != nil {
		err = errors.Join(err, werr)
	}
	// Leave the group (Close revokes the partitions: onRevoked commits
	// the offsets of the stored batches once more).
	cl.AllowRebalance()
	cl.Close()
	return c.stats(), err
}

type consumer struct {
	p   BatchStore
	o   KafkaOptions
	cl  *kgo.Client
	dec *ingest.RecordDecoder

	rebalance atomic.Bool // the group waits for us to allow a rebalance

	// The batch being gathered.
	tweets  []dataset.Tweet
	raw     [][]byte // the record of each tweet
	dead    []DeadLetter
	offsets map[string]map[int32]kgo.EpochOffset
	records int
	first   time.Time

	names map[string]map[int32]string // source names, per topic and partition

	mu        sync.Mutex // guards committed
	committed map[string]map[int32]kgo.EpochOffset

	nRecords, nDead, nCommits atomic.Int64
}

func (c *consumer) stats() KafkaStats {
	return KafkaStats{Records: c.nRecords.Load(), DeadLetters: c.nDead.Load(), Commits: c.nCommits.Load()}
}

// pollWait bounds a poll so that a pending rebalance is noticed promptly.
const pollWait = 200 * time.Millisecond

func (c *consumer) run(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("consuming from Kafka: %w", context.Cause(ctx))
		}
		if c.rebalance.Load() {
			// The group wants to rebalance: store and commit everything
			// in hand, then let it go on.
			if err := c.submit(ctx); err != nil {
				return err
			}
			if err := c.p.Wait(); err != nil {
				return err
			}
			c.rebalance.Store(false)
			c.cl.AllowRebalance()
		}
		wait := pollWait
		if c.records > 0 {
			wait = min(wait, max(time.Until(c.first.Add(c.o.FlushInterval)), time.Millisecond))
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		fetches := c.cl.PollRecords(pctx, c.o.BatchSize-c.records)
		cancel()
		if fetches.IsClientClosed() {
			return errors.New("consuming from Kafka: the client was closed")
		}
		var fatal error
		fetches.EachError(func(topic string, part int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			// Authentication and authorization failures do not heal.
			var ke *kerr.Error
			if errors.As(err, &ke) && !ke.Retriable {
				fatal = fmt.Errorf("consuming topic %q partition %d: %w", topic, part, err)
			}
		})
		if fatal != nil {
			return fatal
		}
		fetches.EachRecord(c.add)
		if c.records >= c.o.BatchSize || (c.records > 0 && time.Since(c.first) >= c.o.FlushInterval) {
			if err := c.submit(ctx); err != nil {
				return err
			}
		}
	}
}

// add decodes one record into the batch.
func (c *consumer) add(r *kgo.Record) {
	c.nRecords.Add(1)
	if c.records == 0 {
		c.first = time.Now()
		c.offsets = map[string]map[int32]kgo.EpochOffset{}
		c.tweets = make([]dataset.Tweet, 0, c.o.BatchSize)
		c.raw = make([][]byte, 0, c.o.BatchSize)
	}
	c.records++
	po := c.offsets[r.Topic]
	if po == nil {
		po = map[int32]kgo.EpochOffset{}
		c.offsets[r.Topic] = po
	}
	po[r.Partition] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}

	var reason string
	if len(r.Value) > c.o.MaxMessageBytes {
		reason = fmt.Sprintf("message of %d bytes, larger than the limit of %d", len(r.Value), c.o.MaxMessageBytes)
	} else {
		t, err := c.dec.Decode(c.name(r.Topic, r.Partition), r.Offset, r.Value)
		if err == nil {
			c.tweets = append(c.tweets, t)
			c.raw = append(c.raw, r.Value)
			return
		}
		reason = err.Error()
		var br *ingest.BadRow
		if errors.As(err, &br) {
			reason = br.Reason
		}
	}
	d := NewDeadLetter(r.Topic, r.Partition, r.Offset, r.Value, reason, time.Now())
	c.nDead.Add(1)
	c.dead = append(c.dead, d)
	if c.o.OnDeadLetter != nil {
		c.o.OnDeadLetter(d)
	}
}

func (c *consumer) name(topic string, part int32) string {
	m := c.names[topic]
	if m == nil {
		m = map[int32]string{}
		c.names[topic] = m
	}
	n, ok := m[part]
	if !ok {
		n = KafkaSourceName(topic, part)
		m[part] = n
	}
	return n
}

// submit hands the batch in hand to the store; once it is stored (and
// the batches before it finished), its dead letters are stored and its
// offsets committed.
func (c *consumer) submit(ctx context.Context) error {
	if c.records == 0 {
		return nil
	}
	dead, offsets := c.dead, c.offsets
	c.dead, c.offsets, c.records = nil, nil, 0
	err := c.p.StoreBatch(ctx, c.tweets, c.raw, func(wctx context.Context) error {
		if dl := c.o.DeadLetters; dl != nil {
			dl.Add(dead...)
			if err := dl.Flush(wctx); err != nil {
				return err
			}
		}
		c.commit(wctx, offsets)
		return nil
	})
	c.tweets, c.raw = nil, nil // the store keeps them
	return err
}

// commit commits offsets (synchronously) and records them.
func (c *consumer) commit(ctx context.Context, offsets map[string]map[int32]kgo.EpochOffset) {
	if len(offsets) == 0 {
		return
	}
	var cerr error
	c.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					cerr = fmt.Errorf("committing topic %q partition %d: %w", t.Topic, p.Partition, err)
					return
				}
			}
		}
	})
	if cerr == nil {
		c.nCommits.Add(1)
		c.mu.Lock()
		for t, ps := range offsets {
			m := c.committed[t]
			if m == nil {
				m = map[int32]kgo.EpochOffset{}
				c.committed[t] = m
			}
			for p, o := range ps {
				if m[p].Less(o) {
					m[p] = o
				}
			}
		}
		c.mu.Unlock()
	}
	if c.o.OnCommit != nil {
		plain := map[string]map[int32]int64{}
		for t, ps := range offsets {
			plain[t] = map[int32]int64{}
			for p, o := range ps {
				plain[t][p] = o.Offset
			}
		}
		c.o.OnCommit(plain, cerr)
	}
}

// onRevoked commits, once more, the stored offsets of the revoked
// partitions: with BlockRebalanceOnPoll it runs only after the consumer
// stored and committed what it held, so this is the last word of this
// member on those partitions before the new owner starts.
func (c *consumer) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	c.mu.Lock()
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for t, ps := range revoked {
		for _, p := range ps {
			if o, ok := c.committed[t][p]; ok {
				if offsets[t] == nil {
					offsets[t] = map[int32]kgo.EpochOffset{}
				}
				offsets[t][p] = o
			}
			delete(c.committed[t], p)
		}
	}
	c.mu.Unlock()
	c.commit(ctx, offsets)
	if c.o.OnRevoked != nil {
		c.o.OnRevoked(revoked)
	}
}

// onLost forgets lost partitions: their commits would be refused.
func (c *consumer) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	c.mu.Lock()
	for t, ps := range lost {
		for _, p := range ps {
			delete(c.committed[t], p)
		}
	}
	c.mu.Unlock()
	if c.o.OnRevoked != nil {
		c.o.OnRevoked(lost)
	}
}
