package report

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tweetflow/tweetflow/internal/model/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleMetrics is a fixed, seeded 3-class evaluation: scores are rounded to
// hundredths so curves have ties and a modest number of points.
func sampleMetrics(t *testing.T, labels []string) *metrics.Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(42, 7))
	n := 600
	y := make([]int, n)
	proba := make([][]float64, n)
	for i := range n {
		y[i] = rng.IntN(len(labels))
		if i%5 == 0 {
			y[i] = 0 // imbalance: class 0 is more common
		}
		w := make([]float64, len(labels))
		var sum float64
		for k := range w {
			w[k] = math.Exp(rng.NormFloat64())
			if k == y[i] {
				w[k] *= 1 + 3*rng.Float64()
			}
			sum += w[k]
		}
		for k := range w {
			w[k] = math.Round(100*w[k]/sum) / 100
		}
		proba[i] = w
	}
	m, err := metrics.Compute(y, proba, labels)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sampleReport(t *testing.T) Report {
	return Report{
		ModelVersion: "logreg-v3 (sha256:9f2c1e)",
		RunID:        "tweetflow-train-8xk2p",
		Dataset:      "semeval2017-task4a/twitter-2016test-A",
		Gate: []GateCheck{
			{Metric: "macro_f1", Value: 0.61234, Op: ">=", Threshold: 0.6, Pass: true},
			{Metric: "roc_auc", Value: 0.8, Threshold: 0.85, Pass: false},
			{Metric: "per_class.negative.recall", Value: math.NaN(), Op: ">=", Threshold: 0.5, Pass: false},
		},
		Metrics: sampleMetrics(t, []string{"negative", "neutral", "positive"}),
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)", path)
	}
}

func TestWriteHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.golden.html", b.Bytes())
}

func TestWriteMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdownSummary(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "summary.golden.md", b.Bytes())
}

func TestWriteHTMLContent(t *testing.T) {
	r := sampleReport(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	text := textContent(doc)
	for _, want := range []string{"GATE FAILED", r.ModelVersion, r.RunID, r.Dataset, "macro_f1", "0.6123", ">= 0.6000",
		"per_class.negative.recall", "✓ pass", "✗ fail", "Predicted class", "True class"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	// One curve path per class in each chart, and one heatmap cell per
	// confusion-matrix entry showing its count.
	m := r.Metrics
	var paths, cells int
	var counts []string
	walk(doc, func(n *html.Node) {
		switch {
		case n.Data == "path" && attr(n, "stroke-width") == "2":
			paths++
		case n.Data == "rect" && attr(n, "stroke") == "#ffffff":
			cells++
		case n.Data == "text" && attr(n, "font-weight") == "600" && n.FirstChild != nil && n.Parent.Data == "g":
			counts = append(counts, n.FirstChild.Data)
		}
	})
	if paths != 2*len(m.Labels) {
		t.Errorf("%d curve paths, want %d", paths, 2*len(m.Labels))
	}
	if cells != len(m.Labels)*len(m.Labels) || len(counts) != cells {
		t.Errorf("%d heatmap cells with %d counts, want %d", cells, len(counts), len(m.Labels)*len(m.Labels))
	}
	for i := range m.Labels {
		for j := range m.Labels {
			if k := i*len(m.Labels) + j; k < len(counts) && counts[k] != itoa(m.Confusion[i][j]) {
				t.Errorf("cell (%d,%d) shows %s, want %d", i, j, counts[k], m.Confusion[i][j])
			}
		}
	}
}

func TestWriteHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed":
			t.Errorf("page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has attribute %s=%q", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "style" && n.FirstChild != nil && (strings.Contains(n.FirstChild.Data, "url(") || strings.Contains(n.FirstChild.Data, "@import")) {
			t.Error("stylesheet fetches a resource")
		}
	})
}

func TestHostileLabelsAreEscaped(t *testing.T) {
	hostile := []string{
		`<script>alert("x")</script>`,
		`"><img src=x onerror=alert(1)>`,
		`a|b` + "\n" + `# heading`,
	}
	r := Report{
		Title:        `<b>title</b>`,
		ModelVersion: `v1"><script>alert(2)</script>`,
		RunID:        `run' onload='alert(3)`,
		Dataset:      `</title><script>alert(4)</script>`,
		Gate:         []GateCheck{{Metric: `<svg onload=alert(5)>`, Value: 1, Threshold: 0, Pass: true}},
		Metrics:      sampleMetrics(t, hostile),
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Escaped text may still contain "onerror=" as harmless characters; the
	// parsed tree below checks that no element or handler came through.
	for _, bad := range []string{"<script", "<img", "<b>title", "<svg onload", "' onload='"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains unescaped %q", bad)
		}
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// The hostile strings survive as text, so the reader sees the real names.
	text := textContent(doc)
	for _, want := range append([]string{r.ModelVersion, r.Dataset, "<svg onload=alert(5)>"}, hostile[:2]...) {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "img") {
			t.Errorf("parsed page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has event handler %s", n.Data, a.Key)
			}
		}
	})

	b.Reset()
	if err := WriteMarkdownSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "# heading") {
			t.Error("a label's newline started a Markdown heading")
		}
		if strings.Contains(line, "# heading") && !strings.Contains(line, `| a\|b # heading`) {
			t.Errorf("label pipe not escaped in %q", line)
		}
	}
}

func TestUndefinedValuesRender(t *testing.T) {
	// "neutral" is absent, so its recall and AUCs are undefined.
	m, err := metrics.Compute([]int{0, 2, 0, 2}, [][]float64{{.6, .3, .1}, {.1, .2, .7}, {.2, .5, .3}, {.3, .3, .4}},
		[]string{"negative", "neutral", "positive"})
	if err != nil {
		t.Fatal(err)
	}
	var h, md bytes.Buffer
	if err := WriteHTML(&h, Report{Metrics: m}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdownSummary(&md, Report{Metrics: m}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), "NO GATE") || !strings.Contains(h.String(), "—") || strings.Contains(h.String(), "NaN") {
		t.Error("HTML does not show undefined values as — or lacks the no-gate verdict")
	}
	if !strings.Contains(md.String(), "| neutral  |       0 |    0.0000 |    n/a |") || strings.Contains(md.String(), "NaN") {
		t.Errorf("Markdown does not show undefined values as n/a:\n%s", md.String())
	}
	if err := WriteHTML(&h, Report{}); err == nil {
		t.Error("WriteHTML accepted a report without metrics")
	}
	if err := WriteMarkdownSummary(&md, Report{}); err == nil {
		t.Error("WriteMarkdownSummary accepted a report without metrics")
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textContent(n *html.Node) string {
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteString(" ")
		}
	})
	return b.String()
}

func itoa(v int) string { return strconv.Itoa(v) }
