package stageio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/pgsource"
)

// ExpandSources turns the locations of a Sources input into ingest sources:
// local entries (nil Store) are paths, globs or folders; store entries are
// object keys or prefixes (a committed output gives the files its manifest
// lists); a postgres:// URI with ?table= or ?query= is a PostgreSQL table
// or query (package pgsource). Every source gets ro's format, label map (nil: per format) and
// column mapping; ro.Name is not used (each source is named by its file).
func ExpandSources(ctx context.Context, locs []artifact.Location, ro ingest.ReadOptions) ([]ingest.Source, error) {
	var out []ingest.Source
	for _, l := range locs {
		if l.Store == nil && pgsource.IsURI(l.Key) {
			spec, err := pgsource.ParseURI(l.Key)
			if err != nil {
				return nil, err
			}
			out = append(out, pgsource.Source(spec, ro, ""))
			continue
		}
		if l.Store == nil {
			paths, err := ingest.ExpandLocal([]string{l.Key})
			if err != nil {
				return nil, err
			}
			src := ingest.LocalSources(paths, ro.Format, ro.LabelMap)
			for i := range src {
				src[i].Columns = ro.Columns
			}
			out = append(out, src...)
			continue
		}
		src, err := ingest.ExpandStore(ctx, l.Store, l.Key)
		if err != nil {
			return nil, err
		}
		for i := range src {
			src[i].Format, src[i].LabelMap, src[i].Columns = ro.Format, ro.LabelMap, ro.Columns
		}
		out = append(out, src...)
	}
	return out, nil
}

// CommittedDataset reports whether a Sources location is a committed
// tweetflow dataset (an output with a manifest) and returns it resolved.
func CommittedDataset(ctx context.Context, l artifact.Location, res *artifact.Resolver) (artifact.Location, bool, error) {
	if l.Store == nil {
		// Only an existing folder can be a dataset. Anything else (a file,
		// a glob, a missing path, a symbolic link loop, a FIFO) is left to
		// ExpandSources, which names the problem the same way in every
		// component that reads raw files.
		if p, ok := localPath(l.Key); ok {
			if st, err := os.Stat(p); err != nil || !st.IsDir() {
				return l, false, nil
			}
		}
		r, err := res.Resolve(ctx, l.Key)
		if err != nil {
			return l, false, nil // a glob or a missing path: not a dataset
		}
		l = r
	}
	_, err := artifact.ReadManifest(ctx, l.Store, l.Key)
	switch {
	case err == nil:
		return l, true, nil
	case errors.Is(err, artifact.ErrNotCommitted):
		return l, false, nil
	}
	return l, false, err
}

// localPath returns the file system path of a plain path or file:// URI.
func localPath(key string) (string, bool) {
	if !strings.Contains(key, "://") {
		return key, true
	}
	u, err := url.Parse(key)
	if err != nil || !strings.EqualFold(u.Scheme, "file") || u.Path == "" {
		return "", false
	}
	return u.Path, true
}

// ReadSourceFile reads one file given as a source (a local path, never
// blocking on a FIFO, or an object of a store): a rules file, say. It
// returns the name to show in messages (the path or the URI) and the
// contents.
func ReadSourceFile(ctx context.Context, loc artifact.Location) (name string, data []byte, err error) {
	name = loc.Key
	if loc.Store == nil {
		var f *os.File
		if f, err = ingest.OpenRegular(loc.Key); err == nil {
			data, err = io.ReadAll(f)
			f.Close()
		}
	} else {
		name = loc.URI()
		var r io.ReadCloser
		if r, err = loc.Store.Open(ctx, loc.Key); err == nil {
			data, err = io.ReadAll(r)
			r.Close()
		}
	}
	if err != nil {
		return name, nil, fmt.Errorf("reading %q: %w", name, err)
	}
	return name, data, nil
}
