package serving

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// Source says where the registry finds its models.
type Source struct {
	// Models are model folders (paths or URIs), each one version.
	Models []string
	// Root is a folder (path or URI) with one model folder per version; the
	// folders are rescanned on every reload.
	Root string
	// Resolver resolves Models and Root (the caller's, built at its
	// composition root); nil: local paths and file:// URIs only (an
	// s3:// one is an error: the library builds no S3 settings).
	Resolver *artifact.Resolver
	// Locations are model folders already resolved by the caller (the
	// serve component's harness), each one version.
	Locations []artifact.Location
	// RootLocation, when its Store is set, is Root already resolved.
	RootLocation artifact.Location
}

// Set is an immutable snapshot of the loaded models.
type Set struct {
	models  map[string]*Model
	order   []*Model // oldest first
	loaded  time.Time
	errText string
}

// Default is the latest model (by creation time, then version), or nil.
func (s *Set) Default() *Model {
	if s == nil || len(s.order) == 0 {
		return nil
	}
	return s.order[len(s.order)-1]
}

// Get returns the model of a version.
func (s *Set) Get(version string) (*Model, bool) {
	if s == nil {
		return nil, false
	}
	m, ok := s.models[version]
	return m, ok
}

// Models lists the models, oldest first.
func (s *Set) Models() []*Model {
	if s == nil {
		return nil
	}
	return slices.Clone(s.order)
}

// Registry holds the loaded model versions and swaps them atomically on
// reload: requests in flight keep the Set they started with.
type Registry struct {
	src Source
	log *slog.Logger
	cur atomic.Pointer[Set]

	mu    sync.Mutex        // serialises reloads
	stamp map[string]string // location URI -> change stamp of the loaded model
	byURI map[string]*Model // location URI -> model
	now   func() time.Time
	loads atomic.Int64
}

// RegistryOption configures a Registry.
type RegistryOption func(*Registry)

// WithLogger sets the logger of reload events.
func WithLogger(l *slog.Logger) RegistryOption { return func(r *Registry) { r.log = l } }

// NewRegistry returns an empty registry for src; call Reload to load it.
func NewRegistry(src Source, opts ...RegistryOption) *Registry {
	r := &Registry{src: src, log: slog.New(slog.DiscardHandler), stamp: map[string]string{},
		byURI: map[string]*Model{}, now: time.Now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// StaticRegistry returns a registry serving the given models; Reload keeps them.
func StaticRegistry(models ...*Model) *Registry {
	r := NewRegistry(Source{})
	r.cur.Store(newSet(models, time.Now()))
	return r
}

// Current returns the current Set (nil before the first successful load).
func (r *Registry) Current() *Set { return r.cur.Load() }

// Loads counts the model folders loaded so far (unchanged folders are
// not reloaded).
func (r *Registry) Loads() int64 { return r.loads.Load() }

func newSet(models []*Model, now time.Time) *Set {
	s := &Set{models: map[string]*Model{}, loaded: now}
	for _, m := range models {
		if _, dup := s.models[m.version]; dup {
			continue
		}
		s.models[m.version] = m
		s.order = append(s.order, m)
	}
	slices.SortStableFunc(s.order, func(a, b *Model) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return cmp.Compare(a.version, b.version)
	})
	return s
}

// Reload rescans the source and loads new or changed model folders; it
// swaps in the new Set only when something changed. A folder that fails to
// load keeps its previous version (if any) and its error is returned; the
// other folders are still swapped in. Reload with no usable model at all
// keeps the current Set.
func (r *Registry) Reload(ctx context.Context) (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.src.static() {
		return false, nil
	}
	locs, err := r.locations(ctx)
	if err != nil {
		return false, err
	}
	var errs []error
	var models []*Model
	loaded := 0
	newStamp := map[string]string{}
	newByURI := map[string]*Model{}
	for _, l := range locs {
		uri := l.URI()
		st, serr := stamp(ctx, l)
		old := r.byURI[uri]
		if serr == nil && old != nil && r.stamp[uri] == st {
			models = append(models, old)
			newStamp[uri], newByURI[uri] = st, old
			continue
		}
		m, lerr := loadLocation(ctx, l, uri)
		if lerr != nil {
			errs = append(errs, lerr)
			if old != nil {
				models = append(models, old)
				newStamp[uri], newByURI[uri] = r.stamp[uri], old
			}
			continue
		}
		r.loads.Add(1)
		loaded++
		r.log.Info("model loaded", "version", m.version, "source", uri, "digest", m.digest)
		models = append(models, m)
		newStamp[uri], newByURI[uri] = st, m
	}
	err = errors.Join(errs...)
	if len(models) == 0 {
		if err == nil {
			err = fmt.Errorf("reloading models: no model folder found in %q", r.describe())
		}
		return false, err
	}
	if loaded > 0 {
		// Loading holds the file bytes and the decoded protobuf besides the
		// compiled tensors: return that garbage to the OS now rather than
		// whenever the next GC cycles come (models are hundreds of MB).
		defer debug.FreeOSMemory()
	}
	prev := r.cur.Load()
	changed = prev == nil || !sameModels(prev.order, models)
	r.stamp, r.byURI = newStamp, newByURI
	if changed {
		s := newSet(models, r.now())
		r.cur.Store(s)
		var versions []string
		for _, m := range s.order {
			versions = append(versions, m.version)
		}
		r.log.Info("models swapped in", "versions", versions, "default", s.Default().version)
	}
	return changed, err
}

// static reports a source with no model folder: the registry keeps
// the models it was given (StaticRegistry).
func (s Source) static() bool {
	return s.Root == "" && s.RootLocation.Store == nil && len(s.Models) == 0 && len(s.Locations) == 0
}

func (r *Registry) describe() string {
	if r.src.RootLocation.Store != nil {
		return r.src.RootLocation.URI()
	}
	if r.src.Root != "" {
		return r.src.Root
	}
	names := slices.Clone(r.src.Models)
	for _, l := range r.src.Locations {
		names = append(names, l.URI())
	}
	return strings.Join(names, ", ")
}

func sameModels(a, b []*Model) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[*Model]bool{}
	for _, m := range a {
		set[m] = true
	}
	for _, m := range b {
		if !set[m] {
			return false
		}
	}
	return true
}

