package component

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stepcache"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitRuntime = 1
	ExitUsage   = 2
	ExitGate    = 3 // a quality gate rejected the model
)

// RunFunc does the work of a component with values the harness resolved.
type RunFunc func(ctx context.Context, env *Env) error

// UsageError marks an error in how the component was called (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitError ends the component with a specific exit code. With KeepOutputs
// the outputs written so far are still committed (a failed gate keeps its
// metrics and report).
type ExitError struct {
	Code        int
	Err         error
	KeepOutputs bool
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// RunEnv is Run with the environment read through env (a map in tests)
// for the declared settings (package settings).
func RunEnv(ctx context.Context, c Contract, run RunFunc, args []string, env settings.Lookup, stdout, stderr io.Writer) int {
	h := &harness{c: c, run: run, stdout: stdout, stderr: stderr, lookup: env}
	app := h.app()
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	var ee *ExitError
	code := ExitRuntime
	switch {
	case errors.As(err, &ue):
		code = ExitUsage
	case errors.As(err, &ee):
		code = ee.Code
	case h.env == nil:
		code = ExitUsage // failed before the action ran: flag parsing
	}
	msg := fmt.Sprintf("%s: %v", c.Name, err)
	if code == ExitUsage {
		msg += fmt.Sprintf("\nRun '%s --help' for usage.", c.Name)
	}
	fmt.Fprintln(stderr, "error: "+msg)
	h.writeTermination(msg)
	return code
}

// App builds the urfave/cli application of a component (for its help and
// docs). Its Action runs run with no environment.
func App(c Contract, run RunFunc, stdout, stderr io.Writer) *cli.App {
	h := &harness{c: c, run: run, stdout: stdout, stderr: stderr}
	return h.app()
}

// settingFlags are the flags of the contract's own settings; an EnvOnly
// setting has none (see envOnlyHelp).
func settingFlags(xs []*settings.Setting) []cli.Flag {
	var fs []cli.Flag
	for _, x := range xs {
		if !x.EnvOnly {
			fs = append(fs, SettingFlag(x))
		}
	}
	return fs
}

// envOnlyHelp is the --help section of the contract's EnvOnly settings,
// which have no flag: each variable with its usage, secrets marked.
func envOnlyHelp(xs []*settings.Setting) string {
	var b strings.Builder
	for _, x := range xs {
		if !x.EnvOnly {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\n\nEnvironment-only settings (never flags: secrets stay out of command lines):")
		}
		usage := x.Usage
		if x.Secret {
			usage += " (secret)"
		}
		fmt.Fprintf(&b, "\n   $%s: %s", strings.Join(x.Env, ", $"), usage)
	}
	return b.String()
}

type harness struct {
	c              Contract
	run            RunFunc
	stdout, stderr io.Writer
	lookup         settings.Lookup // the environment
	env            *Env
	termLog        string
}

func (h *harness) app() *cli.App {
	c := h.c
	desc := c.Description
	if len(c.Results) > 0 {
		var b strings.Builder
		b.WriteString(desc)
		b.WriteString("\n\nResults (written to --results-dir and the summary):")
		for _, r := range c.Results {
			fmt.Fprintf(&b, "\n   %s: %s", r.Name, r.Description)
		}
		desc = b.String()
	}
	desc += envOnlyHelp(c.Settings)
	return &cli.App{
		Name:                 c.Name,
		Usage:                c.Summary,
		Description:          desc,
		Flags:                slices.Concat(c.Flags(), settingFlags(c.Settings), commonFlags()),
		Writer:               h.stdout,
		ErrWriter:            h.stderr,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		// List values are split by splitList, which keeps the commas of
		// a PostgreSQL source's query.
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		},
		Action: h.action,
	}
}

func (h *harness) action(cc *cli.Context) error {
	h.termLog = cc.String(FlagTerminationLog)
	if cc.Args().Len() > 0 {
		return Usagef("unexpected argument %q (all inputs are flags)", cc.Args().First())
	}
	env, err := h.newEnv(cc)
	if err != nil {
		return err
	}
	h.env = env
	return env.execute(cc.Context, h.run)
}

