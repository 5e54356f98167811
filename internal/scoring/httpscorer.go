package scoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

// HTTPScorer defaults.
const (
	// DefaultPredictConcurrency is the most prediction requests in flight.
	DefaultPredictConcurrency = 4
	// DefaultRequestTexts is the most texts per prediction request.
	DefaultRequestTexts = 256
	// DefaultRetryBudget bounds the time one request is retried for.
	DefaultRetryBudget = time.Minute
	// DefaultRetryBase is the first backoff; it doubles up to DefaultRetryMax.
	DefaultRetryBase = 100 * time.Millisecond
	DefaultRetryMax  = 5 * time.Second
	// DefaultPredictTimeout bounds one HTTP request (default client).
	DefaultPredictTimeout = 30 * time.Second
)

// requestTextBytes bounds the raw text bytes of one request, so that the
// JSON body (up to 6 bytes per byte when escaped) stays under the model
// server's default body limit of 1 MiB.
const requestTextBytes = 128 << 10

// HTTPOptions configures an HTTPScorer.
type HTTPOptions struct {
	// URL is the model server's base URL (http://host:port); the scorer
	// calls GET <URL>/models and POST <URL>/predict.
	URL string
	// Client sends the requests; nil: a client with DefaultPredictTimeout
	// keeping Concurrency connections alive.
	Client *http.Client
	// Concurrency bounds the requests in flight, over all calls of
	// ScoreInto (default DefaultPredictConcurrency). A batch is split in
	// requests of at most RequestTexts texts (default DefaultRequestTexts)
	// that are sent concurrently up to that bound; ScoreInto blocks until
	// its batch is scored, which holds back the source (backpressure).
	Concurrency  int
	RequestTexts int
	// RetryBudget bounds the time a request is retried for when the
	// server cannot be reached, or answers 5xx, 429 or 408 (default
	// DefaultRetryBudget; negative: no retries); waits grow exponentially from RetryBase to
	// RetryMax, with jitter. Past the budget the request fails with an
	// error naming the server, the attempts and the last failure.
	RetryBudget         time.Duration
	RetryBase, RetryMax time.Duration
	// Labels, when not nil, are the labels the scores already stored hold
	// (any order; LabelsFrom names where, e.g. `table "tweet_scores"`).
	// The server's model must have the same label set, checked at start
	// and whenever an answer comes from another model version; else the
	// labels of the version the scorer started with must be kept.
	Labels     []string
	LabelsFrom string
	// OnRetry, when set, is called before each wait between attempts.
	OnRetry func(RetryInfo)
	// OnRefused, when set, makes the texts the server refuses skipped
	// instead of failing the batch: a 4xx naming one text (e.g. longer
	// than the server's limit) drops that text and resends the rest; a
	// 413 (body too large) or a batch over the server's limit splits the
	// request in halves, down to one text, which is then refused. Each
	// refused tweet is reported once its batch is scored (not for a batch
	// that fails), from the goroutine calling ScoreInto, in batch order.
	// Without it a refused text fails the batch, naming the tweet.
	OnRefused func(RefusedText)
	// Clock stamps ScoredAt (default time.Now).
	Clock func() time.Time
}

// RetryInfo describes a failed attempt that is going to be retried.
type RetryInfo struct {
	What    string        // the request: "GET /models", "POST /predict"
	Attempt int           // 1 for the first failure
	Wait    time.Duration // before the next attempt
	Err     error
}

// HTTPScorer scores through a tweetflow model server (the serve
// component): it sends raw texts to the batch endpoint POST /predict
// ({"texts": [...]}), which cleans them with the model's text options, and
// cleans them itself with the same options (from GET /models) for
// clean_text. Rows carry the model version of the answer; Labels stays the
// labels (and order) of the version it started with: a later version with
// the same label set in another order is reordered, one with another label
// set is an error. It is safe for concurrent use.
type HTTPScorer struct {
	o        HTTPOptions
	base     string
	client   *http.Client
	sem      chan struct{}
	labels   []string // output order of every row
	from     string   // what holds labels, for errors
	startVer string

	mu     sync.Mutex
	models map[string]*remoteModel // by version

	latest atomic.Pointer[remoteModel]
}

var _ Scorer = (*HTTPScorer)(nil)

