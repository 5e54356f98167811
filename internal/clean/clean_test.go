package clean

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/text"
)

func tw(id, label, txt string) dataset.Tweet { return dataset.Tweet{ID: id, Label: label, Text: txt} }

func ids(ts []dataset.Tweet) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func checkInvariant(t *testing.T, s Stats) {
	t.Helper()
	sum := s.Out + s.DroppedDupID + s.DroppedEmpty + s.DroppedDupText + s.DroppedMinority + s.DroppedTie
	if sum != s.In {
		t.Errorf("stats do not add up: %+v (sum %d, in %d)", s, sum, s.In)
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		in      []dataset.Tweet
		wantIDs []string
		want    Stats
	}{
		{
			name:    "duplicate id keeps first",
			in:      []dataset.Tweet{tw("1", "positive", "good day"), tw("1", "negative", "bad day"), tw("2", "neutral", "a day")},
			wantIDs: []string{"1", "2"},
			want:    Stats{In: 3, Out: 2, DroppedDupID: 1, UniqueKeys: 2},
		},
		{
			name:    "empty after cleaning",
			in:      []dataset.Tweet{tw("1", "neutral", "http://t.co/x"), tw("2", "neutral", "@bob !!!"), tw("3", "neutral", "  "), tw("4", "neutral", "ok")},
			wantIDs: []string{"4"},
			want:    Stats{In: 4, Out: 1, DroppedEmpty: 3, UniqueKeys: 1},
		},
		{
			name: "duplicate text same label",
			in: []dataset.Tweet{
				tw("1", "positive", "Great game! http://t.co/a"),
				tw("2", "positive", "RT @fan: great game http://t.co/b"),
				tw("3", "positive", "GREAT GAME!!!"),
			},
			wantIDs: []string{"1"},
			want:    Stats{In: 3, Out: 1, DroppedDupText: 2, UniqueKeys: 1},
		},
		{
			name: "conflict resolved by majority, first majority row kept",
			in: []dataset.Tweet{
				tw("1", "negative", "what a match"),
				tw("2", "positive", "What a match!"),
				tw("3", "positive", "what a match http://t.co/z"),
			},
			wantIDs: []string{"2"},
			want:    Stats{In: 3, Out: 1, DroppedMinority: 1, DroppedDupText: 1, ConflictsResolved: 1, UniqueKeys: 1},
		},
		{
			name: "tie drops the text",
			in: []dataset.Tweet{
				tw("1", "negative", "what a match"),
				tw("2", "positive", "what a match"),
				tw("3", "neutral", "another text"),
			},
			wantIDs: []string{"3"},
			want:    Stats{In: 3, Out: 1, DroppedTie: 2, ConflictsTied: 1, UniqueKeys: 2},
		},
		{
			name: "duplicate ids do not vote",
			in: []dataset.Tweet{
				tw("1", "negative", "what a match"),
				tw("1", "negative", "what a match"),
				tw("2", "positive", "what a match"),
			},
			wantIDs: nil,
			want:    Stats{In: 3, DroppedDupID: 1, DroppedTie: 2, ConflictsTied: 1, UniqueKeys: 1},
		},
		{
			name: "unlabeled rows yield to labeled ones",
			in: []dataset.Tweet{
				tw("1", "", "hello there"),
				tw("2", "positive", "Hello there!"),
				tw("3", "", "only unlabeled"),
				tw("4", "", "only unlabeled"),
			},
			wantIDs: []string{"2", "3"},
			want:    Stats{In: 4, Out: 2, DroppedDupText: 2, UniqueKeys: 2},
		},
		{
			name:    "empty ids are never duplicates",
			in:      []dataset.Tweet{tw("", "neutral", "one"), tw("", "neutral", "two")},
			wantIDs: []string{"", ""},
			want:    Stats{In: 2, Out: 2, UniqueKeys: 2},
		},
		{
			name:    "emoticons separate texts",
			in:      []dataset.Tweet{tw("1", "positive", "ok :)"), tw("2", "negative", "ok :(")},
			wantIDs: []string{"1", "2"},
			want:    Stats{In: 2, Out: 2, UniqueKeys: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, st, err := Run(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(out); strings.Join(got, ",") != strings.Join(tt.wantIDs, ",") || len(got) != len(tt.wantIDs) {
				t.Errorf("kept ids %q, want %q", got, tt.wantIDs)
			}
			if st != tt.want {
				t.Errorf("stats\n got %+v\nwant %+v", st, tt.want)
			}
			checkInvariant(t, st)
			for _, k := range out {
				if k.CleanText == "" {
					t.Errorf("kept row %q has no CleanText", k.ID)
				}
			}
		})
	}
}

func TestProcessFillsColumns(t *testing.T) {
	p, err := NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	in := tw("9", "positive", "RT @x: Love it &amp; more http://t.co/AbC. www.x.com")
	if !p.Process(&in) {
		t.Fatal("row dropped")
	}
	if in.CleanText != "love it & more <url>. <url>" {
		t.Errorf("CleanText = %q", in.CleanText)
	}
	if strings.Join(in.URLs, " ") != "http://t.co/AbC www.x.com" {
		t.Errorf("URLs = %q", in.URLs)
	}
}

func TestStreamingFirstWins(t *testing.T) {
	p, err := NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	rows := []dataset.Tweet{tw("1", "negative", "what a match"), tw("2", "positive", "what a match"), tw("3", "positive", "what a match")}
	var kept []string
	for i := range rows {
		if p.Process(&rows[i]) {
			kept = append(kept, rows[i].ID)
		}
	}
	if strings.Join(kept, ",") != "1" {
		t.Errorf("kept %q, want the first row only", kept)
	}
	if st := p.Stats(); st.DroppedDupText != 2 || st.ConflictsResolved != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestTooManyLabels(t *testing.T) {
	var rows []dataset.Tweet
	for i := 0; i <= MaxLabels; i++ {
		rows = append(rows, tw(strconv.Itoa(i), "l"+strconv.Itoa(i), "text "+strconv.Itoa(i)))
	}
	if _, _, err := Run(rows); err == nil || !strings.Contains(err.Error(), `"l5"`) {
		t.Errorf("Run with %d labels: err = %v", MaxLabels+1, err)
	}
}

func TestWithCleaner(t *testing.T) {
	c, err := text.NewCleaner(text.WithURLs(text.ModeRemove))
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Run([]dataset.Tweet{tw("1", "neutral", "see http://t.co/x now")}, WithCleaner(c))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].CleanText != "see now" {
		t.Errorf("got %+v", out)
	}
}

// readSemEval parses the SemEval-2017 4A files minimally: id<TAB>label<TAB>text,
// \uXXXX escapes decoded, extra fields (the trailing tab of
// twitter-2016test-A.txt) ignored, a line with fewer than 3 fields appended
// to the previous text (a quoted text with a newline). Files are read in
// name order.
func readSemEval(t *testing.T) []dataset.Tweet { return readSemEvalTB(t) }

func readSemEvalTB(t testing.TB) []dataset.Tweet {
	t.Helper()
	files, _ := filepath.Glob("/work/shared/data/semeval2017-task4a/*-A.txt")
	if len(files) == 0 {
		t.Skip("SemEval-2017 4A data not found")
	}
	var rows []dataset.Tweet
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n := 0
		for sc.Scan() {
			n++
			fields := strings.Split(sc.Text(), "\t")
			if len(fields) < 3 {
				// a quoted text spanning lines (one in twitter-2016test-A.txt)
				if len(rows) == 0 {
					t.Fatalf("%s:%d: %d fields", name, n, len(fields))
				}
				rows[len(rows)-1].Text += "\n" + fields[0]
				continue
			}
			txt := fields[2]
			if strings.Contains(txt, `\u`) {
				var b strings.Builder
				for i := 0; i < len(txt); i++ {
					if txt[i] == '\\' && i+6 <= len(txt) && txt[i+1] == 'u' {
						if v, err := strconv.ParseUint(txt[i+2:i+6], 16, 32); err == nil {
							b.WriteRune(rune(v))
							i += 5
							continue
						}
					}
					b.WriteByte(txt[i])
				}
				txt = b.String()
			}
			rows = append(rows, dataset.Tweet{ID: fields[0], Label: fields[1], Text: txt,
				Source: filepath.Base(name) + ":" + strconv.Itoa(n)})
		}
		f.Close()
	}
	return rows
}

