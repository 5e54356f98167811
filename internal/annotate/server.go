package annotate

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

//go:embed templates/*.html
var templateFS embed.FS

// CookieName is the cookie holding the annotator name.
const CookieName = "annotator"

// RecentLimit is the number of decisions the recent page lists.
const RecentLimit = 50

// Server serves the annotator's web pages.
type Server struct {
	store  *Store
	labels []string
	log    *slog.Logger
	now    func() time.Time
	tmpl   *template.Template
	mux    *http.ServeMux
}

// NewServer returns the web annotator over store for the given label set
// (the number key of a label is its position, from 1).
func NewServer(store *Store, labels []string, log *slog.Logger) (*Server, error) {
	if err := CheckLabels(labels); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, labels: labels, log: log, now: time.Now}
	t, err := template.New("").Funcs(template.FuncMap{
		"linkify": Linkify,
		"pct":     func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
		"f2":      func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
		"f3":      func(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) },
		"add":     func(a, b int) int { return a + b },
		"mul":     func(a, b int) int { return a * b },
		"frac": func(a, b int) float64 {
			if b == 0 {
				return 0
			}
			return math.Min(1, float64(a)/float64(b))
		},
		"width": func(f float64, w int) string { return strconv.FormatFloat(f*float64(w), 'f', 1, 64) },
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parsing the page templates: %w", err)
	}
	s.tmpl = t
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.handleTask)
	m.HandleFunc("POST /answer", s.handleAnswer)
	m.HandleFunc("POST /undo", s.handleUndo)
	m.HandleFunc("GET /recent", s.handleRecent)
	m.HandleFunc("GET /stats", s.handleStats)
	m.HandleFunc("GET /login", s.handleLoginForm)
	m.HandleFunc("POST /login", s.handleLogin)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux = m
	return s, nil
}

