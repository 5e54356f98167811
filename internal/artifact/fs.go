package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// tmpPrefix starts the names of the temp files of in-flight FS writes. Keys
// with an element starting with it are rejected, so List can hide them.
const tmpPrefix = ".tmp-"

// fsRetries bounds the retries of Create and Rename when a concurrent Delete
// removes the (empty) destination folder between MkdirAll and the write.
const fsRetries = 10

// FS is a Store on a local folder: the embedded default.
//
// Keys map to files below the root. A key cannot be both an object and a
// folder of other keys ("a" and "a/b"), a limitation S3 does not have.
// Delete and Rename remove the folders they leave empty, up to but never
// including the root, so the tree mirrors the flat key space of S3.
// Published files are readable by everyone (0644), folders are 0755.
type FS struct {
	root string
}

// NewFS returns a Store rooted at dir (created if missing).
func NewFS(dir string) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving store folder %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("creating store folder %q: %w", abs, err)
	}
	return &FS{root: abs}, nil
}

// Root is the absolute folder of the store.
func (s *FS) Root() string { return s.root }

// validKey reports whether key is a valid object key: slash separated, not
// empty, no leading or trailing slash, no empty, "." or ".." elements.
func validKey(key string) error {
	if key == "." || !fs.ValidPath(key) {
		return fmt.Errorf("invalid key %q: want slash-separated names without empty, '.' or '..' elements", key)
	}
	return nil
}

// possiblePrefix reports whether some valid key can start with prefix: every
// element but the last (partial) one must be a valid name.
func possiblePrefix(prefix string) bool {
	i := strings.LastIndex(prefix, "/")
	return i < 0 || validKey(prefix[:i]) == nil
}

func (s *FS) path(key string) (string, error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	if strings.HasPrefix(key, tmpPrefix) || strings.Contains(key, "/"+tmpPrefix) {
		return "", fmt.Errorf("invalid key %q: names starting with %q are reserved", key, tmpPrefix)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

type fsWriter struct {
	ctx  context.Context
	f    *os.File
	key  string
	dst  string
	done bool
}

func (w *fsWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("writing %q: %w", w.key, os.ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("writing %q: %w", w.key, err)
	}
	return w.f.Write(p)
}

func (w *fsWriter) Close() error {
	if w.done {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return fmt.Errorf("closing %q: %w", w.key, err)
	}
	w.done = true
	fail := func(what string, err error) error {
		w.f.Close()
		os.Remove(w.f.Name())
		return fmt.Errorf("%s %q: %w", what, w.key, err)
	}
	// CreateTemp makes 0600 files; published artifacts are shared read-only.
	if err := w.f.Chmod(0o644); err != nil {
		return fail("setting mode of", err)
	}
	if err := w.f.Sync(); err != nil {
		return fail("syncing", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("closing %q: %w", w.key, err)
	}
	if err := os.Rename(w.f.Name(), w.dst); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("publishing %q: %w", w.key, err)
	}
	return nil
}

func (w *fsWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("aborting %q: %w", w.key, err)
	}
	return nil
}

// Create implements Store. Data goes to a hidden temp file in the destination
// folder, renamed into place on Close.
func (s *FS) Create(ctx context.Context, key string) (Writer, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("creating %q: %w", key, err)
	}
	dir := filepath.Dir(p)
	for i := 0; ; i++ {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			var f *os.File
			if f, err = os.CreateTemp(dir, tmpPrefix+filepath.Base(p)+"-*"); err == nil {
				return &fsWriter{ctx: ctx, f: f, key: key, dst: p}, nil
			}
		}
		// A concurrent Delete may have removed the empty folder: retry.
		if !racyMkdir(err) || i == fsRetries {
			return nil, fmt.Errorf("creating %q: %w", key, err)
		}
	}
}

