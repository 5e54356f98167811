package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/clean"
	"github.com/tweetflow/tweetflow/internal/dataset"
)

// v1Ref is what a test expects of a v1.1 object, worked out from the
// object itself with map lookups (independently of jsonTweet).
type v1Ref struct {
	id, user, text string
	created        time.Time
	extended       bool // the text came from an extended_tweet (own or the retweeted one's)
	urls           []string
}

func v1Expect(t *testing.T, line []byte) v1Ref {
	t.Helper()
	var o map[string]any
	if err := json.Unmarshal(line, &o); err != nil {
		t.Fatal(err)
	}
	str := func(m map[string]any, keys ...string) string {
		var v any = m
		for _, k := range keys {
			mm, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = mm[k]
		}
		s, _ := v.(string)
		return s
	}
	created, err := time.Parse("Mon Jan 02 15:04:05 -0700 2006", str(o, "created_at"))
	if err != nil {
		t.Fatal(err)
	}
	ref := v1Ref{id: str(o, "id_str"), user: str(o, "user", "screen_name"), created: created.UTC()}
	src, prefix := o, ""
	if rt, ok := o["retweeted_status"].(map[string]any); ok {
		src, prefix = rt, "RT @"+str(rt, "user", "screen_name")+": "
	}
	var ents any
	if ext, ok := src["extended_tweet"].(map[string]any); ok {
		ref.text, ref.extended, ents = str(ext, "full_text"), true, ext["entities"]
	} else {
		ref.text, ents = str(src, "text"), src["entities"]
	}
	if e, ok := ents.(map[string]any); ok {
		us, _ := e["urls"].([]any)
		for _, u := range us {
			um := u.(map[string]any)
			short, exp := str(um, "url"), str(um, "expanded_url")
			if exp == "" {
				continue
			}
			ref.text = strings.ReplaceAll(ref.text, short, exp)
			dup := false
			for _, x := range ref.urls {
				dup = dup || x == exp
			}
			if !dup {
				ref.urls = append(ref.urls, exp)
			}
		}
	}
	ref.text = prefix + ref.text
	return ref
}

// checkV1 reads a v1.1 JSONL file and checks every row against v1Expect.
func checkV1(t *testing.T, path string) (rows, extended, retweets int) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no %s: %v", path, err)
	}
	got, bad, err := readCols(t, FormatAuto, path, string(data), Columns{}, nil)
	if err != nil || len(bad) != 0 {
		t.Fatalf("err %v, bad %v", err, bad)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte{'\n'})
	if len(got) != len(lines) {
		t.Fatalf("%d rows from %d lines", len(got), len(lines))
	}
	for i, l := range lines {
		want, tw := v1Expect(t, l), got[i]
		if tw.ID != want.id || tw.User != want.user || tw.Text != want.text || !tw.CreatedAt.Equal(want.created) ||
			tw.Label != "" || !reflect.DeepEqual(tw.URLs, want.urls) {
			t.Fatalf("line %d:\n got %+v\nwant %+v", i+1, tw, want)
		}
		if want.extended && strings.HasSuffix(tw.Text, "…") {
			t.Errorf("line %d: truncated text %q although the object had an extended_tweet", i+1, tw.Text)
		}
		if want.extended {
			extended++
		}
		if strings.HasPrefix(tw.Text, "RT @") {
			retweets++
		}
	}
	// Both JSONL paths agree (the fast scanner declines API objects).
	if std, fast := readJSONL(data, nil, true, 0), readJSONL(data, nil, false, 0); !reflect.DeepEqual(std, fast) {
		t.Fatalf("the JSONL paths differ on %s", path)
	}
	return len(got), extended, retweets
}

// TestTwitterV1Sample checks the committed sample of the stream and a few
// of its rows by hand.
func TestTwitterV1Sample(t *testing.T) {
	path := filepath.Join(byodDir, "stream_v1_sample.jsonl")
	rows, ext, rts := checkV1(t, path)
	diffJSONL(t, []byte(mustRead(t, path)))
	if rows != 15 || ext < 6 || rts < 6 {
		t.Fatalf("%d rows, %d extended, %d retweets", rows, ext, rts)
	}
	got, _, _ := readCols(t, FormatJSONL, "s.jsonl", mustRead(t, path), Columns{}, nil)
	first := got[0]
	if first.ID != "1246751119155449856" || first.User != "websmenu" ||
		!strings.HasPrefix(first.Text, "New gift idea (fenvi WiFi Card") || !strings.HasSuffix(first.Text, "#UnitedStates https://t.co/eFWUVHw8WB") ||
		!strings.Contains(first.Text, "published on  - https://optionshowcase.com/giftadvisor/") || len(first.URLs) != 1 ||
		!first.CreatedAt.Equal(time.Date(2020, 4, 5, 10, 46, 44, 0, time.UTC)) {
		t.Errorf("first row %+v", first)
	}
}

