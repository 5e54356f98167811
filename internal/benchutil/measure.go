package benchutil

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/dataset"
)

// WriteDataset writes opts.Rows rows resampled from pool (see WriteCorpus)
// as a committed dataset output under prefix of store, in shards of
// shardRows rows: the input a clean-stage benchmark reads, without running
// ingest first. CleanText and URLs are left empty, as ingest leaves them.
func WriteDataset(ctx context.Context, store artifact.Store, prefix string, pool []dataset.Tweet, opts Options, shardRows int) error {
	out := artifact.NewOutput(store, prefix)
	w := dataset.NewShardWriter(func(name string) (io.WriteCloser, error) {
		return out.Create(ctx, name)
	}, dataset.WithShardRows(shardRows))
	err := dataset.Resample(opts.Seed, pool, opts.Rows, dataset.ResampleOptions{PerturbRate: opts.PerturbRate}, func(t *dataset.Tweet) error {
		t.CleanText, t.URLs = "", nil
		return w.Write(t)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_, err = out.Commit(ctx)
	}
	if err != nil {
		return fmt.Errorf("writing dataset %q: %w", store.URI(prefix), err)
	}
	return nil
}

// HeapSampler records the peak of the Go heap in use (live and not yet
// swept objects plus fragmentation: runtime/metrics
// /memory/classes/heap/objects + unused), sampled at a fixed interval.
type HeapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

const (
	heapObjects = "/memory/classes/heap/objects:bytes"
	heapUnused  = "/memory/classes/heap/unused:bytes"
)

// StartHeapSampler starts sampling every interval (10ms when <= 0).
func StartHeapSampler(interval time.Duration) *HeapSampler {
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	h := &HeapSampler{stop: make(chan struct{})}
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		tk := time.NewTicker(interval)
		defer tk.Stop()
		s := []metrics.Sample{{Name: heapObjects}, {Name: heapUnused}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64() + s[1].Value.Uint64(); v > h.peak {
				h.peak = v
			}
			select {
			case <-h.stop:
				return
			case <-tk.C:
			}
		}
	}()
	return h
}

// Stop ends sampling and returns the peak in bytes.
func (h *HeapSampler) Stop() uint64 {
	close(h.stop)
	h.done.Wait()
	return h.peak
}

// CPUSeconds is the CPU time (user+system, all threads) the process has
// used so far: on a shared machine a steadier figure than wall time.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// Process is what one measured child process used.
type Process struct {
	Wall      time.Duration
	User, Sys time.Duration
	MaxRSS    int64 // peak resident set size, bytes
}

// RunProcess runs cmd to completion and measures it (wall time from
// start to exit, CPU and peak RSS from the kernel's rusage of the child).
func RunProcess(cmd *exec.Cmd) (Process, error) {
	start := time.Now()
	err := cmd.Run()
	pr := Process{Wall: time.Since(start)}
	if st := cmd.ProcessState; st != nil {
		pr.User, pr.Sys = st.UserTime(), st.SystemTime()
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			pr.MaxRSS = ru.Maxrss << 10 // KiB on Linux
		}
	}
	if err != nil {
		return pr, fmt.Errorf("running %s: %w", cmd.Path, err)
	}
	return pr, nil
}
