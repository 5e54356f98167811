package kafka

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ReplayOptions configures Replay.
type ReplayOptions struct {
	Topic string
	// Rate is the most records per second; 0 or less publishes as fast
	// as the cluster takes them.
	Rate float64
	// Repeat publishes the input this many times (0 or 1: once); the
	// input must then be an io.Seeker.
	Repeat int
	// Objects reads the input as a stream of JSON values (concatenated or
	// pretty printed objects, or one array of them), each published
	// compacted; otherwise each non-blank line is one record, published
	// as is (so bad lines are published too: a dead-letter demo).
	Objects bool
	// OnProgress, when set, is called with the records acknowledged so far
	// about every second.
	OnProgress func(acked int64)
}

// ReplayStats counts what Replay published.
type ReplayStats struct {
	Records int64 // acknowledged by the cluster
	Bytes   int64
	Elapsed time.Duration
}

// DetectObjects reports whether a file starting with head holds JSON
// values rather than JSON lines: it starts with '[' or its first line is
// not a complete JSON value (a pretty printed object).
func DetectObjects(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(t) > 0 && t[0] == '[' {
		return true
	}
	line := t
	if i := bytes.IndexByte(t, '\n'); i >= 0 {
		line = t[:i]
	} else if len(t) == len(head) && len(head) > 0 {
		return false // one long line, cut by the head: lines
	}
	return len(bytes.TrimSpace(line)) > 0 && !json.Valid(line)
}

// Replay publishes the records of r to opts.Topic through cl at most at
// opts.Rate records per second, and returns when every record is
// acknowledged (or the first produce error, or ctx is done).
func Replay(ctx context.Context, cl *kgo.Client, r io.Reader, opts ReplayOptions) (ReplayStats, error) {
	if opts.Topic == "" {
		return ReplayStats{}, errors.New("replaying: no topic given")
	}
	start := time.Now()
	var (
		mu     sync.Mutex
		perr   error
		acked  int64
		nbytes int64
	)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sent int64
	lastReport := start
	publish := func(v []byte) error {
		if opts.Rate > 0 {
			due := start.Add(time.Duration(float64(sent) / opts.Rate * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-pctx.Done():
					return context.Cause(pctx)
				}
			}
		}
		mu.Lock()
		err := perr
		mu.Unlock()
		if err != nil {
			return err
		}
		if err := pctx.Err(); err != nil {
			return err
		}
		sent++
		cl.Produce(pctx, &kgo.Record{Topic: opts.Topic, Value: v}, func(r *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if perr == nil {
					perr = fmt.Errorf("publishing to topic %q: %w", opts.Topic, err)
					cancel()
				}
				return
			}
			acked++
			nbytes += int64(len(r.Value))
		})
		if opts.OnProgress != nil && time.Since(lastReport) >= time.Second {
			lastReport = time.Now()
			mu.Lock()
			n := acked
			mu.Unlock()
			opts.OnProgress(n)
		}
		return nil
	}
	repeat := max(opts.Repeat, 1)
	var err error
	for i := 0; i < repeat && err == nil; i++ {
		if i > 0 {
			s, ok := r.(io.Seeker)
			if !ok {
				err = errors.New("replaying: --repeat needs a file, not a stream")
				break
			}
			if _, err = s.Seek(0, io.SeekStart); err != nil {
				break
			}
		}
		if opts.Objects {
			err = eachObject(r, publish)
		} else {
			err = eachLine(r, publish)
		}
	}
	ferr := cl.Flush(ctx)
	mu.Lock()
	defer mu.Unlock()
	st := ReplayStats{Records: acked, Bytes: nbytes, Elapsed: time.Since(start)}
	if perr != nil {
		return st, perr
	}
	if err != nil {
		return st, err
	}
	if ferr != nil {
		return st, fmt.Errorf("replaying: waiting for the acknowledgements: %w", ferr)
	}
	return st, nil
}

// eachLine calls fn with each non-blank line (a copy, without the line end).
func eachLine(r io.Reader, fn func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if err := fn(bytes.Clone(b)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading line %d: %w", line+1, err)
	}
	return nil
}

// eachObject calls fn with each JSON value of r, compacted; a top-level
// array gives its elements.
func eachObject(r io.Reader, fn func([]byte) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	n := 0
	emit := func(raw json.RawMessage) error {
		n++
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return err
		}
		return fn(b.Bytes())
	}
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading JSON value %d (byte %d): %w", n+1, dec.InputOffset(), err)
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			var elems []json.RawMessage
			if err := json.Unmarshal(t, &elems); err != nil {
				return fmt.Errorf("reading JSON array %d: %w", n+1, err)
			}
			for _, e := range elems {
				if err := emit(e); err != nil {
					return err
				}
			}
			continue
		}
		if err := emit(raw); err != nil {
			return err
		}
	}
}
