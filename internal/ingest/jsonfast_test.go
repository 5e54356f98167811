package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// jsonlResult is everything Read reports for one input.
type jsonlResult struct {
	rows []dataset.Tweet
	bad  []BadRow
	err  string
}

// readJSONL reads input as JSONL through the encoding/json path (std) or
// the fast scanner. stopAt > 0 makes the stopAt-th callback (good or bad)
// return an error, to compare how both paths stop.
func readJSONL(input []byte, lm *LabelMap, std bool, stopAt int) jsonlResult {
	var res jsonlResult
	calls := 0
	stop := func() error {
		if calls++; stopAt > 0 && calls == stopAt {
			return fmt.Errorf("stop at call %d", calls)
		}
		return nil
	}
	err := read(context.Background(), bytes.NewReader(input), ReadOptions{Name: "in.jsonl", Format: FormatJSONL, LabelMap: lm}, std,
		func(tw *dataset.Tweet) error { res.rows = append(res.rows, *tw); return stop() },
		func(b BadRow) error { res.bad = append(res.bad, b); return stop() })
	if err != nil {
		res.err = err.Error()
	}
	return res
}

// diffLabelMaps are the label maps every differential input runs under.
var diffLabelMaps = func() []*LabelMap {
	numeric, err := ParseLabelMap("0->negative,4->positive, Pos ->positive")
	if err != nil {
		panic(err)
	}
	permissive, err := ParseLabelMap("*")
	if err != nil {
		panic(err)
	}
	return []*LabelMap{nil, numeric, permissive}
}()

// diffJSONL fails when the two paths report anything differently, and
// returns how many of the input's lines the fast scanner handled itself.
func diffJSONL(t testing.TB, input []byte) int {
	t.Helper()
	for _, lm := range diffLabelMaps {
		for _, stopAt := range []int{0, 1, 2} {
			std, fast := readJSONL(input, lm, true, stopAt), readJSONL(input, lm, false, stopAt)
			if !reflect.DeepEqual(std, fast) {
				t.Fatalf("label map %v, stop at %d: paths differ on %q\nstd:  %+v\nfast: %+v", lm, stopAt, truncate(input), std, fast)
			}
		}
	}
	return fastHandled(input)
}

// fastHandled counts the lines of input the fast scanner accepts.
func fastHandled(input []byte) int {
	n := 0
	p := &parser{ctx: context.Background(), name: "in.jsonl", lm: DefaultLabelMap(FormatJSONL),
		emit: func(*dataset.Tweet) error { return nil }, bad: func(BadRow) error { return nil }}
	lr := newLineReader(bufioReader(input))
	for {
		raw, line, done, err := p.nextLine(lr)
		if done || err != nil {
			return n
		}
		if ok, _ := p.jsonRowFast(line, raw); ok {
			n++
		}
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(b), 256<<10) }

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

const goodLine = `{"id":"1","text":"ok","label":"positive"}`

