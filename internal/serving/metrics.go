package serving

import (
	"bufio"
	"fmt"
	"io"
	"math"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// route identifies an endpoint for the metrics (a closed set, so label
// cardinality stays bounded whatever paths clients send).
type route uint8

const (
	routePredict route = iota
	routeV2Infer
	routeV2Model
	routeV2Server
	routeLive
	routeReady
	routeMetricsEP
	routeReload
	routeModels
	routeNotFound
	numRoutes
)

var routeNames = [numRoutes]string{
	routePredict:   "/predict",
	routeV2Infer:   "/v2/models/{name}/infer",
	routeV2Model:   "/v2/models/{name}",
	routeV2Server:  "/v2",
	routeLive:      "/healthz",
	routeReady:     "/readyz",
	routeMetricsEP: "/metrics",
	routeReload:    "/admin/reload",
	routeModels:    "/models",
	routeNotFound:  "other",
}

// latencyBuckets are the upper bounds (seconds) of the latency histogram.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

const maxCode = 600

type routeStats struct {
	codes   [maxCode]atomic.Uint64
	buckets [16]atomic.Uint64 // len(latencyBuckets) + the +Inf bucket
	sumNs   atomic.Uint64
	count   atomic.Uint64
}

type labelKey struct{ version, label string }

// metrics are the server's counters, exposed in the Prometheus text format.
type metrics struct {
	start    time.Time
	routes   [numRoutes]routeStats
	inflight atomic.Int64
	texts    atomic.Uint64
	reloads  atomic.Uint64
	reloadKO atomic.Uint64

	mu     sync.RWMutex
	labels map[labelKey]*atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{start: time.Now(), labels: map[labelKey]*atomic.Uint64{}}
}

func (m *metrics) observe(r route, code int, d time.Duration) {
	rm := &m.routes[r]
	if code < 0 || code >= maxCode {
		code = 0
	}
	rm.codes[code].Add(1)
	rm.count.Add(1)
	rm.sumNs.Add(uint64(d))
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, s)
	rm.buckets[i].Add(1)
}

// predicted counts n predictions of label by model version.
func (m *metrics) predicted(version, label string, n uint64) {
	k := labelKey{version, label}
	m.mu.RLock()
	c := m.labels[k]
	m.mu.RUnlock()
	if c == nil {
		m.mu.Lock()
		if c = m.labels[k]; c == nil {
			c = new(atomic.Uint64)
			m.labels[k] = c
		}
		m.mu.Unlock()
	}
	c.Add(n)
}

// write writes the metrics in the Prometheus text exposition format 0.0.4.
func (m *metrics) write(w io.Writer, set *Set) error {
	b := bufio.NewWriter(w)
	help := func(name, typ, text string) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
	}
	help("tweetflow_http_requests_total", "counter", "HTTP requests by route and status code.")
	for r := range numRoutes {
		rm := &m.routes[r]
		for code := range maxCode {
			if n := rm.codes[code].Load(); n > 0 {
				fmt.Fprintf(b, "tweetflow_http_requests_total{route=%q,code=\"%d\"} %d\n", routeNames[r], code, n)
			}
		}
	}
	help("tweetflow_http_request_errors_total", "counter", "HTTP requests answered with a 4xx (client) or 5xx (server) status, by route.")
	for r := range numRoutes {
		rm := &m.routes[r]
		var client, server uint64
		for code := 400; code < maxCode; code++ {
			n := rm.codes[code].Load()
			if code < 500 {
				client += n
			} else {
				server += n
			}
		}
		if client > 0 {
			fmt.Fprintf(b, "tweetflow_http_request_errors_total{route=%q,kind=\"client\"} %d\n", routeNames[r], client)
		}
		if server > 0 {
			fmt.Fprintf(b, "tweetflow_http_request_errors_total{route=%q,kind=\"server\"} %d\n", routeNames[r], server)
		}
	}
	help("tweetflow_http_request_duration_seconds", "histogram", "Time from request start to the end of the response write, by route.")
	for r := range numRoutes {
		rm := &m.routes[r]
		count := rm.count.Load()
		if count == 0 {
			continue
		}
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += rm.buckets[i].Load()
			fmt.Fprintf(b, "tweetflow_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", routeNames[r], strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		cum += rm.buckets[len(latencyBuckets)].Load()
		// Counters are read one by one while requests go on: keep the
		// histogram consistent (+Inf bucket == count).
		fmt.Fprintf(b, "tweetflow_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", routeNames[r], cum)
		fmt.Fprintf(b, "tweetflow_http_request_duration_seconds_sum{route=%q} %s\n", routeNames[r], fmtFloat(float64(rm.sumNs.Load())/1e9))
		fmt.Fprintf(b, "tweetflow_http_request_duration_seconds_count{route=%q} %d\n", routeNames[r], cum)
	}
	help("tweetflow_http_requests_in_flight", "gauge", "Requests being served.")
	fmt.Fprintf(b, "tweetflow_http_requests_in_flight %d\n", m.inflight.Load())

	help("tweetflow_predictions_total", "counter", "Predicted labels by model version.")
	m.mu.RLock()
	keys := make([]labelKey, 0, len(m.labels))
	for k := range m.labels {
		keys = append(keys, k)
	}
	m.mu.RUnlock()
	slices.SortFunc(keys, func(a, b labelKey) int {
		if c := strings.Compare(a.version, b.version); c != 0 {
			return c
		}
		return strings.Compare(a.label, b.label)
	})
	for _, k := range keys {
		m.mu.RLock()
		n := m.labels[k].Load()
		m.mu.RUnlock()
		fmt.Fprintf(b, "tweetflow_predictions_total{model_version=%q,label=%q} %d\n", k.version, k.label, n)
	}
	help("tweetflow_texts_scored_total", "counter", "Texts scored, single and batch requests together.")
	fmt.Fprintf(b, "tweetflow_texts_scored_total %d\n", m.texts.Load())

	help("tweetflow_model_info", "gauge", "Loaded model versions (value 1); default=\"true\" marks the one unversioned requests use.")
	if set != nil {
		def := set.Default()
		for _, mod := range set.order {
			fmt.Fprintf(b, "tweetflow_model_info{model_version=%q,default=\"%t\",digest=%q,classes=\"%d\"} 1\n",
				mod.version, mod == def, mod.digest, len(mod.labels))
		}
	}
	help("tweetflow_models_loaded", "gauge", "Number of model versions being served.")
	n := 0
	if set != nil {
		n = len(set.order)
	}
	fmt.Fprintf(b, "tweetflow_models_loaded %d\n", n)
	help("tweetflow_model_reloads_total", "counter", "Model reloads by result.")
	fmt.Fprintf(b, "tweetflow_model_reloads_total{result=\"ok\"} %d\n", m.reloads.Load())
	fmt.Fprintf(b, "tweetflow_model_reloads_total{result=\"error\"} %d\n", m.reloadKO.Load())

	help("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.")
	fmt.Fprintf(b, "process_start_time_seconds %s\n", fmtFloat(float64(m.start.UnixNano())/1e9))
	help("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	fmt.Fprintf(b, "go_goroutines %d\n", goruntime.NumGoroutine())
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	help("go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.")
	fmt.Fprintf(b, "go_memstats_heap_alloc_bytes %d\n", ms.HeapAlloc)
	help("go_gc_cycles_total", "counter", "Completed GC cycles.")
	fmt.Fprintf(b, "go_gc_cycles_total %d\n", ms.NumGC)
	return b.Flush()
}

func fmtFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
