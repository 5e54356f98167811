package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/tweetflow/tweetflow/internal/dataset"
)

// Format names a source file format.
type Format string

// Supported formats. FormatAuto detects the format (see DetectFormat).
const (
	FormatAuto         Format = "auto"
	FormatSentiment140 Format = "sentiment140"
	FormatSemEval      Format = "semeval"
	FormatNLTK         Format = "nltk"
	FormatJSONL        Format = "jsonl"
	FormatParquet      Format = "parquet"
	FormatCSV          Format = "csv" // comma-separated with a header, mapped by Columns
	FormatTSV          Format = "tsv" // tab-separated with a header, mapped by Columns
)

// Formats lists the accepted format names.
var Formats = []Format{FormatAuto, FormatSentiment140, FormatSemEval, FormatNLTK, FormatJSONL, FormatParquet, FormatCSV, FormatTSV}

// ParseFormat parses a format name; "" means auto.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatAuto, nil
	}
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("parsing format %q: want one of %v", s, Formats)
}

// BadRow is a source row that could not be ingested.
type BadRow struct {
	Source string // source name (path or URI)
	Line   int    // 1-based line (row number for Parquet)
	Reason string
	// Raw holds the bytes of the row when the reader has them: the line
	// (the first physical line of a delimited record; nil for a line over
	// the length limit and for Parquet rows), or the whole record given
	// to a RecordDecoder. It is a copy the receiver may keep.
	Raw []byte
}

func (b *BadRow) Error() string { return fmt.Sprintf("%q line %d: %s", b.Source, b.Line, b.Reason) }

// ReadOptions describes one source for Read.
type ReadOptions struct {
	Name     string    // source name used in messages and Tweet.Source
	Format   Format    // FormatAuto (or "") to detect
	LabelMap *LabelMap // nil: DefaultLabelMap(format)
	Columns  Columns   // column mapping of FormatCSV and FormatTSV (and their detection)
	// OnRaw, when set, is called before each good row is emitted with
	// the bytes it was decoded from: the line (JSONL, Sentiment140,
	// SemEval, NLTK), the first physical line of a delimited record; nil
	// for Parquet and table rows. The bytes are valid during the call.
	OnRaw func(raw []byte)
}

// Read parses one source stream and calls emit for each good row and bad
// for each bad row, in file order, without loading the stream whole. An
// error returned by emit or bad stops reading and is returned as is.
//
// The *dataset.Tweet passed to emit is reused between calls: copy the
// struct to keep it (its strings are never overwritten). Tweet.Source is
// "<name>:<line>". For FormatParquet, r is read in place when it is an
// io.ReaderAt and io.Seeker (an *os.File), else copied to a temporary file.
func Read(ctx context.Context, r io.Reader, opts ReadOptions, emit func(*dataset.Tweet) error, bad func(BadRow) error) error {
	return read(ctx, r, opts, false, emit, bad)
}

// read is Read; stdJSON turns off the fast JSONL scanner so that tests and
// benchmarks can compare it with the encoding/json path.
func read(ctx context.Context, r io.Reader, opts ReadOptions, stdJSON bool, emit func(*dataset.Tweet) error, bad func(BadRow) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	f := opts.Format
	if f == "" || f == FormatAuto {
		head, err := sniff(br)
		if err != nil {
			return fmt.Errorf("reading %q: %w", opts.Name, err)
		}
		if f, err = DetectFormatColumns(opts.Name, head, opts.Columns); err != nil {
			return err
		}
	}
	lm := opts.LabelMap
	if lm == nil {
		lm = DefaultLabelMap(f)
	}
	p := &parser{ctx: ctx, name: opts.Name, lm: lm, cols: opts.Columns, emit: emit, bad: bad, stdJSON: stdJSON}
	if onRaw := opts.OnRaw; onRaw != nil {
		p.emit = func(t *dataset.Tweet) error {
			onRaw(p.cur)
			return emit(t)
		}
	}
	switch f {
	case FormatSentiment140:
		return p.sentiment140(newLineReader(br))
	case FormatSemEval:
		return p.semeval(newLineReader(br))
	case FormatNLTK:
		return p.nltk(newLineReader(br))
	case FormatJSONL:
		return p.jsonl(newLineReader(br))
	case FormatCSV:
		return p.delimited(newLineReader(br), ',')
	case FormatTSV:
		return p.delimited(newLineReader(br), '\t')
	case FormatParquet:
		if ra, ok := r.(interface {
			io.ReaderAt
			io.Seeker
		}); ok {
			return p.parquetReaderAt(ra) // ReadAt ignores what br consumed
		}
		return p.parquet(br)
	}
	return fmt.Errorf("reading %q: unsupported format %q", opts.Name, f)
}

