package annotate

import (
	"errors"
	"fmt"
	"slices"
)

// CohenKappa is Cohen's kappa of two annotators who labeled the same items:
// a[i] and b[i] are their labels of item i. kappa = (po - pe) / (1 - pe),
// po the observed agreement, pe the agreement expected from each
// annotator's own label distribution. When both annotators use one and the
// same label for every item (pe = 1), kappa is 1 if they agree everywhere.
func CohenKappa(a, b []string) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("cohen's kappa: %d labels of the first annotator, %d of the second", len(a), len(b))
	}
	n := float64(len(a))
	if n == 0 {
		return 0, errors.New("cohen's kappa: no items labeled by both annotators")
	}
	ca, cb := map[string]float64{}, map[string]float64{}
	agree := 0.0
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	po := agree / n
	pe := 0.0
	for l, x := range ca {
		pe += (x / n) * (cb[l] / n)
	}
	if pe == 1 {
		return 1, nil
	}
	return (po - pe) / (1 - pe), nil
}

// KrippendorffAlpha is Krippendorff's alpha for nominal data. units[u]
// holds the labels the annotators gave unit u (any number of annotators,
// missing answers simply absent); units with fewer than two labels are not
// pairable and are ignored. alpha = 1 - Do/De from the coincidence matrix.
// When every pairable label is the same (De = 0) alpha is 1.
func KrippendorffAlpha(units [][]string) (float64, error) {
	// o[c][k]: coincidences; n[c]: marginals; total: pairable values.
	o := map[[2]string]float64{}
	nc := map[string]float64{}
	total := 0.0
	for _, u := range units {
		m := float64(len(u))
		if m < 2 {
			continue
		}
		for i := range u {
			for j := range u {
				if i != j {
					o[[2]string{u[i], u[j]}] += 1 / (m - 1)
				}
			}
			nc[u[i]]++
		}
		total += m
	}
	if total == 0 {
		return 0, errors.New("krippendorff's alpha: no unit has two or more labels")
	}
	disagreeObs := 0.0
	for ck, v := range o {
		if ck[0] != ck[1] {
			disagreeObs += v
		}
	}
	labels := make([]string, 0, len(nc))
	for l := range nc {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	disagreeExp := 0.0
	for _, c := range labels {
		for _, k := range labels {
			if c != k {
				disagreeExp += nc[c] * nc[k]
			}
		}
	}
	if disagreeExp == 0 {
		return 1, nil
	}
	return 1 - (total-1)*disagreeObs/disagreeExp, nil
}
