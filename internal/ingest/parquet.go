package ingest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// parquet reads a tweetflow dataset file from a stream by copying it to a
// temporary file first (Parquet needs random access).
func (p *parser) parquet(r io.Reader) error {
	tmp, err := os.CreateTemp("", "tweetflow-ingest-*.parquet")
	if err != nil {
		return fmt.Errorf("buffering parquet: %w", err)
	}
	// Unlinked at once: nothing is left behind however the process ends
	// (Linux keeps the file while it is open).
	_ = os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("buffering parquet: %w", err)
	}
	return p.parquetReaderAt(tmp)
}

type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }

// parquetReaderAt reads a tweetflow dataset file in place. Rows keep all
// their columns (clean_text and urls too); the label goes through the label
// map (an empty label stays unlabeled); an empty source becomes
// "<name>:<row>". Line numbers are 1-based row numbers.
func (p *parser) parquetReaderAt(r interface {
	io.ReaderAt
	io.Seeker
}) error {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("sizing parquet: %w", err)
	}
	row := 0
	err = dataset.ReadShard(r, size, func(t *dataset.Tweet) error {
		row++
		if err := p.tick(); err != nil {
			return emitError{err}
		}
		var err error
		switch {
		case strings.TrimSpace(t.ID) == "":
			err = p.badRow(row, "empty id")
		case strings.TrimSpace(t.Text) == "":
			err = p.badRow(row, "empty text")
		case !utf8.ValidString(t.ID) || !utf8.ValidString(t.Text) || !utf8.ValidString(t.User) || !utf8.ValidString(t.Label):
			err = p.badRow(row, "invalid UTF-8")
		default:
			if t.Label != "" {
				l, ok := p.lm.Map(t.Label)
				if !ok {
					err = p.badRow(row, "%s", p.lm.unknown(t.Label))
					break
				}
				t.Label = l
			}
			if t.Source == "" {
				t.Source = p.source(row)
			}
			err = p.emit(t)
		}
		if err != nil {
			return emitError{err}
		}
		return nil
	})
	if ee, ok := err.(emitError); ok {
		return ee.err
	}
	if err != nil {
		return fmt.Errorf("reading parquet: %w", err)
	}
	return nil
}