// jsonlEdgeLines are single lines covering what the fast scanner must
// either handle exactly like encoding/json or hand to it.
var jsonlEdgeLines = []string{
	// Plain good rows and the envelope.
	goodLine,
	`{"id":"1700000000000000001","text":"Just finished 😍","created_at":"2023-09-08T10:15:00.000Z","author_id":"2244994945","lang":"en","label":"positive"}`,
	`{"data":{"id":"2","text":"in an envelope","created_at":"2020-05-01T12:00:00+02:00"},"sentiment":"negative"}`,
	`{"data":{"id":"2","text":"t","label":"neutral"},"label":"positive"}`,
	`{"data":{"id":"2","text":"t","sentiment":"neutral"},"label":"positive"}`,
	`{"data":{"id":"2","text":"t"},"label":null,"sentiment":"positive"}`,
	`{"data":{"id":"2","text":"t","data":null}}`,
	`{"data":{"id":"2","text":"t","data":{"id":"3"}}}`,
	`{"data":{"id":"2","text":"t"},"id":"x","text":5}`,
	`{"data":{},"id":"2","text":"t"}`,
	`{"data":null,"id":"2","text":"t"}`,
	`{"data":5,"id":"2","text":"t"}`,
	`{"data":"x","id":"2","text":"t"}`,
	`{"data":[],"id":"2","text":"t"}`,
	`{"id":"1","text":"t","data":{"id":"9","text":"inner wins"}}`,
	// Whitespace, CRLF, BOM.
	"  {  \"id\" : \"1\" ,\t\"text\" : \"spaced\" }  ",
	"{\"id\":\"1\",\"text\":\"crlf\"}\r",
	"\xef\xbb\xbf{\"id\":\"1\",\"text\":\"bom\"}",
	"{\"id\":\"1\",\r\"text\":\"cr inside\"}",
	// ids.
	`{"id":123,"text":"numeric id"}`,
	`{"id":0,"text":"zero"}`,
	`{"id":-1,"text":"t"}`,
	`{"id":1.5,"text":"t"}`,
	`{"id":1e5,"text":"t"}`,
	`{"id":01,"text":"t"}`,
	`{"id":"","text":"t"}`,
	`{"id":"12x","text":"t"}`,
	`{"id":" 12","text":"t"}`,
	`{"id":"\u0031\u0032","text":"escaped digits"}`,
	`{"id":null,"text":"t"}`,
	`{"id":true,"text":"t"}`,
	`{"id":{"a":1},"text":"t"}`,
	`{"id":[1],"text":"t"}`,
	`{"text":"no id"}`,
	`{"id":99999999999999999999999,"text":"big"}`,
	// text.
	`{"id":"1"}`,
	`{"id":"1","text":null}`,
	`{"id":"1","text":""}`,
	`{"id":"1","text":"   "}`,
	`{"id":"1","text":"\t\n"}`,
	`{"id":"1","text":"\u00a0"}`,
	`{"id":"1","text":"\u3000x"}`,
	`{"id":"1","text":5}`,
	`{"id":"1","text":true}`,
	`{"id":"1","text":["a"]}`,
	`{"id":"1","text":{"a":"b"}}`,
	// Escapes.
	`{"id":"1","text":"a\"b\\c\/d\be\ff\ng\rh\ti"}`,
	`{"id":"1","text":"\u0041\u00e9\u4e2d\u0000end"}`,
	`{"id":"1","text":"pair \ud83d\ude00 ok"}`,
	`{"id":"1","text":"upper \uD83D\uDE00 ok"}`,
	`{"id":"1","text":"lone high \ud83d end"}`,
	`{"id":"1","text":"lone high at end \ud83d"}`,
	`{"id":"1","text":"lone low \ude00 end"}`,
	`{"id":"1","text":"high high \ud83d\ud83d\ude00"}`,
	`{"id":"1","text":"high then bmp \ud83d\u0041"}`,
	`{"id":"1","text":"high then escape \ud83d\n"}`,
	`{"id":"1","text":"bad hex \u12g4"}`,
	`{"id":"1","text":"short \u12"}`,
	`{"id":"1","text":"bad escape \x"}`,
	`{"id":"1","text":"single quote \'"}`,
	`{"id":"1","text":"html \u003c\u003e\u0026 \u2028\u2029"}`,
	`{"id":"1","text":"replacement \ufffd and ` + "\uFFFD" + `"}`,
	`{"id":"1","text":"trailing backslash \`,
	"{\"id\":\"1\",\"text\":\"raw tab\there\"}",
	"{\"id\":\"1\",\"text\":\"raw nul\x00here\"}",
	"{\"id\":\"1\",\"text\":\"del\x7fhere\"}",
	"{\"id\":\"1\",\"text\":\"invalid \xff utf8\"}",
	"{\"id\":\"1\",\"text\":\"overlong \xc0\x80\"}",
	"{\"id\":\"1\",\"text\":\"surrogate bytes \xed\xa0\x80\"}",
	// created_at.
	`{"id":"1","text":"t","created_at":"2009-04-06T22:19:45Z"}`,
	`{"id":"1","text":"t","created_at":"2009-04-06T22:19:45.123456789-07:00"}`,
	`{"id":"1","text":"t","created_at":""}`,
	`{"id":"1","text":"t","created_at":null}`,
	`{"id":"1","text":"t","created_at":"yesterday"}`,
	`{"id":"1","text":"t","created_at":"2009-02-30T10:00:00Z"}`,
	`{"id":"1","text":"t","created_at":"2009-04-06 22:19:45Z"}`,
	`{"id":"1","text":"t","created_at":"2009-04-06T22:19:45.000z"}`,
	`{"id":"1","text":"t","created_at":"\u0032009-04-06T22:19:45Z"}`,
	`{"id":"1","text":"t","created_at":5}`,
	`{"id":"1","text":"t","created_at":{}}`,
	// author_id and lang.
	`{"id":"1","text":"t","author_id":"u\u00e9"}`,
	`{"id":"1","text":"t","author_id":null}`,
	`{"id":"1","text":"t","author_id":42}`,
	`{"id":"1","text":"t","lang":null}`,
	`{"id":"1","text":"t","lang":7}`,
	`{"id":"1","text":"t","lang":["en"]}`,
	// Labels.
	`{"id":"1","text":"t","label":"Positive"}`,
	`{"id":"1","text":"t","label":" NEGATIVE "}`,
	`{"id":"1","text":"t","label":"pos"}`,
	`{"id":"1","text":"t","label":" Pos "}`,
	`{"id":"1","text":"t","label":""}`,
	`{"id":"1","text":"t","label":"  "}`,
	`{"id":"1","text":"t","label":"meh"}`,
	`{"id":"1","text":"t","label":0}`,
	`{"id":"1","text":"t","label":4}`,
	`{"id":"1","text":"t","label":-0}`,
	`{"id":"1","text":"t","label":4.0}`,
	`{"id":"1","text":"t","label":4e0}`,
	`{"id":"1","text":"t","label":true}`,
	`{"id":"1","text":"t","label":{"x":1}}`,
	`{"id":"1","text":"t","label":[1]}`,
	`{"id":"1","text":"t","label":null,"sentiment":"neutral"}`,
	`{"id":"1","text":"t","label":"","sentiment":"neutral"}`,
	`{"id":"1","text":"t","sentiment":0}`,
	`{"id":"1","text":"t","label":"\u0050ositive"}`,
	`{"id":"1","text":"t","label":"Ｐositive"}`,
	// Duplicate and case-folded keys (encoding/json: last wins, any case).
	`{"id":"1","text":"first","text":"second"}`,
	`{"id":"1","id":"2","text":"t"}`,
	`{"id":"1","text":"t","text":null}`,
	`{"id":"1","text":null,"text":"t"}`,
	`{"id":"1","text":"t","label":"positive","label":"negative"}`,
	`{"id":"1","text":"t","label":"meh","label":null}`,
	`{"data":{"id":"1"},"data":{"text":"merged"}}`,
	`{"data":{"id":"1","text":"t"},"data":null}`,
	`{"ID":"1","text":"t"}`,
	`{"id":"1","Text":"folded"}`,
	`{"id":"1","text":"t","TEXT":"folded wins"}`,
	`{"id":"1","text":"t","Label":"negative"}`,
	`{"id":"1","text":"t","Data":{"id":"2","text":"u"}}`,
	`{"id":"1","text":"t","CREATED_AT":"2009-04-06T22:19:45Z"}`,
	`{"id":"1","text":"t","ſentiment":"negative"}`,
	`{"id":"1","text":"t","\u0074ext":"escaped key"}`,
	`{"i\u0064":"1","text":"t"}`,
	`{"id":"1","text":"t","":"empty key"}`,
	`{"id":"1","text":"t","labels":"x","texts":"y","ids":"z"}`,
	// Unknown fields of every shape, nested.
	`{"id":"1","text":"t","entities":{"urls":[{"url":"https://t.co/x","indices":[0,23]}],"mentions":[]},"public_metrics":{"retweet_count":0,"like_count":1.5e3},"possibly_sensitive":false,"x":null,"y":true,"z":-0.5E-2}`,
	`{"id":"1","text":"t","a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	`{"id":"1","text":"t","a":{"b":{"c":{"d":{"e":{}}}}}}`,
	`{"id":"1","text":"t","a":[1,2,]}`,
	`{"id":"1","text":"t","a":[,1]}`,
	`{"id":"1","text":"t","a":{"b":1,}}`,
	`{"id":"1","text":"t","a":{"b"}}`,
	`{"id":"1","text":"t","a":{1:2}}`,
	`{"id":"1","text":"t","a":tru}`,
	`{"id":"1","text":"t","a":nulls}`,
	`{"id":"1","text":"t","a":1.}`,
	`{"id":"1","text":"t","a":.5}`,
	`{"id":"1","text":"t","a":1e}`,
	`{"id":"1","text":"t","a":+1}`,
	`{"id":"1","text":"t","a":0x10}`,
	`{"id":"1","text":"t","a":NaN}`,
	`{"id":"1","text":"t","a":'x'}`,
	// Malformed lines.
	`{"id":"1","text":"unterminated}`,
	`{"id":"1","text":"t"`,
	`{"id":"1","text":"t",}`,
	`{"id":"1" "text":"t"}`,
	`{"id":"1","text":"t"}}`,
	`{"id":"1","text":"t"} {"id":"2","text":"u"}`,
	`{"id":"1","text":"t"} x`,
	`{"id":"1","text":"t"},`,
	`{id:"1",text:"t"}`,
	`{'id':'1'}`,
	`[{"id":"1","text":"t"}]`,
	`"just a string"`,
	`42`,
	`null`,
	`true`,
	`{}`,
	`{`,
	`}`,
	`x`,
	`{"id":"1","text":"t"}` + "\x00",
	`{"id":"1","text":"t"}` + "\v",
	"\v" + `{"id":"1","text":"t"}`,
	"\f" + `{"id":"1","text":"t"}`,
}

// TestJSONLFastEdgeCases runs every edge line, alone and after a good
// line, through both paths.
func TestJSONLFastEdgeCases(t *testing.T) {
	handled := 0
	for i, l := range jsonlEdgeLines {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			handled += diffJSONL(t, []byte(l+"\n"))
			diffJSONL(t, []byte(goodLine+"\n"+l+"\n"+goodLine))
			diffJSONL(t, []byte(goodLine+"\r\n"+l+"\r\n"))
		})
	}
	// The fast scanner must really take the ordinary lines: at least the
	// first few, which are plain good rows.
	if handled < 10 {
		t.Errorf("the fast scanner handled only %d edge lines", handled)
	}
}

