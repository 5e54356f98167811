package serving

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Defaults of the server limits.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxTextRunes = 2000
	DefaultMaxBatch     = 4096
	DefaultModelName    = "tweetflow"
)

type config struct {
	adminToken string
	adminOff   bool
	maxBody    int64
	maxRunes   int
	maxBatch   int
	modelName  string
	accessLog  *slog.Logger
	logEvery   uint64
	log        *slog.Logger
}

// Option configures a Server.
type Option func(*config)

// WithMaxBodyBytes limits request bodies (default 1 MiB); larger bodies get 413.
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithMaxTextRunes limits each text (default 2,000 characters).
func WithMaxTextRunes(n int) Option { return func(c *config) { c.maxRunes = n } }

// WithMaxBatch limits the texts of one request (default 4,096).
func WithMaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// WithModelName sets the model name of the KServe v2 endpoints (default "tweetflow").
func WithModelName(n string) Option { return func(c *config) { c.modelName = n } }

// WithAccessLog logs one structured line per request to l; with every > 1
// only every N-th request is logged (sampling for load tests). A nil l
// disables access logs (the default).
func WithAccessLog(l *slog.Logger, every int) Option {
	return func(c *config) {
		c.accessLog = l
		c.logEvery = uint64(max(every, 1))
	}
}

// WithAdminToken requires "Authorization: Bearer <token>" on the admin
// endpoints (POST /admin/reload); other callers get 401. Empty leaves them
// open: the serve component allows that only on a loopback address.
func WithAdminToken(token string) Option { return func(c *config) { c.adminToken = token } }

// WithAdminDisabled answers the admin endpoints with 403 (the serve
// component's choice without a token on a non-loopback address).
func WithAdminDisabled() Option { return func(c *config) { c.adminOff = true } }

// WithServerLogger sets the logger of server events (reloads, errors).
func WithServerLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// Server is the HTTP model server. It implements http.Handler.
type Server struct {
	reg      *Registry
	cfg      config
	metrics  *metrics
	reqs     atomic.Uint64
	bufs     sync.Pool // *reqBuf
	draining atomic.Bool
}

// Drain marks the server as shutting down: /readyz answers 503 so that load
// balancers stop sending traffic, while requests are still served.
func (s *Server) Drain() { s.draining.Store(true) }

// reqBuf is the pooled memory of one request.
type reqBuf struct {
	body   bytes.Buffer
	out    []byte
	probs  []float32
	texts  []string
	arena  []byte   // decoded strings of the request
	counts []uint64 // predictions per label
	lr     io.LimitedReader
}

// New returns a server over the models of reg.
func New(reg *Registry, opts ...Option) *Server {
	c := config{maxBody: DefaultMaxBodyBytes, maxRunes: DefaultMaxTextRunes, maxBatch: DefaultMaxBatch,
		modelName: DefaultModelName, logEvery: 1, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&c)
	}
	return &Server{reg: reg, cfg: c, metrics: newMetrics()}
}

// Registry returns the server's registry.
func (s *Server) Registry() *Registry { return s.reg }

// Reload reloads the registry and counts the outcome in the metrics.
func (s *Server) Reload(ctx context.Context) (bool, error) {
	changed, err := s.reg.Reload(ctx)
	if err != nil {
		s.metrics.reloadKO.Add(1)
	} else {
		s.metrics.reloads.Add(1)
	}
	return changed, err
}

// Watch reloads the models every interval (0: never) and each time
// trigger delivers a value (the serve component passes SIGHUP), until ctx
// is done. Each reload is counted in the metrics like POST /admin/reload;
// errors are logged. It is the one reload loop of the server.
func (s *Server) Watch(ctx context.Context, interval time.Duration, trigger <-chan os.Signal) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-tick:
			why = "interval"
		case sig := <-trigger:
			why = sig.String()
		}
		if _, err := s.Reload(ctx); err != nil && ctx.Err() == nil {
			s.cfg.log.Warn("reloading models", "trigger", why, "error", err)
		}
	}
}