// remoteModel is one model version of the server.
type remoteModel struct {
	version string
	labels  []string // the server's order
	perm    []int    // perm[i]: index in labels of the scorer's label i
	cleaner *text.Cleaner
}

// NewHTTPScorer checks the model server at o.URL (GET /models, retried
// within the budget while it is down) and returns a scorer for its default
// model. It fails when that model's labels differ from o.Labels.
func NewHTTPScorer(ctx context.Context, o HTTPOptions) (*HTTPScorer, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parsing the model server URL %q: want http(s)://host:port", o.URL)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultPredictConcurrency
	}
	if o.RequestTexts <= 0 {
		o.RequestTexts = DefaultRequestTexts
	}
	if o.RetryBudget == 0 {
		o.RetryBudget = DefaultRetryBudget
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = max(DefaultRetryMax, o.RetryBase)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	s := &HTTPScorer{o: o, base: strings.TrimSuffix(u.String(), "/"), client: o.Client,
		sem: make(chan struct{}, o.Concurrency), models: map[string]*remoteModel{}}
	if s.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = o.Concurrency
		s.client = &http.Client{Timeout: DefaultPredictTimeout, Transport: tr}
	}
	list, def, err := s.fetchModels(ctx)
	if err != nil {
		return nil, err
	}
	m, ok := list[def]
	if !ok {
		return nil, fmt.Errorf("model server %s: no default model (GET /models)", s.base)
	}
	s.labels, s.startVer = m.Labels, def
	s.from = fmt.Sprintf("model version %q, which this run started with,", def)
	if o.Labels != nil {
		s.from = o.LabelsFrom
		if s.from == "" {
			s.from = "the stored scores"
		}
		if !sameSet(o.Labels, m.Labels) {
			return nil, s.labelError(def, m.Labels, o.Labels)
		}
	}
	rm, err := s.remote(def, m)
	if err != nil {
		return nil, err
	}
	s.models[def] = rm
	s.latest.Store(rm)
	return s, nil
}

// Labels names the classes of every row's probabilities, in order: the
// labels of the model version the scorer started with.
func (s *HTTPScorer) Labels() []string { return s.labels }

// Version is the model version of the latest answer.
func (s *HTTPScorer) Version() string { return s.latest.Load().version }

// URL is the model server's base URL.
func (s *HTTPScorer) URL() string { return s.base }

func (s *HTTPScorer) labelError(version string, got, want []string) error {
	return fmt.Errorf("model server %s: model version %q has labels %q, but %s holds labels %q: "+
		"serve a model with the same labels, or score into another table", s.base, version, got, s.from, want)
}

// sameSet reports whether a and b hold the same labels, in any order.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// modelInfo is one entry of GET /models.
type modelInfo struct {
	Version     string        `json:"version"`
	Labels      []string      `json:"labels"`
	TextOptions *text.Options `json:"text_options"`
}

// remote makes the remoteModel of m, mapped to the scorer's labels.
func (s *HTTPScorer) remote(version string, m modelInfo) (*remoteModel, error) {
	if m.TextOptions == nil {
		return nil, fmt.Errorf("model server %s: GET /models lists no text_options for model version %q (a model server older than this scorer?)", s.base, version)
	}
	c, err := text.NewCleaner(text.WithOptions(*m.TextOptions))
	if err != nil {
		return nil, fmt.Errorf("model server %s: model version %q: %w", s.base, version, err)
	}
	rm := &remoteModel{version: version, labels: m.Labels, cleaner: c}
	for _, l := range s.labels {
		rm.perm = append(rm.perm, slices.Index(m.Labels, l))
	}
	return rm, nil
}

// model returns the model of version, asking GET /models for a version
// not seen yet and checking its labels.
func (s *HTTPScorer) model(ctx context.Context, version string) (*remoteModel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rm, ok := s.models[version]; ok {
		return rm, nil
	}
	list, _, err := s.fetchModels(ctx)
	if err != nil {
		return nil, err
	}
	m, ok := list[version]
	if !ok {
		return nil, fmt.Errorf("model server %s: it answered with model version %q, which GET /models does not list", s.base, version)
	}
	if !sameSet(m.Labels, s.labels) {
		want := s.labels
		if s.o.Labels != nil {
			want = s.o.Labels
		}
		return nil, s.labelError(version, m.Labels, want)
	}
	rm, err := s.remote(version, m)
	if err != nil {
		return nil, err
	}
	s.models[version] = rm
	return rm, nil
}

