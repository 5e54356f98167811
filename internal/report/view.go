package report

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

// palette is the Okabe-Ito colour-blind-safe palette (yellow left out: too
// pale on white). Classes beyond it reuse colours with a dash pattern.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#555555", "#000000"}

var dashes = []string{"", "6 3", "2 3", "8 3 2 3"}

func classStyle(i int) (color, dash string) {
	return palette[i%len(palette)], dashes[(i/len(palette))%len(dashes)]
}

// fmtMetric formats a metric value with 4 decimals, "—" when undefined.
func fmtMetric(v float64) string {
	if !defined(v) {
		return "—"
	}
	return fmt.Sprintf("%.4f", v)
}

// page is the view model of report.html. Every string in it is plain text
// that html/template escapes; SVG geometry is numbers formatted here.
type page struct {
	Title        string
	ModelVersion string
	RunID        string
	Dataset      string
	N            int
	HasGate      bool
	Passed       bool
	Gate         []gateRow
	Headline     []card
	Warnings     []string
	ROC, PR      chart
	Confusion    heatmap
	Classes      []classRow
}

type gateRow struct {
	Metric, Value, Op, Threshold string
	Pass                         bool
}

type card struct {
	Name, Value, Note string
}

type classRow struct {
	Label, Color                         string
	Support                              int
	Precision, Recall, F1, ROCAUC, PRAUC string
}

type chart struct {
	Title, XLabel, YLabel string
	W, H                  int
	X0, Y0, PW, PH        float64 // plot area
	Grid                  []gridLine
	Refs                  []series
	Series                []series
	Legend                []series
}

type gridLine struct {
	X1, Y1, X2, Y2 float64
	LX, LY         float64
	Label, Anchor  string
}

type series struct {
	Path, Color, Dash, Label, Value string
	Ref                             bool // a chance reference, drawn thin
}

func buildPage(r Report) page {
	m := r.Metrics
	p := page{
		Title:        r.title(),
		ModelVersion: r.ModelVersion,
		RunID:        r.RunID,
		Dataset:      r.Dataset,
		N:            m.N,
		HasGate:      len(r.Gate) > 0,
		Passed:       r.Passed(),
		Warnings:     m.Warnings,
	}
	for _, c := range r.Gate {
		p.Gate = append(p.Gate, gateRow{
			Metric: c.Metric, Value: fmtMetric(c.Value), Op: c.op(),
			Threshold: fmtMetric(c.Threshold), Pass: c.Pass,
		})
	}
	aucNote := "macro one-vs-rest"
	if m.AUCAverage == metrics.AverageBinary {
		aucNote = "class “" + m.PositiveLabel + "”"
	}
	p.Headline = []card{
		{"Accuracy", fmtMetric(m.Accuracy), ""},
		{"Macro F1", fmtMetric(float64(m.MacroF1)), ""},
		{"Macro recall", fmtMetric(float64(m.MacroRecall)), ""},
		{"Macro precision", fmtMetric(float64(m.MacroPrecision)), ""},
		{"ROC-AUC", fmtMetric(float64(m.ROCAUC)), aucNote},
		{"PR-AUC", fmtMetric(float64(m.PRAUC)), aucNote + ", average precision"},
	}
	for i, l := range m.Labels {
		st := m.PerClass[l]
		color, _ := classStyle(i)
		row := classRow{
			Label: l, Color: color, Support: st.Support,
			Precision: fmtMetric(float64(st.Precision)), Recall: fmtMetric(float64(st.Recall)),
			F1: fmtMetric(float64(st.F1)), ROCAUC: fmtMetric(float64(st.ROCAUC)), PRAUC: fmtMetric(float64(st.PRAUC)),
		}
		p.Classes = append(p.Classes, row)
	}
	p.ROC = rocChart(m)
	p.PR = prChart(m)
	p.Confusion = buildHeatmap(m)
	return p
}

const (
	chartW, chartH = 450, 446
	plotX0, plotY0 = 58.0, 14.0
	plotSize       = 380.0
)

