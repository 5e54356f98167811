package run

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

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