// fetchModels reads GET /models: the models by version and the default.
func (s *HTTPScorer) fetchModels(ctx context.Context) (map[string]modelInfo, string, error) {
	var body []byte
	err := s.retry(ctx, "GET /models", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/models", nil)
		if err != nil {
			return permanent(err)
		}
		body, err = s.do(req)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	var r struct {
		Models  []modelInfo `json:"models"`
		Default *string     `json:"default"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, "", fmt.Errorf("model server %s: decoding GET /models: %w", s.base, err)
	}
	out := map[string]modelInfo{}
	for _, m := range r.Models {
		out[m.Version] = m
	}
	if r.Default == nil {
		return out, "", nil
	}
	return out, *r.Default, nil
}

// permanentError is a failure that retrying does not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// do sends req and returns the body of a 200 answer. Unreachable servers,
// broken answers and 5xx, 429 and 408 answers are retryable errors; other
// statuses are permanent, carrying the server's {"error", "field"}.
func (s *HTTPScorer) do(req *http.Request) ([]byte, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	var e struct {
		Error string `json:"error"`
		Field string `json:"field"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	err = &StatusError{Code: resp.StatusCode, Msg: msg, Field: e.Field}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		return nil, err
	}
	return nil, permanent(err)
}

// RefusedText is a tweet the model server refused to score.
type RefusedText struct {
	Tweet dataset.Tweet
	Err   *StatusError // the server's answer, naming the text
}

// Reason says why the text was refused, for a dead letter.
func (r RefusedText) Reason() string {
	return fmt.Sprintf("refused by the model server (tweet %s): %v", r.Tweet.ID, r.Err)
}

// StatusError is a model server's answer other than 200.
type StatusError struct {
	Code  int
	Msg   string
	Field string // the request field at fault ("texts[3]"), when named
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Code, http.StatusText(e.Code), e.Msg)
}

// retry runs fn until it succeeds, fails permanently, ctx is done or the
// retry budget is spent, waiting with exponential backoff and jitter.
func (s *HTTPScorer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if pe, ok := errors.AsType[*permanentError](err); ok {
			return fmt.Errorf("model server %s: %s: %w", s.base, what, pe.err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("model server %s: %s: %w", s.base, what, errors.Join(context.Cause(ctx), err))
		}
		wait := s.backoff(attempt)
		if elapsed := time.Since(start); elapsed+wait > s.o.RetryBudget {
			return fmt.Errorf("model server %s: %s still failing after %d attempts over %s (retry budget %s): %w",
				s.base, what, attempt, elapsed.Round(time.Millisecond), s.o.RetryBudget, err)
		}
		if s.o.OnRetry != nil {
			s.o.OnRetry(RetryInfo{What: what, Attempt: attempt, Wait: wait, Err: err})
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("model server %s: %s: %w", s.base, what, errors.Join(context.Cause(ctx), err))
		}
	}
}

// backoff is the wait after the attempt-th failure: RetryBase doubled per
// attempt up to RetryMax, of which a random half is taken off (jitter, so
// that scorers that failed together do not retry together).
func (s *HTTPScorer) backoff(attempt int) time.Duration {
	d := s.o.RetryMax
	if attempt < 32 {
		d = min(s.o.RetryBase<<(attempt-1), s.o.RetryMax)
	}
	return d/2 + rand.N(d/2+1)
}

