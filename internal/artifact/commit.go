package artifact

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// ManifestName is the marker written last by Commit. A prefix without it is
// not a committed output.
const ManifestName = "_SUCCESS.json"

const stagingDir = "_staging"

// File is one committed file of an output.
type File struct {
	Name   string `json:"name"` // relative to the output prefix
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes a committed output. It is the _SUCCESS.json marker.
type Manifest struct {
	URI         string            `json:"uri"`
	CommittedAt time.Time         `json:"committed_at"`
	Files       []File            `json:"files"`
	Meta        map[string]string `json:"meta,omitempty"`
}

// Digest is a content digest of the whole output (sha256 over the sorted
// file names and their digests), stable across stores.
func (m *Manifest) Digest() string {
	h := sha256.New()
	for _, f := range m.Files {
		fmt.Fprintf(h, "%s %s %d\n", f.Name, f.SHA256, f.Size)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// TotalBytes is the sum of file sizes.
func (m *Manifest) TotalBytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Output stages the files of one output prefix and publishes them atomically
// with Commit. Safe for concurrent Create calls.
type Output struct {
	store   Store
	prefix  string
	staging string

	mu        sync.Mutex
	files     map[string]File
	open      int
	meta      map[string]string
	committed bool
}

// NewOutput starts staging an output under prefix (e.g. OutputKey(run, stage, name)).
func NewOutput(store Store, prefix string) *Output {
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix = strings.TrimSuffix(prefix, "/")
	return &Output{
		store:   store,
		prefix:  prefix,
		staging: path.Join(prefix, stagingDir, time.Now().UTC().Format("20060102T150405")+"-"+hex.EncodeToString(b[:])),
		files:   map[string]File{},
		meta:    map[string]string{},
	}
}

// Prefix is the final key prefix of the output.
func (o *Output) Prefix() string { return o.prefix }

// URI is the final URI of the output.
func (o *Output) URI() string { return o.store.URI(o.prefix) }

// SetMeta records a key/value in the manifest.
func (o *Output) SetMeta(k, v string) {
	o.mu.Lock()
	o.meta[k] = v
	o.mu.Unlock()
}

type hashWriter struct {
	Writer
	o    *Output
	name string
	h    hash.Hash
	n    int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

func (w *hashWriter) Close() error {
	err := w.Writer.Close()
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	w.o.open--
	if err != nil {
		return err
	}
	w.o.files[w.name] = File{Name: w.name, Size: w.n, SHA256: hex.EncodeToString(w.h.Sum(nil))}
	return nil
}

func (w *hashWriter) Abort() error {
	w.o.mu.Lock()
	w.o.open--
	w.o.mu.Unlock()
	return w.Writer.Abort()
}

// Create opens file name (relative, slash separated) in the staging area.
func (o *Output) Create(ctx context.Context, name string) (Writer, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "_") || path.Clean(name) != name {
		return nil, fmt.Errorf("invalid output file name %q", name)
	}
	o.mu.Lock()
	if o.committed {
		o.mu.Unlock()
		return nil, fmt.Errorf("creating %q: output %q already committed", name, o.URI())
	}
	o.open++
	o.mu.Unlock()
	w, err := o.store.Create(ctx, path.Join(o.staging, name))
	if err != nil {
		o.mu.Lock()
		o.open--
		o.mu.Unlock()
		return nil, err
	}
	return &hashWriter{Writer: w, o: o, name: name, h: sha256.New()}, nil
}

// WriteFile is Create + copy + Close.
func (o *Output) WriteFile(ctx context.Context, name string, r io.Reader) error {
	w, err := o.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Abort()
		return fmt.Errorf("writing %q: %w", name, err)
	}
	return w.Close()
}

// Commit publishes the staged files: it removes the old manifest and files
// under the prefix, moves the staged files in, and writes the manifest last.
func (o *Output) Commit(ctx context.Context) (*Manifest, error) {
	o.mu.Lock()
	if o.open > 0 {
		o.mu.Unlock()
		return nil, fmt.Errorf("committing %q: %d files still open", o.URI(), o.open)
	}
	o.committed = true
	files := make([]File, 0, len(o.files))
	for _, f := range o.files {
		files = append(files, f)
	}
	meta := o.meta
	o.mu.Unlock()
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })

	s := o.store
	// 1. Unpublish the previous version: manifest first, so readers stop trusting it.
	if err := s.Delete(ctx, path.Join(o.prefix, ManifestName)); err != nil {
		return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
	}
	old, err := s.List(ctx, o.prefix+"/")
	if err != nil {
		return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
	}
	for _, obj := range old {
		rel := strings.TrimPrefix(obj.Key, o.prefix+"/")
		if strings.HasPrefix(rel, stagingDir+"/") {
			continue // our own or another writer's staging area
		}
		if err := s.Delete(ctx, obj.Key); err != nil {
			return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
		}
	}
	// 2. Move the new files in.
	for _, f := range files {
		if err := s.Rename(ctx, path.Join(o.staging, f.Name), path.Join(o.prefix, f.Name)); err != nil {
			return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
		}
	}
	// 3. Write the manifest last.
	m := &Manifest{URI: o.URI(), CommittedAt: time.Now().UTC().Truncate(time.Second), Files: files, Meta: meta}
	if err := writeJSON(ctx, s, path.Join(o.prefix, ManifestName), m); err != nil {
		return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
	}
	return m, nil
}

// Abort discards everything staged.
func (o *Output) Abort(ctx context.Context) error {
	objs, err := o.store.List(ctx, o.staging+"/")
	if err != nil {
		return err
	}
	var errs []error
	for _, obj := range objs {
		errs = append(errs, o.store.Delete(ctx, obj.Key))
	}
	return errors.Join(errs...)
}

func writeJSON(ctx context.Context, s Store, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// ErrNotCommitted is returned (wrapped) by ReadManifest for a prefix with no manifest.
var ErrNotCommitted = errors.New("output not committed")

// ReadManifest returns the manifest of the committed output under prefix.
func ReadManifest(ctx context.Context, s Store, prefix string) (*Manifest, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	r, err := s.Open(ctx, path.Join(prefix, ManifestName))
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return nil, fmt.Errorf("reading artifact %q: no %s (the producing stage did not finish; rerun it): %w", s.URI(prefix), ManifestName, ErrNotCommitted)
		}
		return nil, fmt.Errorf("reading artifact %q: %w", s.URI(prefix), err)
	}
	defer r.Close()
	var m Manifest
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding manifest of %q: %w", s.URI(prefix), err)
	}
	return &m, nil
}