func newChart(title, xl, yl string) chart {
	c := chart{Title: title, XLabel: xl, YLabel: yl, W: chartW, H: chartH, X0: plotX0, Y0: plotY0, PW: plotSize, PH: plotSize}
	for k := 0; k <= 5; k++ {
		v := float64(k) / 5
		x := c.px(v)
		y := c.py(v)
		lab := fmt.Sprintf("%.1f", v)
		// vertical line at x = v, label under the axis
		c.Grid = append(c.Grid, gridLine{X1: x, Y1: c.Y0, X2: x, Y2: c.Y0 + c.PH, LX: x, LY: c.Y0 + c.PH + 16, Label: lab, Anchor: "middle"})
		// horizontal line at y = v, label left of the axis
		c.Grid = append(c.Grid, gridLine{X1: c.X0, Y1: y, X2: c.X0 + c.PW, Y2: y, LX: c.X0 - 8, LY: y + 4, Label: lab, Anchor: "end"})
	}
	return c
}

func (c chart) px(v float64) float64 { return c.X0 + v*c.PW }
func (c chart) py(v float64) float64 { return c.Y0 + (1-v)*c.PH }

// XLabelX, XLabelY, YLabelX and YLabelY place the axis titles.
func (c chart) XLabelX() float64 { return c.X0 + c.PW/2 }
func (c chart) XLabelY() float64 { return c.Y0 + c.PH + 38 }
func (c chart) YLabelX() float64 { return 16 }
func (c chart) YLabelY() float64 { return c.Y0 + c.PH/2 }

func pathOf(c chart, xs, ys []float64, steps bool) string {
	var b strings.Builder
	for i := range xs {
		x, y := c.px(xs[i]), c.py(ys[i])
		switch {
		case i == 0:
			fmt.Fprintf(&b, "M%.1f %.1f", x, y)
		case steps:
			// precision P_i holds over (R_{i-1}, R_i]: rise/fall first, then run.
			fmt.Fprintf(&b, "V%.1fH%.1f", y, x)
		default:
			fmt.Fprintf(&b, "L%.1f %.1f", x, y)
		}
	}
	return b.String()
}

func rocChart(m *metrics.Report) chart {
	c := newChart("ROC curve", "False positive rate", "True positive rate")
	c.Refs = append(c.Refs, series{Path: fmt.Sprintf("M%.1f %.1fL%.1f %.1f", c.px(0), c.py(0), c.px(1), c.py(1)), Color: "#999999", Dash: "4 4"})
	for i, l := range m.Labels {
		color, dash := classStyle(i)
		s := series{Color: color, Dash: dash, Label: l, Value: "AUC " + fmtMetric(float64(m.PerClass[l].ROCAUC))}
		if roc := m.Curves[l].ROC; roc != nil {
			s.Path = pathOf(c, roc.FPR, roc.TPR, false)
			c.Series = append(c.Series, s)
		}
		c.Legend = append(c.Legend, s)
	}
	c.Legend = append(c.Legend, series{Color: "#999999", Dash: "4 4", Label: "chance", Value: "AUC 0.5", Ref: true})
	return c
}

func prChart(m *metrics.Report) chart {
	c := newChart("Precision-recall curve", "Recall", "Precision")
	for i, l := range m.Labels {
		color, dash := classStyle(i)
		st := m.PerClass[l]
		s := series{Color: color, Dash: dash, Label: l, Value: "AP " + fmtMetric(float64(st.PRAUC))}
		if pr := m.Curves[l].PR; pr != nil {
			s.Path = pathOf(c, pr.Recall, pr.Precision, true)
			c.Series = append(c.Series, s)
			if m.N > 0 {
				prev := float64(st.Support) / float64(m.N)
				c.Refs = append(c.Refs, series{Path: fmt.Sprintf("M%.1f %.1fH%.1f", c.px(0), c.py(prev), c.px(1)), Color: color, Dash: "4 4"})
			}
		}
		c.Legend = append(c.Legend, s)
	}
	c.Legend = append(c.Legend, series{Color: "#999999", Dash: "4 4", Label: "chance", Value: "class prevalence", Ref: true})
	return c
}

