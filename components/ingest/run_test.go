package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
)

// The S3 test shares one MinIO server (see miniotest).
func TestMain(m *testing.M) { miniotest.Main(m) }

var runFn = component.Typed(run)

// lines returns the non-blank lines of a file, without line ends.
func lines(t *testing.T, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// semevalLabels counts the labels (second tab field) of a SemEval file
// whose records are one line each.
func semevalLabels(t *testing.T, p string) map[string]int {
	t.Helper()
	c := map[string]int{}
	for _, l := range lines(t, p) {
		f := strings.Split(l, "\t")
		if len(f) < 3 {
			t.Fatalf("%s: not a SemEval record: %q", p, l)
		}
		c[f[1]]++
	}
	return c
}

// s140Labels counts the quoted polarity field of a Sentiment140 CSV file.
func s140Labels(t *testing.T, p string, names map[string]string) map[string]int {
	t.Helper()
	c := map[string]int{}
	for _, l := range lines(t, p) {
		pol, _, ok := strings.Cut(l, ",")
		if !ok {
			t.Fatalf("%s: not a CSV record: %q", p, l)
		}
		c[names[strings.Trim(pol, `"`)]]++
	}
	return c
}

// jsonlLabels reads the ids and labels ("label" or "sentiment") of a JSONL file.
func jsonlLabels(t *testing.T, p string) (ids []string, labels map[string]int) {
	t.Helper()
	labels = map[string]int{}
	for _, l := range lines(t, p) {
		var v struct {
			ID, Label, Sentiment string
			Data                 *struct{ ID string } // the API v2 envelope
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if v.Data != nil {
			v.ID = v.Data.ID
		}
		ids = append(ids, v.ID)
		labels[v.Label+v.Sentiment]++
	}
	return ids, labels
}

func labelCounts(tw []dataset.Tweet, sourcePrefix string) map[string]int {
	c := map[string]int{}
	for _, t := range tw {
		if strings.HasPrefix(t.Source, sourcePrefix) {
			c[t.Label]++
		}
	}
	return c
}

func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: labels %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: labels %v, want %v", what, got, want)
			return
		}
	}
}

func countAll(c map[string]int) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// TestIngestEveryFormat ingests one file of each format in one run: a
// SemEval demo file, a Sentiment140 CSV and an NLTK file from the shared
// data, the demo JSONL, and a Parquet shard written by an earlier ingest.
func TestIngestEveryFormat(t *testing.T) {
	shared := stagetest.SharedData(t)
	demo := stagetest.DemoData(t)
	s := stagetest.NewFS(t)

	jsonl := filepath.Join(demo, "sample.jsonl")
	s.MustRun(t, stages.Ingest, runFn, "r0", "--sources", jsonl)
	m := s.MustManifest(t, "r0", "ingest", "tweets")
	if len(m.Files) != 1 {
		t.Fatalf("earlier ingest wrote %d files, want one shard", len(m.Files))
	}
	parquet := filepath.Join(s.Dir, "runs", "r0", "ingest", "tweets", m.Files[0].Name)

	semeval := filepath.Join(demo, "semeval", "twitter-2015train-A.txt")
	s140 := filepath.Join(shared, "sentiment140", "s140_subset10k_ArchanaBS-1233.csv")
	nltk := filepath.Join(shared, "nltk-twitter-samples", "negative_tweets.txt")
	res := s.MustRun(t, stages.Ingest, runFn, "r1", "--sources", strings.Join([]string{semeval, s140, nltk, jsonl, parquet}, ","))

	jsonIDs, jsonLabels := jsonlLabels(t, jsonl)
	for l := range jsonLabels {
		jsonLabels[l] *= 2 // the Parquet copy keeps the JSONL rows' Source
	}
	want := map[string]map[string]int{
		semeval: semevalLabels(t, semeval),
		s140:    s140Labels(t, s140, map[string]string{"0": "negative", "2": "neutral", "4": "positive"}),
		nltk:    {"negative": len(lines(t, nltk))},
		jsonl:   jsonLabels,
	}
	tw := s.Tweets(t, "r1", "ingest", "tweets")
	total := 0
	for src, w := range want {
		sameCounts(t, filepath.Base(src), labelCounts(tw, src+":"), w)
		total += countAll(w)
	}
	// The Parquet rows keep the columns of the first ingest, Source included:
	// every JSONL id appears twice.
	seen := map[string]int{}
	for _, r := range tw {
		if strings.HasPrefix(r.Source, jsonl+":") {
			seen[r.ID]++
		}
	}
	for _, id := range jsonIDs {
		if seen[id] != 2 {
			t.Errorf("JSONL id %s appears %d times, want 2 (file and Parquet copy)", id, seen[id])
		}
	}
	if len(tw) != total {
		t.Errorf("dataset has %d rows, want %d", len(tw), total)
	}

	sum := s.Summary(t, "r1", "ingest")
	if sum.RowsOut != int64(total) || sum.RowsIn != int64(total) || sum.Status != "succeeded" {
		t.Errorf("summary rows in/out %d/%d status %q, want %d", sum.RowsIn, sum.RowsOut, sum.Status, total)
	}
	if sum.Extra["bad_rows"] != float64(0) {
		t.Errorf("summary bad_rows = %v, want 0", sum.Extra["bad_rows"])
	}
	for f, format := range map[string]string{semeval: "semeval", s140: "sentiment140", nltk: "nltk", jsonl: "jsonl", parquet: "parquet"} {
		if !strings.Contains(res.Stdout, f) || !lineHas(res.Stdout, f, format) {
			t.Errorf("stdout does not list %s as %s:\n%s", f, format, res.Stdout)
		}
	}
}

