package report

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report.html").Parse(htmlSource))

// WriteHTML writes r as a self-contained HTML page (inline CSS and SVG, no
// scripts and no external resources) to w.
func WriteHTML(w io.Writer, r Report) error {
	if r.Metrics == nil {
		return errors.New("writing HTML report: no metrics")
	}
	if err := htmlTemplate.Execute(w, buildPage(r)); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}