func (h *harness) writeTermination(msg string) {
	p := h.termLog
	if p == "" {
		return
	}
	// Never create the file: it exists only where Kubernetes mounts it.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	_, _ = io.WriteString(f, msg)
}

// Env is what a component's RunFunc gets: resolved parameters, artifact
// locations, a logger, progress and the summary.
type Env struct {
	Contract *Contract
	Log      *slog.Logger
	RunID    string
	Step     string
	Stdout   io.Writer // human-readable output (tables, paths)

	store    artifact.Location
	resolver *artifact.Resolver
	settings settings.Settings
	// settingText is the text of the contract's own Settings (cache key),
	// but for the EnvOnly ones.
	settingText map[string]string
	// settingEnv is the environment, read by SettingEnv.
	settingEnv settings.Lookup
	params     map[string]string
	lists      map[string][]string
	inputs     map[string][]artifact.Location
	outputs    map[string]*artifact.Output
	outOrder   []string
	progress   string
	stderr     io.Writer

	summaryFile string
	resultsDir  string
	cache       bool
	// reused are outputs a cache hit found already in place: not recommitted.
	reused map[string]*artifact.Manifest
	// owner is the token of the step's lease, carried by staging areas.
	owner string

	mu      sync.Mutex
	summary Summary
	stopped bool // Stopped was called: a cancelled context is the normal end
}

// Summary is the machine-readable record of one component run.
type Summary struct {
	Component string                   `json:"component"`
	Step      string                   `json:"step"`
	RunID     string                   `json:"run_id"`
	Status    string                   `json:"status"` // succeeded, failed, gate-failed
	Error     string                   `json:"error,omitempty"`
	StartedAt time.Time                `json:"started_at"`
	Seconds   float64                  `json:"seconds"`
	RowsIn    int64                    `json:"rows_in"`
	RowsOut   int64                    `json:"rows_out"`
	BytesIn   int64                    `json:"bytes_in"`
	BytesOut  int64                    `json:"bytes_out"`
	Params    map[string]string        `json:"params"`
	Inputs    map[string][]string      `json:"inputs,omitempty"`
	Outputs   map[string]OutputSummary `json:"outputs,omitempty"`
	Results   map[string]string        `json:"results,omitempty"`
	Extra     map[string]any           `json:"extra,omitempty"`
	// Cache is CacheHit or CacheMiss with --step-cache, empty without.
	Cache    string `json:"cache,omitempty"`
	CacheKey string `json:"cache_key,omitempty"`
}

// OutputSummary describes one committed output.
type OutputSummary struct {
	URI    string `json:"uri"`
	Files  int    `json:"files"`
	Bytes  int64  `json:"bytes"`
	Digest string `json:"digest"`
}