var (
	jsonContentType = []string{"application/json"}
	textContentType = []string{"text/plain; version=0.0.4; charset=utf-8"}
	nosniff         = []string{"nosniff"}
)

// apiError is a 4xx/5xx answer: {"error": "...", "field": "..."}.
type apiError struct {
	code  int
	msg   string
	field string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(field, msg string) *apiError {
	return &apiError{code: http.StatusBadRequest, msg: msg, field: field}
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.metrics.inflight.Add(1)
	buf, _ := s.bufs.Get().(*reqBuf)
	if buf == nil {
		buf = &reqBuf{}
	}
	rt, code := s.route(w, r, buf)
	d := time.Since(start)
	s.metrics.observe(rt, code, d)
	s.metrics.inflight.Add(-1)
	if buf.body.Cap() <= 4<<20 {
		buf.body.Reset()
		clear(buf.texts)
		buf.texts = buf.texts[:0]
		s.bufs.Put(buf)
	}
	if s.cfg.accessLog != nil && s.reqs.Add(1)%s.cfg.logEvery == 0 {
		s.cfg.accessLog.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", code),
			slog.Int64("duration_us", d.Microseconds()), slog.Int64("request_bytes", r.ContentLength),
			slog.String("remote", r.RemoteAddr), slog.String("user_agent", r.UserAgent()))
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, buf *reqBuf) (route, int) {
	p := r.URL.Path
	switch p {
	case "/predict":
		if r.Method != http.MethodPost {
			return routePredict, methodNotAllowed(w, "POST")
		}
		return routePredict, s.predict(w, r, buf, "")
	case "/healthz", "/v2/health/live":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return routeLive, methodNotAllowed(w, "GET, HEAD")
		}
		return routeLive, writeRaw(w, http.StatusOK, []byte(`{"status":"live"}`))
	case "/readyz", "/v2/health/ready":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return routeReady, methodNotAllowed(w, "GET, HEAD")
		}
		return routeReady, s.ready(w)
	case "/metrics":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return routeMetricsEP, methodNotAllowed(w, "GET, HEAD")
		}
		w.Header()["Content-Type"] = textContentType
		var b bytes.Buffer
		if err := s.metrics.write(&b, s.reg.Current()); err != nil {
			return routeMetricsEP, writeError(w, &apiError{code: http.StatusInternalServerError, msg: err.Error()})
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b.Bytes())
		return routeMetricsEP, http.StatusOK
	case "/admin/reload":
		if r.Method != http.MethodPost {
			return routeReload, methodNotAllowed(w, "POST")
		}
		if s.cfg.adminOff {
			return routeReload, writeError(w, &apiError{code: http.StatusForbidden,
				msg: "admin endpoint disabled: the server listens beyond loopback without an admin token; start it with --admin-token (TWEETFLOW_ADMIN_TOKEN), or reload with SIGHUP"})
		}
		if !s.adminAllowed(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tweetflow admin"`)
			return routeReload, writeError(w, &apiError{code: http.StatusUnauthorized,
				msg: "admin endpoint: send the admin token (--admin-token) as 'Authorization: Bearer <token>'"})
		}
		return routeReload, s.reload(w, r)
	case "/models":
		if r.Method != http.MethodGet {
			return routeModels, methodNotAllowed(w, "GET")
		}
		return routeModels, s.listModels(w)
	case "/v2":
		if r.Method != http.MethodGet {
			return routeV2Server, methodNotAllowed(w, "GET")
		}
		return routeV2Server, s.v2Server(w)
	}
	if v, ok := strings.CutPrefix(p, "/predict/"); ok {
		if r.Method != http.MethodPost {
			return routePredict, methodNotAllowed(w, "POST")
		}
		if v == "" || strings.Contains(v, "/") {
			return routeNotFound, writeError(w, &apiError{code: http.StatusNotFound, msg: "no route " + strconv.Quote(p)})
		}
		return routePredict, s.predict(w, r, buf, v)
	}
	if rest, ok := strings.CutPrefix(p, "/v2/models/"); ok {
		return s.v2Models(w, r, buf, rest)
	}
	return routeNotFound, writeError(w, &apiError{code: http.StatusNotFound, msg: "no route " + strconv.Quote(p)})
}

