// Command stagefake stands in for every pipeline component in the
// training pipeline's local-run test: it is called by a component's name,
// parses that component's real contract with the real harness, checks that
// its dataset/model/files inputs were committed by the upstream steps,
// writes a file to each output and reports results. STAGEFAKE_GATE=fail
// makes evaluate-gate fail the gate (exit 3); STAGEFAKE_FLAKY=<step> makes
// that step fail once (exit 1, counted in STAGEFAKE_DIR); STAGEFAKE_SLEEP=<step>
// makes that step wait until it is killed.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

func main() {
	name := filepath.Base(os.Args[0])
	for _, c := range stages.All {
		if c.Name == name {
			component.Main(*c, run)
		}
	}
	fmt.Fprintf(os.Stderr, "stagefake: unknown component %q\n", name)
	os.Exit(2)
}

func run(ctx context.Context, e *component.Env) error {
	// TMPDIR points at the template's scratch volume, mapped to a local folder.
	tmp, err := os.CreateTemp("", "stagefake-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file in TMPDIR %q: %w", os.Getenv("TMPDIR"), err)
	}
	tmp.Close()
	if os.Getenv("STAGEFAKE_SLEEP") == e.Step {
		<-ctx.Done()
		return ctx.Err()
	}
	if os.Getenv("STAGEFAKE_FLAKY") == e.Step {
		mark := filepath.Join(os.Getenv("STAGEFAKE_DIR"), e.Step+".failed-once")
		if _, err := os.Stat(mark); err != nil {
			if err := os.WriteFile(mark, nil, 0o644); err != nil {
				return err
			}
			return errors.New("flaky: the store timed out")
		}
	}
	for _, in := range e.Contract.Inputs {
		if in.Kind == component.Sources && in.Name == "sources" {
			continue
		}
		for _, loc := range e.InputList(in.Name) {
			if loc.Store == nil {
				var err error
				if loc, err = e.Resolver().Resolve(ctx, loc.Key); err != nil {
					return err
				}
			}
			if _, err := artifact.ReadManifest(ctx, loc.Store, loc.Key); err != nil {
				return fmt.Errorf("input %s: %w", in.Name, err)
			}
		}
	}
	for _, o := range e.Contract.Outputs {
		if err := e.Output(o.Name).WriteFile(ctx, "fake.txt", strings.NewReader(e.Step)); err != nil {
			return err
		}
	}
	e.AddRows(10, 9)
	switch e.Contract.Name {
	case stages.EvaluateGate.Name:
		e.SetResult("roc-auc", "0.8")
		if os.Getenv("STAGEFAKE_GATE") == "fail" {
			e.SetResult("passed", "false")
			return &component.ExitError{Code: component.ExitGate, KeepOutputs: true,
				Err: errors.New("gate failed: roc-auc 0.8 is below min-roc-auc " + e.String("min-roc-auc"))}
		}
		e.SetResult("passed", "true")
	case stages.BuildServingImage.Name:
		e.SetResult("digest", "sha256:fake")
	}
	return nil
}
