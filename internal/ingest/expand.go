package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// skipName reports whether a file found in a folder or under a prefix is
// not data: hidden or underscore files (.tmp-*, _SUCCESS.json, _staging)
// and README files.
func skipName(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") ||
		strings.HasPrefix(strings.ToUpper(base), "README")
}

// ExpandLocal turns paths, globs and folders into a sorted-per-pattern,
// de-duplicated list of files. A folder gives the files under it
// (recursively, name order), skipping hidden, underscore and README files.
// A glob or path that matches nothing is an error.
func ExpandLocal(patterns []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, pat := range patterns {
		matches := []string{pat}
		if strings.ContainsAny(pat, "*?[") {
			m, err := filepath.Glob(pat)
			if err != nil {
				return nil, fmt.Errorf("expanding input %q: %w", pat, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("expanding input %q: no file matches", pat)
			}
			sort.Strings(m)
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("expanding input %q: %w", pat, describePathError(err))
			}
			if !st.IsDir() {
				if err := regular(m, st.Mode()); err != nil {
					return nil, fmt.Errorf("expanding input %q: %w", pat, err)
				}
				add(m)
				continue
			}
			var files []string
			err = filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if p != m && skipName(d.Name()) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() {
					files = append(files, p)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("expanding input %q: %w", pat, describePathError(err))
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("expanding input %q: folder has no data files", pat)
			}
			sort.Strings(files)
			for _, f := range files {
				add(f)
			}
		}
	}
	return out, nil
}

// LocalSources makes Sources of local files, all with the given format
// and label map (nil: per-format default).
func LocalSources(paths []string, format Format, lm *LabelMap) []Source {
	out := make([]Source, len(paths))
	for i, p := range paths {
		p := p
		out[i] = Source{Name: p, Format: format, LabelMap: lm, Open: func() (io.ReadCloser, error) { return OpenRegular(p) }}
	}
	return out
}

// ErrNotRegular is wrapped by the errors of inputs that are not regular
// files (FIFOs, sockets, devices): reading one could block forever (a FIFO
// without a writer never opens) or never end, so they are refused.
var ErrNotRegular = errors.New("not a regular file")

// regular checks the mode of an input file.
func regular(name string, mode fs.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	kind := "special file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		kind = "socket"
	case mode&fs.ModeDevice != 0 || mode&fs.ModeCharDevice != 0:
		kind = "device"
	}
	return fmt.Errorf("%s is a %s, %w; tweetflow reads regular files only (copy the data to a file, or pipe JSONL to score's --tweets -)", name, kind, ErrNotRegular)
}

// describePathError makes the errors of a path that cannot be read say
// what to do: a symbolic link loop names itself.
func describePathError(err error) error {
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("%w (a symbolic link loop: fix or remove the link)", err)
	}
	return err
}

// OpenRegular opens a local input file for reading. It never blocks on a
// FIFO: the file is opened non-blocking and anything but a regular file is
// refused with an error wrapping ErrNotRegular.
func OpenRegular(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, describePathError(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := regular(name, st.Mode()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ExpandStore lists the input objects under prefix in store, as Sources
// named by their URIs (format auto, default label map: set the fields to
// override). A committed output (one with a manifest) gives the files its
// manifest lists; otherwise prefix is an object key or a folder-like
// prefix whose objects are listed, skipping hidden, underscore and README
// files. Finding nothing is an error.
func ExpandStore(ctx context.Context, store artifact.Store, prefix string) ([]Source, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	var keys []string
	m, err := artifact.ReadManifest(ctx, store, prefix)
	switch {
	case err == nil:
		for _, f := range m.Files {
			if !skipName(f.Name) {
				keys = append(keys, prefix+"/"+f.Name)
			}
		}
	case errors.Is(err, artifact.ErrNotCommitted):
		if prefix != "" {
			if _, serr := store.Stat(ctx, prefix); serr == nil {
				keys = []string{prefix}
				break
			}
		}
		list := prefix + "/"
		if prefix == "" {
			list = ""
		}
		objs, lerr := store.List(ctx, list)
		if lerr != nil {
			return nil, fmt.Errorf("expanding input %q: %w", store.URI(prefix), lerr)
		}
		for _, o := range objs {
			if !skipName(o.Key) && !strings.Contains(o.Key, "/_") {
				keys = append(keys, o.Key)
			}
		}
	default:
		return nil, fmt.Errorf("expanding input %q: %w", store.URI(prefix), err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("expanding input %q: no input files", store.URI(prefix))
	}
	out := make([]Source, len(keys))
	for i, k := range keys {
		k := k
		out[i] = Source{Name: store.URI(k), Open: func() (io.ReadCloser, error) { return store.Open(ctx, k) }}
	}
	return out, nil
}
