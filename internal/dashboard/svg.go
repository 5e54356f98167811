package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// Palette colours the labels, by their position in the label order.
var Palette = []string{"#0969da", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#57606a", "#e16f24", "#1b7c83", "#bf3989"}

// LabelColor is the colour of the i-th label.
func LabelColor(i int) string { return Palette[i%len(Palette)] }

// NiceCeil is the smallest of 1, 2, 2.5, 5 times a power of ten that is
// >= v (1 for v <= 0): the top of a chart axis.
func NiceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if c := m * p; c >= v*(1-1e-12) {
			return c
		}
	}
	return 10 * p
}

// Chart geometry (SVG user units; the charts scale to their container).
const (
	chartW   = 1000.0
	chartH   = 280.0
	marginL  = 60.0
	marginR  = 60.0
	marginT  = 16.0
	marginB  = 42.0
	plotW    = chartW - marginL - marginR
	plotH    = chartH - marginT - marginB
	maxTicks = 8
)

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// CountsChart draws the buckets as stacked bars of rows per label (left
// axis) with the focus label's rate as a line (right axis, 0-100%).
func CountsChart(buckets []Bucket, labels []string, focus string) template.HTML {
	var b strings.Builder
	var top int64
	for _, bk := range buckets {
		top = max(top, bk.Total)
	}
	// Four whole-number steps on the axis.
	step := math.Max(NiceCeil(float64(top)/4), 1)
	if step != math.Floor(step) {
		step = math.Ceil(step)
	}
	yMax := 4 * step
	fmt.Fprintf(&b, `<svg id="counts-chart" class="chart" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="Rows per %s bucket by label, with the rate of %s">`,
		chartW, chartH, html.EscapeString(WidthLabel(bucketWidth(buckets))), html.EscapeString(focus))
	axes(&b, yMax, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }, true)
	n := len(buckets)
	if n == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	slot := plotW / float64(n)
	bw := math.Max(slot*0.8, 0.5)
	var line strings.Builder
	pen := false
	every := (n + maxTicks - 1) / maxTicks
	for i, bk := range buckets {
		x := marginL + float64(i)*slot + (slot-bw)/2
		y := marginT + plotH
		var tip []string
		for j, c := range bk.Counts {
			if c == 0 {
				continue
			}
			h := float64(c) / yMax * plotH
			y -= h
			fmt.Fprintf(&b, `<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s" data-label="%s" data-n="%d"/>`,
				f1(x), f1(y), f1(bw), f1(h), LabelColor(j), html.EscapeString(labels[j]), c)
			tip = append(tip, fmt.Sprintf("%s %d", labels[j], c))
		}
		if bk.Total > 0 {
			fmt.Fprintf(&b, `<rect class="hit" x="%s" y="%s" width="%s" height="%s" fill="transparent"><title>%s: %s</title></rect>`,
				f1(marginL+float64(i)*slot), f1(marginT), f1(slot), f1(plotH), html.EscapeString(bk.Start.Format(time.RFC3339)), html.EscapeString(strings.Join(tip, ", ")))
			cx := marginL + (float64(i)+0.5)*slot
			cy := marginT + plotH*(1-bk.Rate)
			if pen {
				fmt.Fprintf(&line, " L%s %s", f1(cx), f1(cy))
			} else {
				fmt.Fprintf(&line, "M%s %s", f1(cx), f1(cy))
				pen = true
			}
			fmt.Fprintf(&b, `<circle class="rate" cx="%s" cy="%s" r="3" fill="#cf222e"/>`, f1(cx), f1(cy))
		} else {
			pen = false
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`,
				f1(marginL+(float64(i)+0.5)*slot), f1(chartH-marginB+18), html.EscapeString(BucketLabel(bk.Start, bucketWidth(buckets))))
		}
	}
	if line.Len() > 0 {
		fmt.Fprintf(&b, `<path id="rate-line" d="%s" fill="none" stroke="#cf222e" stroke-width="2"/>`, line.String())
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// HistBin is one bin of the score histogram: the shares of the live rows
// and of the reference in [Lo, Hi).
type HistBin struct {
	Lo, Hi    float64
	Live, Ref float64
	LiveN     int64
}

// HistogramChart draws the live shares as bars and the reference shares
// as a step line over the same bins.
func HistogramChart(bins []HistBin, hasRef bool, label string) template.HTML {
	var b strings.Builder
	top := 0.0
	for _, h := range bins {
		top = max(top, h.Live, h.Ref)
	}
	yMax := math.Min(NiceCeil(top*100)/100, 1)
	fmt.Fprintf(&b, `<svg id="histogram-chart" class="chart" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="Share of rows per probability of %s, live against the test-split reference">`,
		chartW, chartH, html.EscapeString(label))
	axes(&b, yMax, func(v float64) string { return strconv.FormatFloat(100*v, 'f', -1, 64) + "%" }, false)
	n := len(bins)
	if n == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	slot := plotW / float64(n)
	var ref strings.Builder
	for i, h := range bins {
		x := marginL + float64(i)*slot
		hh := h.Live / yMax * plotH
		fmt.Fprintf(&b, `<rect class="bar live" x="%s" y="%s" width="%s" height="%s" fill="#0969da" fill-opacity=".75"><title>%.2f-%.2f: live %.1f%% (%d rows), reference %.1f%%</title></rect>`,
			f1(x+1), f1(marginT+plotH-hh), f1(math.Max(slot-2, 0.5)), f1(hh), h.Lo, h.Hi, 100*h.Live, h.LiveN, 100*h.Ref)
		ry := marginT + plotH - h.Ref/yMax*plotH
		if i == 0 {
			fmt.Fprintf(&ref, "M%s %s", f1(x), f1(ry))
		} else {
			fmt.Fprintf(&ref, " V%s", f1(ry))
		}
		fmt.Fprintf(&ref, " H%s", f1(x+slot))
	}
	if hasRef {
		fmt.Fprintf(&b, `<path id="reference-line" d="%s" fill="none" stroke="#1b1f24" stroke-width="2.5"/>`, ref.String())
	}
	every := (n + 10 - 1) / 10
	for i := 0; i <= n; i += every {
		lo := 0.0
		if i < n {
			lo = bins[i].Lo
		} else {
			lo = bins[n-1].Hi
		}
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%s" text-anchor="middle">%s</text>`,
			f1(marginL+float64(i)*slot), f1(chartH-marginB+18), strconv.FormatFloat(lo, 'f', -1, 64))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// axes draws the plot frame, horizontal grid lines with the left axis
// labels, and with rate a right axis of 0-100%.
func axes(b *strings.Builder, yMax float64, format func(float64) string, rate bool) {
	fmt.Fprintf(b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fff" stroke="#d8dde3"/>`, marginL, marginT, plotW, plotH)
	for i := 0; i <= 4; i++ {
		f := float64(i) / 4
		y := marginT + plotH*(1-f)
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%s" y2="%s" stroke="#eaeef2"/>`, marginL, marginL+plotW, f1(y), f1(y))
		fmt.Fprintf(b, `<text class="tick" x="%g" y="%s" text-anchor="end">%s</text>`, marginL-6, f1(y+4), format(yMax*f))
		if rate {
			fmt.Fprintf(b, `<text class="tick rate-tick" x="%g" y="%s" text-anchor="start">%d%%</text>`, marginL+plotW+6, f1(y+4), 25*i)
		}
	}
}

func bucketWidth(buckets []Bucket) time.Duration {
	if len(buckets) < 2 {
		return time.Hour
	}
	return buckets[1].Start.Sub(buckets[0].Start)
}

// BucketLabel formats a bucket start for an axis: the date for buckets of
// a day or more, else month-day and time (UTC).
func BucketLabel(t time.Time, width time.Duration) string {
	t = t.UTC()
	switch {
	case width >= 24*time.Hour:
		return t.Format("2006-01-02")
	case width%time.Minute != 0:
		return t.Format("15:04:05")
	default:
		return t.Format("01-02 15:04")
	}
}

// WidthLabel names a bucket width: "1h", "15m", "1d".
func WidthLabel(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
