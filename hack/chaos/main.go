//go:build linux

// Command chaos kills parts of a local pipeline run at random and checks
// that a rerun recovers without loss or leftovers (`make chaos`).
//
// It first runs the pipeline once uninterrupted (the baseline), then N
// trials, each in a store of its own: `tweetflow run` starts, and at a
// random time in the baseline's duration either a random running component
// (a child of `tweetflow run`) or `tweetflow run` itself is killed with
// SIGKILL. A killed component is retried by the executor (the template's
// retryStrategy, backoff capped by --max-retry-wait); a killed executor
// leaves its run unfinished. Then the same run ID is run again, and the
// trial checks:
//
//   - the rerun succeeds;
//   - no process of the trial is left (a component orphaned by the kill
//     would be);
//   - every committed output matches its manifest (each listed file
//     exists with its size and SHA-256);
//   - no staging file (<output>/_staging/) is left;
//   - every step's lease is released;
//   - no work folder (tweetflow-run-*) is left in the trial's TMPDIR;
//   - every step reports the same rows in and out as in the baseline.
//
// It prints one line per trial and a summary (trials, failures, leaks) and
// exits 1 if a trial failed. Linux only (it reads /proc).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

type config struct {
	bin, template, work string
	trials              int
	seed                uint64
	keep                bool
	timeout             time.Duration
	params              []string
}

