package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tweetflow/tweetflow/internal/dashboard"
	"github.com/tweetflow/tweetflow/internal/testutil/browsertest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// viewport is the window width the page must fit without horizontal scrolling.
const viewport = 1200

// TestBrowser opens the dashboard over a database with known rows in a
// real browser at 1,200 px: the numbers, the charts, the links, no
// horizontal overflow, nothing fetched from elsewhere; then rows and dead
// letters arrive and the page shows them without a reload; then another
// label is chosen.
func TestBrowser(t *testing.T) {
	ctx := browsertest.Start(t, viewport, 900)
	db := pgtest.Shared(t)
	conn := db.Connect(t)
	writeRows(t, conn, "tweet_scores", rows())
	st := stagetest.NewFS(t)
	metricsURI, modelURI := commitReference(t, st, "r1", "m2")
	base, stop := startServer(t, st, "", "--postgres-dsn", db.DSN(), "--metrics", metricsURI, "--model", modelURI,
		"--bucket", "1h", "--buckets", "4", "--refresh", "1s", "--latest", "10")
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			_, logs := stop()
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, logs)
		}
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		check("evaluating "+expr, err)
		return v
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel)))
		check("reading "+sel, err)
		return strings.TrimSpace(v)
	}
	waitJS := func(what, cond string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && v {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		check(what, fmt.Errorf("timed out waiting for %s", cond))
	}

	check("opening the dashboard", chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#counts-chart"))))
	for sel, want := range map[string]string{
		"#active-version": "m2", "#rows": "8", "#dead-letters": "0", "#focus-rate": "62.5%", "#bucket-rows": "8",
		"#reference-version": "m2", "#gate-passed": "passed", "#sample-rows": "8", "#reference-rows": "16",
		"#psi-threshold": "0.200", "#ks-threshold": "0.100",
		`#gate tr[data-metric="roc_auc"] td:nth-child(3)`: "≥ 0.7500",
		`#latest tr[data-tweet="108"] .label`:             "OTHER",
		`#latest tr[data-tweet="106"] .score`:             "0.950",
		`#latest tr[data-tweet="101"] .version`:           "m2",
		"#top-hashtags li:first-child":                    "#ai 3",
		"#top-urls li:first-child":                        "https://example.com/paper 2",
	} {
		if got := strings.Join(strings.Fields(text(sel)), " "); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	// Buckets 09:00 (m1's row is not of the active model), 10:00, 11:00, 12:00.
	if got := eval(`[...document.querySelectorAll("#buckets tbody tr")].map(r => r.querySelector(".total").textContent + "/" + r.querySelector(".rate").textContent).join(" ")`); got != "0/— 4/75.0% 0/— 4/50.0%" {
		t.Errorf("bucket totals/rates %q", got)
	}
	// PSI and KS as the library computes them from the raw test split.
	live := []float64{0.05, 0.31, 0.95, 0.55, 0.12, 0.66, 0.72, 0.91}
	edges := dashboard.Edges(10)
	psi, _ := dashboard.PSI(dashboard.Fractions(dashboard.Histogram(testProbs, nil, edges)), dashboard.Fractions(dashboard.Histogram(live, nil, edges)))
	ks := dashboard.KS(live, nil, testProbs, nil)
	if got := text("#psi"); got != fmt.Sprintf("%.4f", psi) {
		t.Errorf("PSI %s, want %.4f", got, psi)
	}
	if got := text("#ks"); got != fmt.Sprintf("%.4f", ks) {
		t.Errorf("KS %s, want %.4f", got, ks)
	}
	// The charts: 2 non-empty buckets x 2 labels of stacked bars, a rate
	// line, 10 histogram bars and the reference line, drawn at a size.
	for expr, want := range map[string]float64{
		`document.querySelectorAll("#counts-chart rect.bar").length`:                                                                  4,
		`document.querySelectorAll("#counts-chart circle.rate").length`:                                                               2,
		`document.querySelectorAll("#histogram-chart rect.bar.live").length`:                                                          10,
		`document.querySelectorAll("#histogram-chart #reference-line").length`:                                                        1,
		`document.querySelector("#counts-chart").getBoundingClientRect().width > 500 ? 1 : 0`:                                         1,
		`document.querySelector("#histogram-chart").getBoundingClientRect().height > 100 ? 1 : 0`:                                     1,
		`[...document.querySelectorAll('#counts-chart rect.bar[data-label="AI"]')].map(r => +r.dataset.n).reduce((a, b) => a + b, 0)`: 5,
	} {
		if got := eval(expr); got != want {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
	// No horizontal overflow at 1,200 px, long tweets and URLs included.
	if got := eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`); got != float64(0) {
		t.Errorf("page overflows horizontally by %v px at %d px", got, viewport)
	}
	if got := eval(`document.documentElement.clientWidth`); got.(float64) < viewport-20 {
		t.Errorf("viewport %v px, want about %d", got, viewport)
	}
	// Links are anchors opening a new tab, on top at their centre
	// (clickable); the markup tweet stays text.
	if got := eval(`(() => { const a = document.querySelector('#latest tr[data-tweet="101"] a'); a.scrollIntoView(); const r = a.getBoundingClientRect();
		return [a.href, a.rel, a.target, document.elementFromPoint(r.x + r.width/2, r.y + r.height/2) === a].join(" ") })()`); got != "https://example.com/paper noopener noreferrer _blank true" {
		t.Errorf("tweet link: %v", got)
	}
	if got := eval(`document.querySelectorAll('#latest tr[data-tweet="107"] .tweet *').length`); got != float64(0) {
		t.Errorf("markup tweet has %v elements, want plain text", got)
	}
	// Nothing was fetched from another origin.
	if got := eval(`performance.getEntriesByType("resource").map(e => e.name).filter(n => !n.startsWith(location.origin)).join(" ")`); got != "" {
		t.Errorf("fetched from elsewhere: %v", got)
	}
	browsertest.SaveScreenshot(t, ctx, "dashboard.png")

	// Live refresh: new rows and dead letters show up without a reload.
	eval(`window.__noReload = true`)
	more := rows()[:1]
	more[0].ID, more[0].ScoredAt, more[0].CreatedAt = "109", t0.Add(2*time.Hour+50*time.Minute), t0.Add(2*time.Hour+50*time.Minute)
	more[0].Text = "fresh #AI tweet"
	writeRows(t, conn, "tweet_scores", more)
	if _, err := conn.Exec(context.Background(), `CREATE TABLE tweet_scores_dead_letters (raw bytea, reason text); INSERT INTO tweet_scores_dead_letters VALUES ('{', 'invalid JSON'), ('{}', 'no text')`); err != nil {
		t.Fatal(err)
	}
	waitJS("the refreshed counts", `document.querySelector("#rows").textContent === "9" && document.querySelector("#dead-letters").textContent === "2"`)
	if got := eval(`window.__noReload === true && document.querySelector("#latest tbody tr").dataset.tweet`); got != "109" {
		t.Errorf("after the refresh: newest tweet / no reload = %v, want 109", got)
	}
	if got := text("#status"); !strings.HasPrefix(got, "live: updated") {
		t.Errorf("status %q", got)
	}

	// Choosing OTHER (its change event submits the form) loads its page.
	check("choosing OTHER", chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#label"), "OTHER")))
	waitJS("the OTHER page", `location.search === "?label=OTHER" && document.readyState === "complete" && !!document.querySelector("#focus-rate")`)
	if got := text("#focus-rate"); got != fmt.Sprintf("%.1f%%", 100*3.0/9) {
		t.Errorf("rate of OTHER %q, want %.1f%%", got, 100*3.0/9)
	}
	if got := eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`); got != float64(0) {
		t.Errorf("OTHER page overflows by %v px", got)
	}
	if code, logs := stop(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("server exit %d with errors:\n%s", code, logs)
	}
}
