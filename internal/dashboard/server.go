package dashboard

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/annotate"
	"github.com/tweetflow/tweetflow/internal/pgident"
)

//go:embed templates/*.html
var templateFS embed.FS

// DB is the database the server reads: a *pgxpool.Pool.
type DB interface {
	Querier
	Ping(ctx context.Context) error
}

// Config configures the web server.
type Config struct {
	// Query are the options of every page's Query; Focus is the default
	// label (empty: the model's positive label, else its first label,
	// else the first label of the table).
	Query Options
	// Model is the reference model (may be nil: no reference, no gate).
	Model *Model
	// Bins is the number of histogram bins over [0, 1].
	Bins int
	// PSIThreshold and KSThreshold flag drift when exceeded.
	PSIThreshold, KSThreshold float64
	// Refresh is the live-refresh period of the page (0: off).
	Refresh time.Duration
	// QueryTimeout bounds the queries of one page.
	QueryTimeout time.Duration
	Log          *slog.Logger
}

// Server serves the dashboard.
type Server struct {
	db   DB
	cfg  Config
	tmpl *template.Template
	mux  *http.ServeMux
}

// NewServer returns the dashboard over db.
func NewServer(db DB, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Bins < 1 {
		cfg.Bins = 10
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 30 * time.Second
	}
	if cfg.Query.Focus == "" && cfg.Model != nil {
		cfg.Query.Focus = cfg.Model.Positive
		if cfg.Query.Focus == "" && len(cfg.Model.Labels) > 0 {
			cfg.Query.Focus = cfg.Model.Labels[0]
		}
	}
	if len(cfg.Query.Labels) == 0 && cfg.Model != nil {
		cfg.Query.Labels = cfg.Model.Labels
	}
	for _, t := range cfg.Query.Tables {
		if _, err := pgident.ParseTable(t); err != nil {
			return nil, err
		}
	}
	t, err := template.New("").Funcs(template.FuncMap{
		"linkify": annotate.Linkify,
		"f3":      func(f float64) string { return fmtF(f, 3) },
		"f4":      func(f float64) string { return fmtF(f, 4) },
		"pct":     func(f float64) string { return fmtPct(f) },
		"color":   LabelColor,
		"time":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
		"ptime": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05")
		},
		"width": WidthLabel,
		"deref": func(b *bool) bool { return b != nil && *b },
		"web":   func(u string) bool { return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the page templates: %w", err)
	}
	s := &Server{db: db, cfg: cfg, tmpl: t}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.handlePage)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	m.HandleFunc("GET /readyz", s.handleReady)
	s.mux = m
	return s, nil
}

// ServeHTTP implements http.Handler. The page loads nothing from outside
// (the CSP allows only inline styles and the inline refresh script, and
// fetches of this server).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// View is what the page template renders.
type View struct {
	Snap    *Snapshot
	Model   *Model
	Focus   string
	Labels  []string // choosable focus labels
	Refresh int      // seconds; 0 off
	Tables  string
	TimeCol string
	Err     string
	Notices []string
	Counts  template.HTML
	Hist    template.HTML
	Bins    []HistBin
	HasRef  bool
	Ref     Reference
	PSI, KS float64
	PSIMax  float64
	KSMax   float64
	Drift   bool
	// FocusRate is the share of the focus label over the window's rows.
	FocusRate  float64
	WindowRows int64
	Version    string // the reference model's version
	Mismatch   bool   // the reference model is not the active version
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	o := s.cfg.Query
	if l := r.URL.Query().Get("label"); l != "" {
		if len(l) > 200 {
			http.Error(w, "label: too long", http.StatusBadRequest)
			return
		}
		o.Focus = l
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.QueryTimeout)
	defer cancel()
	v := &View{Model: s.cfg.Model, Refresh: int(s.cfg.Refresh / time.Second), Tables: strings.Join(o.Tables, ", "),
		TimeCol: o.TimeColumn, FocusRate: math.NaN(), PSIMax: s.cfg.PSIThreshold, KSMax: s.cfg.KSThreshold, PSI: math.NaN(), KS: math.NaN()}
	if v.TimeCol == "" {
		v.TimeCol = ScoredAt
	}
	snap, err := Query(ctx, s.db, o)
	status := http.StatusOK
	if err != nil {
		s.cfg.Log.Error("reading the dashboard data", "error", err)
		v.Err = err.Error()
		status = http.StatusServiceUnavailable
	} else {
		s.build(v, snap)
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "page.html", v); err != nil {
		s.cfg.Log.Error("rendering the dashboard", "error", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// build fills the view from a snapshot: labels, charts, drift.
func (s *Server) build(v *View, snap *Snapshot) {
	v.Snap = snap
	v.Focus = snap.Focus
	v.Labels = slices.Clone(snap.Labels)
	if v.Focus != "" && !slices.Contains(v.Labels, v.Focus) {
		v.Notices = append(v.Notices, fmt.Sprintf("Label %q is neither a label of the model nor found in the table.", v.Focus))
	}
	for _, t := range snap.Tables {
		if !t.Exists {
			v.Notices = append(v.Notices, fmt.Sprintf("Table %s does not exist yet: the scorer creates it with its first batch.", t.Name))
		}
	}
	m := s.cfg.Model
	if m != nil {
		v.Version = m.Version
		if v.Version == "" {
			v.Version = m.RunID
		}
		v.Mismatch = snap.Active != "" && v.Version != "" && v.Version != snap.Active
		if v.Mismatch {
			v.Notices = append(v.Notices, fmt.Sprintf("The reference metrics are of model %s; the active model is %s.", v.Version, snap.Active))
		}
	}
	v.FocusRate = math.NaN()
	if fi := slices.Index(snap.Labels, v.Focus); fi >= 0 {
		var n int64
		for _, b := range snap.Counts {
			n += b.Counts[fi]
			v.WindowRows += b.Total
		}
		if v.WindowRows > 0 {
			v.FocusRate = float64(n) / float64(v.WindowRows)
		}
	}
	v.Counts = CountsChart(snap.Counts, snap.Labels, v.Focus)
	edges := Edges(s.cfg.Bins)
	live := Histogram(snap.Scores, nil, edges)
	liveShare := Fractions(live)
	ref, hasRef := m.Reference(v.Focus)
	v.HasRef, v.Ref = hasRef, ref
	var refShare []float64
	if hasRef {
		refShare = Fractions(Histogram(ref.Values, ref.Weights, edges))
	} else {
		refShare = make([]float64, len(liveShare))
	}
	for i := range liveShare {
		v.Bins = append(v.Bins, HistBin{Lo: edges[i], Hi: edges[i+1], Live: liveShare[i], Ref: refShare[i], LiveN: int64(live[i])})
	}
	v.Hist = HistogramChart(v.Bins, hasRef, v.Focus)
	if hasRef && len(snap.Scores) > 0 {
		v.PSI, _ = PSI(refShare, liveShare)
		v.KS = KS(snap.Scores, nil, ref.Values, ref.Weights)
		v.Drift = v.PSI > s.cfg.PSIThreshold || v.KS > s.cfg.KSThreshold
	}
}

func fmtF(f float64, prec int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

func fmtPct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return strconv.FormatFloat(100*f, 'f', 1, 64) + "%"
}