// ScoreInto scores tweets through the server: the batch is split in
// requests sent concurrently (at most Concurrency in flight), each
// retried within the budget. When any request fails, ScoreInto returns
// the error and no row of the batch. A text the server refuses (a 4xx
// naming it) is skipped and reported through OnRefused when that is set
// (there is no row for it); otherwise it fails the batch, naming the
// tweet.
func (s *HTTPScorer) ScoreInto(ctx context.Context, dst []Row, tweets []dataset.Tweet) ([]Row, error) {
	if len(tweets) == 0 {
		return dst, nil
	}
	type chunk struct {
		lo, hi  int
		done    bool
		parts   []answered
		refused []RefusedText
	}
	var chunks []*chunk
	for lo := 0; lo < len(tweets); {
		hi, size := lo, 0
		for hi < len(tweets) && hi-lo < s.o.RequestTexts && (hi == lo || size+len(tweets[hi].Text) <= requestTextBytes) {
			size += len(tweets[hi].Text)
			hi++
		}
		chunks = append(chunks, &chunk{lo: lo, hi: hi})
		lo = hi
	}
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
send:
	for _, c := range chunks {
		select {
		case <-cctx.Done(): // a request failed: send no more
			break send
		default:
		}
		select {
		case s.sem <- struct{}{}:
		case <-cctx.Done():
			break send
		}
		wg.Go(func() {
			defer func() { <-s.sem }()
			sub := tweets[c.lo:c.hi]
			idx := make([]int, len(sub))
			for i := range idx {
				idx[i] = i
			}
			var err error
			if c.parts, err = s.predictAll(cctx, sub, idx, &c.refused); err != nil {
				cancel(err)
				return
			}
			for k := range c.parts {
				p := &c.parts[k]
				p.clean = make([]string, len(p.tweets))
				for i := range p.tweets {
					p.clean[i] = p.model.cleaner.Clean(p.tweets[i].Text)
				}
			}
			c.done = true
		})
	}
	wg.Wait()
	for _, c := range chunks {
		if !c.done { // not sent, or failed: cctx holds why
			return dst, fmt.Errorf("scoring %d tweets: %w", len(tweets), context.Cause(cctx))
		}
	}
	at := s.o.Clock().UTC().Truncate(time.Millisecond)
	var last *remoteModel
	for _, c := range chunks {
		for _, p := range c.parts {
			dst = appendRows(dst, p.tweets, p.clean, p.probs, s.labels, p.model.version, at)
			last = p.model
		}
	}
	if last != nil {
		s.latest.Store(last)
	}
	if s.o.OnRefused != nil {
		for _, c := range chunks {
			for _, r := range c.refused {
				s.o.OnRefused(r)
			}
		}
	}
	return dst, nil
}

// answered is the answer to one request: the tweets it scored (in
// order), the model that answered and the probabilities in the scorer's
// label order.
type answered struct {
	tweets []dataset.Tweet
	model  *remoteModel
	probs  []float32
	clean  []string
}

// predictAll scores tweets[idx...] in as few requests as the server
// takes: without OnRefused one request, whose failure is returned. With
// it, a text the server names as refused is dropped (appended to
// refused) and the rest sent again, and a request too large for the
// server is split in halves (a single text too large is refused).
func (s *HTTPScorer) predictAll(ctx context.Context, tweets []dataset.Tweet, idx []int, refused *[]RefusedText) ([]answered, error) {
	var out []answered
	for len(idx) > 0 {
		sub := tweets
		if len(idx) != len(tweets) {
			sub = make([]dataset.Tweet, len(idx))
			for j, i := range idx {
				sub[j] = tweets[i]
			}
		}
		rm, probs, err := s.predict(ctx, sub)
		if err == nil {
			return append(out, answered{tweets: sub, model: rm, probs: probs}), nil
		}
		se, ok := errors.AsType[*StatusError](err)
		if !ok || s.o.OnRefused == nil {
			return nil, err
		}
		tooLarge := se.Code == http.StatusRequestEntityTooLarge ||
			(se.Code == http.StatusBadRequest && se.Field == "texts") // more texts than the server's batch limit
		i, named := fieldIndex(se.Field)
		switch {
		case tooLarge && len(idx) > 1:
			mid := len(idx) / 2
			a, err := s.predictAll(ctx, tweets, idx[:mid:mid], refused)
			if err != nil {
				return nil, err
			}
			b, err := s.predictAll(ctx, tweets, idx[mid:], refused)
			if err != nil {
				return nil, err
			}
			return append(append(out, a...), b...), nil
		case se.Code == http.StatusRequestEntityTooLarge:
			*refused = append(*refused, RefusedText{Tweet: tweets[idx[0]], Err: se})
			return out, nil
		case named && i < len(idx) && (se.Code == http.StatusBadRequest || se.Code == http.StatusUnprocessableEntity):
			*refused = append(*refused, RefusedText{Tweet: tweets[idx[i]], Err: se})
			idx = append(idx[:i:i], idx[i+1:]...)
		default:
			return nil, err
		}
	}
	return out, nil
}