func main() {
	var c config
	var params string
	flag.StringVar(&c.bin, "bin", "bin", "folder of the built components and tweetflow (make build)")
	flag.StringVar(&c.template, "template", "pipelines/training/generated/workflowtemplate.yaml", "workflow template to run")
	flag.IntVar(&c.trials, "trials", 50, "number of trials")
	flag.Uint64Var(&c.seed, "seed", 0, "random seed (0: from the clock; printed)")
	flag.StringVar(&c.work, "work", "", "folder for the trials' stores (default: a temporary folder, removed unless a trial fails)")
	flag.BoolVar(&c.keep, "keep", false, "keep every trial's store")
	flag.DurationVar(&c.timeout, "timeout", 20*time.Minute, "limit for one pipeline run")
	flag.StringVar(&params, "params", "", "extra -p k=v parameters of the runs, comma separated")
	flag.Parse()
	if params != "" {
		c.params = strings.Split(params, ",")
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signalContext()
	defer stop()
	if err := chaos(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signalNotify(ch)
	go func() {
		<-ch
		cancel()
	}()
	return ctx, cancel
}

type stepRows struct{ in, out int64 }

type result struct {
	trial    int
	mode     string
	target   string
	at       time.Duration
	problems []string
	orphans  int
	staging  int
	workDirs int
	seconds  float64
}

func chaos(ctx context.Context, c config) error {
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	c.bin = bin
	if _, err := os.Stat(filepath.Join(c.bin, "tweetflow")); err != nil {
		return fmt.Errorf("no tweetflow in %s: run make build first: %w", c.bin, err)
	}
	if c.work == "" {
		dir, err := os.MkdirTemp("", "tweetflow-chaos-")
		if err != nil {
			return err
		}
		c.work = dir
	}
	rng := rand.New(rand.NewPCG(c.seed, c.seed>>1|1))
	fmt.Printf("chaos: %d trials, seed %d, work folder %s\n", c.trials, c.seed, c.work)

	start := time.Now()
	if _, err := c.runOnce(ctx, "baseline", nil); err != nil {
		return fmt.Errorf("baseline run: %w", err)
	}
	baseDur := time.Since(start)
	baseRows, err := rows(ctx, c.store("baseline"), "baseline")
	if err != nil {
		return err
	}
	fmt.Printf("baseline: %d steps in %.1fs\n", len(baseRows), baseDur.Seconds())

	var results []result
	failed := 0
	for i := 1; i <= c.trials && ctx.Err() == nil; i++ {
		mode := "component"
		if i%2 == 0 {
			mode = "parent"
		}
		at := time.Duration((0.05 + 0.9*rng.Float64()) * float64(baseDur))
		r := c.trial(ctx, i, mode, at, rng, baseRows)
		results = append(results, r)
		status := "ok"
		if len(r.problems) > 0 {
			status = "FAILED: " + strings.Join(r.problems, "; ")
			failed++
		}
		fmt.Printf("trial %d/%d: killed %s %s at %.1fs; rerun %.1fs; %s\n", i, c.trials, mode, r.target, r.at.Seconds(), r.seconds, status)
		if len(r.problems) == 0 && !c.keep {
			os.RemoveAll(filepath.Join(c.work, fmt.Sprintf("trial-%d", i)))
		}
	}
	var orphans, staging, workDirs, components, parents int
	for _, r := range results {
		orphans += r.orphans
		staging += r.staging
		workDirs += r.workDirs
		if r.mode == "parent" {
			parents++
		} else {
			components++
		}
	}
	fmt.Printf("chaos: %d trials (%d component kills, %d executor kills), %d failed; leaks: %d orphan processes, %d staging files, %d work folders; seed %d; %.0fs\n",
		len(results), components, parents, failed, orphans, staging, workDirs, c.seed, time.Since(start).Seconds())
	if failed > 0 || len(results) < c.trials {
		return fmt.Errorf("%d of %d trials failed (stores kept in %s)", failed, c.trials, c.work)
	}
	if !c.keep {
		os.RemoveAll(c.work)
	}
	return nil
}

func (c config) store(name string) string { return filepath.Join(c.work, name, "store") }

// command is `tweetflow run` of one trial, in a process group of its own.
func (c config) command(ctx context.Context, name string) *exec.Cmd {
	dir := filepath.Join(c.work, name)
	args := []string{"run", "--template", c.template, "--bin", c.bin, "--store", c.store(name),
		"--run-id", "chaos-" + name, "--quiet", "--max-retry-wait", "1s"}
	for _, p := range c.params {
		args = append(args, "-p", p)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "tweetflow"), args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(dir, "tmp"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

func (c config) prepare(name string) (io.WriteCloser, error) {
	dir := filepath.Join(c.work, name)
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, "log.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
}

// runOnce runs the pipeline to the end; kill, when set, is called with the
// started command.
func (c config) runOnce(ctx context.Context, name string, kill func(*exec.Cmd)) (*exec.Cmd, error) {
	log, err := c.prepare(name)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := c.command(ctx, name)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if kill != nil {
		go kill(cmd)
	}
	err = cmd.Wait()
	if err != nil {
		return cmd, fmt.Errorf("%s: %w (log: %s)", strings.Join(cmd.Args, " "), err, filepath.Join(c.work, name, "log.txt"))
	}
	return cmd, nil
}

func (c config) trial(ctx context.Context, i int, mode string, at time.Duration, rng *rand.Rand, baseRows map[string]stepRows) result {
	name := fmt.Sprintf("trial-%d", i)
	r := result{trial: i, mode: mode, at: at}
	store := c.store(name)
	killed := make(chan string, 1)
	_, err := c.runOnce(ctx, name, func(cmd *exec.Cmd) {
		select {
		case <-time.After(at):
		case <-ctx.Done():
			killed <- "nothing"
			return
		}
		if mode == "parent" {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed <- "tweetflow run"
			return
		}
		// A component running now; between steps, wait for the next one.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			kids := children(cmd.Process.Pid)
			if len(kids) == 0 {
				continue
			}
			k := kids[rng.IntN(len(kids))]
			if syscall.Kill(k.pid, syscall.SIGKILL) == nil {
				killed <- k.name
				return
			}
		}
		killed <- "nothing (no component was running)"
	})
	select {
	case r.target = <-killed:
	default:
		r.target = "nothing (the run ended first)"
	}
	if err != nil && mode == "component" {
		// The executor retries a killed component; if it still failed, the rerun must fix it.
		r.target += " (run failed: " + firstLine(err.Error()) + ")"
	}
	// Orphans of the interrupted run: processes still working on the trial's store.
	time.Sleep(time.Second)
	if ps := processesWith(store); len(ps) > 0 {
		r.orphans += len(ps)
		r.problems = append(r.problems, fmt.Sprintf("%d processes left running after the kill: %s", len(ps), strings.Join(ps, ", ")))
		for _, p := range ps {
			pid, _ := strconv.Atoi(strings.Fields(p)[0])
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	start := time.Now()
	if _, err := c.runOnce(ctx, name, nil); err != nil {
		r.problems = append(r.problems, "rerun failed: "+firstLine(err.Error()))
	}
	r.seconds = time.Since(start).Seconds()
	if ps := processesWith(store); len(ps) > 0 {
		r.orphans += len(ps)
		r.problems = append(r.problems, fmt.Sprintf("%d processes left after the rerun", len(ps)))
	}
	left, _ := filepath.Glob(filepath.Join(c.work, name, "tmp", "tweetflow-run-*"))
	if r.workDirs = len(left); r.workDirs > 0 {
		r.problems = append(r.problems, fmt.Sprintf("work folders left: %s", strings.Join(left, ", ")))
	}
	problems, staging := checkStore(ctx, store)
	r.staging = staging
	r.problems = append(r.problems, problems...)
	got, err := rows(ctx, store, "chaos-"+name)
	if err != nil {
		r.problems = append(r.problems, err.Error())
	} else {
		for step, want := range baseRows {
			if g, ok := got[step]; !ok {
				r.problems = append(r.problems, fmt.Sprintf("step %s: no summary", step))
			} else if g != want {
				r.problems = append(r.problems, fmt.Sprintf("step %s: rows in/out %d/%d, baseline %d/%d", step, g.in, g.out, want.in, want.out))
			}
		}
	}
	return r
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// rows reads each step's rows in and out from the run's summaries.
func rows(ctx context.Context, store, id string) (map[string]stepRows, error) {
	if id == "baseline" {
		id = "chaos-baseline"
	}
	loc, err := artifact.ResolvePath(store)
	if err != nil {
		return nil, err
	}
	info, err := runs.ReadRun(ctx, loc, id)
	if err != nil {
		return nil, err
	}
	out := map[string]stepRows{}
	for _, s := range info.Steps {
		if s.Status != "succeeded" {
			return nil, fmt.Errorf("step %s: status %s", s.Step, s.Status)
		}
		out[s.Step] = stepRows{s.RowsIn, s.RowsOut}
	}
	return out, nil
}

// checkStore checks every manifest against its files, staging leftovers
// and leases; it returns the problems and the number of staging files.
func checkStore(ctx context.Context, store string) ([]string, int) {
	var problems []string
	st, err := artifact.NewFS(store)
	if err != nil {
		return []string{err.Error()}, 0
	}
	objs, err := st.List(ctx, "")
	if err != nil {
		return []string{err.Error()}, 0
	}
	staging := 0
	manifests := 0
	for _, o := range objs {
		switch {
		case strings.Contains(o.Key, "/_staging/"):
			staging++
		case path.Base(o.Key) == artifact.ManifestName:
			manifests++
			problems = append(problems, checkManifest(ctx, st, path.Dir(o.Key))...)
		case path.Base(o.Key) == artifact.LeaseName:
			info, _, err := artifact.ReadLease(ctx, st, o.Key)
			if err != nil || !info.Released {
				problems = append(problems, fmt.Sprintf("lease %s not released (%+v, %v)", o.Key, info, err))
			}
		}
	}
	if staging > 0 {
		problems = append(problems, fmt.Sprintf("%d staging files left", staging))
	}
	if manifests == 0 {
		problems = append(problems, "no committed output")
	}
	return problems, staging
}

func checkManifest(ctx context.Context, st artifact.Store, prefix string) []string {
	m, err := artifact.ReadManifest(ctx, st, prefix)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, f := range m.Files {
		key := prefix + "/" + f.Name
		r, err := st.Open(ctx, key)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", key, err))
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		r.Close()
		if err != nil || n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
			problems = append(problems, fmt.Sprintf("%s: %d bytes (manifest %d), sha256 mismatch or read error %v", key, n, f.Size, err))
		}
	}
	return problems
}

type proc struct {
	pid  int
	name string
}

// children lists the live child processes of pid.
func children(pid int) []proc {
	var out []proc
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			name := s[strings.IndexByte(s, '(')+1 : i]
			out = append(out, proc{p, name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// processesWith lists the live processes whose command line mentions s
// ("<pid> <command line>").
func processesWith(s string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(b), s) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil {
			f := strings.Fields(string(st)[strings.LastIndexByte(string(st), ')')+1:])
			if len(f) > 0 && f[0] == "Z" {
				continue
			}
		}
		out = append(out, e.Name()+" "+strings.Join(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), " "))
	}
	return out
}