// utf8BOM is the UTF-8 byte order mark some editors write at the start of
// a text file.
var utf8BOM = []byte("\xef\xbb\xbf")

// sniff returns the first bytes of br for format detection after dropping
// a leading UTF-8 byte order mark from the stream, so that every format
// reader and the detection see the same bytes. A read error (anything but
// the end of the stream) is returned: it is not a format problem.
func sniff(br *bufio.Reader) ([]byte, error) {
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if bytes.HasPrefix(head, utf8BOM) {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, err
		}
		head = head[len(utf8BOM):]
	}
	return head, nil
}

// DetectFormat is DetectFormatColumns with the default columns (a header
// with a "text" column makes a delimited file FormatCSV or FormatTSV).
func DetectFormat(name string, head []byte) (Format, error) {
	return DetectFormatColumns(name, head, Columns{})
}

// DetectFormatColumns picks the format of a source from its name and
// first bytes. The extension first: .parquet, .jsonl/.ndjson/.json,
// .csv (FormatCSV when the first line looks like a header, that is has no
// all-digit field, else FormatSentiment140, whose records start with two
// numbers), .tsv/.tab (FormatTSV for a header with the text column of
// cols, else by content). Then the content: "PAR1" magic, a '{' line
// (JSONL), a first line that is a header with the text column
// (comma-separated: FormatCSV, else tab-separated: FormatTSV; a header
// has no all-digit field, so a SemEval record whose text is "text" is not
// one), a quoted CSV line (Sentiment140), or
// tab-separated lines: "<digits>\t<label>\t<text>" is semeval,
// "<text>\t<label>" is nltk.
func DetectFormatColumns(name string, head []byte, cols Columns) (Format, error) {
	first := head
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimPrefix(bytes.TrimRight(first, "\r"), []byte("\xef\xbb\xbf"))
	textCol := cols.TextColumn()
	if isS140Header(first) && !headerMaps(first, cols) {
		return FormatSentiment140, nil // its reader skips the header
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".parquet":
		return FormatParquet, nil
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	case ".tsv", ".tab":
		if headerHas(first, '\t', textCol) {
			return FormatTSV, nil
		}
	case ".csv":
		if like, _ := headerLike(first, ',', textCol); like {
			return FormatCSV, nil // reading it names a missing text column
		}
		return FormatSentiment140, nil
	}
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return FormatParquet, nil
	}
	trimmed := bytes.TrimLeft(first, " \t")
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		return FormatJSONL, nil
	case headerHas(first, ',', textCol):
		return FormatCSV, nil
	case headerHas(first, '\t', textCol):
		return FormatTSV, nil
	case len(first) > 0 && first[0] == '"' && bytes.Contains(first, []byte(`","`)):
		return FormatSentiment140, nil
	}
	if fields := bytes.Split(first, []byte{'\t'}); len(fields) >= 2 {
		if len(fields) >= 3 && isDigits(fields[0]) {
			return FormatSemEval, nil
		}
		if len(fields) == 2 {
			return FormatNLTK, nil
		}
	}
	return "", fmt.Errorf("detecting the format of %q: not recognised; name it explicitly (one of %v)", name, Formats[1:])
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parser holds the per-source state shared by the format readers.
type parser struct {
	ctx  context.Context
	name string
	lm   *LabelMap
	emit func(*dataset.Tweet) error
	bad  func(BadRow) error

	cols    Columns
	stdJSON bool // JSONL through encoding/json only (no fast scanner)

	t       dataset.Tweet
	cur     []byte // the raw row being parsed, for BadRow.Raw; valid until the next row
	srcBuf  []byte
	scratch []byte
	rows    int
	sawRow  bool // a non-blank line was read (Sentiment140 header check)
}

// badRow reports a bad row.
func (p *parser) badRow(line int, format string, args ...any) error {
	return p.bad(BadRow{Source: p.name, Line: line, Reason: fmt.Sprintf(format, args...), Raw: bytes.Clone(p.cur)})
}

// source renders "<name>:<line>" with one allocation.
func (p *parser) source(line int) string {
	p.srcBuf = append(append(p.srcBuf[:0], p.name...), ':')
	p.srcBuf = strconv.AppendInt(p.srcBuf, int64(line), 10)
	return string(p.srcBuf)
}

