package fake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
)

// EventsEnv names the file the fakes append "<unix-ns> <step> start|end <note>" lines to.
const EventsEnv = "RUNTEST_EVENTS"

// PIDsEnv names a folder where each fake writes <step>.pid when it starts.
const PIDsEnv = "RUNTEST_PIDS"

// HoldEnv is a duration each fake with outputs waits after staging its
// files and before publishing them: a window to kill it in.
const HoldEnv = "RUNTEST_HOLD"

var params = []component.Param{
	{Name: "rows", Type: component.Int, Default: "1", Description: "rows to report"},
	{Name: "sleep", Type: component.Duration, Default: "0s", Description: "time to sleep"},
	{Name: "exit", Type: component.Int, Default: "0", Description: "exit code to fail with"},
	{Name: "fail-times", Type: component.Int, Default: "0", Description: "fail with exit 1 on the first attempts"},
	{Name: "note", Description: "text recorded in the events file"},
}

// The fake contracts.
var (
	Src = component.Contract{Name: "fake-src", Summary: "fake source", Params: params,
		Outputs: []component.Artifact{{Name: "data", Kind: component.Dataset, Description: "data"}}}
	Step = component.Contract{Name: "fake-step", Summary: "fake step", Params: params,
		Inputs:  []component.Artifact{{Name: "in", Kind: component.Dataset, Description: "input"}},
		Outputs: []component.Artifact{{Name: "data", Kind: component.Dataset, Description: "data"}}}
	Gate = component.Contract{Name: "fake-gate", Summary: "fake gate",
		Params: append([]component.Param{{Name: "pass", Type: component.Bool, Default: "true", Description: "pass the gate"}}, params...),
		Inputs: []component.Artifact{{Name: "in", Kind: component.Dataset, Description: "input"}},
		Results: []component.Result{{Name: "passed", Description: "gate passed"},
			{Name: "score", Description: "a score"}}}
	// Shard reads raw files (a list input, so it can fan out) and writes
	// their concatenation.
	Shard = component.Contract{Name: "fake-shard", Summary: "fake shardable reader", Params: params, Shardable: true,
		Inputs:  []component.Artifact{{Name: "files", Kind: component.Sources, List: true, Description: "raw files"}},
		Outputs: []component.Artifact{{Name: "data", Kind: component.Dataset, Description: "data"}}}
	// All maps binary names to contracts.
	All = map[string]*component.Contract{"fake-src": &Src, "fake-step": &Step, "fake-gate": &Gate, "fake-shard": &Shard}
)

// Run is the fakes' component run function.
func Run(ctx context.Context, e *component.Env) error {
	event(e.Step, "start", e.String("note"))
	defer event(e.Step, "end", "")
	if dir := os.Getenv(PIDsEnv); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, e.Step+".pid"), []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
	if in, ok := e.Input("in"); ok {
		if _, err := artifact.ReadManifest(ctx, in.Store, in.Key); err != nil {
			return fmt.Errorf("reading input %q: %w", in.URI(), err)
		}
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(e.Duration("sleep")):
	}
	if n := e.Int("fail-times"); n > 0 {
		counter := filepath.Join(filepath.Dir(os.Getenv(EventsEnv)), e.Step+".attempts")
		b, _ := os.ReadFile(counter)
		done, _ := strconv.Atoi(string(b))
		_ = os.WriteFile(counter, []byte(strconv.Itoa(done+1)), 0o644)
		if done < n {
			return fmt.Errorf("flaky failure %d", done+1)
		}
	}
	e.AddRows(0, int64(e.Int("rows")))
	if e.Contract.Name == Shard.Name {
		var all []byte
		for _, f := range e.InputList("files") {
			b, err := os.ReadFile(f.Key)
			if err != nil {
				return err
			}
			all = append(all, b...)
		}
		return e.Output("data").WriteFile(ctx, "part-0.txt", strings.NewReader(string(all)))
	}
	if len(e.Contract.Outputs) > 0 {
		if err := e.Output("data").WriteFile(ctx, "part-0.txt", strings.NewReader(e.Step)); err != nil {
			return err
		}
		if d, err := time.ParseDuration(os.Getenv(HoldEnv)); err == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
	}
	if e.Contract.Name == Gate.Name {
		e.SetResult("score", "0.87")
		if !e.Bool("pass") {
			e.SetResult("passed", "false")
			return &component.ExitError{Code: component.ExitGate, Err: errors.New("gate: score 0.87 is below 0.9"), KeepOutputs: true}
		}
		e.SetResult("passed", "true")
	}
	if code := e.Int("exit"); code != 0 {
		fmt.Fprintln(os.Stderr, "about to fail: line one")
		return &component.ExitError{Code: code, Err: errors.New("boom: asked to fail")}
	}
	return nil
}

func event(step, what, note string) {
	p := os.Getenv(EventsEnv)
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	// One write per line: O_APPEND keeps concurrent writers' lines whole.
	_, _ = fmt.Fprintf(f, "%d %s %s %s\n", time.Now().UnixNano(), step, what, note)
}