// predict sends one request and returns the model that answered and the
// probabilities in the scorer's label order.
func (s *HTTPScorer) predict(ctx context.Context, tweets []dataset.Tweet) (*remoteModel, []float32, error) {
	texts := make([]string, len(tweets))
	for i := range tweets {
		texts[i] = tweets[i].Text
	}
	payload, err := json.Marshal(struct {
		Texts []string `json:"texts"`
	}{texts})
	if err != nil {
		return nil, nil, err
	}
	var reply predictReply
	err = s.retry(ctx, "POST /predict", func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/predict", bytes.NewReader(payload))
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		body, err := s.do(req)
		if err != nil {
			return err
		}
		reply = predictReply{}
		if err := json.Unmarshal(body, &reply); err != nil {
			return permanent(fmt.Errorf("decoding the answer: %w", err))
		}
		return nil
	})
	if err != nil {
		if se, ok := errors.AsType[*StatusError](err); ok && s.o.OnRefused == nil {
			if i, ok := fieldIndex(se.Field); ok && i < len(tweets) {
				t := &tweets[i]
				return nil, nil, fmt.Errorf("tweet %q (%s): %w", t.ID, t.Source, err)
			}
		}
		return nil, nil, err
	}
	if len(reply.Predictions) != len(tweets) {
		return nil, nil, fmt.Errorf("model server %s: %d predictions for %d texts", s.base, len(reply.Predictions), len(tweets))
	}
	rm, err := s.model(ctx, reply.ModelVersion)
	if err != nil {
		return nil, nil, err
	}
	c := len(s.labels)
	probs := make([]float32, 0, len(tweets)*c)
	for i, p := range reply.Predictions {
		if !slices.Equal(p.Probabilities.keys, rm.labels) {
			return nil, nil, fmt.Errorf("model server %s: prediction %d of model version %q has classes %q, but GET /models lists %q",
				s.base, i, rm.version, p.Probabilities.keys, rm.labels)
		}
		for _, j := range rm.perm {
			probs = append(probs, p.Probabilities.vals[j])
		}
	}
	return rm, probs, nil
}

// fieldIndex parses "texts[3]".
func fieldIndex(field string) (int, bool) {
	rest, ok := strings.CutPrefix(field, "texts[")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	return n, err == nil && strings.HasSuffix(rest, "]")
}

// predictReply is the answer of POST /predict to a batch.
type predictReply struct {
	Predictions []struct {
		Probabilities orderedProbs `json:"probabilities"`
	} `json:"predictions"`
	ModelVersion string `json:"model_version"`
}

// orderedProbs is a JSON object of label -> probability, keeping the
// order of its keys (the model's label order).
type orderedProbs struct {
	keys []string
	vals []float32
}

// UnmarshalJSON reads {"label": number, ...}; b is valid JSON (checked
// by encoding/json before the call).
func (o *orderedProbs) UnmarshalJSON(b []byte) error {
	o.keys, o.vals = o.keys[:0], o.vals[:0]
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fmt.Errorf("probabilities: want an object, got %.20s", b)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		// key
		if b[i] != '"' {
			return fmt.Errorf("probabilities: bad key at %d", i)
		}
		j, esc := i+1, false
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				esc = true
				j++
			}
			j++
		}
		var key string
		if esc {
			if err := json.Unmarshal(b[i:j+1], &key); err != nil {
				return err
			}
		} else {
			key = string(b[i+1 : j])
		}
		i = skipSpace(b, j+1)
		if i >= len(b) || b[i] != ':' {
			return fmt.Errorf("probabilities: missing ':' after %q", key)
		}
		i = skipSpace(b, i+1)
		j = i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		v, err := strconv.ParseFloat(string(b[i:j]), 32)
		if err != nil {
			return fmt.Errorf("probabilities: value of %q: %w", key, err)
		}
		o.keys = append(o.keys, key)
		o.vals = append(o.vals, float32(v))
		i = skipSpace(b, j)
		if i < len(b) && b[i] == '}' {
			return nil
		}
		if i >= len(b) || b[i] != ',' {
			return fmt.Errorf("probabilities: want ',' or '}' at %d", i)
		}
		i = skipSpace(b, i+1)
	}
	return errors.New("probabilities: unterminated object")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
