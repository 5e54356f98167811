package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

// mdText makes s safe inside a Markdown table cell: pipes and backslashes
// are escaped and line breaks become spaces.
func mdText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "\r\n", " ", "\n", " ", "\r", " ", "`", "\\`")
	return r.Replace(s)
}

// mdMetric formats a metric with 4 decimals, "n/a" when undefined.
func mdMetric(v float64) string {
	if !defined(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", v)
}

// WriteMarkdownSummary writes r as Markdown to w: the gate verdict and
// checks, headline metrics, the per-class table and the confusion matrix
// (rows = true class, columns = predicted). The tables are aligned so they
// also read well as plain text.
func WriteMarkdownSummary(w io.Writer, r Report) error {
	m := r.Metrics
	if m == nil {
		return errors.New("writing Markdown summary: no metrics")
	}
	bw := bufio.NewWriter(w)
	verdict := "no gate"
	switch {
	case len(r.Gate) > 0 && r.Passed():
		verdict = "gate PASSED"
	case len(r.Gate) > 0:
		verdict = "gate FAILED"
	}
	fmt.Fprintf(bw, "# %s: %s\n\n", mdText(r.title()), verdict)
	var meta []string
	if r.ModelVersion != "" {
		meta = append(meta, "model "+mdText(r.ModelVersion))
	}
	if r.RunID != "" {
		meta = append(meta, "run "+mdText(r.RunID))
	}
	if r.Dataset != "" {
		meta = append(meta, "dataset "+mdText(r.Dataset))
	}
	meta = append(meta, fmt.Sprintf("%d samples", m.N))
	fmt.Fprintf(bw, "%s\n\n", strings.Join(meta, " · "))

	if len(r.Gate) > 0 {
		rows := [][]string{{"gate check", "value", "rule", "result"}}
		for _, c := range r.Gate {
			res := "pass"
			if !c.Pass {
				res = "FAIL"
			}
			rows = append(rows, []string{mdText(c.Metric), mdMetric(c.Value), c.op() + " " + mdMetric(c.Threshold), res})
		}
		writeTable(bw, rows, []bool{false, true, true, false})
		bw.WriteString("\n")
	}

	auc := "macro one-vs-rest"
	if m.PositiveLabel != "" {
		auc = "positive class " + mdText(m.PositiveLabel)
	}
	writeTable(bw, [][]string{
		{"metric", "value"},
		{metrics.Accuracy.Key, mdMetric(m.Accuracy)},
		{metrics.MacroF1.Key, mdMetric(float64(m.MacroF1))},
		{metrics.MacroRecall.Key, mdMetric(float64(m.MacroRecall))},
		{metrics.MacroPrecision.Key, mdMetric(float64(m.MacroPrecision))},
		{metrics.ROCAUC.Key + " (" + auc + ")", mdMetric(float64(m.ROCAUC))},
		{metrics.PRAUC.Key + " (" + auc + ", average precision)", mdMetric(float64(m.PRAUC))},
	}, []bool{false, true})

	bw.WriteString("\n## Per class\n\n")
	rows := [][]string{{"class", "support", "precision", "recall", "f1", "roc_auc", "pr_auc"}}
	for _, l := range m.Labels {
		st := m.PerClass[l]
		rows = append(rows, []string{mdText(l), fmt.Sprint(st.Support), mdMetric(float64(st.Precision)),
			mdMetric(float64(st.Recall)), mdMetric(float64(st.F1)), mdMetric(float64(st.ROCAUC)), mdMetric(float64(st.PRAUC))})
	}
	writeTable(bw, rows, []bool{false, true, true, true, true, true, true})

	bw.WriteString("\n## Confusion matrix (rows = true, columns = predicted)\n\n")
	head := []string{`true \ predicted`}
	right := []bool{false}
	for _, l := range m.Labels {
		head = append(head, mdText(l))
		right = append(right, true)
	}
	rows = [][]string{head}
	for i, l := range m.Labels {
		row := []string{mdText(l)}
		for _, v := range m.Confusion[i] {
			row = append(row, fmt.Sprint(v))
		}
		rows = append(rows, row)
	}
	writeTable(bw, rows, right)

	if len(m.Warnings) > 0 {
		bw.WriteString("\nWarnings:\n\n")
		for _, wmsg := range m.Warnings {
			fmt.Fprintf(bw, "- %s\n", mdText(wmsg))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing Markdown summary: %w", err)
	}
	return nil
}

// writeTable writes a Markdown table with padded columns; rows[0] is the
// header, right marks right-aligned (numeric) columns.
func writeTable(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for j, c := range row {
			width[j] = max(width[j], displayWidth(c), 3)
		}
	}
	line := func(row []string) {
		var b strings.Builder
		b.WriteString("|")
		for j, c := range row {
			pad := strings.Repeat(" ", width[j]-displayWidth(c))
			if right[j] {
				b.WriteString(" " + pad + c + " |")
			} else {
				b.WriteString(" " + c + pad + " |")
			}
		}
		b.WriteString("\n")
		io.WriteString(w, b.String())
	}
	line(rows[0])
	var b strings.Builder
	b.WriteString("|")
	for j := range width {
		if right[j] {
			b.WriteString(" " + strings.Repeat("-", width[j]-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", width[j]) + " |")
		}
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
	for _, row := range rows[1:] {
		line(row)
	}
}

// displayWidth counts runes, a fair approximation of terminal columns for
// the labels tweetflow uses.
func displayWidth(s string) int { return len([]rune(s)) }