type heatmap struct {
	W, H       int
	Cells      []cell
	RowLabels  []axisLabel
	ColLabels  []axisLabel
	RotateCols bool
	TrueX      float64 // axis title positions
	TrueY      float64
	PredX      float64
	PredY      float64
	Empty      bool
}

type cell struct {
	X, Y, S             float64
	Fill, Text          string
	Count, Pct, Tooltip string
	CX, CountY, PctY    float64
	CountSize, ShowPct  float64
}

type axisLabel struct {
	X, Y       float64
	Text, Full string
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// blues is ColorBrewer's sequential "Blues" ramp, light to dark.
var blues = [][3]float64{
	{0xf7, 0xfb, 0xff}, {0xde, 0xeb, 0xf7}, {0xc6, 0xdb, 0xef}, {0x9e, 0xca, 0xe1}, {0x6b, 0xae, 0xd6},
	{0x42, 0x92, 0xc6}, {0x21, 0x71, 0xb5}, {0x08, 0x51, 0x9c}, {0x08, 0x30, 0x6b},
}

// shade maps a row share in [0, 1] to the blues ramp, interpolating
// linearly between its stops.
func shade(f float64) string {
	f = math.Max(0, math.Min(1, f))
	pos := f * float64(len(blues)-1)
	i := min(int(pos), len(blues)-2)
	t := pos - float64(i)
	var c [3]int
	for k := range c {
		c[k] = int(math.Round(blues[i][k] + (blues[i+1][k]-blues[i][k])*t))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

func buildHeatmap(m *metrics.Report) heatmap {
	n := len(m.Labels)
	s := math.Max(44, math.Min(110, 440/float64(n)))
	left, top := 170.0, 60.0
	h := heatmap{RotateCols: s < 80}
	if h.RotateCols {
		top = 110
	}
	for i, l := range m.Labels {
		y := top + float64(i)*s
		h.RowLabels = append(h.RowLabels, axisLabel{X: left - 10, Y: y + s/2 + 5, Text: truncate(l, 16), Full: l})
		x := left + float64(i)*s
		cl := axisLabel{X: x + s/2, Y: top - 10, Text: truncate(l, int(s/8)), Full: l}
		if h.RotateCols {
			cl.Text = truncate(l, 14)
		}
		h.ColLabels = append(h.ColLabels, cl)
	}
	for i := range m.Labels {
		rowSum := 0
		for _, v := range m.Confusion[i] {
			rowSum += v
		}
		for j := range m.Labels {
			v := m.Confusion[i][j]
			f := 0.0
			pct := "—"
			if rowSum > 0 {
				f = float64(v) / float64(rowSum)
				pct = fmt.Sprintf("%.1f%%", 100*f)
			}
			x, y := left+float64(j)*s, top+float64(i)*s
			text := "#1b1b1b"
			if f > 0.5 {
				text = "#ffffff"
			}
			c := cell{
				X: x, Y: y, S: s, Fill: shade(f), Text: text,
				Count: fmt.Sprint(v), Pct: pct,
				Tooltip: fmt.Sprintf("true %s, predicted %s: %d (%s of true %s)", m.Labels[i], m.Labels[j], v, pct, m.Labels[i]),
				CX:      x + s/2, CountSize: math.Min(18, s/3.2),
			}
			if s >= 60 {
				c.CountY, c.PctY, c.ShowPct = y+s/2, y+s/2+16, 1
			} else {
				c.CountY = y + s/2 + c.CountSize/3
			}
			h.Cells = append(h.Cells, c)
		}
	}
	grid := s * float64(n)
	h.W = int(left + grid + 20)
	h.H = int(top + grid + 12)
	h.PredX, h.PredY = left+grid/2, 18
	h.TrueX, h.TrueY = 14, top+grid/2
	return h
}
