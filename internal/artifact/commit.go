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
	"io/fs"
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

// StagingDir is the folder under an output where its files are written
// before the commit moves them in; an output folder holding one is not
// (or not yet, or no longer fully) committed.
const StagingDir = stagingDir

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
func NewOutput(store Store, prefix string) *Output { return NewOutputOwned(store, prefix, "") }

// NewOutputOwned is NewOutput for the holder of a lease (Lease.Owner): the
// staging area carries the owner token, so once that lease is released,
// lost or dead, PruneStaleStaging knows the area is a leftover whatever
// its age. The staging area is <prefix>/_staging/<time>-<random>[-<owner>]/.
func NewOutputOwned(store Store, prefix, owner string) *Output {
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix = strings.TrimSuffix(prefix, "/")
	area := time.Now().UTC().Format(stagingTimeLayout) + "-" + hex.EncodeToString(b[:])
	if owner != "" {
		area += "-" + owner
	}
	return &Output{
		store:   store,
		prefix:  prefix,
		staging: path.Join(prefix, stagingDir, area),
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
	done bool // Close or Abort ran: the open count was released
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// release marks the writer finished once; it reports false when it already was.
func (w *hashWriter) release() bool {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.done {
		return false
	}
	w.done = true
	w.o.open--
	return true
}

func (w *hashWriter) Close() error {
	if w.done {
		return nil
	}
	err := w.Writer.Close()
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	w.done = true
	w.o.open--
	if err != nil {
		return err
	}
	w.o.files[w.name] = File{Name: w.name, Size: w.n, SHA256: hex.EncodeToString(w.h.Sum(nil))}
	return nil
}

// Abort discards the file; after Close it is a no-op, so "defer w.Abort()"
// is safe.
func (w *hashWriter) Abort() error {
	if !w.release() {
		return nil
	}
	return w.Writer.Abort()
}

// ValidFileName checks the name of a file of an output: relative, slash
// separated, no empty, "." or ".." elements, and not starting with '_'
// (reserved for the manifest and the staging area).
func ValidFileName(name string) error {
	if name == "." || !fs.ValidPath(name) || strings.HasPrefix(name, "_") {
		return fmt.Errorf("invalid output file name %q: want a relative slash-separated path without '.', '..' or empty elements, not starting with '_'", name)
	}
	return nil
}

// Create opens file name (relative, slash separated, see ValidFileName) in
// the staging area. The Writer must be closed (or aborted) before Commit.
func (o *Output) Create(ctx context.Context, name string) (Writer, error) {
	if err := ValidFileName(name); err != nil {
		return nil, err
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

// Commit publishes the staged files. In order, it
//
//  1. deletes the old manifest, so from here on readers see ErrNotCommitted
//     (never a mix of two versions);
//  2. deletes every other object under the prefix except staging areas, so
//     files of the previous version that the new one lacks are gone;
//  3. renames the staged files into place;
//  4. writes the manifest last.
//
// A stage killed before Commit leaves the previous committed version intact
// (its staging area remains until Abort or PruneStaging). A Commit that fails
// or is killed midway leaves the output uncommitted: rerun the stage. All
// writers must be closed first; an Output commits at most once.
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
	meta := make(map[string]string, len(o.meta))
	for k, v := range o.meta {
		meta[k] = v
	}
	if len(meta) == 0 {
		meta = nil
	}
	o.mu.Unlock()
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })

	s := o.store
	// 1. Unpublish the previous version: manifest first, so readers stop trusting it.
	if err := s.Delete(ctx, path.Join(o.prefix, ManifestName)); err != nil {
		return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
	}
	old, err := s.List(ctx, dirPrefix(o.prefix))
	if err != nil {
		return nil, fmt.Errorf("committing %q: %w", o.URI(), err)
	}
	for _, obj := range old {
		rel := strings.TrimPrefix(obj.Key, dirPrefix(o.prefix))
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

// dirPrefix is the List prefix of the keys below prefix.
func dirPrefix(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// Abort discards everything staged. The previously committed version, if
// any, is left untouched.
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
	return writeBytes(ctx, s, key, append(b, '\n'))
}

func writeBytes(ctx context.Context, s Store, key string, b []byte) error {
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
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

// stagingTimeLayout is the time part of the name of a staging area.
const stagingTimeLayout = "20060102T150405"

// DefaultStagingGrace is the age past which a staging area with no owner
// (written without a lease) counts as left over by a killed stage.
const DefaultStagingGrace = 24 * time.Hour

// PruneStaging deletes the staging areas under the output prefix that were
// started before cutoff: leftovers of stages killed before Commit. It must
// not race a live writer of the same output, so pick a cutoff well before
// the oldest stage that may still run. It returns the number of deleted
// objects.
func PruneStaging(ctx context.Context, s Store, prefix string, cutoff time.Time) (int, error) {
	return pruneStaging(ctx, s, prefix, func(started time.Time, _ string) bool { return started.Before(cutoff) })
}

// PruneStaleStaging deletes the staging areas under the output prefix that
// no live writer can own: those started before cutoff, and those owned by a
// lease owner other than liveOwner (the current holder of the step's lease;
// "" when none is live). It returns the number of deleted objects.
func PruneStaleStaging(ctx context.Context, s Store, prefix string, cutoff time.Time, liveOwner string) (int, error) {
	return pruneStaging(ctx, s, prefix, func(started time.Time, owner string) bool {
		return started.Before(cutoff) || (owner != "" && owner != liveOwner)
	})
}

// StagingAreas lists the staging areas under the output prefix (their key
// prefixes, ending in '/').
func StagingAreas(ctx context.Context, s Store, prefix string) ([]string, error) {
	root := path.Join(strings.TrimSuffix(prefix, "/"), stagingDir) + "/"
	objs, err := s.List(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, obj := range objs {
		area, _, _ := strings.Cut(strings.TrimPrefix(obj.Key, root), "/")
		if k := root + area + "/"; len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return out, nil
}

func pruneStaging(ctx context.Context, s Store, prefix string, stale func(started time.Time, owner string) bool) (int, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	files, err := ListStaging(ctx, s, path.Join(prefix, stagingDir)+"/")
	if err != nil {
		return 0, fmt.Errorf("pruning staging areas of %q: %w", s.URI(prefix), err)
	}
	n := 0
	for _, f := range files {
		if f.Output != prefix || !stale(f.Started, f.Owner) {
			continue
		}
		if err := DeleteStaging(ctx, s, f); err != nil {
			return n, fmt.Errorf("pruning staging areas of %q: %w", s.URI(prefix), err)
		}
		n++
	}
	return n, nil
}

// tempLister is a store that keeps in-flight writes as hidden temp files (FS).
type tempLister interface {
	listTemp(ctx context.Context, dir string) ([]ObjectInfo, error)
	deleteTemp(key string) error
}

func isTempKey(key string) bool {
	return strings.HasPrefix(path.Base(key), tmpPrefix)
}

// StagingFile is one file in a staging area, as ListStaging finds it.
type StagingFile struct {
	ObjectInfo
	// Output is the prefix of the output the area stages.
	Output string
	// Area is the key prefix of the staging area (ending in '/').
	Area string
	// Started is when the area was started; Owner its lease owner ("" for
	// none, see NewOutputOwned).
	Started time.Time
	Owner   string
	temp    bool
}

// ListStaging lists every file of every staging area below prefix (a plain
// string prefix, like List), including, on FS, the hidden temp files of
// writers killed mid-file.
func ListStaging(ctx context.Context, s Store, prefix string) ([]StagingFile, error) {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	tl, hasTemp := s.(tempLister)
	if hasTemp {
		dir := prefix
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			dir = prefix[:i+1]
		} else {
			dir = ""
		}
		tmp, err := tl.listTemp(ctx, dir)
		if err != nil {
			return nil, err
		}
		for _, t := range tmp {
			if strings.HasPrefix(t.Key, prefix) {
				objs = append(objs, t)
			}
		}
	}
	var out []StagingFile
	for _, o := range objs {
		i := strings.Index("/"+o.Key, "/"+stagingDir+"/")
		if i < 0 {
			continue
		}
		output := strings.TrimSuffix(o.Key[:i], "/")
		rest := o.Key[i+len(stagingDir)+1:]
		area, _, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		parts := strings.SplitN(area, "-", 3)
		started, err := time.Parse(stagingTimeLayout, parts[0])
		if err != nil || len(parts) < 2 {
			continue // not an area of Output
		}
		f := StagingFile{ObjectInfo: o, Output: output, Area: o.Key[:i] + stagingDir + "/" + area + "/", Started: started,
			temp: hasTemp && isTempKey(o.Key)}
		if len(parts) == 3 {
			f.Owner = parts[2]
		}
		out = append(out, f)
	}
	return out, nil
}

// DeleteStaging deletes a file ListStaging returned.
func DeleteStaging(ctx context.Context, s Store, f StagingFile) error {
	if f.temp {
		return s.(tempLister).deleteTemp(f.Key)
	}
	return s.Delete(ctx, f.Key)
}