// TestTwitterV1Real ingests the whole shared v1.1 stream sample: all 1,000
// objects, none with a truncated text when a full one was delivered.
func TestTwitterV1Real(t *testing.T) {
	path := filepath.Join(realData, "ssp-ai-tweets", "stream_v1_raw_1000.jsonl")
	rows, ext, rts := checkV1(t, path)
	if rows != 1000 {
		t.Fatalf("%d rows, want 1000", rows)
	}
	t.Logf("%d rows, %d with an extended text, %d retweets", rows, ext, rts)
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTwitterV2Sample(t *testing.T) {
	path := filepath.Join(byodDir, "stream_v2_sample.jsonl")
	data := mustRead(t, path)
	rows, bad, err := readCols(t, FormatAuto, "v2.jsonl", data, Columns{}, nil)
	if err != nil || len(bad) != 0 {
		t.Fatalf("err %v bad %v", err, bad)
	}
	paper := "New paper: sparse mixtures of experts for on-device NLP https://arxiv.org/abs/2204.00001"
	want := []dataset.Tweet{
		{ID: "1519781379172495360", CreatedAt: time.Date(2022, 4, 28, 20, 34, 12, 0, time.UTC), User: "mlpapers_demo",
			Text: paper, Source: "v2.jsonl:1", URLs: []string{"https://arxiv.org/abs/2204.00001"}},
		{ID: "1519781379172495361", CreatedAt: time.Date(2022, 4, 28, 20, 40, 0, 0, time.UTC), User: "retweeter_demo",
			Text: "RT @mlpapers_demo: " + paper, Source: "v2.jsonl:2", URLs: []string{"https://arxiv.org/abs/2204.00001"}},
		{ID: "1620000000000000001", CreatedAt: time.Date(2023, 1, 30, 8, 0, 0, 0, time.UTC), User: "longform_demo",
			Text: "A long thread starter about transformers, attention and why the KV cache matters for serving large models at scale, " +
				"with all the caveats that a 280 character limit cannot hold, so the rest is in the note: paged attention, quantised caches " +
				"and speculative decoding all change the picture. Details: https://example.org/kv-cache",
			Source: "v2.jsonl:3", URLs: []string{"https://example.org/kv-cache"}},
		{ID: "1620000000000000002", CreatedAt: time.Date(2023, 1, 30, 9, 0, 0, 0, time.UTC), User: "12345",
			Text: "Bare v2 object, no envelope, the user is the author id", Source: "v2.jsonl:4"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows\n%+v\nwant\n%+v", rows, want)
	}
	diffJSONL(t, []byte(data))
	if n := fastHandled([]byte(data)); n != 1 {
		t.Errorf("fast scanner took %d lines, want only the plain one", n)
	}
}

// TestTwitterAPIEdgeCases covers choices the fixtures do not: full_text
// (REST extended mode), a "user" string or number, a retweet without the
// original's screen name, bad user values, Twitter dates in plain lines.
func TestTwitterAPIEdgeCases(t *testing.T) {
	tests := []struct {
		name, line string
		want       dataset.Tweet
		bad        string
	}{
		{"full_text", `{"id_str":"5","full_text":"the whole text","text":"the wh…","user":{"screen_name":"a"}}`,
			dataset.Tweet{ID: "5", User: "a", Text: "the whole text"}, ""},
		{"user string", `{"id":"6","text":"x","user":"bob"}`, dataset.Tweet{ID: "6", User: "bob", Text: "x"}, ""},
		{"user number", `{"id":"7","text":"x","user":42}`, dataset.Tweet{ID: "7", User: "42", Text: "x"}, ""},
		{"retweet without a screen name keeps the outer text", `{"id_str":"8","text":"RT @x: short…","retweeted_status":{"text":"long"}}`,
			dataset.Tweet{ID: "8", Text: "RT @x: short…"}, ""},
		{"twitter date in a plain line", `{"id":"9","text":"x","created_at":"Sun Apr 05 10:46:44 +0000 2020"}`,
			dataset.Tweet{ID: "9", Text: "x", CreatedAt: time.Date(2020, 4, 5, 10, 46, 44, 0, time.UTC)}, ""},
		{"id_str wins over a number id", `{"id":1246751119155449856,"id_str":"1246751119155449856","text":"x"}`,
			dataset.Tweet{ID: "1246751119155449856", Text: "x"}, ""},
		{"bad user", `{"id":"10","text":"x","user":[1]}`, dataset.Tweet{}, `bad "user" [1]`},
		{"bad retweet user", `{"id":"11","text":"x","retweeted_status":{"text":"y","user":true}}`, dataset.Tweet{}, `retweeted status: bad "user"`},
		{"bad entities", `{"id":"12","text":"x","entities":{"urls":"no"}}`, dataset.Tweet{}, "bad JSON"},
		{"empty extended text", `{"id_str":"13","text":" ","extended_tweet":{"full_text":""}}`, dataset.Tweet{}, `missing or empty "text"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, bad, err := readCols(t, FormatJSONL, "e.jsonl", tc.line+"\n", Columns{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.bad != "" {
				if len(bad) != 1 || !strings.Contains(bad[0].Reason, tc.bad) {
					t.Fatalf("bad %+v rows %+v, want %q", bad, rows, tc.bad)
				}
				return
			}
			tc.want.Source = "e.jsonl:1"
			if len(rows) != 1 || !reflect.DeepEqual(rows[0], tc.want) {
				t.Fatalf("rows %+v bad %+v, want %+v", rows, bad, tc.want)
			}
			diffJSONL(t, []byte(tc.line+"\n"))
		})
	}
}

// TestUnlabeledThroughClean ingests unlabeled inputs (v1.1 objects, a CSV
// without a label column) and cleans them: nothing is dropped for lacking
// a label, retweets of one text collapse to the first row (unlabeled rows
// never vote), and a labeled copy of a text wins over unlabeled ones.
func TestUnlabeledThroughClean(t *testing.T) {
	var tweets []dataset.Tweet
	collect := func(tw *dataset.Tweet) error { tweets = append(tweets, *tw); return nil }
	v1 := filepath.Join(byodDir, "stream_v1_sample.jsonl")
	csvPath := filepath.Join(byodDir, "airline_tweets.csv")
	src := append(LocalSources([]string{v1}, FormatAuto, nil), LocalSources([]string{csvPath}, FormatAuto, nil)...)
	src[1].Columns = Columns{ID: "tweet_id"}
	st, err := Ingest(context.Background(), src, collect, Options{})
	if err != nil || st.BadRows != 0 {
		t.Fatalf("ingest: %v %+v", err, st)
	}
	for _, tw := range tweets {
		if tw.Label != "" {
			t.Fatalf("label %q on unlabeled input", tw.Label)
		}
	}
	// Two retweets of the first tweet and a labeled copy of the second.
	dup := tweets[0]
	dup.ID, dup.Text = "900", "RT @websmenu: "+tweets[0].Text
	dup2 := dup
	dup2.ID = "901"
	labeled := tweets[1]
	labeled.ID, labeled.Label = "902", "positive"
	in := append(append([]dataset.Tweet{}, tweets...), dup, dup2, labeled)
	out, cst, err := clean.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, tw := range out {
		ids[tw.ID] = tw.Label
	}
	if _, ok := ids["900"]; ok {
		t.Errorf("the retweet of a kept text was kept: %+v", cst)
	}
	if _, ok := ids["901"]; ok {
		t.Errorf("the second retweet was kept")
	}
	if l, ok := ids["902"]; !ok || l != "positive" {
		t.Errorf("the labeled copy was not kept (%q, %v); it represents the text", l, ok)
	}
	if _, ok := ids[tweets[1].ID]; ok {
		t.Errorf("the unlabeled copy of a labeled text was kept")
	}
	if _, ok := ids[tweets[0].ID]; !ok {
		t.Errorf("the first unlabeled row of a text was dropped")
	}
	if len(out) < len(tweets)-3 {
		t.Errorf("clean kept %d of %d unlabeled rows: %+v", len(out), len(tweets), cst)
	}
	t.Logf("clean: %d in, %d out, stats %+v", len(in), len(out), cst)
}

// FuzzTwitterAPI builds v1.1 and v2 objects from raw JSON fragments in the
// API fields and checks that both JSONL paths agree (the fast scanner must
// decline every such line) and that a good row's text is the full text.
// go test -run '^$' -fuzz FuzzTwitterAPI -fuzztime 3m ./internal/ingest/
func FuzzTwitterAPI(f *testing.F) {
	f.Add(`"123"`, `"short…"`, `{"full_text":"the full text https://t.co/a","entities":{"urls":[{"url":"https://t.co/a","expanded_url":"https://x.org/"}]}}`,
		`{"screen_name":"u"}`, `null`, `"Sun Apr 05 10:46:44 +0000 2020"`, false)
	f.Add(`"5"`, `"RT @o: hi…"`, `null`, `"u"`, `{"text":"hi there","user":{"screen_name":"o"}}`, `null`, false)
	f.Add(`"9"`, `"v2 text"`, `{"text":"a note"}`, `null`, `null`, `"2022-04-28T20:34:12.000Z"`, true)
	f.Fuzz(func(t *testing.T, idStr, text, ext, user, rt, created string, v2 bool) {
		var line string
		if v2 {
			line = `{"data":{"id":` + idStr + `,"text":` + text + `,"note_tweet":` + ext + `,"author_id":"1","created_at":` + created +
				`},"includes":{"users":[{"id":"1","username":` + user + `}],"tweets":[` + rt + `]}}`
		} else {
			line = `{"id_str":` + idStr + `,"text":` + text + `,"extended_tweet":` + ext + `,"user":` + user +
				`,"retweeted_status":` + rt + `,"created_at":` + created + `}`
		}
		if n := diffJSONL(t, []byte(line)); n != 0 && json.Valid([]byte(line)) && strings.Contains(line, `"id_str"`) {
			t.Fatalf("the fast scanner took an API object: %s", line)
		}
	})
}
