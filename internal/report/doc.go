// Package report renders a tweetflow evaluation for people: a
// self-contained report.html and a Markdown summary for the terminal and CI
// logs.
//
// A Report bundles the metrics (package internal/model/metrics) with a
// header: title, model version, run ID, dataset name and the quality gate's
// checks (metric, value, comparison, threshold, pass/fail).
//
// WriteHTML writes one HTML page with no external resources (inline CSS and
// SVG, no scripts, no fonts or images to fetch), readable offline: the gate
// verdict, headline metrics, ROC and precision-recall curves (one line per
// class, with a legend carrying each class's AUC and dashed chance
// references: the diagonal for ROC, each class's prevalence for PR), the
// confusion matrix as a heatmap (cells shaded by the row share, i.e. the
// recall of the true class, and labelled with counts and percentages) and
// the per-class table. The SVG is generated here and every user-supplied
// string (labels, names, IDs) goes through html/template escaping. PR
// curves are drawn as steps so the area under them is the reported average
// precision.
//
// WriteMarkdownSummary writes the same facts as GitHub-flavoured Markdown
// tables (gate, headline metrics, per-class table, confusion matrix),
// readable as plain text in a terminal.
//
// Undefined metric values (NaN) are shown as "—" in HTML and "n/a" in
// Markdown.
package report