func (h *harness) newEnv(cc *cli.Context) (*Env, error) {
	c := h.c
	flags := FlagLookup(cc)
	st, err := settings.Resolve(flags, h.lookup, slices.Concat(settings.Common, c.Settings))
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	log, err := newLogger(h.stderr, st.LogFormat, st.LogLevel)
	if err != nil {
		return nil, err
	}
	if limit, from, err := setMemoryLimit(st.MemoryLimit, cgroupRoot); err != nil {
		log.Warn("no soft memory limit", "error", err)
	} else if limit > 0 {
		log.Debug("soft memory limit", "bytes", limit, "from", from)
	}
	e := &Env{
		Contract: &h.c, Log: log, Stdout: h.stdout, stderr: h.stderr,
		params: map[string]string{}, lists: map[string][]string{},
		inputs: map[string][]artifact.Location{}, outputs: map[string]*artifact.Output{},
		settings:    st,
		settingText: map[string]string{},
		settingEnv:  h.lookup,
		resolver:    artifact.NewResolver(st.S3),
		progress:    st.Progress,
		summaryFile: cc.String(FlagSummaryFile),
		resultsDir:  cc.String(FlagResultsDir),
		cache:       cc.Bool(FlagStepCache),
		reused:      map[string]*artifact.Manifest{},
	}
	switch e.progress {
	case "auto", "bar", "log", "none":
	default:
		return nil, Usagef("--%s: %q is not one of auto, bar, log, none", FlagProgress, e.progress)
	}
	for _, p := range c.Params {
		switch p.Type {
		case Bool:
			e.params[p.Name] = strconv.FormatBool(cc.Bool(p.Name))
		case Strings:
			var vals []string
			for _, v := range cc.StringSlice(p.Name) {
				vals = append(vals, splitList(v)...)
			}
			e.lists[p.Name] = vals
			e.params[p.Name] = strings.Join(vals, ",")
		default:
			v := cc.String(p.Name)
			if p.Setting != nil {
				v = settings.Value(p.Setting, flags, h.lookup)
			}
			if v == "" && p.Required {
				return nil, Usagef("missing required parameter --%s (%s; env %s)", p.Name, p.Description, EnvName(p.Name))
			}
			if v != "" || p.Type != String {
				if err := p.Check(v); err != nil {
					return nil, &UsageError{Err: fmt.Errorf("--%w", err)}
				}
			}
			e.params[p.Name] = v
		}
	}
	for _, x := range c.Settings {
		if !x.EnvOnly { // a connection's credentials do not change outputs
			e.settingText[x.Name] = settings.Value(x, flags, h.lookup)
		}
	}
	e.RunID = cc.String(FlagRunID)
	explicitRun := e.RunID != ""
	if !explicitRun {
		e.RunID = NewRunID(time.Now())
	}
	if err := artifact.ValidateName("run ID", e.RunID); err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--%s: %w", FlagRunID, err)}
	}
	e.Step = cc.String(FlagStep)
	if e.Step == "" {
		e.Step = c.Name
	}
	if err := artifact.ValidateName("step", e.Step); err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--%s: %w", FlagStep, err)}
	}
	ctx := cc.Context
	e.store, err = e.resolver.Resolve(ctx, st.Store)
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("--%s: %w", FlagStore, err)}
	}
	for _, a := range c.Inputs {
		var uris []string
		if a.List {
			for _, v := range cc.StringSlice(a.Name) {
				uris = append(uris, splitList(v)...)
			}
		} else if v := cc.String(a.Name); v != "" {
			uris = []string{v}
		}
		if len(uris) == 0 && a.From != "" && explicitRun {
			loc := artifact.Location{Store: e.store.Store, Key: path.Join(e.store.Key, artifact.RunPrefix(e.RunID), a.From)}
			if a.Optional {
				// An optional input whose producer did not run in this run is unset.
				if _, err := artifact.ReadManifest(ctx, loc.Store, loc.Key); errors.Is(err, artifact.ErrNotCommitted) {
					continue
				}
			}
			e.inputs[a.Name] = []artifact.Location{loc}
			continue
		}
		if len(uris) == 0 {
			if a.Optional {
				continue
			}
			hint := ""
			if a.From != "" {
				hint = fmt.Sprintf(", or --%s of a run whose %s exists", FlagRunID, a.From)
			}
			return nil, Usagef("missing input --%s (%s): give a path or s3:// URI%s", a.Name, a.Description, hint)
		}
		for _, u := range uris {
			if a.Kind == Sources && !strings.HasPrefix(u, "s3://") {
				// Local sources keep their glob patterns: the component expands them.
				e.inputs[a.Name] = append(e.inputs[a.Name], artifact.Location{Key: u})
				continue
			}
			loc, err := e.resolver.Resolve(ctx, u)
			if err != nil {
				return nil, &UsageError{Err: fmt.Errorf("--%s: %w", a.Name, err)}
			}
			e.inputs[a.Name] = append(e.inputs[a.Name], loc)
		}
	}
	for _, a := range c.Outputs {
		var loc artifact.Location
		if v := cc.String(OutputFlag(a.Name)); v != "" {
			loc, err = e.resolver.Resolve(ctx, v)
			if err != nil {
				return nil, &UsageError{Err: fmt.Errorf("--%s: %w", OutputFlag(a.Name), err)}
			}
		} else {
			loc = e.stepLocation(a.Name)
		}
		e.outputs[a.Name] = artifact.NewOutput(loc.Store, loc.Key)
		e.outOrder = append(e.outOrder, a.Name)
	}
	recorded := make(map[string]string, len(e.params))
	for k, v := range e.params {
		if p, _ := c.Param(k); p.Secret && v != "" {
			v = "<redacted>"
		}
		recorded[k] = v
	}
	e.summary = Summary{Component: c.Name, Step: e.Step, RunID: e.RunID, Params: recorded,
		Inputs: map[string][]string{}, Outputs: map[string]OutputSummary{}, Results: map[string]string{}, Extra: map[string]any{}}
	for n, locs := range e.inputs {
		for _, l := range locs {
			if l.Store == nil {
				e.summary.Inputs[n] = append(e.summary.Inputs[n], redactURI(l.Key))
			} else {
				e.summary.Inputs[n] = append(e.summary.Inputs[n], l.URI())
			}
		}
	}
	return e, nil
}