// tick checks for cancellation every 4096 rows.
func (p *parser) tick() error {
	p.rows++
	if p.rows&4095 == 0 {
		return p.ctx.Err()
	}
	return nil
}

// Source is one input of Ingest.
type Source struct {
	Name string                        // path or URI, used in messages and Tweet.Source
	Open func() (io.ReadCloser, error) // opens the stream; closed by Ingest
	// OpenTable, when set, opens a table or query result instead of a
	// stream (Open and Format are not used; the format is FormatTable).
	// Ingest closes it.
	OpenTable func(ctx context.Context) (TableRows, error)
	Format    Format    // "" or FormatAuto to detect
	LabelMap  *LabelMap // nil: DefaultLabelMap of the format
	Columns   Columns   // column mapping of delimited files
}

// Options tunes Ingest.
type Options struct {
	// MaxBadRows is how many bad rows (over all sources) are tolerated;
	// one more fails the ingest. Negative means no limit.
	MaxBadRows int
	// OnBadRow, when set, is called for every bad row (e.g. to log it).
	OnBadRow func(BadRow)
	// MaxExamples is how many bad rows Stats keeps (default 10).
	MaxExamples int
	// OnEmptySource, when set, is called for every source that holds no
	// row at all (an empty file, a header without rows): a warning, the
	// other sources go on.
	OnEmptySource func(name string)
	// AllowNoRows lets an Ingest that passes no row to the sink succeed.
	// By default it fails: with ErrNoRows naming the sources when every
	// source is empty, or naming the first bad rows when every row read
	// was bad (a binary file under the bad-row limit, say).
	AllowNoRows bool
	// OnRaw, when set, is called before each good row reaches the sink
	// with the bytes it was decoded from (see ReadOptions.OnRaw).
	OnRaw func(raw []byte)
}

// SourceStats counts the rows of one source.
type SourceStats struct {
	Name    string
	Format  Format // the detected or given format
	RowsIn  int64  // rows read: good + bad
	RowsOut int64  // rows passed to the sink
	BadRows int64
	Bytes   int64 // bytes read from the stream
}

// Stats summarises an Ingest.
type Stats struct {
	Sources     []SourceStats
	RowsIn      int64
	RowsOut     int64
	BadRows     int64
	BadExamples []BadRow // the first Options.MaxExamples bad rows
	BytesRead   int64
}

// ErrTooManyBadRows is wrapped by the error Ingest returns when the bad
// rows exceed Options.MaxBadRows.
var ErrTooManyBadRows = errors.New("too many bad rows")

// ErrNoRows is wrapped by the error Ingest returns when no row reached the
// sink (see Options.AllowNoRows).
var ErrNoRows = errors.New("no rows")

// Ingest reads every source in order and passes each good row to sink
// (the *dataset.Tweet is reused: copy it to keep it). Bad rows are counted
// in Stats; once more than opts.MaxBadRows occur, Ingest stops with an
// error wrapping ErrTooManyBadRows that names the first few. Stats are
// returned (up to the failure point) even with an error.
func Ingest(ctx context.Context, sources []Source, sink func(*dataset.Tweet) error, opts Options) (Stats, error) {
	if opts.MaxExamples <= 0 {
		opts.MaxExamples = 10
	}
	var st Stats
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		ss := SourceStats{Name: src.Name, Format: src.Format}
		err := ingestOne(ctx, src, &ss, &st, sink, opts)
		st.Sources = append(st.Sources, ss)
		st.RowsIn += ss.RowsIn
		st.RowsOut += ss.RowsOut
		st.BytesRead += ss.Bytes
		if err != nil {
			return st, err
		}
		if ss.RowsIn == 0 && opts.OnEmptySource != nil {
			opts.OnEmptySource(src.Name)
		}
	}
	if st.RowsOut == 0 && !opts.AllowNoRows {
		return st, noRows(&st)
	}
	return st, nil
}

