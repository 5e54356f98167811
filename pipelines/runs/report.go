package runs

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/tweetflow/tweetflow/internal/component"
)

// Status of a step.
type Status string

// Step statuses.
const (
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Skipped   Status = "skipped"   // its when condition was false
	Cancelled Status = "cancelled" // stopped or never started because another step failed
)

// StepReport is what happened to one task.
type StepReport struct {
	Name     string  `json:"name"`
	Template string  `json:"template"`
	Status   Status  `json:"status"`
	ExitCode int     `json:"exit_code"`
	Attempts int     `json:"attempts"`
	Seconds  float64 `json:"seconds"`
	// Outputs are the task's output parameters.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Summary is the component's run summary, when it wrote one.
	Summary *component.Summary `json:"summary,omitempty"`
	// Message explains a failure or a skip.
	Message string `json:"message,omitempty"`
	// Cached is true when the component restored its outputs from the
	// step cache instead of running (its summary says cache: hit).
	Cached bool `json:"cached,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Workflow string `json:"workflow"`
	UID      string `json:"uid"`
	// RunID is the run-id parameter, or the UID when it is empty.
	RunID   string            `json:"run_id"`
	Params  map[string]string `json:"params"`
	Steps   []*StepReport     `json:"steps"`
	Seconds float64           `json:"seconds"`
}

// CacheCounts counts the steps that restored their outputs from the step
// cache (hits) and those that ran with the cache on (misses).
func (r *Report) CacheCounts() (hits, misses int) {
	for _, s := range r.Steps {
		if s.Summary == nil || s.Status != Succeeded {
			continue
		}
		switch s.Summary.Cache {
		case component.CacheHit:
			hits++
		case component.CacheMiss:
			misses++
		}
	}
	return hits, misses
}

// Step returns the named step's report, or nil.
func (r *Report) Step(name string) *StepReport {
	for _, s := range r.Steps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// WriteTable prints one row per step: status, seconds, rows in and out
// (from the component's summary), then a row per output URI and result.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "STEP\tSTATUS\tSECONDS\tROWS IN\tROWS OUT\tOUTPUT\tVALUE\n")
	for _, s := range r.Steps {
		secs, in, out := "", "", ""
		if s.Status == Succeeded || s.Status == Failed {
			secs = fmt.Sprintf("%.1f", s.Seconds)
		}
		status := string(s.Status)
		if s.Cached {
			status = "cached"
		}
		if s.Status == Failed && s.ExitCode != 0 {
			status += fmt.Sprintf(" (exit %d)", s.ExitCode)
		}
		if s.Attempts > 1 {
			status += fmt.Sprintf(" after %d attempts", s.Attempts)
		}
		type kv struct{ k, v string }
		var extra []kv
		if sum := s.Summary; sum != nil {
			in, out = fmt.Sprint(sum.RowsIn), fmt.Sprint(sum.RowsOut)
			for _, name := range slices.Sorted(maps.Keys(sum.Outputs)) {
				extra = append(extra, kv{name, sum.Outputs[name].URI})
			}
		}
		for _, name := range slices.Sorted(maps.Keys(s.Outputs)) {
			extra = append(extra, kv{"result " + name, s.Outputs[name]})
		}
		if s.Status == Skipped {
			extra = append(extra, kv{"", s.Message})
		}
		first := kv{}
		if len(extra) > 0 {
			first, extra = extra[0], extra[1:]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, status, secs, in, out, first.k, first.v)
		for _, e := range extra {
			fmt.Fprintf(tw, "\t\t\t\t\t%s\t%s\n", e.k, e.v)
		}
	}
	if r.Workflow != "" {
		fmt.Fprintf(tw, "\nrun %s (workflow %s) in %.1fs\n", r.RunID, r.Workflow, r.Seconds)
	} else {
		fmt.Fprintf(tw, "\nrun %s in %.1fs\n", r.RunID, r.Seconds)
	}
	if hits, misses := r.CacheCounts(); hits+misses > 0 {
		fmt.Fprintf(tw, "step cache: %d hits, %d misses (-p cache=false or --no-cache runs every step)\n", hits, misses)
	}
	return tw.Flush()
}

// Failed lists the steps that failed (including those allowed to fail).
func (r *Report) Failed() []string {
	var out []string
	for _, s := range r.Steps {
		if s.Status == Failed {
			out = append(out, s.Name)
		}
	}
	return out
}

func (s Status) String() string { return strings.ToLower(string(s)) }
