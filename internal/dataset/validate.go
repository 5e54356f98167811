package dataset

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// ValidateOptions tunes Validate.
type ValidateOptions struct {
	// Labels, when not empty, is the allowed label set; a row whose label is
	// not in it is an error (include "" to allow unlabeled rows).
	Labels []string
	// MaxProblems caps the problems collected (default 20); counting goes on.
	MaxProblems int
}

// Problem is one validation finding. Row is 1-based within File; 0 means
// the problem concerns the whole file (schema, metadata).
type Problem struct {
	File   string
	Row    int64
	Field  string
	Reason string
}

func (p Problem) String() string {
	if p.Row == 0 {
		if p.Field == "" {
			return fmt.Sprintf("%s: %s", p.File, p.Reason)
		}
		return fmt.Sprintf("%s: column %q: %s", p.File, p.Field, p.Reason)
	}
	return fmt.Sprintf("%s: row %d: %s: %s", p.File, p.Row, p.Field, p.Reason)
}

// ValidationError lists the problems Validate found.
type ValidationError struct {
	Problems []Problem // the first MaxProblems problems
	Total    int       // all problems found
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "validating dataset: %d problem(s)", e.Total)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	if e.Total > len(e.Problems) {
		fmt.Fprintf(&b, "\n  ... and %d more", e.Total-len(e.Problems))
	}
	return b.String()
}

type validator struct {
	opts   ValidateOptions
	labels map[string]bool
	err    ValidationError
}

func newValidator(opts ValidateOptions) *validator {
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 20
	}
	v := &validator{opts: opts}
	if len(opts.Labels) > 0 {
		v.labels = map[string]bool{}
		for _, l := range opts.Labels {
			v.labels[l] = true
		}
	}
	return v
}

func (v *validator) add(p Problem) {
	v.err.Total++
	if len(v.err.Problems) < v.opts.MaxProblems {
		v.err.Problems = append(v.err.Problems, p)
	}
}

func (v *validator) result() error {
	if v.err.Total == 0 {
		return nil
	}
	e := v.err
	return &e
}

// shard validates one file; a non-nil error means the file could not be read at all.
func (v *validator) shard(ctx context.Context, name string, r io.ReaderAt, size int64) error {
	want := Schema()
	missingRequired := false // already reported as missing columns
	err := scanShard(ctx, r, size, func(info *shardInfo, rec arrow.RecordBatch, first int64) error {
		for _, i := range []int{idxID, idxUser, idxText, idxLabel, idxSource, idxCleanText} {
			c := info.cols[i]
			if c < 0 {
				continue
			}
			a := rec.Column(c).(*array.String)
			field := want.Field(i).Name
			required := i == idxID || i == idxText
			for row := 0; row < a.Len(); row++ {
				rowNo := first + int64(row) + 1
				if a.IsNull(row) {
					if required {
						v.add(Problem{name, rowNo, field, "null"})
					} else {
						v.add(Problem{name, rowNo, field, "null (the schema has no null strings; use \"\")"})
					}
					continue
				}
				s := a.Value(row)
				switch {
				case required && strings.TrimSpace(s) == "":
					v.add(Problem{name, rowNo, field, "empty"})
				case !utf8.ValidString(s):
					v.add(Problem{name, rowNo, field, "invalid UTF-8"})
				case i == idxLabel && v.labels != nil && !v.labels[s]:
					v.add(Problem{name, rowNo, field, fmt.Sprintf("label %q not in the allowed set %q", s, v.opts.Labels)})
				}
			}
		}
		if c := info.cols[idxURLs]; c >= 0 {
			l := rec.Column(c).(*array.List)
			vals := l.ListValues().(*array.String)
			for row := 0; row < l.Len(); row++ {
				if l.IsNull(row) {
					continue
				}
				start, end := l.ValueOffsets(row)
				for j := start; j < end; j++ {
					if vals.IsNull(int(j)) || !utf8.ValidString(vals.Value(int(j))) {
						v.add(Problem{name, first + int64(row) + 1, ColURLs, "null or invalid UTF-8 URL"})
						break
					}
				}
			}
		}
		if c := info.cols[idxLabelConfidence]; c >= 0 {
			a := rec.Column(c).(*array.Float64)
			for row := 0; row < a.Len(); row++ {
				if x := a.Value(row); a.IsValid(row) && !(x >= 0 && x <= 1) {
					v.add(Problem{name, first + int64(row) + 1, ColLabelConfidence, fmt.Sprintf("%g outside [0, 1]", x)})
				}
			}
		}
		if c := info.cols[idxLabelProbs]; c >= 0 {
			m := rec.Column(c).(*array.Map)
			keys, items := m.Keys(), m.Items().(*array.Float64)
			for row := 0; row < m.Len(); row++ {
				if m.IsNull(row) {
					continue
				}
				start, end := m.ValueOffsets(row)
				for j := start; j < end; j++ {
					if x := items.Value(int(j)); items.IsNull(int(j)) || !(x >= 0 && x <= 1) || keys.IsNull(int(j)) {
						v.add(Problem{name, first + int64(row) + 1, ColLabelProbs, "null key or probability outside [0, 1]"})
						break
					}
				}
			}
		}
		return ctx.Err()
	}, func(info *shardInfo) error {
		for i := range info.cols {
			if info.cols[i] < 0 && i != idxLabelConfidence && i != idxLabelProbs { // optional weak-label columns
				v.add(Problem{File: name, Field: want.Field(i).Name, Reason: "missing column"})
			}
		}
		if info.cols[idxID] < 0 || info.cols[idxText] < 0 {
			missingRequired = true
		}
		switch info.schemaVersion {
		case SchemaVersion:
		case "":
			v.add(Problem{File: name, Reason: fmt.Sprintf("no %q key in the Parquet metadata (not written by tweetflow?)", MetaSchemaVersion)})
		default:
			v.add(Problem{File: name, Reason: fmt.Sprintf("schema version %q, want %q", info.schemaVersion, SchemaVersion)})
		}
		return nil
	})
	if err != nil && !missingRequired {
		v.add(Problem{File: name, Reason: err.Error()})
	}
	return nil
}

// ValidateShard checks one Parquet shard against the schema: every column
// present with the right type, the schema version in the metadata, no null
// or empty id/text, valid UTF-8 in every string, and labels within
// opts.Labels when set. name is used in messages. It returns nil or a
// *ValidationError naming the file, row (1-based) and field of each problem.
func ValidateShard(r io.ReaderAt, size int64, name string, opts ValidateOptions) error {
	v := newValidator(opts)
	v.shard(context.Background(), name, r, size)
	return v.result()
}

// ValidateOutput checks every shard of a committed dataset output (see
// ValidateShard). Errors reading the manifest are returned as they are.
func ValidateOutput(ctx context.Context, store artifact.Store, prefix string, opts ValidateOptions) error {
	m, err := artifact.ReadManifest(ctx, store, prefix)
	if err != nil {
		return err
	}
	v := newValidator(opts)
	files := ShardFiles(m)
	if len(files) == 0 {
		v.add(Problem{File: store.URI(prefix), Reason: "no .parquet files in the manifest"})
	}
	for _, f := range files {
		uri := store.URI(joinKey(prefix, f.Name))
		err := withShard(ctx, store, prefix, f, func(r io.ReaderAt, size int64) error {
			return v.shard(ctx, uri, r, size)
		})
		if err != nil {
			v.add(Problem{File: uri, Reason: err.Error()})
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return v.result()
}
