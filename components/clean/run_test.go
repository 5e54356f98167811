package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/clean"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/internal/text"
)

var runFn = component.Typed(run)

// linkRe matches a web link that starts a word (links glued to a word, as
// in "T.dothttp://youtu.be/x", and bare "http:// ..." are not links).
var linkRe = regexp.MustCompile(`(?:^|\s)(https?://[A-Za-z0-9][^\s]*)`)

// demoIDs reads the id column of the SemEval demo files straight from the
// files (one record a line) and returns the number of records and of
// distinct ids.
func demoIDs(t *testing.T, dir string) (records, unique int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "twitter-*-A.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no demo files in %s", dir)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			id, _, _ := strings.Cut(l, "\t")
			records++
			seen[id] = true
		}
	}
	return records, len(seen)
}

// ingested commits the SemEval demo files as runs/<run>/ingest/tweets and
// returns the rows in input order.
func ingested(t *testing.T, s *stagetest.Store, run string) []dataset.Tweet {
	t.Helper()
	raw := stagetest.ReadRaw(t, filepath.Join(stagetest.DemoData(t), "semeval"))
	s.WriteTweets(t, run, "ingest", "tweets", raw)
	return raw
}

func cleanStats(t *testing.T, s *stagetest.Store, run string) clean.Stats {
	t.Helper()
	b, err := json.Marshal(s.Summary(t, run, "clean").Extra["clean"])
	if err != nil {
		t.Fatal(err)
	}
	var st clean.Stats
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCleanDemoData(t *testing.T) {
	s := stagetest.NewFS(t)
	in := ingested(t, s, "r1")
	records, unique := demoIDs(t, filepath.Join(stagetest.DemoData(t), "semeval"))
	if records != len(in) {
		t.Fatalf("ingest read %d rows, the files have %d records", len(in), records)
	}
	r := s.MustRun(t, stages.Clean, runFn, "r1")
	out := s.Tweets(t, "r1", "clean", "tweets")

	st := cleanStats(t, s, "r1")
	if dups := int64(records - unique); st.DroppedDupID != dups || dups == 0 {
		t.Errorf("dropped %d duplicate ids, the files have %d", st.DroppedDupID, dups)
	}
	if st.In != int64(len(in)) || st.Out != int64(len(out)) {
		t.Errorf("stats in/out %d/%d, want %d/%d", st.In, st.Out, len(in), len(out))
	}
	if drops := st.DroppedDupID + st.DroppedDupText + st.DroppedEmpty + st.DroppedMinority + st.DroppedTie; st.In-drops != st.Out {
		t.Errorf("in %d - drops %d != out %d", st.In, drops, st.Out)
	}
	if !strings.Contains(r.Stdout, "duplicate ids") {
		t.Errorf("stdout lacks the drop counts:\n%s", r.Stdout)
	}

	// Ids are unique and the first row of an id wins.
	first := map[string]string{}
	for _, tw := range in {
		if _, ok := first[tw.ID]; !ok {
			first[tw.ID] = tw.Source
		}
	}
	seen := map[string]bool{}
	cl, err := text.NewCleaner()
	if err != nil {
		t.Fatal(err)
	}
	var withURL int
	for _, tw := range out {
		if seen[tw.ID] {
			t.Fatalf("id %s kept twice", tw.ID)
		}
		seen[tw.ID] = true
		if first[tw.ID] != tw.Source {
			t.Errorf("id %s: kept the row from %s, the first is at %s", tw.ID, tw.Source, first[tw.ID])
		}
		if tw.CleanText == "" || tw.CleanText != cl.Clean(tw.Text) {
			t.Fatalf("id %s: clean_text %q, want %q", tw.ID, tw.CleanText, cl.Clean(tw.Text))
		}
		if m := linkRe.FindStringSubmatch(tw.Text); m != nil {
			withURL++
			if len(tw.URLs) == 0 || !strings.Contains(tw.CleanText, "<url>") || strings.Contains(tw.CleanText, strings.ToLower(m[1])) {
				t.Errorf("id %s: text %q gave urls %q, clean text %q", tw.ID, tw.Text, tw.URLs, tw.CleanText)
			}
		}
		for _, u := range tw.URLs {
			if !strings.Contains(tw.Text, strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")) {
				t.Errorf("id %s: url %q is not in the text %q", tw.ID, u, tw.Text)
			}
		}
	}
	if withURL < 100 {
		t.Errorf("only %d kept tweets have a link; the demo data has thousands", withURL)
	}

	var opts text.Options
	if err := json.Unmarshal(s.File(t, "r1", "clean", "tweets", stageio.CleanerFile), &opts); err != nil {
		t.Fatal(err)
	}
	if opts != cl.Options() {
		t.Errorf("cleaner.json = %+v, want the defaults %+v", opts, cl.Options())
	}
}

func TestCleanOptionsReachCleanerJSON(t *testing.T) {
	s := stagetest.NewFS(t)
	ingested(t, s, "r2")
	s.MustRun(t, stages.Clean, runFn, "r2", "--urls", "remove", "--mentions", "remove", "--lowercase=false", "--strip-hash")
	var opts text.Options
	if err := json.Unmarshal(s.File(t, "r2", "clean", "tweets", stageio.CleanerFile), &opts); err != nil {
		t.Fatal(err)
	}
	want := text.DefaultOptions()
	want.URLs, want.Mentions, want.Lowercase, want.StripHashSign = text.ModeRemove, text.ModeRemove, false, true
	if opts != want {
		t.Fatalf("cleaner.json = %+v, want %+v", opts, want)
	}
	cl, err := text.NewCleaner(text.WithOptions(want))
	if err != nil {
		t.Fatal(err)
	}
	urls, upper := 0, 0
	for _, tw := range s.Tweets(t, "r2", "clean", "tweets") {
		if tw.CleanText != cl.Clean(tw.Text) || strings.Contains(tw.CleanText, "<url>") || strings.Contains(tw.CleanText, "<user>") {
			t.Fatalf("id %s: clean_text %q, want %q", tw.ID, tw.CleanText, cl.Clean(tw.Text))
		}
		if len(tw.URLs) > 0 {
			urls++ // removed from the text, kept in the column
		}
		if tw.CleanText != strings.ToLower(tw.CleanText) {
			upper++
		}
	}
	if urls == 0 || upper == 0 {
		t.Errorf("%d rows keep urls, %d keep upper case; want both > 0", urls, upper)
	}
}

// TestCleanConflictRules: with the majority rule a text's label is its
// strict majority (ties dropped); with "first" the first row of a text wins.
func TestCleanConflictRules(t *testing.T) {
	rows := []dataset.Tweet{
		{ID: "1", Label: "negative", Text: "What a game that was"},
		{ID: "2", Label: "positive", Text: "What a game that was"},
		{ID: "3", Label: "positive", Text: "What a game that was"},
		{ID: "4", Label: "positive", Text: "the bus is late again"},
		{ID: "5", Label: "negative", Text: "the bus is late again"},
		{ID: "6", Label: "neutral", Text: "meeting moved to Thursday"},
		{ID: "6", Label: "negative", Text: "a different text, same id"},
	}
	for i := range rows {
		rows[i].Source = "crafted:" + rows[i].ID
	}
	for _, tc := range []struct {
		rule string
		want []string // id:label kept
		st   clean.Stats
	}{
		{"majority", []string{"2:positive", "6:neutral"},
			clean.Stats{In: 7, Out: 2, DroppedDupID: 1, DroppedDupText: 1, DroppedMinority: 1, DroppedTie: 2}},
		{"first", []string{"1:negative", "4:positive", "6:neutral"},
			clean.Stats{In: 7, Out: 3, DroppedDupID: 1, DroppedDupText: 3}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			s := stagetest.NewFS(t)
			s.WriteTweets(t, "c", "ingest", "tweets", rows)
			s.MustRun(t, stages.Clean, runFn, "c", "--conflicts", tc.rule)
			var got []string
			for _, tw := range s.Tweets(t, "c", "clean", "tweets") {
				got = append(got, tw.ID+":"+tw.Label)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("kept %v, want %v", got, tc.want)
			}
			st := cleanStats(t, s, "c")
			if st.In != tc.st.In || st.Out != tc.st.Out || st.DroppedDupID != tc.st.DroppedDupID || st.DroppedDupText != tc.st.DroppedDupText ||
				st.DroppedMinority != tc.st.DroppedMinority || st.DroppedTie != tc.st.DroppedTie {
				t.Errorf("stats %+v, want %+v", st, tc.st)
			}
		})
	}
}