func (e *Env) stepLocation(name string) artifact.Location {
	return artifact.Location{Store: e.store.Store, Key: path.Join(e.store.Key, artifact.OutputKey(e.RunID, e.Step, name))}
}

// NewRunID makes a fresh, sortable run ID: local-20260102-150405-abcd.
func NewRunID(now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return "local-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func (e *Env) execute(ctx context.Context, run RunFunc) error {
	start := time.Now()
	e.summary.StartedAt = start.UTC().Truncate(time.Millisecond)
	e.Log.Info("starting", "component", e.Contract.Name, "run_id", e.RunID, "step", e.Step)
	// One writer per step: the loser of a race fails here, before it stages
	// or publishes anything (see takeLease).
	lease, ctx, err := e.takeLease(ctx)
	if err != nil {
		return err
	}
	if lease != nil {
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := lease.Release(rctx); err != nil {
				e.Log.Warn("releasing the step's lease", "error", err)
			}
		}()
	}
	var cacheKey string
	var cacheSpec *stepcache.Spec
	hit := false
	if e.cache {
		var restore RunFunc
		cacheKey, cacheSpec, restore = e.cacheLookup(ctx)
		if restore != nil {
			if rerr := restore(ctx, e); rerr != nil {
				e.Log.Warn("step cache: restoring failed, running", "error", rerr)
				e.resetOutputs(ctx)
			} else {
				hit = true
				run = func(context.Context, *Env) error { return nil }
			}
		}
	}
	err = run(ctx, e)
	// stopped: the run ended on the signal as it should (a server's
	// graceful stop): it succeeded, but like an interrupted run it commits
	// no output.
	stopped := false
	if err == nil && ctx.Err() != nil {
		if stopped = e.isStopped(); !stopped {
			err = fmt.Errorf("interrupted: %w", context.Cause(ctx))
		}
	}
	var ee *ExitError
	keep := (err == nil && !stopped) || (errors.As(err, &ee) && ee.KeepOutputs)
	// Commit outputs (or discard them) with a context that survives the signal,
	// so a cancelled run still cleans its staging area.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	if lease != nil && keep {
		// Publish only while still the step's writer.
		if lerr := lease.Check(cctx); lerr != nil {
			err = errors.Join(err, fmt.Errorf("not publishing the outputs of step %q: %w", e.Step, lerr))
			keep = false
		}
	}
	for _, name := range e.outOrder {
		o := e.outputs[name]
		if m := e.reused[name]; m != nil && keep {
			e.summary.Outputs[name] = OutputSummary{URI: o.URI(), Files: len(m.Files), Bytes: m.TotalBytes(), Digest: m.Digest()}
			e.summary.BytesOut += m.TotalBytes()
			continue
		}
		if !keep {
			if aerr := o.Abort(cctx); aerr != nil {
				e.Log.Warn("discarding staged output", "output", name, "error", aerr)
			}
			continue
		}
		m, cerr := o.Commit(cctx)
		if cerr != nil {
			err = errors.Join(err, fmt.Errorf("committing output %q: %w", name, cerr))
			keep = false
			continue
		}
		e.summary.Outputs[name] = OutputSummary{URI: o.URI(), Files: len(m.Files), Bytes: m.TotalBytes(), Digest: m.Digest()}
		e.summary.BytesOut += m.TotalBytes()
	}
	if err == nil && !stopped && cacheKey != "" && !hit {
		e.cacheRecord(cctx, cacheKey, cacheSpec)
	}
	e.summary.Seconds = time.Since(start).Seconds()
	switch {
	case err == nil:
		e.summary.Status = "succeeded"
	case ee != nil && ee.Code == ExitGate:
		e.summary.Status = "gate-failed"
	default:
		e.summary.Status = "failed"
	}
	if err != nil {
		e.summary.Error = err.Error()
	}
	if lease != nil && lease.Check(cctx) != nil {
		// Lost the step to another writer: its summary is not ours to replace.
	} else if werr := e.writeSummary(cctx); werr != nil {
		e.Log.Warn("writing summary", "error", werr)
	}
	if werr := e.writeResults(); werr != nil {
		err = errors.Join(err, werr)
	}
	if err == nil {
		attrs := []any{"seconds", round(e.summary.Seconds), "rows_in", e.summary.RowsIn, "rows_out", e.summary.RowsOut}
		for _, name := range e.outOrder {
			if o, ok := e.summary.Outputs[name]; ok {
				attrs = append(attrs, "out_"+name, o.URI)
			}
		}
		e.Log.Info("done", attrs...)
	}
	return err
}

