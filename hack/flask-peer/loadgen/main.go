// Command loadgen is an open-loop HTTP load generator (wrk2 is not in
// Debian): it sends POST requests at a fixed rate, whatever the server's
// latency, and reports the latency distribution measured from each
// request's scheduled send time, so queueing delay is not hidden
// (coordinated omission). Requests go only to the given URL; the run is
// bounded by -duration.
//
//	go run ./hack/flask-peer/loadgen -url http://127.0.0.1:8080/predict -bodies bodies.txt -rate 5000 -duration 10s
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/predict", "target URL (loopback only)")
	bodiesPath := flag.String("bodies", "", "file with one request body per line")
	rate := flag.Int("rate", 5000, "requests per second")
	dur := flag.Duration("duration", 10*time.Second, "test length")
	maxInflight := flag.Int("max-inflight", 512, "most requests in flight; beyond it requests count as dropped")
	flag.Parse()
	bodies, err := readLines(*bodiesPath)
	if err != nil || len(bodies) == 0 {
		fmt.Fprintln(os.Stderr, "error: loadgen: -bodies:", err)
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConns: *maxInflight, MaxIdleConnsPerHost: *maxInflight, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	total := int(float64(*rate) * dur.Seconds())
	lat := make([]time.Duration, total)
	var errs, dropped, non200 atomic.Int64
	sem := make(chan struct{}, *maxInflight)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(*rate)
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		select {
		case sem <- struct{}{}:
		default:
			dropped.Add(1)
			lat[i] = -1
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			resp, err := client.Post(*url, "application/json", bytes.NewReader(bodies[i%len(bodies)]))
			if err != nil {
				errs.Add(1)
				lat[i] = -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				non200.Add(1)
			}
			lat[i] = time.Since(at)
		}()
	}
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
		*rate, *dur, total, len(ok), float64(len(ok))/elapsed.Seconds(), errs.Load(), non200.Load(), dropped.Load())
	fmt.Printf("latency p50 %s p90 %s p99 %s p99.9 %s max %s\n",
		pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond),
		pct(0.999).Round(time.Microsecond), pct(1).Round(time.Microsecond))
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
