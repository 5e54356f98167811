package stepcache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// Prefix is the key prefix of cache entries in a store.
const Prefix = "cache"

// Spec is what a step's cache key is made of.
type Spec struct {
	Component string
	// Version identifies the component's code: e.g. its binary's sha256
	// and the build version.
	Version string
	// Contract identifies the component's interface (e.g. a digest of its
	// contract).
	Contract string
	// Params are the resolved parameter values, by name.
	Params map[string]string
	// Inputs are the content digests of each input's artifacts, by input
	// name, in the order given.
	Inputs map[string][]string
}

// Key is the hex sha256 of the spec's canonical encoding.
func (s Spec) Key() string {
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%d:%s=%d:%s\n", len(k), k, len(v), v) }
	field("component", s.Component)
	field("version", s.Version)
	field("contract", s.Contract)
	for _, k := range slices.Sorted(maps.Keys(s.Params)) {
		field("param."+k, s.Params[k])
	}
	for _, k := range slices.Sorted(maps.Keys(s.Inputs)) {
		field("input."+k, strings.Join(s.Inputs[k], ","))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Output is one cached output.
type Output struct {
	URI    string `json:"uri"`
	Digest string `json:"digest"`
	Files  int    `json:"files"`
	Bytes  int64  `json:"bytes"`
}

// Entry is the record of a successful step, stored at EntryKey(Key).
type Entry struct {
	Key       string            `json:"key"`
	Component string            `json:"component"`
	Step      string            `json:"step"`
	RunID     string            `json:"run_id"`
	CreatedAt time.Time         `json:"created_at"`
	Outputs   map[string]Output `json:"outputs"`
	Results   map[string]string `json:"results,omitempty"`
	RowsIn    int64             `json:"rows_in"`
	RowsOut   int64             `json:"rows_out"`
	// Spec is kept for humans debugging a miss (not read back).
	Spec *Spec `json:"spec,omitempty"`
}

// EntryKey is the store key of an entry: cache/<key>.json.
func EntryKey(key string) string { return path.Join(Prefix, key+".json") }

// Lookup reads the entry of key under the store root (a Location whose Key
// is the store's prefix). A missing entry is (nil, nil).
func Lookup(ctx context.Context, root artifact.Location, key string) (*Entry, error) {
	k := path.Join(root.Key, EntryKey(key))
	r, err := root.Store.Open(ctx, k)
	if errors.Is(err, artifact.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading cache entry %q: %w", root.Store.URI(k), err)
	}
	defer r.Close()
	var e Entry
	if err := json.NewDecoder(r).Decode(&e); err != nil {
		return nil, fmt.Errorf("decoding cache entry %q: %w", root.Store.URI(k), err)
	}
	if e.Key != key {
		return nil, fmt.Errorf("cache entry %q holds key %q", root.Store.URI(k), e.Key)
	}
	return &e, nil
}

// Record writes the entry under the store root, replacing any entry of the
// same key.
func Record(ctx context.Context, root artifact.Location, e *Entry) error {
	k := path.Join(root.Key, EntryKey(e.Key))
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding cache entry %q: %w", e.Key, err)
	}
	w, err := root.Store.Create(ctx, k)
	if err != nil {
		return fmt.Errorf("writing cache entry %q: %w", root.Store.URI(k), err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		w.Abort()
		return fmt.Errorf("writing cache entry %q: %w", root.Store.URI(k), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing cache entry %q: %w", root.Store.URI(k), err)
	}
	return nil
}

// Resolver maps an artifact URI to a location.
type Resolver func(ctx context.Context, uri string) (artifact.Location, error)

// Check verifies that every output of the entry is still committed with
// the recorded digest, and returns their manifests by output name.
func (e *Entry) Check(ctx context.Context, resolve Resolver) (map[string]*artifact.Manifest, error) {
	out := map[string]*artifact.Manifest{}
	for _, name := range slices.Sorted(maps.Keys(e.Outputs)) {
		o := e.Outputs[name]
		loc, err := resolve(ctx, o.URI)
		if err != nil {
			return nil, fmt.Errorf("checking cached output %q: %w", name, err)
		}
		m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
		if err != nil {
			return nil, fmt.Errorf("checking cached output %q: %w", name, err)
		}
		if d := m.Digest(); d != o.Digest {
			return nil, fmt.Errorf("checking cached output %q: %s changed (digest %s, cached %s)", name, o.URI, d, o.Digest)
		}
		out[name] = m
	}
	return out, nil
}

// Restore copies every file of the committed output at src (whose manifest
// is m) into dst's staging area, with its metadata; the caller commits dst.
func Restore(ctx context.Context, src artifact.Location, m *artifact.Manifest, dst *artifact.Output) error {
	for k, v := range m.Meta {
		dst.SetMeta(k, v)
	}
	for _, f := range m.Files {
		if err := copyFile(ctx, src, f, dst); err != nil {
			return fmt.Errorf("restoring %q from %q: %w", f.Name, src.URI(), err)
		}
	}
	return nil
}

func copyFile(ctx context.Context, src artifact.Location, f artifact.File, dst *artifact.Output) error {
	r, err := src.Store.Open(ctx, path.Join(src.Key, f.Name))
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := dst.Create(ctx, f.Name)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		w.Abort()
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 || n != f.Size {
		w.Abort()
		return fmt.Errorf("content changed: sha256 %s size %d, manifest says %s size %d", got, n, f.SHA256, f.Size)
	}
	return w.Close()
}

// ArtifactDigest is the digest of an input artifact: its manifest's digest
// when it is a committed output, else ContentDigest of every object under
// it (raw sources in a bucket).
func ArtifactDigest(ctx context.Context, loc artifact.Location) (string, error) {
	m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
	if err == nil {
		return m.Digest(), nil
	}
	if !errors.Is(err, artifact.ErrNotCommitted) {
		return "", err
	}
	return ContentDigest(ctx, loc)
}

// ContentDigest hashes every object under loc (the object itself, or the
// objects below it as a folder): relative name, size and content.
func ContentDigest(ctx context.Context, loc artifact.Location) (string, error) {
	var objs []artifact.ObjectInfo
	if loc.Key != "" {
		if st, err := loc.Store.Stat(ctx, loc.Key); err == nil {
			objs = append(objs, st)
		}
	}
	prefix := loc.Key
	if prefix != "" {
		prefix += "/"
	}
	below, err := loc.Store.List(ctx, prefix)
	if err != nil {
		return "", fmt.Errorf("listing %q: %w", loc.URI(), err)
	}
	objs = append(objs, below...)
	if len(objs) == 0 {
		return "", fmt.Errorf("hashing %q: %w", loc.URI(), artifact.ErrNotExist)
	}
	h := sha256.New()
	for _, o := range objs {
		r, err := loc.Store.Open(ctx, o.Key)
		if err != nil {
			return "", fmt.Errorf("hashing %q: %w", loc.Store.URI(o.Key), err)
		}
		fh := sha256.New()
		n, err := io.Copy(fh, r)
		r.Close()
		if err != nil {
			return "", fmt.Errorf("hashing %q: %w", loc.Store.URI(o.Key), err)
		}
		fmt.Fprintf(h, "%s %d %x\n", strings.TrimPrefix(o.Key, prefix), n, fh.Sum(nil))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// LocalDigest hashes local sources given as a path, a folder or a glob:
// every matching file's path, size and content, in sorted order. A folder
// holding a committed output gives its manifest's digest.
func LocalDigest(pattern string) (string, error) {
	matches := []string{pattern}
	if strings.ContainsAny(pattern, "*?[") {
		var err error
		if matches, err = filepath.Glob(pattern); err != nil {
			return "", fmt.Errorf("expanding %q: %w", pattern, err)
		}
		if len(matches) == 0 {
			return "", fmt.Errorf("expanding %q: no file matches", pattern)
		}
	}
	var files []string
	for _, m := range matches {
		st, err := os.Stat(m)
		if err != nil {
			return "", fmt.Errorf("hashing %q: %w", m, err)
		}
		if !st.IsDir() {
			files = append(files, m)
			continue
		}
		if _, err := os.Stat(filepath.Join(m, artifact.ManifestName)); err == nil && len(matches) == 1 {
			loc, err := artifact.ResolvePath(m)
			if err != nil {
				return "", err
			}
			return ArtifactDigest(context.Background(), loc)
		}
		err = filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hashing %q: %w", m, err)
		}
	}
	slices.Sort(files)
	h := sha256.New()
	for _, p := range files {
		d, n, err := fileDigest(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d %s\n", filepath.ToSlash(p), n, d)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// FileDigest is the sha256 of a local file, e.g. a component's binary.
func FileDigest(p string) (string, error) {
	d, _, err := fileDigest(p)
	if err != nil {
		return "", err
	}
	return "sha256:" + d, nil
}

func fileDigest(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %q: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %q: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
