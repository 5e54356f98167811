package weak

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// Report is what the HTML report and lf-summary.json show: the LF table on
// the labeled tweets and, with golden labels, on the golden rows with the
// label models' scores.
type Report struct {
	Title      string      `json:"title"`
	Model      string      `json:"model"` // "majority" or "generative"
	Rows       int         `json:"rows"`
	Labeled    int         `json:"labeled"`
	Uncovered  int         `json:"uncovered"`
	Ties       int         `json:"ties"`
	LowConf    int         `json:"below_min_confidence"`
	Prior      []float64   `json:"class_balance,omitempty"`
	Iterations int         `json:"em_iterations,omitempty"`
	Converged  bool        `json:"em_converged,omitempty"`
	Summary    *Summary    `json:"summary"`
	Golden     *Summary    `json:"golden_summary,omitempty"`
	Evaluation []NamedEval `json:"evaluation,omitempty"`
}

// NamedEval is one label model's evaluation.
type NamedEval struct {
	Model string      `json:"model"`
	Eval  *Evaluation `json:"evaluation"`
}

// WriteJSON writes v indented.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteHTML writes the report as one self-contained page (no scripts, no
// external resources): the LF table with inline SVG bars of coverage and
// accuracy, and the evaluations with their confusion matrices.
func (r *Report) WriteHTML(w io.Writer) error { return reportTmpl.Execute(w, r) }

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"f4":  func(x float64) string { return fmt.Sprintf("%.4f", x) },
	"bar": func(x float64) template.HTML {
		wd := max(0, min(1, x)) * 100
		return template.HTML(fmt.Sprintf(`<svg width="100" height="12" role="img" aria-label="%.1f%%"><rect x="0" y="1" width="100" height="10" fill="#eaeef2"/><rect x="0" y="1" width="%.1f" height="10" fill="#0969da"/></svg>`, 100*x, wd))
	},
	"pbar": func(x *float64) template.HTML {
		if x == nil {
			return "–"
		}
		wd := max(0, min(1, *x)) * 80
		return template.HTML(fmt.Sprintf(`<svg width="80" height="12" role="img" aria-label="%.3f"><rect x="0" y="1" width="80" height="10" fill="#eaeef2"/><rect x="0" y="1" width="%.1f" height="10" fill="#1a7f37"/></svg> %.3f`, *x, wd, *x))
	},
	"deref": func(p *int) int { return *p },
	// wbr lets a long LF name wrap after its underscores, not mid-word.
	"wbr": func(s string) template.HTML {
		return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(s), "_", "_<wbr>"))
	},
	"label": func(labels []string, i int) string {
		if i < len(labels) {
			return labels[i]
		}
		return "abstain"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --fg: #1b1f24; --muted: #59636e; --line: #d1d9e0; --bg-soft: #f6f8fa; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--fg); }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 6px; font-weight: 600; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 32px 0 12px; font-weight: 600; }
.meta { color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0; }
.meta b { color: var(--fg); }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; }
th { background: var(--bg-soft); font-weight: 600; }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; overflow-wrap: anywhere; }
td:first-child { min-width: 9em; }
svg { vertical-align: middle; }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="meta"><span>label model <b>{{.Model}}</b></span><span>rows <b>{{.Rows}}</b></span><span>labeled <b>{{.Labeled}}</b></span>
<span>no rule voted <b>{{.Uncovered}}</b></span>{{if .Ties}}<span>ties <b>{{.Ties}}</b></span>{{end}}{{if .LowConf}}<span>below min confidence <b>{{.LowConf}}</b></span>{{end}}
{{if .Iterations}}<span>EM iterations <b>{{.Iterations}}</b>{{if not .Converged}} (not converged){{end}}</span>{{end}}</p>
{{define "lfs"}}
<table>
<tr><th>LF</th><th>j</th><th>polarity</th><th>coverage</th><th></th><th>overlaps</th><th>conflicts</th>{{if .GoldRows}}<th>correct</th><th>incorrect</th><th>empirical accuracy</th>{{end}}<th>learned accuracy</th></tr>
{{range .LFs}}<tr><td>{{wbr .Name}}</td><td>{{.J}}</td><td>{{range $i, $p := .Polarity}}{{if $i}}, {{end}}{{$p}}{{else}}–{{end}}</td>
<td>{{pct .Coverage}}</td><td>{{bar .Coverage}}</td><td>{{pct .Overlaps}}</td><td>{{pct .Conflicts}}</td>
{{if .Correct}}<td>{{deref .Correct}}</td><td>{{deref .Incorrect}}</td><td>{{pbar .EmpAccuracy}}</td>{{end}}<td>{{pbar .LearnedAccuracy}}</td></tr>
{{end}}</table>
<p class="meta">{{.Rows}} rows, {{pct .Coverage}} covered by some LF.</p>
{{end}}
<h2>Labeling functions on the labeled tweets</h2>
{{template "lfs" .Summary}}
{{if .Golden}}<h2>Labeling functions on the golden rows</h2>
{{template "lfs" .Golden}}{{end}}
{{range .Evaluation}}{{$labels := .Eval.Labels}}
<h2>{{.Model}} vs golden labels</h2>
<p class="meta"><span>rows <b>{{.Eval.Rows}}</b></span><span>coverage <b>{{pct .Eval.Coverage}}</b></span><span>accuracy <b>{{f4 .Eval.Accuracy}}</b></span><span>macro recall <b>{{f4 .Eval.MacroRecall}}</b></span><span>macro F1 <b>{{f4 .Eval.MacroF1}}</b></span></p>
<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{{range .Eval.Classes}}<tr><td>{{.Label}}</td><td>{{f4 .Precision}}</td><td>{{f4 .Recall}}</td><td>{{f4 .F1}}</td><td>{{.Support}}</td></tr>{{end}}</table>
<p></p>
<table><tr><th>golden \ predicted</th>{{range $i, $c := index .Eval.Confusion 0}}<th>{{label $labels $i}}</th>{{end}}</tr>
{{range $t, $row := .Eval.Confusion}}<tr><td>{{index $labels $t}}</td>{{range $row}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{end}}
</main>
</body>
</html>
`))