func round(f float64) float64 { return float64(int64(f*1000)) / 1000 }

func (e *Env) writeSummary(ctx context.Context) error {
	e.mu.Lock()
	b, err := json.MarshalIndent(e.summary, "", "  ")
	e.mu.Unlock()
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if e.summaryFile != "" {
		if err := writeFileAtomic(e.summaryFile, b); err != nil {
			return fmt.Errorf("writing summary file %q: %w", e.summaryFile, err)
		}
	}
	if e.store.Store != nil {
		key := path.Join(e.store.Key, artifact.SummaryKey(e.RunID, e.Step))
		w, err := e.store.Store.Create(ctx, key)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			w.Abort()
			return err
		}
		return w.Close()
	}
	return nil
}

func (e *Env) writeResults() error {
	if e.resultsDir == "" {
		return nil
	}
	if err := os.MkdirAll(e.resultsDir, 0o755); err != nil {
		return fmt.Errorf("creating results folder %q: %w", e.resultsDir, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.Contract.Results {
		v := e.summary.Results[r.Name]
		if err := writeFileAtomic(filepath.Join(e.resultsDir, r.Name), []byte(v)); err != nil {
			return fmt.Errorf("writing result %q: %w", r.Name, err)
		}
	}
	return nil
}

func writeFileAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// String returns a parameter's value as text. Components take their
// parameters decoded into a struct instead (Typed); String and the typed
// accessors below serve those not converted yet and shared helpers.
func (e *Env) String(name string) string {
	v, ok := e.params[name]
	if !ok {
		panic(fmt.Sprintf("component %s: no parameter %q in contract", e.Contract.Name, name))
	}
	return v
}

// Int returns an int parameter (validated by the harness).
func (e *Env) Int(name string) int {
	n, _ := strconv.Atoi(e.String(name))
	return n
}

// Float returns a float parameter.
func (e *Env) Float(name string) float64 {
	f, _ := strconv.ParseFloat(e.String(name), 64)
	return f
}

// Bool returns a bool parameter.
func (e *Env) Bool(name string) bool { return e.String(name) == "true" }

// Duration returns a duration parameter.
func (e *Env) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(e.String(name))
	return d
}

// Strings returns a list parameter.
func (e *Env) Strings(name string) []string {
	_ = e.String(name)
	return e.lists[name]
}

// Params returns all parameter values as text (for model metadata).
func (e *Env) Params() map[string]string {
	out := make(map[string]string, len(e.params))
	for k, v := range e.params {
		out[k] = v
	}
	return out
}

// Input returns the single location of an input; ok is false for an unset optional input.
func (e *Env) Input(name string) (artifact.Location, bool) {
	l := e.inputs[name]
	if len(l) == 0 {
		return artifact.Location{}, false
	}
	return l[0], true
}

// InputList returns every location of a list input. For Sources inputs, local
// entries have a nil Store and the raw path or glob in Key.
func (e *Env) InputList(name string) []artifact.Location { return e.inputs[name] }

// Output returns the staging output of a declared output artifact.
func (e *Env) Output(name string) *artifact.Output {
	o, ok := e.outputs[name]
	if !ok {
		panic(fmt.Sprintf("component %s: no output %q in contract", e.Contract.Name, name))
	}
	return o
}

// Resolver is the one artifact resolver of the process, built from the
// S3 settings of the flags and environment: a stage that must resolve a
// URI it was not given as an input (a model named in a rules file, a
// dashboard's table of run outputs) resolves it here.
func (e *Env) Resolver() *artifact.Resolver { return e.resolver }

// Settings are the shared settings the component takes (settings.Common
// and the contract's Settings), resolved from flags and env.
func (e *Env) Settings() settings.Settings { return e.settings }

// SettingEnv looks up, as given, the environment variables of the
// contract's EnvOnly settings (e.g. Kafka's SASL password, parsed by
// kafka.Security); any other name reads as unset, so a stage sees only
// what its contract declares.
func (e *Env) SettingEnv() settings.Lookup {
	return func(name string) (string, bool) {
		if e.settingEnv == nil {
			return "", false
		}
		for _, x := range e.Contract.Settings {
			if x.EnvOnly && slices.Contains(x.Env, name) {
				return e.settingEnv(name)
			}
		}
		return "", false
	}
}

// AddRows adds to the summary's row counters.
func (e *Env) AddRows(in, out int64) {
	e.mu.Lock()
	e.summary.RowsIn += in
	e.summary.RowsOut += out
	e.mu.Unlock()
}

// AddBytesIn adds to the bytes-read counter.
func (e *Env) AddBytesIn(n int64) {
	e.mu.Lock()
	e.summary.BytesIn += n
	e.mu.Unlock()
}

// Stopped records that the run ended because its context was cancelled
// (SIGTERM or SIGINT) and it then shut down gracefully: the normal end of a
// long-running server. The component exits 0 (status succeeded) instead of
// failing as "interrupted"; like an interrupted run it commits no output
// (a server writes none; an empty commit would unpublish an earlier one).
// Call it only after the shutdown finished without error.
func (e *Env) Stopped() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
}

func (e *Env) isStopped() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopped
}

// SetExtra records a stage-specific value in the summary.
func (e *Env) SetExtra(key string, v any) {
	e.mu.Lock()
	e.summary.Extra[key] = v
	e.mu.Unlock()
}

// SetResult records a result parameter (declared in the contract).
func (e *Env) SetResult(name, value string) {
	found := false
	for _, r := range e.Contract.Results {
		found = found || r.Name == name
	}
	if !found {
		panic(fmt.Sprintf("component %s: no result %q in contract", e.Contract.Name, name))
	}
	e.mu.Lock()
	e.summary.Results[name] = value
	e.mu.Unlock()
}

// SummarySnapshot returns a copy of the summary so far.
func (e *Env) SummarySnapshot() Summary {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.summary
	return s
}

// ResultNames lists the contract's results, sorted.
func (c *Contract) ResultNames() []string {
	var out []string
	for _, r := range c.Results {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}

// redactURI hides the password of a URI source (a postgres:// DSN) in
// the summary; other keys are returned as they are.
func redactURI(key string) string {
	if !strings.Contains(key, "://") {
		return key
	}
	u, err := url.Parse(key)
	if err != nil || u.User == nil {
		return key
	}
	return u.Redacted()
}
