package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tweetflow/tweetflow/internal/annotate"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/browsertest"
	"github.com/tweetflow/tweetflow/internal/testutil/pgtest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// TestBrowser labels tweets in a real browser with the keyboard, undoes,
// reloads, adds a second annotator, changes a decision on the recent page,
// checks the stats page and exports the golden set.
func TestBrowser(t *testing.T) {
	ctx := browsertest.Start(t, 1000, 800)
	db := pgtest.Shared(t)
	st := stagetest.NewFS(t)
	data := commitTweets(t, st, "prep")
	model, pred := commitModel(t, st, "prep")
	base, stop := startServer(t, st, "--postgres-dsn", db.DSN(), "--labels", "AI,OTHER", "--overlap", "1",
		"--tweets", data, "--model", model)
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			_, logs := stop()
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, logs)
		}
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		check(what, chromedp.Do(ctx, actions...))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		check("reading "+sel, err)
		return strings.TrimSpace(s)
	}
	eval := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
		check("evaluating "+expr, err)
		return v
	}
	// waitJS polls a JavaScript condition until it is true (page loads
	// after a form post are not awaited by clicks).
	waitJS := func(what, cond string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && v {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		check(what, fmt.Errorf("timed out waiting for %s", cond))
	}
	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		check("reading "+sel+" "+name, err)
		return v.Value
	}
	// waitTweet waits until the page shows the tweet.
	waitTweet := func(id string) {
		t.Helper()
		run("waiting for tweet "+id, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#task[data-tweet="%s"]`, id))))
	}
	key := func(k, next string) {
		t.Helper()
		run("pressing "+k, chromedp.KeyEvent(k))
		waitTweet(next)
	}

	// alice signs in with ?annotator= and sees the first tweet with its
	// link, weak label and the model's prediction.
	run("opening the annotator", chromedp.Navigate(base+"/?annotator=alice"))
	waitTweet("101")
	href, rel := attr("#text a", "href"), attr("#text a", "rel")
	if href != "https://example.com/paper" || rel != "noopener noreferrer" {
		t.Errorf("link href %q rel %q, want https://example.com/paper, noopener noreferrer", href, rel)
	}
	if got := text("#weak"); got != "AI" {
		t.Errorf("weak label %q, want AI", got)
	}
	if got := text("#prediction"); got != pred["101"] {
		t.Errorf("prediction %q, want the model's %q", got, pred["101"])
	}
	key("1", "102") // 101: AI
	links := eval(`document.querySelectorAll("#text a, #text b").length`)
	if links != float64(0) || !strings.Contains(text("#text"), `<b>bold</b> & javascript:alert(1)`) {
		t.Errorf("markup tweet: %d elements in the text, text %q; want escaped text only", links, text("#text"))
	}
	key("2", "103") // 102: OTHER
	key("s", "104") // 103: skip
	key("u", "103") // undo the skip
	if text("#undone") == "" {
		t.Error("no undo notice")
	}
	key("1", "104")          // 103: AI
	key(kb.Backspace, "103") // undo again
	key("2", "104")          // 103: OTHER
	run("help overlay", chromedp.KeyEvent("?"))
	if eval(`document.getElementById("help").classList.contains("on")`) != true {
		t.Error("? did not show the help overlay")
	}
	run("closing help", chromedp.KeyEvent("?"))

	// A reload shows the same task; the answers are stored.
	run("reloading", chromedp.Reload())
	waitTweet("104")
	if got := text("#mine-labeled"); got != "3" {
		t.Errorf("after reload: %s labeled, want 3", got)
	}
	conn := db.Connect(t)
	want := map[string]string{"101": "AI", "102": "OTHER", "103": "OTHER"}
	ans := currentAnswers(t, conn)
	for id, l := range want {
		if ans[id]["alice"] != l {
			t.Errorf("stored answer of alice on %s: %q, want %q", id, ans[id]["alice"], l)
		}
	}
	if len(ans) != 3 {
		t.Errorf("stored answers %v, want alice's 3", ans)
	}
	browsertest.SaveScreenshot(t, ctx, "annotate-task.png")

	// bob signs in with the form (overlap 1: every task wants two people).
	run("login form", chromedp.Navigate(base+"/login"), chromedp.SetValue(chromedp.CSS("#name"), "bob"),
		chromedp.Submit(chromedp.CSS("#name")))
	waitTweet("101")
	if got := text("#who"); got != "bob" {
		t.Errorf("signed in as %q, want bob", got)
	}
	key("1", "102") // 101: AI (agrees)
	key("1", "103") // 102: AI (changed below)
	key("1", "104") // 103: AI (ties with alice's OTHER)
	key("2", "105") // 104: OTHER (bob alone)

	// The recent page changes bob's 102 to OTHER.
	run("recent page", chromedp.Navigate(base+"/recent"),
		chromedp.Click(chromedp.CSS(`tr[data-tweet="102"] button[value="OTHER"]`)))
	waitJS("the changed decision", `(document.querySelector('tr[data-tweet="102"] .decision')||{}).textContent === "OTHER"`)
	if got := text(`tr[data-tweet="102"] .decision`); got != "OTHER" {
		t.Errorf("after the change, 102 shows %q, want OTHER", got)
	}
	if rows := eval(`document.querySelectorAll("#recent tr[data-tweet]").length`); rows != float64(4) {
		t.Errorf("recent page lists %d decisions, want 4", rows)
	}

	// Stats: kappa and alpha of alice and bob on 101-103.
	run("stats page", chromedp.Navigate(base+"/stats"), chromedp.WaitVisible(chromedp.CSS("#kappa")))
	a, b := []string{"AI", "OTHER", "OTHER"}, []string{"AI", "OTHER", "AI"}
	k, _ := annotate.CohenKappa(a, b)
	al, _ := annotate.KrippendorffAlpha([][]string{{"AI", "AI"}, {"OTHER", "OTHER"}, {"OTHER", "AI"}})
	if got := text("#kappa .kappa"); got != fmt.Sprintf("%.3f", k) {
		t.Errorf("stats kappa %q, want %.3f", got, k)
	}
	if got := text("#alpha"); got != fmt.Sprintf("%.3f", al) {
		t.Errorf("stats alpha %q, want %.3f", got, al)
	}
	if code, logs := stop(); !strings.Contains(logs, "answer") {
		t.Errorf("server exit %d, log without answers:\n%s", code, logs)
	}

	// Export: 101 AI (both), 102 OTHER (both after the change), 104 OTHER
	// (bob); 103 ties and is excluded; 105, 106 have no answers.
	r := st.MustRun(t, stages.Annotate, newRun(nil), "golden", "--mode", "export", "--postgres-dsn", db.DSN())
	got := map[string]string{}
	for _, tw := range st.Tweets(t, "golden", "annotate", "golden") {
		got[tw.ID] = tw.Label
		if tw.Text == "" {
			t.Errorf("exported %s without text", tw.ID)
		}
	}
	gl := st.Loc("golden", "annotate", "golden")
	if err := dataset.ValidateOutput(context.Background(), gl.Store, gl.Key, dataset.ValidateOptions{Labels: labels}); err != nil {
		t.Errorf("the golden set is not a valid dataset: %v", err)
	}
	wantGolden := map[string]string{"101": "AI", "102": "OTHER", "104": "OTHER"}
	if fmt.Sprint(got) != fmt.Sprint(wantGolden) {
		t.Errorf("golden set %v, want %v", got, wantGolden)
	}
	if !strings.Contains(r.Stdout, "3 golden rows (AI 1, OTHER 2), 1 ties excluded, 0 only skipped, 2 not answered") {
		t.Errorf("export summary: %s", r.Stdout)
	}
}
