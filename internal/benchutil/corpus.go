package benchutil

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/ingest"
)

// Format is the output format of WriteCorpus.
type Format string

// Corpus formats.
const (
	CSV   Format = "csv"   // Sentiment140 layout
	JSONL Format = "jsonl" // Twitter API v2 style objects
)

// ParseFormat parses "csv" or "jsonl".
func ParseFormat(s string) (Format, error) {
	switch Format(strings.ToLower(s)) {
	case CSV:
		return CSV, nil
	case JSONL:
		return JSONL, nil
	}
	return "", fmt.Errorf("parsing corpus format %q: want csv or jsonl", s)
}

// Options tunes WriteCorpus.
type Options struct {
	Rows        int     // rows to write
	Seed        uint64  // PCG seed of the resampling
	PerturbRate float64 // per-token replacement probability (see the package doc)
}

// DefaultPerturbRate is the token perturbation of hack/gencorpus.
const DefaultPerturbRate = 0.1

// DataDir returns the folder the corpus is resampled from: shared when it
// exists, else the demo data under the module root.
func DataDir(shared, moduleRoot string) string {
	if st, err := os.Stat(shared); err == nil && st.IsDir() {
		return shared
	}
	return filepath.Join(moduleRoot, "testdata", "demo")
}

// LoadPool ingests every data file under dir (formats detected, default
// label maps, bad rows skipped) and returns the rows with a sentiment label
// (negative, neutral, positive), in file-name order. Rows of other label
// sets (the AI/OTHER tweets of the shared data, unlabeled rows) are left
// out: the corpus is Sentiment140-shaped, and ingest's default label map
// for it knows only the three polarities.
func LoadPool(ctx context.Context, dir string) ([]dataset.Tweet, error) {
	paths, err := ingest.ExpandLocal([]string{dir})
	if err != nil {
		return nil, fmt.Errorf("loading pool %q: %w", dir, err)
	}
	var pool []dataset.Tweet
	_, err = ingest.Ingest(ctx, ingest.LocalSources(paths, ingest.FormatAuto, nil), func(t *dataset.Tweet) error {
		if _, ok := polarity[t.Label]; ok {
			pool = append(pool, *t)
		}
		return nil
	}, ingest.Options{MaxBadRows: -1})
	if err != nil {
		return nil, fmt.Errorf("loading pool %q: %w", dir, err)
	}
	if len(pool) == 0 {
		return nil, fmt.Errorf("loading pool %q: no tweets labeled negative, neutral or positive", dir)
	}
	return pool, nil
}

// WriteCorpus writes opts.Rows rows resampled from pool to w in format f
// and returns the bytes written.
func WriteCorpus(w io.Writer, f Format, pool []dataset.Tweet, opts Options) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	var line []byte
	var row func(*dataset.Tweet) error
	switch f {
	case CSV:
		row = func(t *dataset.Tweet) error {
			line = appendCSV(line[:0], t)
			_, err := bw.Write(line)
			return err
		}
	case JSONL:
		row = func(t *dataset.Tweet) error {
			var err error
			line, err = appendJSON(line[:0], t)
			if err != nil {
				return err
			}
			_, err = bw.Write(line)
			return err
		}
	default:
		return 0, fmt.Errorf("writing corpus: unknown format %q", f)
	}
	err := dataset.Resample(opts.Seed, pool, opts.Rows, dataset.ResampleOptions{PerturbRate: opts.PerturbRate}, row)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return cw.n, fmt.Errorf("writing %s corpus: %w", f, err)
	}
	return cw.n, nil
}

// polarity maps labels to Sentiment140 polarities.
var polarity = map[string]string{"negative": "0", "neutral": "2", "positive": "4"}

// s140Date is the Sentiment140 date layout, always in UTC here.
const s140Date = "Mon Jan 02 15:04:05 UTC 2006"

func appendCSV(b []byte, t *dataset.Tweet) []byte {
	p, ok := polarity[t.Label]
	if !ok {
		p = t.Label
	}
	b = appendQuoted(b, p)
	b = append(b, ',')
	b = appendQuoted(b, t.ID)
	b = append(b, ',', '"')
	if !t.CreatedAt.IsZero() {
		b = t.CreatedAt.UTC().AppendFormat(b, s140Date)
	}
	b = append(b, `","NO_QUERY",`...)
	b = appendQuoted(b, t.User)
	b = append(b, ',')
	b = appendQuoted(b, t.Text)
	return append(b, '\n')
}

// appendQuoted appends s as a quoted CSV field: quotes doubled, CR and LF
// replaced by spaces.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, '"', '"')
		case '\r', '\n':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

type jsonRow struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at,omitempty"`
	AuthorID  string `json:"author_id,omitempty"`
	Label     string `json:"label,omitempty"`
}

func appendJSON(b []byte, t *dataset.Tweet) ([]byte, error) {
	r := jsonRow{ID: t.ID, Text: t.Text, AuthorID: t.User, Label: t.Label}
	if !t.CreatedAt.IsZero() {
		r.CreatedAt = t.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	j, err := json.Marshal(r)
	if err != nil {
		return b, err
	}
	b = append(b, j...)
	return append(b, '\n'), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ItoaRows formats a row count for file names: 1600000 -> "1600k".
func ItoaRows(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