// TestSemEval checks the processor on the real files against an
// independent, string-keyed implementation of the same rules.
func TestSemEval(t *testing.T) {
	rows := readSemEval(t)
	c, err := text.NewCleaner()
	if err != nil {
		t.Fatal(err)
	}
	// Reference: distinct-id rows, votes per normalised text.
	seenID := map[string]bool{}
	dupID := 0
	votes := map[string]map[string]int{}
	for _, r := range rows {
		if seenID[r.ID] {
			dupID++
			continue
		}
		seenID[r.ID] = true
		if k := text.NormKey(c.Clean(r.Text)); k != "" {
			if votes[k] == nil {
				votes[k] = map[string]int{}
			}
			votes[k][r.Label]++
		}
	}
	// A key yields one row when its top label is unique.
	wantKept, conflicts, ties := 0, 0, 0
	for _, v := range votes {
		top, n := 0, 0
		for _, c := range v {
			if c > top {
				top, n = c, 1
			} else if c == top {
				n++
			}
		}
		if len(v) > 1 {
			conflicts++
			if n > 1 {
				ties++
			}
		}
		if n == 1 {
			wantKept++
		}
	}

	out, st, err := Run(rows)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariant(t, st)
	t.Logf("SemEval rows %d, unique ids %d, duplicate-id rows dropped %d", len(rows), len(seenID), st.DroppedDupID)
	t.Logf("stats %+v", st)
	t.Logf("reference: %d unique normalised texts, %d with conflicting labels (%d tied)", len(votes), conflicts, ties)

	if st.In != int64(len(rows)) {
		t.Errorf("In = %d, want %d", st.In, len(rows))
	}
	if st.DroppedDupID != int64(dupID) || dupID != len(rows)-len(seenID) {
		t.Errorf("DroppedDupID = %d, want %d", st.DroppedDupID, dupID)
	}
	if st.UniqueKeys != int64(len(votes)) {
		t.Errorf("UniqueKeys = %d, want %d", st.UniqueKeys, len(votes))
	}
	if st.ConflictsResolved+st.ConflictsTied != int64(conflicts) || st.ConflictsTied != int64(ties) {
		t.Errorf("conflicts %d resolved + %d tied, want %d of which %d tied", st.ConflictsResolved, st.ConflictsTied, conflicts, ties)
	}
	if st.Out != int64(wantKept) || len(out) != wantKept {
		t.Errorf("kept %d rows (Out %d), want %d", len(out), st.Out, wantKept)
	}
	// Every kept row: unique id, unique key, majority label of its key.
	keptID := map[string]bool{}
	keptKey := map[string]bool{}
	for _, r := range out {
		k := text.NormKey(r.CleanText)
		if keptID[r.ID] || keptKey[k] {
			t.Fatalf("row %s (%s) kept twice by id or key %q", r.ID, r.Source, k)
		}
		keptID[r.ID], keptKey[k] = true, true
		for l, c := range votes[k] {
			if l != r.Label && c >= votes[k][r.Label] {
				t.Fatalf("row %s kept with label %s but %s has %d votes of %v", r.ID, r.Label, l, c, votes[k])
			}
		}
	}
}

func TestDecideReasons(t *testing.T) {
	rows := []dataset.Tweet{
		tw("1", "negative", "what a match"),
		tw("2", "positive", "What a match!"),
		tw("3", "positive", "what a match http://t.co/a"),
		tw("4", "positive", "what a match <3"),
		tw("2", "positive", "again"),
		tw("5", "neutral", "http://t.co/x"),
		tw("6", "positive", "tie me"),
		tw("7", "negative", "tie me"),
		tw("8", "neutral", "what a match"),
	}
	p, err := NewProcessor()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := p.Observe(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := []Decision{DropMinority, Keep, DropDupText, Keep, DropDupID, DropEmpty, DropTie, DropTie, DropMinority}
	var got []string
	for i := range rows {
		got = append(got, p.Decide(&rows[i]).String())
	}
	var ws []string
	for _, d := range want {
		ws = append(ws, d.String())
	}
	if strings.Join(got, " ") != strings.Join(ws, " ") {
		t.Errorf("decisions\n got %v\nwant %v", got, ws)
	}
	checkInvariant(t, p.Stats())
	if Decision(42).String() != "decision(42)" {
		t.Errorf("unknown decision prints %q", Decision(42))
	}
}
