package stageio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/text"
)

// CleanerFile is the file, beside a dataset's shards and inside model
// folders, that records how clean_text was made (text.Options as JSON).
// clean writes it; balance-split, train and export-onnx carry it along; the
// server and evaluate-gate clean raw text with it.
const CleanerFile = "cleaner.json"

// Opener returns a function opening files of the committed output at loc.
// It fails early when loc is not a committed output.
func Opener(ctx context.Context, loc artifact.Location) (func(name string) (io.ReadCloser, error), *artifact.Manifest, error) {
	m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
	if err != nil {
		return nil, nil, err
	}
	return func(name string) (io.ReadCloser, error) {
		return loc.Store.Open(ctx, path.Join(loc.Key, name))
	}, m, nil
}

// HasFile reports whether the manifest lists name.
func HasFile(m *artifact.Manifest, name string) bool {
	for _, f := range m.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// WriteCleaner writes the cleaner options into out.
func WriteCleaner(ctx context.Context, out *artifact.Output, o text.Options) error {
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	return out.WriteFile(ctx, CleanerFile, bytes.NewReader(append(b, '\n')))
}

// ReadCleaner reads the cleaner options of the committed output at loc.
// ok is false when the output has none (a dataset not made by clean).
func ReadCleaner(ctx context.Context, loc artifact.Location) (o text.Options, ok bool, err error) {
	open, m, err := Opener(ctx, loc)
	if err != nil {
		return o, false, err
	}
	if !HasFile(m, CleanerFile) {
		return o, false, nil
	}
	r, err := open(CleanerFile)
	if err != nil {
		return o, false, err
	}
	defer r.Close()
	if err := json.NewDecoder(r).Decode(&o); err != nil {
		return o, false, fmt.Errorf("decoding %q of %q: %w", CleanerFile, loc.URI(), err)
	}
	if err := o.Validate(); err != nil {
		return o, false, fmt.Errorf("checking %q of %q: %w", CleanerFile, loc.URI(), err)
	}
	return o, true, nil
}

// CopyFile copies file name of the committed output at from into out; a
// missing file is not an error when optional.
func CopyFile(ctx context.Context, from artifact.Location, name string, out *artifact.Output, optional bool) error {
	r, err := from.Store.Open(ctx, path.Join(from.Key, name))
	if err != nil {
		if optional && errors.Is(err, artifact.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("copying %q: %w", name, err)
	}
	defer r.Close()
	return out.WriteFile(ctx, name, r)
}

// WriteWith creates file name in out, lets write fill it through a buffer,
// and closes it; on error the file is aborted.
func WriteWith(ctx context.Context, out *artifact.Output, name string, write func(io.Writer) error) error {
	w, err := out.Create(ctx, name)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := write(bw); err != nil {
		w.Abort()
		return fmt.Errorf("writing %q: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		w.Abort()
		return fmt.Errorf("writing %q: %w", name, err)
	}
	return w.Close()
}