// TestJSONLFastTakesGoodRows checks that the differential tests exercise
// the fast scanner: these lines must not fall back to encoding/json.
func TestJSONLFastTakesGoodRows(t *testing.T) {
	for _, l := range []string{
		goodLine,
		`{"data":{"id":"2","text":"in an envelope","created_at":"2020-05-01T12:00:00+02:00"},"sentiment":"negative"}`,
		`{"id":123,"text":"numeric id","label":"Positive","lang":"en","x":[{"y":null}]}`,
		`{"id":"1","text":"pair \ud83d\ude00, lone \ud83d, \u0026\"\\","author_id":"u"}`,
		` {"id":"1","text":"t","label":null,"sentiment":""} `,
		`{"id":"1","text":"t","label":"meh"}`, // JSONL keeps any label (DefaultLabelMap)
	} {
		if n := fastHandled([]byte(l)); n != 1 {
			t.Errorf("fast scanner declined %s", l)
		}
	}
	for _, l := range []string{
		`{"id":"1","text":" "}`,
		`{"id":"1","id":"1","text":"t"}`,
		`{"id":"1","Text":"t"}`,
	} {
		if n := fastHandled([]byte(l)); n != 0 {
			t.Errorf("fast scanner took %s, which encoding/json must decide", l)
		}
	}
}

