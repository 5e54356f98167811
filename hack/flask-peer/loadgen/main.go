// Command loadgen is an open-loop HTTP load generator (wrk2 is not in
// Debian): it sends POST requests at a fixed rate, whatever the server's
// latency, and reports the latency distribution measured from each
// request's scheduled send time, so queueing delay is not hidden
// (coordinated omission). Requests go only to the given URL; the run is
// bounded by -duration.
//
//	go run ./hack/flask-peer/loadgen -url http://127.0.0.1:8080/predict -bodies bodies.txt -rate 5000 -duration 10s
//
// It is lean so that it disturbs the measured server little when both
// share a small machine: -conns keep-alive connections speak HTTP/1.1 over
// plain TCP with pre-formatted requests (no net/http client), a scheduler
// goroutine hands request i out at start + i/rate, and a request that
// finds every connection busy waits in a queue (its wait counts in its
// latency). Requests still queued -max-queue deep are dropped and counted.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080/predict", "target URL (http, loopback only)")
	bodiesPath := flag.String("bodies", "", "file with one request body per line")
	rate := flag.Int("rate", 5000, "requests per second")
	dur := flag.Duration("duration", 10*time.Second, "test length")
	conns := flag.Int("conns", 64, "keep-alive connections")
	maxQueue := flag.Int("max-queue", 100000, "most requests waiting for a connection; beyond it requests count as dropped")
	flag.Parse()
	if err := run(*target, *bodiesPath, *rate, *dur, *conns, *maxQueue); err != nil {
		fmt.Fprintln(os.Stderr, "error: loadgen:", err)
		os.Exit(2)
	}
}

type job struct {
	i  int
	at time.Time
}

func run(target, bodiesPath string, rate int, dur time.Duration, conns, maxQueue int) error {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		return fmt.Errorf("parsing -url %q: want http://host:port/path", target)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("checking -url %q: only loopback targets are allowed", target)
	}
	if rate < 1 || conns < 1 {
		return errors.New("-rate and -conns must be positive")
	}
	bodies, err := readLines(bodiesPath)
	if err != nil || len(bodies) == 0 {
		return fmt.Errorf("reading -bodies %q: %v (want one body per line)", bodiesPath, err)
	}
	reqs := make([][]byte, len(bodies))
	for i, b := range bodies {
		reqs[i] = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			u.RequestURI(), u.Host, len(b), b)
	}

	total := int(float64(rate) * dur.Seconds())
	lat := make([]time.Duration, total)
	for i := range lat {
		lat[i] = -1
	}
	var errs, non200, dropped atomic.Int64
	queue := make(chan job, maxQueue)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{addr: u.Host}
			defer c.close()
			for j := range queue {
				code, err := c.do(reqs[j.i%len(reqs)])
				switch {
				case err != nil:
					errs.Add(1)
					continue
				case code != 200:
					non200.Add(1)
				}
				lat[j.i] = time.Since(j.at)
			}
		}()
	}

	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		select {
		case queue <- job{i, at}:
		default:
			dropped.Add(1)
		}
	}
	close(queue)
	wg.Wait()
	elapsed := time.Since(start)

	var ok []time.Duration
	for _, l := range lat {
		if l >= 0 {
			ok = append(ok, l)
		}
	}
	slices.Sort(ok)
	pct := func(p float64) time.Duration {
		if len(ok) == 0 {
			return 0
		}
		return ok[min(len(ok)-1, int(p*float64(len(ok))))]
	}
	fmt.Printf("target %d req/s for %s: sent %d, completed %d (%.0f req/s), errors %d, non-200 %d, dropped %d\n",
		rate, dur, total, len(ok), float64(len(ok))/elapsed.Seconds(), errs.Load(), non200.Load(), dropped.Load())
	fmt.Printf("latency p50 %s p90 %s p99 %s p99.9 %s max %s\n",
		pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond),
		pct(0.999).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	return nil
}

// client is one keep-alive HTTP/1.1 connection, redialled after an error.
type client struct {
	addr string
	conn net.Conn
	r    *bufio.Reader
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// do sends one pre-formatted request and reads the response (status line,
// headers with Content-Length, body), returning the status code.
func (c *client) do(req []byte) (int, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.conn = conn
		c.r = bufio.NewReaderSize(conn, 64<<10)
	}
	code, err := c.roundTrip(req)
	if err != nil {
		c.close()
	}
	return code, err
}

func (c *client) roundTrip(req []byte) (int, error) {
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := c.conn.Write(req); err != nil {
		return 0, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, closing := -1, false
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			closing = true
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, fmt.Errorf("unsupported Transfer-Encoding %q", value)
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	if _, err := c.r.Discard(length); err != nil {
		return 0, err
	}
	if closing {
		c.close()
	}
	return code, nil
}

func readLines(p string) ([][]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	return out, sc.Err()
}
