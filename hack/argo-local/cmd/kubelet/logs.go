package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"
)

// logWriter writes a container's output (stdout and stderr together) to
// its log file unchanged and, for each line, a 16-byte record to
// <log>.lines: the line's offset in the log and the time its first byte
// was written (int64 Unix nanoseconds), both big-endian. The records give
// the kubelet's tailLines, sinceSeconds/sinceTime and timestamps.
type logWriter struct {
	mu        sync.Mutex
	log, idx  *os.File
	off       int64
	lineStart bool
	now       func() time.Time
}

func newLogWriter(file string) (*logWriter, error) {
	log, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	idx, err := os.Create(file + ".lines")
	if err != nil {
		log.Close()
		return nil, err
	}
	return &logWriter{log: log, idx: idx, lineStart: true, now: time.Now}, nil
}

// Write appends p to the log, then the records of the lines p starts, so a
// reader that sees a line's record finds the lines before it complete.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.log.Write(p)
	now := w.now().UnixNano()
	var recs []byte
	for i := 0; i < n; i++ {
		if w.lineStart {
			recs = binary.BigEndian.AppendUint64(recs, uint64(w.off+int64(i)))
			recs = binary.BigEndian.AppendUint64(recs, uint64(now))
		}
		w.lineStart = p[i] == '\n'
	}
	w.off += int64(n)
	if len(recs) > 0 {
		if _, ierr := w.idx.Write(recs); ierr != nil && err == nil {
			err = ierr
		}
	}
	return n, err
}

func (w *logWriter) Close() error {
	return errors.Join(w.log.Close(), w.idx.Close())
}

// logLine is one record of a <log>.lines file.
type logLine struct {
	off int64
	t   time.Time
}

// readLines returns the records of the lines file from record from on.
func readLines(file string, from int) ([]logLine, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, int64(from)*16, 1<<62))
	if err != nil {
		return nil, err
	}
	out := make([]logLine, 0, len(b)/16)
	for i := 0; i+16 <= len(b); i += 16 {
		out = append(out, logLine{off: int64(binary.BigEndian.Uint64(b[i:])), t: time.Unix(0, int64(binary.BigEndian.Uint64(b[i+8:]))).UTC()})
	}
	return out, nil
}

// logOptions are the kubelet's /containerLogs query parameters.
type logOptions struct {
	follow, timestamps, previous bool
	tailLines, limitBytes        int64 // -1: not set
	since                        time.Time
}

func parseLogOptions(q url.Values, now time.Time) (logOptions, error) {
	o := logOptions{tailLines: -1, limitBytes: -1}
	var err error
	boolean := func(name string) bool {
		v := q.Get(name)
		if v == "" || err != nil {
			return false
		}
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			err = fmt.Errorf("query parameter %s=%q: not a boolean", name, v)
		}
		return b
	}
	number := func(name string, min int64) int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return -1
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || n < min {
			err = fmt.Errorf("query parameter %s=%q: want an integer >= %d", name, v, min)
		}
		return n
	}
	o.follow, o.timestamps, o.previous = boolean("follow"), boolean("timestamps"), boolean("previous")
	o.tailLines, o.limitBytes = number("tailLines", 0), number("limitBytes", 1)
	if s := number("sinceSeconds", 1); s > 0 {
		o.since = now.Add(-time.Duration(s) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" && err == nil {
		t, perr := time.Parse(time.RFC3339, v)
		if perr != nil {
			return o, fmt.Errorf("query parameter sinceTime=%q: want RFC 3339", v)
		}
		o.since = t
	}
	return o, err
}

// limitWriter writes at most n bytes, then fails with errLimit.
type limitWriter struct {
	w http.ResponseWriter
	n int64 // -1: no limit
}

var errLimit = errors.New("limitBytes reached")

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n < 0 {
		return l.w.Write(p)
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.w.Write(p)
	l.n -= int64(n)
	if err == nil && l.n == 0 {
		err = errLimit
	}
	return n, err
}

// streamLogs writes the log of a container to w as a kubelet's
// /containerLogs does: from the first line at or after since, the last
// tailLines lines, at most limitBytes bytes, each line prefixed with its
// RFC 3339 time with timestamps, and with follow until the container has
// exited (done closed) or ctx ends.
func streamLogs(ctx context.Context, w http.ResponseWriter, file string, done <-chan struct{}, o logOptions, poll time.Duration) error {
	out := &limitWriter{w: w, n: o.limitBytes}
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	lines, err := readLines(file+".lines", 0)
	if err != nil {
		return err
	}
	first := 0
	if !o.since.IsZero() {
		first = sort.Search(len(lines), func(i int) bool { return !lines[i].t.Before(o.since) })
	}
	if o.tailLines >= 0 && int64(len(lines)-first) > o.tailLines {
		first = len(lines) - int(o.tailLines)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	lines = lines[first:]
	next := first + len(lines) // the record to read next from the file
	for {
		exited := false
		select {
		case <-done:
			exited = true // all output is in the log: the last line is complete
		default:
		}
		more, err := readLines(file+".lines", next)
		if err != nil {
			return err
		}
		lines = append(lines, more...)
		next += len(more)
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		// Write every complete line: the next one has started, or it ends
		// with a newline, or the container has exited. Without follow a
		// partial last line is written as it is so far.
		for len(lines) > 0 {
			start, end := lines[0].off, fi.Size()
			last := len(lines) == 1
			if !last {
				end = lines[1].off
			}
			b := make([]byte, end-start)
			if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			if last && !exited {
				// Lines started after the records were read: keep to the first.
				if i := bytes.IndexByte(b, '\n'); i >= 0 {
					b = b[:i+1]
				} else if o.follow {
					break
				}
			}
			if o.timestamps {
				b = append([]byte(lines[0].t.Format(time.RFC3339Nano)+" "), b...)
			}
			if _, err := out.Write(b); err != nil {
				if errors.Is(err, errLimit) {
					flush()
					return nil
				}
				return err
			}
			lines = lines[1:]
		}
		flush()
		if exited || !o.follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-done:
		case <-time.After(poll):
		}
	}
}

// serveLogs answers GET /containerLogs/{namespace}/{pod}/{container}.
func (k *kubelet) serveLogs(w http.ResponseWriter, req *http.Request, ns, pod, container string) {
	if req.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	o, err := parseLogOptions(req.URL.Query(), time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r := k.podByName(ns, pod)
	if r == nil {
		http.Error(w, fmt.Sprintf("pod %q in namespace %q is not on this node", pod, ns), http.StatusNotFound)
		return
	}
	if !hasContainer(r.pod, container) {
		http.Error(w, fmt.Sprintf("container %q is not in pod %q", container, pod), http.StatusNotFound)
		return
	}
	if o.previous {
		// No restarts here (restartPolicy Never), so no previous instance.
		http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, pod), http.StatusBadRequest)
		return
	}
	c := r.container(container)
	if c == nil {
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: PodInitializing", container, pod), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	bw := &flushingWriter{ResponseWriter: w, b: bufio.NewWriterSize(w, 32<<10)}
	if err := streamLogs(req.Context(), bw, c.log.log.Name(), c.done, o, 100*time.Millisecond); err != nil {
		r.logf("logs of %s: %v", container, err)
	}
	_ = bw.b.Flush()
}

// flushingWriter buffers a response and flushes it on Flush.
type flushingWriter struct {
	http.ResponseWriter
	b *bufio.Writer
}

func (f *flushingWriter) Write(p []byte) (int, error) { return f.b.Write(p) }

func (f *flushingWriter) Flush() {
	_ = f.b.Flush()
	if fl, ok := f.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}
