package annotate

import (
	"slices"
)

// PairKappa is Cohen's kappa of two annotators on the tasks both labeled.
type PairKappa struct {
	A, B  string
	Items int
	Kappa float64
}

// Agreement summarises inter-annotator agreement over label votes (skips
// are not labels and are left out).
type Agreement struct {
	Units    int     // tasks with two or more label votes
	Alpha    float64 // Krippendorff's alpha (nominal) over those tasks
	HasAlpha bool
	Pairs    []PairKappa // per annotator pair with shared tasks, by names
}

// ComputeAgreement computes Krippendorff's alpha over every task with two
// or more label votes and Cohen's kappa for every pair of annotators who
// labeled the same tasks.
func ComputeAgreement(votes []Vote) Agreement {
	byTask := map[int64]map[string]string{}
	for _, v := range votes {
		if v.Label == "" {
			continue
		}
		if byTask[v.TaskID] == nil {
			byTask[v.TaskID] = map[string]string{}
		}
		byTask[v.TaskID][v.Annotator] = v.Label
	}
	ids := make([]int64, 0, len(byTask))
	for id := range byTask {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var ag Agreement
	var units [][]string
	type pair struct{ a, b string }
	pairs := map[pair][2][]string{}
	for _, id := range ids {
		m := byTask[id]
		if len(m) < 2 {
			continue
		}
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		u := make([]string, 0, len(names))
		for i, a := range names {
			u = append(u, m[a])
			for _, b := range names[i+1:] {
				p := pairs[pair{a, b}]
				p[0], p[1] = append(p[0], m[a]), append(p[1], m[b])
				pairs[pair{a, b}] = p
			}
		}
		units = append(units, u)
	}
	ag.Units = len(units)
	if alpha, err := KrippendorffAlpha(units); err == nil {
		ag.Alpha, ag.HasAlpha = alpha, true
	}
	for p, l := range pairs {
		k, err := CohenKappa(l[0], l[1])
		if err != nil {
			continue
		}
		ag.Pairs = append(ag.Pairs, PairKappa{A: p.a, B: p.b, Items: len(l[0]), Kappa: k})
	}
	slices.SortFunc(ag.Pairs, func(x, y PairKappa) int {
		if x.A != y.A {
			if x.A < y.A {
				return -1
			}
			return 1
		}
		if x.B < y.B {
			return -1
		}
		if x.B > y.B {
			return 1
		}
		return 0
	})
	return ag
}