// CheckLabels validates a label set: 2 to 9 distinct, non-empty labels
// (the number keys 1..9 pick them).
func CheckLabels(labels []string) error {
	if len(labels) < 2 || len(labels) > 9 {
		return fmt.Errorf("labels %q: want 2 to 9 labels (number keys 1-9 pick them)", strings.Join(labels, ","))
	}
	for i, l := range labels {
		if strings.TrimSpace(l) == "" {
			return fmt.Errorf("labels %q: label %d is empty", strings.Join(labels, ","), i+1)
		}
		if slices.Index(labels, l) != i {
			return fmt.Errorf("labels %q: %q given twice", strings.Join(labels, ","), l)
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

// ValidAnnotator checks an annotator name: 1 to 64 characters, letters,
// digits, spaces and . _ - @.
func ValidAnnotator(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return errors.New("annotator name: want 1 to 64 characters")
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" ._-@", r) {
			return fmt.Errorf("annotator name %q: character %q not allowed (letters, digits, space, . _ - @)", name, r)
		}
	}
	return nil
}

// annotator returns the annotator of the request, from the cookie.
func annotator(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil || ValidAnnotator(name) != nil {
		return ""
	}
	return name
}

func setAnnotator(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: url.QueryEscape(name), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

type page struct {
	Title     string
	Annotator string
	Labels    []string
	Error     string
	Task      *Task
	ShownAt   int64
	Progress  Progress
	Mine      AnnotatorProgress
	Recent    []Decided
	Agreement Agreement
	Undone    bool
	Bars      []bar
}

type bar struct {
	Label string
	N     int
	Frac  float64
}

func (s *Server) render(w http.ResponseWriter, name string, status int, p page) {
	p.Labels = s.labels
	var b strings.Builder
	if err := s.tmpl.ExecuteTemplate(&b, name, p); err != nil {
		s.log.Error("rendering page", "page", name, "error", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func (s *Server) fail(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "error", err)
	http.Error(w, what+" failed; the error is in the server log", http.StatusInternalServerError)
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, "login.html", http.StatusOK, page{Title: "Sign in", Annotator: annotator(r)})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("annotator"))
	if err := ValidAnnotator(name); err != nil {
		s.render(w, "login.html", http.StatusBadRequest, page{Title: "Sign in", Error: err.Error()})
		return
	}
	setAnnotator(w, name)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// who returns the annotator or redirects to the login form.
func (s *Server) who(w http.ResponseWriter, r *http.Request) (string, bool) {
	if q := r.URL.Query().Get("annotator"); q != "" {
		q = strings.TrimSpace(q)
		if err := ValidAnnotator(q); err != nil {
			s.render(w, "login.html", http.StatusBadRequest, page{Title: "Sign in", Error: err.Error()})
			return "", false
		}
		setAnnotator(w, q)
		http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
		return "", false
	}
	name := annotator(r)
	if name == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return "", false
	}
	return name, true
}

func (s *Server) progress(ctx context.Context, name string) (Progress, AnnotatorProgress, error) {
	p, err := s.store.Progress(ctx)
	if err != nil {
		return p, AnnotatorProgress{}, err
	}
	mine := AnnotatorProgress{Annotator: name}
	for _, a := range p.Annotators {
		if a.Annotator == name {
			mine = a
		}
	}
	return p, mine, nil
}

func (s *Server) handleTask(w http.ResponseWriter, r *http.Request) {
	name, ok := s.who(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	t, ok, err := s.store.Next(ctx, name)
	if err != nil {
		s.fail(w, "finding the next task", err)
		return
	}
	p, mine, err := s.progress(ctx, name)
	if err != nil {
		s.fail(w, "counting progress", err)
		return
	}
	pg := page{Title: "Annotate", Annotator: name, Progress: p, Mine: mine, ShownAt: s.now().UnixMilli(), Undone: r.URL.Query().Has("undone")}
	if ok {
		pg.Task = &t
	}
	s.render(w, "task.html", http.StatusOK, pg)
}

func (s *Server) handleAnswer(w http.ResponseWriter, r *http.Request) {
	name := annotator(r)
	if name == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	taskID, err := strconv.ParseInt(r.PostFormValue("task"), 10, 64)
	if err != nil {
		http.Error(w, fmt.Sprintf("form field task: %q is not a task id", r.PostFormValue("task")), http.StatusBadRequest)
		return
	}
	label := r.PostFormValue("label")
	if r.PostFormValue("skip") != "" {
		label = ""
	} else if !slices.Contains(s.labels, label) {
		http.Error(w, fmt.Sprintf("form field label: %q is not one of %s", label, strings.Join(s.labels, ", ")), http.StatusBadRequest)
		return
	}
	var spent time.Duration
	if ms, err := strconv.ParseInt(r.PostFormValue("shown_at"), 10, 64); err == nil {
		spent = s.now().Sub(time.UnixMilli(ms))
	}
	id, err := s.store.Answer(r.Context(), taskID, name, label, spent)
	if errors.Is(err, ErrNotAssigned) {
		http.Error(w, fmt.Sprintf("task %d was not shown to %s", taskID, name), http.StatusConflict)
		return
	}
	if err != nil {
		s.fail(w, "storing the answer", err)
		return
	}
	s.log.Info("answer", "annotator", name, "task", taskID, "label", label, "skipped", label == "", "answer", id, "ms", spent.Milliseconds())
	to := "/"
	if r.PostFormValue("return") == "recent" {
		to = "/recent"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) handleUndo(w http.ResponseWriter, r *http.Request) {
	name := annotator(r)
	if name == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	task, ok, err := s.store.Undo(r.Context(), name)
	if err != nil {
		s.fail(w, "undoing", err)
		return
	}
	if ok {
		s.log.Info("undo", "annotator", name, "task", task)
		http.Redirect(w, r, "/?undone", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) handleRecent(w http.ResponseWriter, r *http.Request) {
	name, ok := s.who(w, r)
	if !ok {
		return
	}
	d, err := s.store.Recent(r.Context(), name, RecentLimit)
	if err != nil {
		s.fail(w, "listing recent decisions", err)
		return
	}
	s.render(w, "recent.html", http.StatusOK, page{Title: "Recent decisions", Annotator: name, Recent: d})
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := annotator(r)
	p, mine, err := s.progress(ctx, name)
	if err != nil {
		s.fail(w, "counting progress", err)
		return
	}
	votes, err := s.store.Votes(ctx)
	if err != nil {
		s.fail(w, "reading answers", err)
		return
	}
	maxN := 1
	for _, n := range p.Labels {
		maxN = max(maxN, n)
	}
	var bars []bar
	for _, l := range s.labels {
		bars = append(bars, bar{Label: l, N: p.Labels[l], Frac: float64(p.Labels[l]) / float64(maxN)})
	}
	s.render(w, "stats.html", http.StatusOK, page{Title: "Statistics", Annotator: name, Progress: p, Mine: mine,
		Agreement: ComputeAgreement(votes), Bars: bars})
}