// TestCleanConflictRulesOnDemoData: on real data the rules differ exactly
// by the tied texts: "first" keeps one row per text, majority drops tied ones.
func TestCleanConflictRulesOnDemoData(t *testing.T) {
	s := stagetest.NewFS(t)
	ingested(t, s, "m")
	ingested(t, s, "f")
	s.MustRun(t, stages.Clean, runFn, "m")
	s.MustRun(t, stages.Clean, runFn, "f", "--conflicts", "first")
	maj, fst := cleanStats(t, s, "m"), cleanStats(t, s, "f")
	if maj.ConflictsTied == 0 || maj.ConflictsResolved == 0 {
		t.Fatalf("the demo data should have conflicting labels: %+v", maj)
	}
	if fst.DroppedMinority != 0 || fst.DroppedTie != 0 {
		t.Errorf("first: dropped %d minority and %d tied rows, want none", fst.DroppedMinority, fst.DroppedTie)
	}
	if fst.Out-maj.Out != maj.ConflictsTied {
		t.Errorf("first kept %d rows, majority %d: want a difference of %d tied texts", fst.Out, maj.Out, maj.ConflictsTied)
	}
	// Some texts keep a different row (and label) under the two rules.
	byID := map[string]string{}
	for _, tw := range s.Tweets(t, "m", "clean", "tweets") {
		byID[tw.ID] = tw.Label
	}
	changed := 0
	for _, tw := range s.Tweets(t, "f", "clean", "tweets") {
		if _, ok := byID[tw.ID]; !ok {
			changed++
		}
	}
	if changed < int(maj.ConflictsTied) {
		t.Errorf("%d rows of first are not kept by majority, want at least the %d tied texts", changed, maj.ConflictsTied)
	}
}