// lineHas reports whether some line of s contains every one of subs.
func lineHas(s string, subs ...string) bool {
	for _, l := range strings.Split(s, "\n") {
		ok := true
		for _, sub := range subs {
			ok = ok && strings.Contains(l, sub)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestIngestFoldersAndGlobs reads a folder (README skipped) and a glob.
func TestIngestFoldersAndGlobs(t *testing.T) {
	dir := filepath.Join(stagetest.DemoData(t), "semeval")
	files, err := filepath.Glob(filepath.Join(dir, "twitter-*-A.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no demo files in %s: %v", dir, err)
	}
	rows := map[string]int{}
	all := 0
	for _, f := range files {
		rows[f] = len(lines(t, f))
		all += rows[f]
	}
	s := stagetest.NewFS(t)
	s.MustRun(t, stages.Ingest, runFn, "folder", "--sources", dir, "--shard-rows", "5000")
	if got := len(s.Tweets(t, "folder", "ingest", "tweets")); got != all {
		t.Errorf("folder: %d rows, want %d from %d files", got, all, len(files))
	}
	if n, want := len(s.MustManifest(t, "folder", "ingest", "tweets").Files), (all+4999)/5000; n != want {
		t.Errorf("folder: %d shards of at most 5000 rows, want %d", n, want)
	}
	sum := s.Summary(t, "folder", "ingest")
	if srcs, _ := sum.Extra["sources"].([]any); len(srcs) != len(files) {
		t.Errorf("folder: summary lists %d sources, want %d (README must be skipped)", len(srcs), len(files))
	}

	glob := filepath.Join(dir, "twitter-2013*-A.txt")
	matched, _ := filepath.Glob(glob)
	want := 0
	for _, f := range matched {
		want += rows[f]
	}
	if len(matched) != 3 {
		t.Fatalf("glob %s matches %d files, want 3", glob, len(matched))
	}
	// The glob and a repeated --sources flag combine.
	extra := filepath.Join(dir, "twitter-2015train-A.txt")
	s.MustRun(t, stages.Ingest, runFn, "glob", "--sources", glob, "--sources", extra)
	tw := s.Tweets(t, "glob", "ingest", "tweets")
	if len(tw) != want+rows[extra] {
		t.Errorf("glob: %d rows, want %d", len(tw), want+rows[extra])
	}
	for _, r := range tw {
		if !strings.Contains(r.Source, "twitter-2013") && !strings.Contains(r.Source, "twitter-2015train") {
			t.Fatalf("row from an unexpected file: %s", r.Source)
		}
	}
}

// TestIngestLabelMap maps Sentiment140 polarities with --label-map: the
// real file maps as the polarity column says, and a polarity the map lacks
// (2, which the default map calls neutral) becomes a bad row.
func TestIngestLabelMap(t *testing.T) {
	shared := stagetest.SharedData(t)
	s140 := filepath.Join(shared, "sentiment140", "s140_subset10k_ArchanaBS-1233.csv")
	s := stagetest.NewFS(t)
	s.MustRun(t, stages.Ingest, runFn, "real", "--sources", s140, "--label-map", "0->negative,4->positive", "--max-bad-rows", "0")
	sameCounts(t, "real file", labelCounts(s.Tweets(t, "real", "ingest", "tweets"), ""),
		s140Labels(t, s140, map[string]string{"0": "negative", "4": "positive"}))

	dir := t.TempDir()
	p := filepath.Join(dir, "three.csv")
	recs := []string{
		`"0","1","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","a","so sad today"`,
		`"2","2","Mon Apr 06 22:19:46 PDT 2009","NO_QUERY","b","it is a day"`,
		`"4","3","Mon Apr 06 22:19:47 PDT 2009","NO_QUERY","c","so happy today"`,
	}
	if err := os.WriteFile(p, []byte(strings.Join(recs, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.MustRun(t, stages.Ingest, runFn, "default", "--sources", p)
	sameCounts(t, "default map", labelCounts(s.Tweets(t, "default", "ingest", "tweets"), ""),
		map[string]int{"negative": 1, "neutral": 1, "positive": 1})

	s.MustRun(t, stages.Ingest, runFn, "mapped", "--sources", p, "--label-map", "0->sad,4->happy", "--max-bad-rows", "1")
	sameCounts(t, "custom map", labelCounts(s.Tweets(t, "mapped", "ingest", "tweets"), ""), map[string]int{"sad": 1, "happy": 1})
	if n := s.Summary(t, "mapped", "ingest").Extra["bad_rows"]; n != float64(1) {
		t.Errorf("custom map: bad_rows = %v, want 1 (polarity 2 is not mapped)", n)
	}
}

// TestIngestS3Sources reads raw files uploaded to MinIO through an
// s3://bucket/prefix source; the rows match a local ingest of the same files.
func TestIngestS3Sources(t *testing.T) {
	srv := miniotest.Shared(t)
	ctx := context.Background()
	dir := filepath.Join(stagetest.DemoData(t), "semeval")
	names := []string{"twitter-2015train-A.txt", "twitter-2014sarcasm-A.txt"}
	for _, n := range names {
		if _, err := srv.Client.FPutObject(ctx, srv.Bucket, "raw/semeval/"+n, filepath.Join(dir, n), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// An object outside the prefix must not be read.
	if _, err := srv.Client.FPutObject(ctx, srv.Bucket, "other/x.txt", filepath.Join(dir, names[0]), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}

	s := stagetest.NewFS(t)
	s.Flags = stagetest.S3Flags(srv)
	s.MustRun(t, stages.Ingest, runFn, "s3", "--sources", "s3://"+srv.Bucket+"/raw/semeval")
	var local []string
	for _, n := range names {
		local = append(local, filepath.Join(dir, n))
	}
	s.MustRun(t, stages.Ingest, runFn, "local", "--sources", strings.Join(local, ","))

	fromS3 := s.Tweets(t, "s3", "ingest", "tweets")
	fromLocal := s.Tweets(t, "local", "ingest", "tweets")
	if len(fromS3) == 0 || len(fromS3) != len(fromLocal) {
		t.Fatalf("s3 gave %d rows, local %d", len(fromS3), len(fromLocal))
	}
	key := func(tw dataset.Tweet) string { return tw.ID + "\x00" + tw.Label + "\x00" + tw.Text }
	a, b := make([]string, len(fromS3)), make([]string, len(fromLocal))
	for i := range fromS3 {
		a[i], b[i] = key(fromS3[i]), key(fromLocal[i])
		if !strings.HasPrefix(fromS3[i].Source, "s3://"+srv.Bucket+"/raw/semeval/") {
			t.Fatalf("row source %q is not the S3 object", fromS3[i].Source)
		}
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Error("rows from S3 differ from the same files read locally")
	}
}

// badFile writes a SemEval file with good rows and two bad ones and
// returns its path and the line numbers of the bad rows.
func badFile(t *testing.T) (string, []int) {
	t.Helper()
	recs := []string{
		"101\tpositive\tgreat game tonight",
		"102\tnegative\tawful traffic again",
		"103\tneutral", // line 3: missing text
		"104\tneutral\tmeeting moved to 3pm",
		"105\tecstatic\twhat a day", // line 5: unknown label
		"106\tpositive\tlove this weather",
	}
	p := filepath.Join(t.TempDir(), "broken-A.txt")
	if err := os.WriteFile(p, []byte(strings.Join(recs, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, []int{3, 5}
}

// TestIngestBadRows: over the limit the stage exits 1, names file, line
// and reason, and publishes nothing; under it the summary counts the bad rows.
func TestIngestBadRows(t *testing.T) {
	p, badLines := badFile(t)
	for _, store := range []struct {
		name string
		new  func(t *testing.T) *stagetest.Store
	}{
		{"fs", func(t *testing.T) *stagetest.Store { return stagetest.NewFS(t) }},
		{"s3", func(t *testing.T) *stagetest.Store { return stagetest.NewS3(t, miniotest.Shared(t), "store") }},
	} {
		t.Run(store.name, func(t *testing.T) {
			s := store.new(t)
			r := s.Run(t, stages.Ingest, runFn, "strict", "--sources", p, "--format", "semeval", "--max-bad-rows", "0", "--shard-rows", "1")
			if r.Code != 1 {
				t.Fatalf("exit code %d, want 1\nstderr:\n%s", r.Code, r.Stderr)
			}
			if !strings.Contains(r.Stderr, "error: ingest:") || !strings.Contains(r.Stderr, fmt.Sprintf("%q line %d: wrong field count", p, badLines[0])) ||
				!strings.Contains(r.Stderr, "--max-bad-rows") {
				t.Errorf("error does not name the file, line %d and the limit:\n%s", badLines[0], r.Stderr)
			}
			if !lineHas(r.Stderr, "bad row", p, fmt.Sprintf("line=%d", badLines[0]), "reason=") {
				t.Errorf("no log line with file, line and reason of the bad row:\n%s", r.Stderr)
			}
			if _, ok := s.Manifest(t, "strict", "ingest", "tweets"); ok {
				t.Error("a failed ingest committed its output")
			}
			for _, k := range s.Keys(t, "strict", "ingest", "tweets") {
				t.Errorf("a failed ingest left %q behind", k)
			}
			if sum := s.Summary(t, "strict", "ingest"); sum.Status != "failed" || len(sum.Outputs) != 0 {
				t.Errorf("summary status %q outputs %v, want failed and none", sum.Status, sum.Outputs)
			}
		})
	}

	s := stagetest.NewFS(t)
	r := s.MustRun(t, stages.Ingest, runFn, "lenient", "--sources", p, "--format", "semeval", "--max-bad-rows", "2")
	sum := s.Summary(t, "lenient", "ingest")
	if sum.Extra["bad_rows"] != float64(len(badLines)) || sum.RowsOut != 4 || sum.RowsIn != 6 {
		t.Errorf("summary bad_rows %v rows in/out %d/%d, want %d and 6/4", sum.Extra["bad_rows"], sum.RowsIn, sum.RowsOut, len(badLines))
	}
	if n := len(s.Tweets(t, "lenient", "ingest", "tweets")); n != 4 {
		t.Errorf("lenient ingest kept %d rows, want 4", n)
	}
	for _, l := range badLines {
		if !lineHas(r.Stderr, "bad row", p, fmt.Sprintf("line=%d", l), "reason=") {
			t.Errorf("bad line %d not logged", l)
		}
	}
}

func TestIngestUsageErrors(t *testing.T) {
	p, _ := badFile(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"--sources", p, "--format", "xml"}, "format"},
		{"missing sources", nil, "--sources"},
		{"bad label map", []string{"--sources", p, "--label-map", "0=>negative"}, "label-map"},
		{"missing file", []string{"--sources", filepath.Join(t.TempDir(), "nope.txt")}, "sources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stagetest.NewFS(t)
			r := s.Run(t, stages.Ingest, runFn, "u", tc.args...)
			if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("exit code %d, want 2 with %q in stderr:\n%s", r.Code, tc.want, r.Stderr)
			}
			if _, ok := s.Manifest(t, "u", "ingest", "tweets"); ok {
				t.Error("a usage error committed output")
			}
		})
	}
}