// Open implements Store.
func (s *FS) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	// Non-blocking: opening a FIFO without a writer would block forever;
	// the Stat below refuses it (regular files ignore the flag).
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if isNotExist(err) {
			return nil, fmt.Errorf("opening %q: %w", s.URI(key), ErrNotExist)
		}
		return nil, fmt.Errorf("opening %q: %w", s.URI(key), err)
	}
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("opening %q: not a file: %w", s.URI(key), ErrNotExist)
	}
	return f, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		if err == nil || isNotExist(err) {
			return ObjectInfo{}, fmt.Errorf("stating %q: %w", s.URI(key), ErrNotExist)
		}
		return ObjectInfo{}, fmt.Errorf("stating %q: %w", s.URI(key), err)
	}
	return ObjectInfo{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// List implements Store: every object whose key has prefix as a plain string
// prefix, sorted by key. The walk starts at the deepest folder the prefix
// names and only descends into folders that can hold matching keys. Temp
// files of in-flight writes are not listed. Symbolic links to files are
// listed as objects; symbolic links to folders are not followed (except the
// root and the starting folder).
func (s *FS) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	out := []ObjectInfo{}
	dirKey := ""
	start := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dirKey = prefix[:i]
		p, err := s.path(dirKey)
		if err != nil {
			return out, nil // no valid key can start with this prefix
		}
		start = p
	}
	st, err := os.Stat(start)
	if err != nil || !st.IsDir() {
		if err == nil || isNotExist(err) {
			return out, nil
		}
		return nil, fmt.Errorf("listing %q: %w", s.URI(prefix), err)
	}
	var walk func(dir, dirKey string) error
	walk = func(dir, dirKey string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, tmpPrefix) {
				continue
			}
			key := name
			if dirKey != "" {
				key = dirKey + "/" + name
			}
			p := filepath.Join(dir, name)
			if e.IsDir() {
				if strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
					if err := walk(p, key); err != nil {
						return err
					}
				}
				continue
			}
			if !strings.HasPrefix(key, prefix) {
				continue
			}
			info, err := os.Stat(p) // follows symbolic links
			if err != nil || !info.Mode().IsRegular() {
				continue // removed while walking, dangling link or special file
			}
			out = append(out, ObjectInfo{Key: key, Size: info.Size(), ModTime: info.ModTime()})
		}
		return nil
	}
	if err := walk(start, dirKey); err != nil {
		return nil, fmt.Errorf("listing %q: %w", s.URI(prefix), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Rename implements Store with an atomic rename(2). The folders src leaves
// empty are removed.
func (s *FS) Rename(ctx context.Context, src, dst string) error {
	ps, err := s.path(src)
	if err != nil {
		return err
	}
	pd, err := s.path(dst)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("renaming %q: %w", s.URI(src), err)
	}
	if st, err := os.Stat(ps); err != nil || !st.Mode().IsRegular() {
		if err == nil || isNotExist(err) {
			return fmt.Errorf("renaming %q: %w", s.URI(src), ErrNotExist)
		}
		return fmt.Errorf("renaming %q: %w", s.URI(src), err)
	}
	for i := 0; ; i++ {
		if err = os.MkdirAll(filepath.Dir(pd), 0o755); err == nil {
			if err = os.Rename(ps, pd); err == nil {
				break
			}
		}
		if !racyMkdir(err) || i == fsRetries {
			return fmt.Errorf("renaming %q to %q: %w", s.URI(src), s.URI(dst), err)
		}
		if _, serr := os.Lstat(ps); errors.Is(serr, fs.ErrNotExist) {
			return fmt.Errorf("renaming %q: %w", s.URI(src), ErrNotExist)
		}
		// A concurrent Delete removed the empty destination folder: retry.
	}
	s.removeEmptyParents(ps)
	return nil
}

// Delete implements Store; deleting a missing key, or a key that is only a
// folder of other keys, is not an error. Empty parent folders are removed up
// to, but not including, the root.
func (s *FS) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if st, err := os.Lstat(p); err != nil || st.IsDir() {
		if err == nil || isNotExist(err) {
			return nil
		}
		return fmt.Errorf("deleting %q: %w", s.URI(key), err)
	}
	if err := os.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("deleting %q: %w", s.URI(key), err)
	}
	s.removeEmptyParents(p)
	return nil
}

// isNotExist reports whether err means the path is missing, including a
// parent that is a file ("a/b" when "a" is a file: no such key either).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// racyMkdir reports whether err may come from a concurrent Delete removing
// a folder that MkdirAll was creating or had just created: the folder is
// gone (ENOENT), or MkdirAll's Mkdir saw it (EEXIST) but it was gone when
// MkdirAll checked it was a folder.
func racyMkdir(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrExist)
}

// removeEmptyParents removes the empty folders above p, stopping at the root.
func (s *FS) removeEmptyParents(p string) {
	for d := filepath.Dir(p); len(d) > len(s.root) && strings.HasPrefix(d, s.root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return // not empty (or gone): its parents are not empty either
		}
	}
}

// URI implements Store: "file://" and the absolute path of key.
func (s *FS) URI(key string) string {
	p := s.root
	if key != "" {
		p = path.Join(filepath.ToSlash(s.root), key)
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
	return u.String()
}

// listTemp returns the temp files of in-flight or abandoned writes (names
// starting with ".tmp-", which List hides) below the folder of the
// slash-terminated prefix dir, as ObjectInfos whose Key is their path
// relative to the root. A writer killed mid-file leaves one behind.
func (s *FS) listTemp(ctx context.Context, dir string) ([]ObjectInfo, error) {
	start := filepath.Join(s.root, filepath.FromSlash(strings.TrimSuffix(dir, "/")))
	var out []ObjectInfo
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // gone meanwhile
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: filepath.ToSlash(rel), Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing temp files in %q: %w", s.URI(strings.TrimSuffix(dir, "/")), err)
	}
	return out, nil
}

// deleteTemp removes a temp file listTemp returned, and the folders it
// leaves empty.
func (s *FS) deleteTemp(key string) error {
	if !fs.ValidPath(key) {
		return fmt.Errorf("invalid key %q", key)
	}
	p := filepath.Join(s.root, filepath.FromSlash(key))
	if err := os.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("deleting %q: %w", s.URI(key), err)
	}
	s.removeEmptyParents(p)
	return nil
}