func methodNotAllowed(w http.ResponseWriter, allow string) int {
	w.Header().Set("Allow", allow)
	return writeError(w, &apiError{code: http.StatusMethodNotAllowed, msg: "method not allowed; use " + allow})
}

func writeRaw(w http.ResponseWriter, code int, b []byte) int {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(code)
	_, _ = w.Write(b)
	return code
}

func writeError(w http.ResponseWriter, e *apiError) int {
	b := make([]byte, 0, 64+len(e.msg))
	b = append(b, `{"error":`...)
	b = appendString(b, e.msg)
	if e.field != "" {
		b = append(b, `,"field":`...)
		b = appendString(b, e.field)
	}
	b = append(b, "}\n"...)
	return writeRaw(w, e.code, b)
}

func (s *Server) ready(w http.ResponseWriter) int {
	if s.draining.Load() {
		return writeError(w, &apiError{code: http.StatusServiceUnavailable, msg: "shutting down"})
	}
	m := s.reg.Current().Default()
	if m == nil {
		return writeError(w, &apiError{code: http.StatusServiceUnavailable, msg: "no model loaded yet"})
	}
	b := append([]byte(`{"status":"ready","model_version":`), m.jsonVersion...)
	return writeRaw(w, http.StatusOK, append(b, "}\n"...))
}

// adminAllowed checks the bearer token of an admin request in constant time.
func (s *Server) adminAllowed(r *http.Request) bool {
	if s.cfg.adminToken == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.adminToken)) == 1
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) int {
	changed, err := s.Reload(r.Context())
	set := s.reg.Current()
	b := []byte(`{"changed":`)
	b = strconv.AppendBool(b, changed)
	b = appendVersions(b, set)
	if err != nil {
		b = append(b, `,"error":`...)
		b = appendString(b, err.Error())
		s.cfg.log.Warn("reloading models", "error", err)
		return writeRaw(w, http.StatusInternalServerError, append(b, "}\n"...))
	}
	return writeRaw(w, http.StatusOK, append(b, "}\n"...))
}

func appendVersions(b []byte, set *Set) []byte {
	b = append(b, `,"versions":[`...)
	for i, m := range set.Models() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m.jsonVersion...)
	}
	b = append(b, `],"default":`...)
	if d := set.Default(); d != nil {
		b = append(b, d.jsonVersion...)
	} else {
		b = append(b, "null"...)
	}
	return b
}

func (s *Server) listModels(w http.ResponseWriter) int {
	return s.writeModels(w, s.reg.Current())
}

