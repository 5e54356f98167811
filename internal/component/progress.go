package component

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Progress reports progress of long work: a bar in a terminal, a log line
// every LogEvery otherwise. Add is cheap and safe for concurrent use.
type Progress struct {
	label string
	unit  string
	total int64
	n     atomic.Int64
	start time.Time
	mode  string
	w     io.Writer
	log   *slog.Logger
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

// LogEvery is the interval of progress log lines outside a terminal.
var LogEvery = 10 * time.Second

// Progress starts reporting progress of work with the given total (0 if
// unknown) counted in unit (e.g. "rows", "words"). Call Done when finished.
func (e *Env) Progress(label, unit string, total int64) *Progress {
	mode := e.progress
	if mode == "auto" {
		mode = "log"
		if isTerminal(e.stderr) {
			mode = "bar"
		}
	}
	p := &Progress{label: label, unit: unit, total: total, start: time.Now(), mode: mode, w: e.stderr, log: e.Log, stop: make(chan struct{})}
	if mode == "none" {
		return p
	}
	every := LogEvery
	if mode == "bar" {
		every = 200 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.report(false)
			}
		}
	}()
	return p
}

// Add counts n more units done.
func (p *Progress) Add(n int64) { p.n.Add(n) }

// Set sets the units done.
func (p *Progress) Set(n int64) { p.n.Store(n) }

// Done stops reporting and prints the final state.
func (p *Progress) Done() {
	p.once.Do(func() {
		close(p.stop)
		p.wg.Wait()
		if p.mode != "none" {
			p.report(true)
		}
	})
}

func (p *Progress) report(final bool) {
	n := p.n.Load()
	el := time.Since(p.start)
	rate := float64(n) / el.Seconds()
	switch p.mode {
	case "bar":
		const width = 30
		var bar, pct, eta string
		if p.total > 0 {
			frac := min(float64(n)/float64(p.total), 1)
			fill := int(frac * width)
			bar = "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]"
			pct = fmt.Sprintf(" %3.0f%%", frac*100)
			if rate > 0 && !final {
				eta = fmt.Sprintf(" eta %s", time.Duration(float64(p.total-n)/rate*float64(time.Second)).Round(time.Second))
			}
		}
		fmt.Fprintf(p.w, "\r%s %s%s %d %s %s/s %s%s\x1b[K", p.label, bar, pct, n, p.unit, humanRate(rate), el.Round(100*time.Millisecond), eta)
		if final {
			fmt.Fprintln(p.w)
		}
	case "log":
		attrs := []any{"task", p.label, p.unit, n, "per_second", int64(rate), "elapsed", el.Round(time.Millisecond).String()}
		if p.total > 0 {
			attrs = append(attrs, "total", p.total, "percent", int(100*float64(n)/float64(p.total)))
		}
		if final {
			p.log.Info("finished", attrs...)
		} else {
			p.log.Info("progress", attrs...)
		}
	}
}