// noRows explains an Ingest that passed no row to the sink.
func noRows(st *Stats) error {
	var names []string
	for _, s := range st.Sources {
		names = append(names, strconv.Quote(s.Name))
	}
	if len(names) > 5 {
		names = append(names[:5], fmt.Sprintf("and %d more", len(st.Sources)-5))
	}
	list := strings.Join(names, ", ")
	if st.BadRows == 0 {
		return fmt.Errorf("ingesting: %w: every source is empty (%s): nothing to publish; check the paths or the export that wrote them", ErrNoRows, list)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ingesting: %v: no good row in %s: all %d rows read were bad (is it the right file and format? see --format and the column flags)", ErrNoRows, list, st.BadRows)
	n := min(len(st.BadExamples), 5)
	for i := 0; i < n; i++ {
		b.WriteString("\n  ")
		b.WriteString(st.BadExamples[i].Error())
	}
	return &noRowsError{msg: b.String()}
}

type noRowsError struct{ msg string }

func (e *noRowsError) Error() string { return e.msg }
func (e *noRowsError) Unwrap() error { return ErrNoRows }

type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }

func ingestOne(ctx context.Context, src Source, ss *SourceStats, st *Stats, sink func(*dataset.Tweet) error, opts Options) error {
	emit := func(t *dataset.Tweet) error {
		ss.RowsIn++
		if err := sink(t); err != nil {
			return sinkError{err}
		}
		ss.RowsOut++
		return nil
	}
	bad := func(b BadRow) error {
		ss.RowsIn++
		ss.BadRows++
		st.BadRows++
		if len(st.BadExamples) < opts.MaxExamples {
			st.BadExamples = append(st.BadExamples, b)
		}
		if opts.OnBadRow != nil {
			opts.OnBadRow(b)
		}
		if opts.MaxBadRows >= 0 && st.BadRows > int64(opts.MaxBadRows) {
			return tooMany(st, opts.MaxBadRows)
		}
		return nil
	}
	if src.OpenTable != nil {
		ss.Format = FormatTable
		rows, err := src.OpenTable(ctx)
		if err != nil {
			return fmt.Errorf("opening source %q: %w", src.Name, err)
		}
		err = ReadTable(ctx, rows, ReadOptions{Name: src.Name, LabelMap: src.LabelMap, Columns: src.Columns}, emit, bad)
		if cerr := rows.Close(); err == nil && cerr != nil {
			err = cerr
		}
		return sourceError(src.Name, err)
	}
	rc, err := src.Open()
	if err != nil {
		return fmt.Errorf("opening source %q: %w", src.Name, err)
	}
	defer rc.Close()
	f := src.Format
	if f == "" {
		f = FormatAuto
	}
	cr := &countingReader{r: rc}
	var r io.Reader = cr
	if f == FormatAuto {
		// Detect here so Stats can report the format.
		br := bufio.NewReaderSize(cr, 256<<10)
		head, err := sniff(br)
		if err != nil {
			return fmt.Errorf("reading source %q: %w", src.Name, err)
		}
		if f, err = DetectFormatColumns(src.Name, head, src.Columns); err != nil {
			return err
		}
		r = br
	}
	if _, ok := rc.(interface {
		io.ReaderAt
		io.Seeker
	}); ok && f == FormatParquet {
		r = rc // read in place, no spooling
	}
	ss.Format = f
	err = Read(ctx, r, ReadOptions{Name: src.Name, Format: f, LabelMap: src.LabelMap, Columns: src.Columns, OnRaw: opts.OnRaw}, emit, bad)
	ss.Bytes = cr.n
	if f == FormatParquet {
		if s, ok := rc.(io.Seeker); ok {
			if n, serr := s.Seek(0, io.SeekEnd); serr == nil {
				ss.Bytes = n // read in place through ReadAt: the file size
			}
		}
	}
	return sourceError(src.Name, err)
}

// sourceError unwraps a sink's error and names the source in a read error.
func sourceError(name string, err error) error {
	var se sinkError
	if errors.As(err, &se) {
		return se.err
	}
	if err != nil && !errors.Is(err, ErrTooManyBadRows) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("reading source %q: %w", name, err)
	}
	return err
}

func tooMany(st *Stats, limit int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ingesting: %v: more than %d (raise the limit with --max-bad-rows, or fix the input or its label map)", ErrTooManyBadRows, limit)
	n := len(st.BadExamples)
	if n > 5 {
		n = 5
	}
	for i := 0; i < n; i++ {
		b.WriteString("\n  ")
		b.WriteString(st.BadExamples[i].Error())
	}
	if int64(n) < st.BadRows {
		fmt.Fprintf(&b, "\n  ... %d bad rows so far", st.BadRows)
	}
	return &tooManyError{msg: b.String()}
}

type tooManyError struct{ msg string }

func (e *tooManyError) Error() string { return e.msg }
func (e *tooManyError) Unwrap() error { return ErrTooManyBadRows }
