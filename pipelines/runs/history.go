package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

// gateResult is the result a gate step (evaluate-gate) writes: "true" or
// "false".
const gateResult = metrics.GatePassed

// RunInfo is what a store holds of one run: the summary each step that ran
// wrote, whichever executor ran it (this machine or Argo).
type RunInfo struct {
	ID string `json:"run_id"`
	// Started is the earliest step start, Ended the latest step end.
	Started time.Time `json:"started_at"`
	Ended   time.Time `json:"ended_at"`
	// Steps are ordered by start time, then name.
	Steps []*component.Summary `json:"steps"`
}

// Seconds from the first step's start to the last step's end.
func (r *RunInfo) Seconds() float64 { return r.Ended.Sub(r.Started).Seconds() }

// Status is "failed" when a step failed, "gate-failed" when only a gate
// did, else "succeeded".
func (r *RunInfo) Status() string {
	status := "succeeded"
	for _, s := range r.Steps {
		switch s.Status {
		case "failed":
			return "failed"
		case "gate-failed":
			status = "gate-failed"
		}
	}
	return status
}

// Gate is the summary of the run's gate step (the last step that reports a
// "passed" result), or nil when no gate ran.
func (r *RunInfo) Gate() *component.Summary {
	for _, s := range slices.Backward(r.Steps) {
		if _, ok := s.Results[gateResult]; ok || s.Status == "gate-failed" {
			return s
		}
	}
	return nil
}

// Report shapes the run as the executor's report, for WriteTable.
func (r *RunInfo) Report() *Report {
	rep := &Report{RunID: r.ID, Seconds: r.Seconds()}
	for _, s := range r.Steps {
		st := &StepReport{Name: s.Step, Template: s.Component, Seconds: s.Seconds, Summary: s,
			Outputs: s.Results, Message: s.Error, Cached: s.Cache == component.CacheHit}
		switch s.Status {
		case "succeeded":
			st.Status = Succeeded
		case "gate-failed":
			st.Status, st.ExitCode = Failed, component.ExitGate
		default:
			st.Status = Failed
		}
		rep.Steps = append(rep.Steps, st)
	}
	return rep
}

// ListRuns reads the step summaries under <loc>/runs/ and returns every run
// that has at least one, newest first. A summary that cannot be read is an
// error naming its key.
func ListRuns(ctx context.Context, loc artifact.Location) ([]*RunInfo, error) {
	byID, err := readRuns(ctx, loc, "")
	if err != nil {
		return nil, err
	}
	runs := make([]*RunInfo, 0, len(byID))
	for _, r := range byID {
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool {
		if !runs[i].Started.Equal(runs[j].Started) {
			return runs[i].Started.After(runs[j].Started)
		}
		return runs[i].ID > runs[j].ID
	})
	return runs, nil
}

// ReadRun reads one run's step summaries. A run with none is an error that
// says where it looked.
func ReadRun(ctx context.Context, loc artifact.Location, id string) (*RunInfo, error) {
	if err := artifact.ValidateName("run ID", id); err != nil {
		return nil, err
	}
	byID, err := readRuns(ctx, loc, id)
	if err != nil {
		return nil, err
	}
	if r := byID[id]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("reading run %q: no step summaries under %q ('tweetflow runs' lists the runs of a store)",
		id, loc.Store.URI(path.Join(loc.Key, artifact.RunPrefix(id))))
}

// readRuns reads the summaries <loc>/runs/<run-id>/<step>/_summary.json of
// every run, or of run id only, into finished RunInfos by run ID.
func readRuns(ctx context.Context, loc artifact.Location, id string) (map[string]*RunInfo, error) {
	runs := path.Join(loc.Key, "runs") + "/"
	prefix := runs
	if id != "" {
		prefix += id + "/"
	}
	objs, err := loc.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing runs in %q: %w", loc.Store.URI(prefix), err)
	}
	byID := map[string]*RunInfo{}
	for _, o := range objs {
		parts := strings.Split(strings.TrimPrefix(o.Key, runs), "/")
		if len(parts) != 3 || parts[2] != artifact.SummaryFile { // nothing deeper
			continue
		}
		s, err := LoadSummary(ctx, loc.Store, o.Key)
		if err != nil {
			return nil, err
		}
		r := byID[parts[0]]
		if r == nil {
			r = &RunInfo{ID: parts[0]}
			byID[parts[0]] = r
		}
		r.Steps = append(r.Steps, s)
	}
	for _, r := range byID {
		r.finish()
	}
	return byID, nil
}

// finish orders the steps and sets the run's start and end.
func (r *RunInfo) finish() {
	sort.SliceStable(r.Steps, func(i, j int) bool {
		a, b := r.Steps[i], r.Steps[j]
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.Before(b.StartedAt)
		}
		return a.Step < b.Step
	})
	for i, s := range r.Steps {
		end := s.StartedAt.Add(time.Duration(s.Seconds * float64(time.Second)))
		if i == 0 || s.StartedAt.Before(r.Started) {
			r.Started = s.StartedAt
		}
		if end.After(r.Ended) {
			r.Ended = end
		}
	}
}

// LoadSummary reads the run summary (_summary.json) of a step at key.
func LoadSummary(ctx context.Context, st artifact.Store, key string) (*component.Summary, error) {
	rc, err := st.Open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading step summary %q: %w", st.URI(key), err)
	}
	defer rc.Close()
	var s component.Summary
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return nil, fmt.Errorf("reading step summary %q: %w", st.URI(key), err)
	}
	return &s, nil
}
