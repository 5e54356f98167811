package weak

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// LFStat is one row of the LF analysis table (Snorkel's lf_summary).
type LFStat struct {
	J        int      `json:"j"`
	Name     string   `json:"name"`
	Polarity []string `json:"polarity"` // labels the LF voted on these rows
	Coverage float64  `json:"coverage"` // share of rows it votes on
	// Overlaps: share of rows it votes on where another LF votes too;
	// Conflicts: share of rows where another LF votes a different label.
	Overlaps  float64 `json:"overlaps"`
	Conflicts float64 `json:"conflicts"`
	// With golden labels (rows with a golden label only).
	Correct     *int     `json:"correct,omitempty"`
	Incorrect   *int     `json:"incorrect,omitempty"`
	EmpAccuracy *float64 `json:"empirical_accuracy,omitempty"` // correct/(correct+incorrect); absent when it never votes there
	// The label model's learned accuracy P(vote is right | it votes).
	LearnedAccuracy *float64 `json:"learned_accuracy,omitempty"`
}

// Summary is the LF analysis table.
type Summary struct {
	Labels    []string `json:"labels"`
	Rows      int      `json:"rows"`
	Uncovered int      `json:"uncovered"` // rows no LF votes on
	Coverage  float64  `json:"coverage"`  // share of rows some LF votes on
	GoldRows  int      `json:"gold_rows,omitempty"`
	LFs       []LFStat `json:"lfs"`
}

// Summarize builds the LF table of votes v. gold (optional, nil) holds a
// golden class per row or -1 where unknown; learned (optional, nil) the
// label model's accuracy per LF.
func Summarize(names, labels []string, v Votes, gold []int, learned []float64) (*Summary, error) {
	m, err := v.check(len(labels))
	if err != nil {
		return nil, fmt.Errorf("LF summary: %w", err)
	}
	if m != len(names) {
		return nil, fmt.Errorf("LF summary: %d LF names for %d vote columns", len(names), m)
	}
	if gold != nil && len(gold) != len(v) {
		return nil, fmt.Errorf("LF summary: %d golden labels for %d rows", len(gold), len(v))
	}
	if learned != nil && len(learned) != m {
		return nil, fmt.Errorf("LF summary: %d learned accuracies for %d LFs", len(learned), m)
	}
	s := &Summary{Labels: labels, Rows: len(v)}
	cov, ovl, cfl := make([]int, m), make([]int, m), make([]int, m)
	corr, inc := make([]int, m), make([]int, m)
	pol := make([]map[int]bool, m)
	for j := range pol {
		pol[j] = map[int]bool{}
	}
	for i, row := range v {
		voters := 0
		first, mixed := Abstain, false
		for _, x := range row {
			if x == Abstain {
				continue
			}
			voters++
			if first == Abstain {
				first = x
			} else if x != first {
				mixed = true
			}
		}
		if voters == 0 {
			s.Uncovered++
		}
		if gold != nil && gold[i] >= 0 {
			s.GoldRows++
		}
		for j, x := range row {
			if x == Abstain {
				continue
			}
			cov[j]++
			pol[j][x] = true
			if voters > 1 {
				ovl[j]++
			}
			if mixed {
				cfl[j]++
			}
			if gold != nil && gold[i] >= 0 {
				if x == gold[i] {
					corr[j]++
				} else {
					inc[j]++
				}
			}
		}
	}
	n := float64(len(v))
	s.Coverage = 1 - float64(s.Uncovered)/n
	for j := 0; j < m; j++ {
		st := LFStat{J: j, Name: names[j], Coverage: float64(cov[j]) / n, Overlaps: float64(ovl[j]) / n, Conflicts: float64(cfl[j]) / n, Polarity: []string{}}
		for _, c := range slices.Sorted(mapKeys(pol[j])) {
			st.Polarity = append(st.Polarity, labels[c])
		}
		if gold != nil {
			c, i := corr[j], inc[j]
			st.Correct, st.Incorrect = &c, &i
			if c+i > 0 {
				a := float64(c) / float64(c+i)
				st.EmpAccuracy = &a
			}
		}
		if learned != nil {
			a := learned[j]
			st.LearnedAccuracy = &a
		}
		s.LFs = append(s.LFs, st)
	}
	return s, nil
}

func mapKeys(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// WriteText prints the table as Snorkel does: one LF a line.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	gold := len(s.LFs) > 0 && s.LFs[0].Correct != nil
	learned := len(s.LFs) > 0 && s.LFs[0].LearnedAccuracy != nil
	head := "name\tj\tpolarity\tcoverage\toverlaps\tconflicts"
	if gold {
		head += "\tcorrect\tincorrect\temp. acc."
	}
	if learned {
		head += "\tlearned acc."
	}
	fmt.Fprintln(tw, head+"\t")
	for _, l := range s.LFs {
		pol := "-"
		if len(l.Polarity) > 0 {
			pol = strings.Join(l.Polarity, ",")
		}
		line := fmt.Sprintf("%s\t%d\t%s\t%.4f\t%.4f\t%.4f", l.Name, l.J, pol, l.Coverage, l.Overlaps, l.Conflicts)
		if gold {
			acc := "-"
			if l.EmpAccuracy != nil {
				acc = fmt.Sprintf("%.4f", *l.EmpAccuracy)
			}
			line += fmt.Sprintf("\t%d\t%d\t%s", *l.Correct, *l.Incorrect, acc)
		}
		if learned {
			line += fmt.Sprintf("\t%.4f", *l.LearnedAccuracy)
		}
		fmt.Fprintln(tw, line+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d rows, %d covered by some LF (%.2f%%), %d by none\n", s.Rows, s.Rows-s.Uncovered, 100*s.Coverage, s.Uncovered)
	return err
}