func (s *Server) writeModels(w http.ResponseWriter, set *Set) int {
	b := []byte(`{"models":[`)
	def := set.Default()
	for i, m := range set.Models() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"version":`...)
		b = append(b, m.jsonVersion...)
		b = append(b, `,"labels":`...)
		b = appendLabels(b, m)
		if m.positive != "" {
			b = append(b, `,"positive_label":`...)
			b = appendString(b, m.positive)
		}
		b = append(b, `,"text_options":`...)
		b = append(b, m.jsonTextOpts...)
		b = append(b, `,"created_at":`...)
		if m.created.IsZero() {
			b = append(b, "null"...)
		} else {
			b = appendString(b, m.created.UTC().Format(time.RFC3339))
		}
		b = append(b, `,"digest":`...)
		b = appendString(b, m.digest)
		b = append(b, `,"default":`...)
		b = strconv.AppendBool(b, m == def)
		b = append(b, '}')
	}
	b = append(b, `],"default":`...)
	if def != nil {
		b = append(b, def.jsonVersion...)
	} else {
		b = append(b, "null"...)
	}
	return writeRaw(w, http.StatusOK, append(b, "}\n"...))
}

func appendLabels(b []byte, m *Model) []byte {
	b = append(b, '[')
	for i, l := range m.jsonLabels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l...)
	}
	return append(b, ']')
}

// drainLimit bounds how much of an over-large body is read and thrown
// away before answering 413: a client still sending when the server closes
// the connection gets a reset instead of the answer. Larger bodies are cut
// off (the read timeout bounds the time either way).
const drainLimit = 64 << 20

// tooLarge answers an over-large body: the rest of the body (up to
// drainLimit) is discarded so the client reads the 413, and the connection
// is closed after it.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) *apiError {
	_, _ = io.CopyN(io.Discard, r.Body, drainLimit)
	w.Header().Set("Connection", "close")
	return &apiError{code: http.StatusRequestEntityTooLarge, msg: "request body is larger than " + strconv.FormatInt(s.cfg.maxBody, 10) + " bytes"}
}

// readBody reads the request body into buf, enforcing the size limit. A
// body that does not arrive within the server's read timeout gets 408.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *reqBuf) *apiError {
	if r.ContentLength > s.cfg.maxBody {
		return s.tooLarge(w, r)
	}
	if r.ContentLength > 0 {
		buf.body.Grow(int(r.ContentLength) + 1)
	}
	buf.lr = io.LimitedReader{R: r.Body, N: s.cfg.maxBody + 1}
	n, err := buf.body.ReadFrom(&buf.lr)
	buf.lr.R = nil
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe):
			return s.tooLarge(w, r)
		case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			w.Header().Set("Connection", "close")
			return &apiError{code: http.StatusRequestTimeout, msg: "request body not received in time (the server's read timeout); send it faster or in smaller requests"}
		}
		return badRequest("", "reading request body: "+err.Error())
	}
	if n > s.cfg.maxBody {
		return s.tooLarge(w, r)
	}
	if n == 0 {
		return badRequest("", "empty request body; send JSON such as {\"text\": \"...\"}")
	}
	if !utf8.Valid(buf.body.Bytes()) {
		return badRequest("", "request body is not valid UTF-8")
	}
	return nil
}

// textOK reports whether a text passes checkText, without allocating.
func (s *Server) textOK(t string) bool {
	if len(t) > s.cfg.maxRunes && utf8.RuneCountInString(t) > s.cfg.maxRunes {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f' {
			if c < utf8.RuneSelf {
				return true
			}
			return strings.TrimSpace(t[i:]) != ""
		}
	}
	return false
}

// checkText validates one text; field names it in errors.
func (s *Server) checkText(field, t string) *apiError {
	if strings.TrimSpace(t) == "" {
		return badRequest(field, field+" is empty")
	}
	if len(t) > s.cfg.maxRunes && utf8.RuneCountInString(t) > s.cfg.maxRunes {
		return badRequest(field, field+" is longer than "+strconv.Itoa(s.cfg.maxRunes)+" characters")
	}
	return nil
}

// model picks the model of a version ("" is the default).
func (s *Server) model(version string) (*Model, *apiError) {
	set := s.reg.Current()
	if version == "" {
		if m := set.Default(); m != nil {
			return m, nil
		}
		return nil, &apiError{code: http.StatusServiceUnavailable, msg: "no model loaded yet"}
	}
	if m, ok := set.Get(version); ok {
		return m, nil
	}
	return nil, &apiError{code: http.StatusNotFound, msg: "unknown model version " + strconv.Quote(version), field: "model"}
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request, buf *reqBuf, pathVersion string) int {
	if e := s.readBody(w, r, buf); e != nil {
		return writeError(w, e)
	}
	req, e := decodePredict(buf.body.Bytes(), buf.texts[:0], &buf.arena)
	if e != nil {
		return writeError(w, e)
	}
	buf.texts = req.texts
	version := pathVersion
	if req.model != "" {
		if pathVersion != "" && req.model != pathVersion {
			return writeError(w, badRequest("model", "model "+strconv.Quote(req.model)+" differs from the version in the path "+strconv.Quote(pathVersion)))
		}
		version = req.model
	}
	if len(req.texts) > s.cfg.maxBatch {
		return writeError(w, badRequest(req.field, strconv.Itoa(len(req.texts))+" texts exceed the batch limit of "+strconv.Itoa(s.cfg.maxBatch)))
	}
	for i, t := range req.texts {
		if !s.textOK(t) {
			field := req.field
			if req.batch {
				field = req.field + "[" + strconv.Itoa(i) + "]"
			}
			if e := s.checkText(field, t); e != nil {
				return writeError(w, e)
			}
		}
	}
	m, e := s.model(version)
	if e != nil {
		return writeError(w, e)
	}
	probs, err := m.PredictInto(buf.probs[:0], req.texts)
	if err != nil {
		s.cfg.log.Error("predicting", "model_version", m.version, "error", err)
		return writeError(w, &apiError{code: http.StatusInternalServerError, msg: "prediction failed"})
	}
	buf.probs = probs
	c := len(m.labels)
	s.metrics.texts.Add(uint64(len(req.texts)))
	buf.counts = s.countPredictions(m, probs, len(req.texts), buf.counts)
	out := buf.out[:0]
	if !req.batch {
		best := argmax(probs)
		out = appendPrediction(out, m, probs, best)
		out = out[:len(out)-1] // reopen the object
		out = append(out, `,"model_version":`...)
		out = append(out, m.jsonVersion...)
		out = append(out, "}\n"...)
	} else {
		out = append(out, `{"predictions":[`...)
		for i := range req.texts {
			if i > 0 {
				out = append(out, ',')
			}
			row := probs[i*c : (i+1)*c]
			out = appendPrediction(out, m, row, argmax(row))
		}
		out = append(out, `],"model_version":`...)
		out = append(out, m.jsonVersion...)
		out = append(out, "}\n"...)
	}
	buf.out = out
	return writeRaw(w, http.StatusOK, out)
}

// argmax returns the best class of one probability row.
func argmax(row []float32) int {
	best := 0
	for j, p := range row {
		if p > row[best] {
			best = j
		}
	}
	return best
}

// countPredictions counts the best classes of the n probability rows in
// the metrics, with one metrics update per label (not per row). counts is
// scratch memory; the grown slice is returned.
func (s *Server) countPredictions(m *Model, probs []float32, n int, counts []uint64) []uint64 {
	c := len(m.labels)
	counts = append(counts[:0], make([]uint64, c)...)
	for i := range n {
		counts[argmax(probs[i*c:(i+1)*c])]++
	}
	for j, k := range counts {
		if k > 0 {
			s.metrics.predicted(m.version, m.labels[j], k)
		}
	}
	return counts
}

// appendPrediction appends {"label":..,"score":..,"probabilities":{..}}.
func appendPrediction(b []byte, m *Model, row []float32, best int) []byte {
	b = append(b, `{"label":`...)
	b = append(b, m.jsonLabels[best]...)
	b = append(b, `,"score":`...)
	b = appendFloat(b, row[best])
	b = append(b, `,"probabilities":{`...)
	for j, p := range row {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, m.jsonLabels[j]...)
		b = append(b, ':')
		b = appendFloat(b, p)
	}
	return append(b, "}}"...)
}

func appendFloat(b []byte, f float32) []byte {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return append(b, '0')
	}
	return strconv.AppendFloat(b, float64(f), 'g', -1, 32)
}

// ListenAndServe serves s on addr until ctx is done, then shuts down
// gracefully: it stops accepting, lets requests in flight finish (up to
// drain) and returns. ready, if not nil, receives the bound address.
func ListenAndServe(ctx context.Context, srv *http.Server, drain time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