// sourceResolverHow says how a registry reads s3:// models.
const sourceResolverHow = "set Source.Resolver"

// locations resolves the model folders of the source.
func (r *Registry) locations(ctx context.Context) ([]artifact.Location, error) {
	out := slices.Clone(r.src.Locations)
	for _, u := range r.src.Models {
		l, err := resolve(ctx, r.src.Resolver, u, sourceResolverHow)
		if err != nil {
			return nil, fmt.Errorf("resolving model %q: %w", u, err)
		}
		out = append(out, l)
	}
	root := r.src.RootLocation
	if root.Store == nil {
		if r.src.Root == "" {
			return out, nil
		}
		var err error
		if root, err = resolve(ctx, r.src.Resolver, r.src.Root, sourceResolverHow); err != nil {
			return nil, fmt.Errorf("resolving models folder %q: %w", r.src.Root, err)
		}
	}
	prefix := root.Key
	if prefix != "" {
		prefix += "/"
	}
	objs, err := root.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing models folder %q: %w", root.URI(), err)
	}
	seen := map[string]bool{}
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, prefix)
		dir, name := path.Split(rel)
		dir = strings.TrimSuffix(dir, "/")
		// One level: <root>/<version>/model.onnx.
		if name != ONNXFile || dir == "" || strings.Contains(dir, "/") || seen[dir] {
			continue
		}
		seen[dir] = true
		out = append(out, artifact.Location{Store: root.Store, Key: path.Join(root.Key, dir)})
	}
	return out, nil
}

// stamp is a cheap change detector of a model folder: the manifest's
// digest when committed, else the sizes and times of the files.
func stamp(ctx context.Context, l artifact.Location) (string, error) {
	if m, err := artifact.ReadManifest(ctx, l.Store, l.Key); err == nil {
		return m.Digest(), nil
	}
	var b strings.Builder
	for _, n := range []string{ONNXFile, FeaturizerFile, VocabFile, MetadataFile} {
		st, err := l.Store.Stat(ctx, path.Join(l.Key, n))
		if errors.Is(err, artifact.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %d %d\n", n, st.Size, st.ModTime.UnixNano())
	}
	return b.String(), nil
}