// TestJSONLFastLongLines covers lines near and over the 1 MiB limit.
func TestJSONLFastLongLines(t *testing.T) {
	long := strings.Repeat("abc ", maxLineBytes/4+16)
	for _, n := range []int{maxLineBytes - 40, maxLineBytes - 20, maxLineBytes + 10} {
		text := long[:n]
		in := goodLine + "\n" + `{"id":"1","text":"` + text + `"}` + "\n" + goodLine + "\n"
		diffJSONL(t, []byte(in))
	}
	diffJSONL(t, []byte(`{"id":"1","text":"t","a":"`+strings.Repeat(`\u00e9`, 100_000)+`"}`))
}

// TestJSONLFastFiles compares both paths on the committed JSONL demo file,
// on the shared (or demo) tweets written as JSONL the way hack/gencorpus
// writes them, and on the files named in $TWEETFLOW_JSONL_DIFF
// (colon-separated, e.g. a gencorpus output).
func TestJSONLFastFiles(t *testing.T) {
	files := []string{filepath.Join(demoDir, "sample.jsonl")}
	if env := os.Getenv("TWEETFLOW_JSONL_DIFF"); env != "" {
		files = append(files, strings.Split(env, ":")...)
	}
	check := func(name string, data []byte) {
		lines := bytes.Count(data, []byte{'\n'})
		n := diffJSONL(t, data)
		good := len(readJSONL(data, nil, true, 0).rows)
		if n != good {
			t.Errorf("%s: the fast scanner handled %d lines, want all %d good rows", name, n, good)
		}
		t.Logf("%s: %d lines, %d good rows, all by the fast scanner", name, lines, good)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, data)
	}
	check("real tweets as JSONL", realJSONL(t, false))
}