// TestCleanStatesMatch checks that --state disk (the bounded-memory
// default) and --state memory write the same rows and stats on the demo
// data under both conflict rules, that the spill folder is left empty,
// and that an unusable --spill-dir fails the step with a message naming
// it and publishes nothing.
func TestCleanStatesMatch(t *testing.T) {
	s := stagetest.NewFS(t)
	for _, conflicts := range []string{"majority", "first"} {
		spill := t.TempDir()
		disk, mem := "disk-"+conflicts, "mem-"+conflicts
		ingested(t, s, disk)
		ingested(t, s, mem)
		s.MustRun(t, stages.Clean, runFn, disk, "--conflicts", conflicts, "--spill-dir", spill)
		s.MustRun(t, stages.Clean, runFn, mem, "--conflicts", conflicts, "--state", "memory")
		if d, m := cleanStats(t, s, disk), cleanStats(t, s, mem); d != m {
			t.Errorf("%s: disk stats %+v, memory %+v", conflicts, d, m)
		}
		d, m := s.Tweets(t, disk, "clean", "tweets"), s.Tweets(t, mem, "clean", "tweets")
		if len(d) == 0 || !slices.EqualFunc(d, m, func(a, b dataset.Tweet) bool {
			return a.ID == b.ID && a.Label == b.Label && a.CleanText == b.CleanText && slices.Equal(a.URLs, b.URLs)
		}) {
			t.Errorf("%s: disk kept %d rows, memory %d, or they differ", conflicts, len(d), len(m))
		}
		if ents, _ := os.ReadDir(spill); len(ents) != 0 {
			t.Errorf("%s: %d files left in the spill folder", conflicts, len(ents))
		}
	}
	ingested(t, s, "bad")
	r := s.Run(t, stages.Clean, runFn, "bad", "--spill-dir", "/nonexistent/spill")
	if r.Code != 2 || !strings.Contains(r.Stderr, "/nonexistent/spill") {
		t.Errorf("missing spill folder: exit %d, stderr %q; want 2 (usage) and a message naming the folder", r.Code, r.Stderr)
	}
	if _, ok := s.Manifest(t, "bad", "clean", "tweets"); ok {
		t.Error("a failed clean published its output")
	}
}

func TestCleanTrailingHashtags(t *testing.T) {
	s := stagetest.NewFS(t)
	ingested(t, s, "r3")
	s.MustRun(t, stages.Clean, runFn, "r3", "--trailing-hashtags", "token")
	var opts text.Options
	if err := json.Unmarshal(s.File(t, "r3", "clean", "tweets", stageio.CleanerFile), &opts); err != nil {
		t.Fatal(err)
	}
	want := text.DefaultOptions()
	want.TrailingHashtags = text.ModeToken
	if opts != want {
		t.Fatalf("cleaner.json = %+v, want %+v", opts, want)
	}
	cl, err := text.NewCleaner(text.WithOptions(want))
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, tw := range s.Tweets(t, "r3", "clean", "tweets") {
		if tw.CleanText != cl.Clean(tw.Text) {
			t.Fatalf("id %s: clean_text %q, want %q", tw.ID, tw.CleanText, cl.Clean(tw.Text))
		}
		if strings.Contains(" "+tw.CleanText+" ", " "+text.TokenTagBlock+" ") {
			blocks++
		}
	}
	if blocks == 0 {
		t.Fatal("no clean_text holds a rewritten trailing tag block")
	}
	t.Logf("%d tweets with a trailing tag block", blocks)
	// The clean stage refuses the combination with --strip-hash, naming both.
	r := s.Run(t, stages.Clean, runFn, "r3", "--trailing-hashtags", "remove", "--strip-hash")
	if r.Code != 2 || !strings.Contains(r.Stderr, "trailing hashtags") || !strings.Contains(r.Stderr, "strip_hash_sign") {
		t.Fatalf("--trailing-hashtags remove --strip-hash: exit %d, stderr:\n%s\nwant exit 2 naming both options", r.Code, r.Stderr)
	}
}
