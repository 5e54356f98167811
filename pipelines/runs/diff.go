package runs

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/tweetflow/tweetflow/internal/component"
)

// Difference kinds of a DiffRow.
const (
	DiffStep   = "step"   // the step ran in one run only (A or B is "-")
	DiffStatus = "status" // the step's status
	DiffParam  = "param"  // a parameter (flag) of the step
	DiffRows   = "rows"   // rows in or out
	DiffResult = "result" // a result (a metric, the gate's verdict, ...)
)

// DiffRow is one difference between two runs.
type DiffRow struct {
	Step string `json:"step"`
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	A    string `json:"a"`
	B    string `json:"b"`
	// Delta is B - A when both are numbers (results and rows), else "".
	Delta string `json:"delta,omitempty"`
}

// Diff lists what differs between runs a and b, step by step (steps are
// matched by name, in a's order, then b's own steps): a step only one ran,
// its status, each parameter, rows in and out, and each result. Inputs,
// outputs, times and digests are not compared: they differ between any two
// runs. The items of a fan-out (steps <name>-<index>, see dsl.FanOut) that
// differ in the same way make one row, step "<name>-* (N items)".
func Diff(a, b *RunInfo) []DiffRow {
	byName := func(r *RunInfo) map[string]*component.Summary {
		m := map[string]*component.Summary{}
		for _, s := range r.Steps {
			m[s.Step] = s
		}
		return m
	}
	as, bs := byName(a), byName(b)
	var order []string
	for _, r := range []*RunInfo{a, b} {
		for _, s := range r.Steps {
			if !slices.Contains(order, s.Step) {
				order = append(order, s.Step)
			}
		}
	}
	var rows []DiffRow
	for _, step := range order {
		sa, sb := as[step], bs[step]
		switch {
		case sa == nil:
			rows = append(rows, DiffRow{Step: step, Kind: DiffStep, A: "-", B: sb.Status})
			continue
		case sb == nil:
			rows = append(rows, DiffRow{Step: step, Kind: DiffStep, A: sa.Status, B: "-"})
			continue
		}
		add := func(kind, name, x, y string, numeric bool) {
			if x == y {
				return
			}
			row := DiffRow{Step: step, Kind: kind, Name: name, A: x, B: y}
			if numeric {
				row.Delta = delta(x, y)
			}
			rows = append(rows, row)
		}
		add(DiffStatus, "", sa.Status, sb.Status, false)
		for _, k := range unionKeys(sa.Params, sb.Params) {
			add(DiffParam, k, orDash(sa.Params, k), orDash(sb.Params, k), false)
		}
		add(DiffRows, "in", fmt.Sprint(sa.RowsIn), fmt.Sprint(sb.RowsIn), true)
		add(DiffRows, "out", fmt.Sprint(sa.RowsOut), fmt.Sprint(sb.RowsOut), true)
		for _, k := range unionKeys(sa.Results, sb.Results) {
			if k == "digest" {
				continue
			}
			add(DiffResult, k, orDash(sa.Results, k), orDash(sb.Results, k), true)
		}
	}
	return collapseItems(rows)
}

// itemRe matches the step name of a fan-out item: the fanned-out step's
// name, "-" and the shard index (shard.Index).
var itemRe = regexp.MustCompile(`^(.+)-([0-9]{4,})$`)

// collapseItems replaces the rows of fan-out items that differ in the same
// way (same kind, name, values and delta) by one row, at the first one.
func collapseItems(rows []DiffRow) []DiffRow {
	group := func(r DiffRow) (DiffRow, bool) {
		m := itemRe.FindStringSubmatch(r.Step)
		if m == nil {
			return DiffRow{}, false
		}
		r.Step = m[1]
		return r, true
	}
	count := map[DiffRow]int{}
	for _, r := range rows {
		if g, ok := group(r); ok {
			count[g]++
		}
	}
	var out []DiffRow
	for _, r := range rows {
		g, ok := group(r)
		switch {
		case !ok || count[g] == 1:
			out = append(out, r)
		case count[g] > 1:
			row := g
			row.Step = fmt.Sprintf("%s-* (%d items)", g.Step, count[g])
			out = append(out, row)
			count[g] = 0 // the other items are in this row
		}
	}
	return out
}

// delta is y - x with its sign ("+0.0119", "-3"), in the precision of the more precise operand,
// or "" when either is not a number.
func delta(x, y string) string {
	fx, errx := strconv.ParseFloat(x, 64)
	fy, erry := strconv.ParseFloat(y, 64)
	if errx != nil || erry != nil {
		return ""
	}
	d := strconv.FormatFloat(fy-fx, 'f', max(decimals(x), decimals(y)), 64)
	if fy > fx {
		d = "+" + d
	}
	return d
}

func decimals(s string) int {
	for i := range len(s) {
		if s[i] == '.' {
			return len(s) - i - 1
		}
	}
	return 0
}

func unionKeys(a, b map[string]string) []string {
	var keys []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// orDash is m[k], `""` when it is empty and "-" when it is absent.
func orDash(m map[string]string, k string) string {
	v, ok := m[k]
	switch {
	case !ok:
		return "-"
	case v == "":
		return `""`
	}
	return v
}