// realJSONL writes the shared tweets (or the demo data when the shared
// data is missing) as JSONL in hack/gencorpus's layout: json.Marshal of
// id, text, created_at (milliseconds, Z), author_id and label. With
// freshIDs every row gets the id 9000000000000000000+i as in gencorpus
// (the NLTK rows have none that JSONL accepts), so all rows are good.
func realJSONL(t testing.TB, freshIDs bool) []byte {
	t.Helper()
	dir := realData
	if _, err := os.Stat(dir); err != nil {
		dir = demoDir
	}
	files, err := ExpandLocal([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	i := uint64(0)
	_, err = Ingest(context.Background(), LocalSources(files, FormatAuto, nil), func(tw *dataset.Tweet) error {
		row := struct {
			ID        string `json:"id"`
			Text      string `json:"text"`
			CreatedAt string `json:"created_at,omitempty"`
			AuthorID  string `json:"author_id,omitempty"`
			Label     string `json:"label,omitempty"`
		}{tw.ID, tw.Text, "", tw.User, tw.Label}
		if freshIDs {
			row.ID = strconv.FormatUint(9_000_000_000_000_000_000+i, 10)
			i++
		}
		if !tw.CreatedAt.IsZero() {
			row.CreatedAt = tw.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		j, err := json.Marshal(row)
		buf.Write(j)
		buf.WriteByte('\n')
		return err
	}, Options{MaxBadRows: -1})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJSONLFastReadError checks that a failing stream gives the same
// error on both paths.
func TestJSONLFastReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, std := range []bool{true, false} {
		r := io.MultiReader(strings.NewReader(goodLine+"\n"+goodLine+"\n"), &errReader{boom})
		n := 0
		err := read(context.Background(), r, ReadOptions{Name: "x", Format: FormatJSONL}, std,
			func(*dataset.Tweet) error { n++; return nil }, func(BadRow) error { return nil })
		if !errors.Is(err, boom) || n != 2 || !strings.Contains(err.Error(), "reading line 3") {
			t.Errorf("std=%v: %d rows, error %v", std, n, err)
		}
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

// FuzzJSONLFast compares both paths on arbitrary input, run as a JSONL
// file. go test -run '^$' -fuzz FuzzJSONLFast -fuzztime 3m ./internal/ingest/
func FuzzJSONLFast(f *testing.F) {
	for _, l := range jsonlEdgeLines {
		f.Add([]byte(l))
	}
	f.Add([]byte(goodLine + "\n" + `{"data":{"id":"2","text":"x"},"label":"positive"}` + "\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		diffJSONL(t, data)
	})
}

// TestJSONLFastTimeCompare guards the assumption the differential tests rely on:
// reflect.DeepEqual on dataset.Tweet compares CreatedAt exactly, location
// included, so a row only matches with the very same time value.
func TestJSONLFastTimeCompare(t *testing.T) {
	a := dataset.Tweet{CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := dataset.Tweet{CreatedAt: a.CreatedAt.In(time.FixedZone("x", 0))}
	if reflect.DeepEqual(a, b) {
		t.Fatal("DeepEqual ignores the location of CreatedAt")
	}
}

// FuzzJSONLFastFields compares both paths on one line built from raw JSON
// fragments in the places of the values (and one extra key), so that the
// mutations land where the fast scanner decodes rather than in the
// syntax around it.
// go test -run '^$' -fuzz FuzzJSONLFastFields -fuzztime 3m ./internal/ingest/
func FuzzJSONLFastFields(f *testing.F) {
	f.Add(`"1"`, `"hello \u0026 \ud83d\ude00"`, `"2009-04-06T22:19:45.000Z"`, `"u"`, `"Positive"`, `"lang"`, `"en"`, false)
	f.Add(`123`, `"t"`, `null`, `null`, `0`, `"entities"`, `{"urls":[{"u":1}]}`, true)
	f.Add(`"12x"`, `"  "`, `"yesterday"`, `5`, `{"a":1}`, `"TEXT"`, `"folded"`, false)
	f.Add(`"1"`, `"\ud800\udc00\udbff"`, `""`, `"\u00e9"`, `" neutral "`, `"sentiment"`, `"negative"`, true)
	f.Fuzz(func(t *testing.T, id, text, created, author, label, extraKey, extraVal string, envelope bool) {
		tweet := `{"id":` + id + `,"text":` + text + `,"created_at":` + created + `,"author_id":` + author + `,"label":` + label + `,` + extraKey + `:` + extraVal + `}`
		if envelope {
			tweet = `{"data":` + tweet + `,"sentiment":` + label + `}`
		}
		diffJSONL(t, []byte(tweet))
	})
}
