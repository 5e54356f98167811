package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/browsertest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/weak"
)

// reportWidth is the window width the report must fit (a laptop screen).
const reportWidth = 1200

// TestReportInBrowser renders lf-summary.html of a label run with golden
// labels (the widest report: both LF tables with the golden columns, both
// label models' evaluations) in chromium at 1,200 px: its tables hold the
// numbers of lf-summary.json, the SVG bars are as long as the values say,
// and nothing overflows horizontally. The screenshot is saved as a test
// artifact (TWEETFLOW_ARTIFACTS).
func TestReportInBrowser(t *testing.T) {
	ctx := browsertest.Start(t, reportWidth, 900)
	s := stagetest.NewFS(t)
	s.WriteTweets(t, "r1", "balance-split", "train", sampleTweets(t))
	s.MustRun(t, stages.Label, component.Typed(run), "r1", "--rules", rules, "--golden", sample, "--golden-format", "jsonl")
	var rep weak.Report
	if err := json.Unmarshal(s.File(t, "r1", "label", "report", SummaryJSON), &rep); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), SummaryHTML)
	if err := os.WriteFile(page, s.File(t, "r1", "label", "report", SummaryHTML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("table"))); err != nil {
		t.Fatalf("loading the report: %v", err)
	}
	eval := func(v any, expr string) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr))
		if err != nil {
			t.Fatalf("evaluating %s: %v", expr, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("evaluating %s: %v (%s)", expr, err, raw)
		}
	}

	var title string
	eval(&title, `document.querySelector("h1").textContent`)
	if title != rep.Title {
		t.Errorf("h1 %q, want %q", title, rep.Title)
	}
	// The tables as the browser shows them: rows of cell texts, and per
	// row the widths of the filled bar (the second rect) of each SVG.
	type table struct {
		Head []string    `json:"head"`
		Rows [][]string  `json:"rows"`
		Bars [][]float64 `json:"bars"`
		Max  [][]float64 `json:"max"`
	}
	var tables []table
	eval(&tables, `[...document.querySelectorAll("table")].map(t => ({
		head: [...t.rows[0].cells].map(c => c.textContent.trim()),
		rows: [...t.rows].slice(1).map(r => [...r.cells].map(c => c.textContent.trim())),
		bars: [...t.rows].slice(1).map(r => [...r.querySelectorAll("svg")].map(s => s.querySelectorAll("rect")[1].getBoundingClientRect().width)),
		max: [...t.rows].slice(1).map(r => [...r.querySelectorAll("svg")].map(s => s.querySelectorAll("rect")[0].getBoundingClientRect().width)),
	}))`)
	// Two LF tables, then per label model its class table and confusion matrix.
	if want := 2 + 2*len(rep.Evaluation); len(tables) != want || len(rep.Evaluation) != 2 {
		t.Fatalf("%d tables, want %d (%d evaluations)", len(tables), want, len(rep.Evaluation))
	}
	for ti, sum := range []*weak.Summary{rep.Summary, rep.Golden} {
		tb := tables[ti]
		if len(tb.Rows) != len(sum.LFs) {
			t.Fatalf("LF table %d: %d rows, want %d", ti, len(tb.Rows), len(sum.LFs))
		}
		for i, lf := range sum.LFs {
			row := tb.Rows[i]
			want := []string{lf.Name, fmt.Sprint(lf.J), "", fmt.Sprintf("%.1f%%", 100*lf.Coverage), "", fmt.Sprintf("%.1f%%", 100*lf.Overlaps), fmt.Sprintf("%.1f%%", 100*lf.Conflicts)}
			if sum.GoldRows > 0 {
				want = append(want, fmt.Sprint(*lf.Correct), fmt.Sprint(*lf.Incorrect))
			}
			if len(row) < len(want) {
				t.Fatalf("LF table %d row %d: %q", ti, i, row)
			}
			for c, w := range want {
				if w != "" && row[c] != w {
					t.Errorf("LF table %d, %s, column %q: %q, want %q", ti, lf.Name, tb.Head[c], row[c], w)
				}
			}
			if strings.Join(lf.Polarity, ", ") != strings.ReplaceAll(row[2], "–", "") {
				t.Errorf("LF table %d, %s: polarity %q, want %q", ti, lf.Name, row[2], lf.Polarity)
			}
			// Bars: coverage, then (golden) empirical accuracy, then learned accuracy.
			vals := []float64{lf.Coverage}
			if sum.GoldRows > 0 && lf.EmpAccuracy != nil {
				vals = append(vals, *lf.EmpAccuracy)
			}
			if lf.LearnedAccuracy != nil {
				vals = append(vals, *lf.LearnedAccuracy)
			}
			if len(tb.Bars[i]) != len(vals) {
				t.Fatalf("LF table %d, %s: %d bars, want %d", ti, lf.Name, len(tb.Bars[i]), len(vals))
			}
			for b, v := range vals {
				if got, want := tb.Bars[i][b], v*tb.Max[i][b]; math.Abs(got-want) > 1 {
					t.Errorf("LF table %d, %s: bar %d is %.1f px of %.1f, want %.1f (value %.3f)", ti, lf.Name, b, got, tb.Max[i][b], want, v)
				}
			}
		}
	}
	for i, ne := range rep.Evaluation {
		classes, conf := tables[2+2*i], tables[3+2*i]
		for c, cm := range ne.Eval.Classes {
			want := []string{cm.Label, fmt.Sprintf("%.4f", cm.Precision), fmt.Sprintf("%.4f", cm.Recall), fmt.Sprintf("%.4f", cm.F1), fmt.Sprint(cm.Support)}
			if fmt.Sprint(classes.Rows[c]) != fmt.Sprint(want) {
				t.Errorf("%s class table row %d: %q, want %q", ne.Model, c, classes.Rows[c], want)
			}
		}
		for r, row := range ne.Eval.Confusion {
			want := []string{ne.Eval.Labels[r]}
			for _, n := range row {
				want = append(want, fmt.Sprint(n))
			}
			if fmt.Sprint(conf.Rows[r]) != fmt.Sprint(want) {
				t.Errorf("%s confusion row %d: %q, want %q", ne.Model, r, conf.Rows[r], want)
			}
		}
	}
	var h2 []string
	eval(&h2, `[...document.querySelectorAll("h2")].map(h => h.textContent.trim())`)
	if want := []string{"Labeling functions on the labeled tweets", "Labeling functions on the golden rows", "majority vs golden labels", "generative vs golden labels"}; fmt.Sprint(h2) != fmt.Sprint(want) {
		t.Errorf("sections %q, want %q", h2, want)
	}

	// Nothing overflows horizontally: the page does not scroll sideways and
	// no element reaches past the viewport or out of its table cell.
	var lay struct {
		Inner  float64  `json:"inner"`
		Client float64  `json:"client"`
		Scroll float64  `json:"scroll"`
		Bad    []string `json:"bad"`
	}
	eval(&lay, `(() => {
		const w = document.documentElement.clientWidth, bad = [];
		const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className : "");
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue; // <wbr>, empty elements
			if (r.right > w + 0.5 || r.left < -0.5) bad.push(name(el) + " spans " + Math.round(r.left) + ".." + Math.round(r.right) + " px");
			const cell = el.closest("td, th");
			if (cell && cell !== el) {
				const c = cell.getBoundingClientRect();
				if (r.right > c.right + 0.5 || r.left < c.left - 0.5) bad.push(name(el) + " overflows its cell (" + Math.round(r.right) + " > " + Math.round(c.right) + " px)");
			}
			if ((el.tagName === "TD" || el.tagName === "TH") && el.scrollWidth > el.clientWidth + 1) bad.push(name(el) + " content wider than the cell: " + el.textContent.trim());
		}
		return {inner: window.innerWidth, client: w, scroll: document.documentElement.scrollWidth, bad: bad.slice(0, 20)};
	})()`)
	t.Logf("viewport %.0f px (client %.0f), page width %.0f px", lay.Inner, lay.Client, lay.Scroll)
	if lay.Inner != reportWidth {
		t.Errorf("window is %.0f px wide, want %d", lay.Inner, reportWidth)
	}
	if lay.Scroll > lay.Client || len(lay.Bad) > 0 {
		t.Errorf("horizontal overflow at %.0f px: page %.0f px wide; %s", lay.Client, lay.Scroll, strings.Join(lay.Bad, "; "))
	}
	browsertest.SaveScreenshot(t, ctx, "label-lf-summary.png")
}
