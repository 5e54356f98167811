package component

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/stepcache"
	"github.com/tweetflow/tweetflow/internal/version"
)

// Cache states recorded in Summary.Cache.
const (
	CacheHit  = "hit"  // outputs restored from an earlier identical run
	CacheMiss = "miss" // ran, and recorded for later runs
)

// cacheSpec is the step's cache key material (see package stepcache).
func (e *Env) cacheSpec(ctx context.Context) (stepcache.Spec, error) {
	exe, err := os.Executable()
	if err != nil {
		return stepcache.Spec{}, fmt.Errorf("finding this binary: %w", err)
	}
	bin, err := stepcache.FileDigest(exe)
	if err != nil {
		return stepcache.Spec{}, err
	}
	cj, err := json.Marshal(e.Contract)
	if err != nil {
		return stepcache.Spec{}, err
	}
	ch := sha256.Sum256(cj)
	params := e.params
	if len(e.settingText) > 0 {
		// The contract's own settings (e.g. SOURCE_DATE_EPOCH) change the
		// outputs: they are keyed like parameters.
		params = maps.Clone(e.params)
		for k, v := range e.settingText {
			params["setting:"+k] = v
		}
	}
	spec := stepcache.Spec{
		Component: e.Contract.Name,
		Version:   bin + " " + version.Version,
		Contract:  "sha256:" + hex.EncodeToString(ch[:]),
		Params:    params,
		Inputs:    map[string][]string{},
	}
	for _, a := range e.Contract.Inputs {
		for _, loc := range e.inputs[a.Name] {
			var d string
			if loc.Store == nil && isDatabaseURI(loc.Key) {
				// A table changes without a trace a digest could see.
				return stepcache.Spec{}, fmt.Errorf("input %q reads a database table or query (%s), whose contents have no digest", a.Name, redactURI(loc.Key))
			}
			if loc.Store == nil {
				d, err = stepcache.LocalDigest(loc.Key)
			} else {
				d, err = stepcache.ArtifactDigest(ctx, loc)
			}
			if err != nil {
				return stepcache.Spec{}, fmt.Errorf("hashing input %q: %w", a.Name, err)
			}
			spec.Inputs[a.Name] = append(spec.Inputs[a.Name], d)
		}
	}
	return spec, nil
}

// cacheLookup computes the key and, on a hit, returns a RunFunc that
// restores the cached outputs instead of running. Problems only turn the
// cache off for this run.
func (e *Env) cacheLookup(ctx context.Context) (key string, spec *stepcache.Spec, restore RunFunc) {
	if e.Contract.NoCache {
		e.Log.Warn("step cache off: this component has side effects outside its outputs", "component", e.Contract.Name)
		return "", nil, nil
	}
	s, err := e.cacheSpec(ctx)
	if err != nil {
		e.Log.Warn("step cache off for this run", "error", err)
		return "", nil, nil
	}
	key = s.Key()
	e.summary.CacheKey = key
	entry, err := stepcache.Lookup(ctx, e.store, key)
	if err != nil {
		e.Log.Warn("step cache: lookup failed, running", "key", key, "error", err)
		return key, &s, nil
	}
	if entry == nil {
		e.Log.Info("step cache miss", "key", key)
		return key, &s, nil
	}
	resolve := func(ctx context.Context, uri string) (artifact.Location, error) {
		return e.resolver.Resolve(ctx, uri)
	}
	manifests, err := entry.Check(ctx, resolve)
	for _, name := range e.outOrder {
		if _, ok := entry.Outputs[name]; !ok && err == nil {
			err = fmt.Errorf("the entry lacks output %q", name)
		}
	}
	if err != nil {
		e.Log.Info("step cache entry unusable, running", "key", key, "reason", err)
		return key, &s, nil
	}
	return key, &s, func(ctx context.Context, e *Env) error {
		start := time.Now()
		for _, name := range e.outOrder {
			o := entry.Outputs[name]
			dst := e.outputs[name]
			if o.URI == dst.URI() {
				e.reused[name] = manifests[name] // already in place: keep it
				continue
			}
			src, err := resolve(ctx, o.URI)
			if err != nil {
				return err
			}
			if err := stepcache.Restore(ctx, src, manifests[name], dst); err != nil {
				return fmt.Errorf("restoring cached output %q: %w", name, err)
			}
		}
		for k, v := range entry.Results {
			e.SetResult(k, v)
		}
		e.AddRows(entry.RowsIn, entry.RowsOut)
		e.mu.Lock()
		e.summary.Cache = CacheHit
		e.summary.Extra["cached_from"] = entry.RunID + "/" + entry.Step
		e.mu.Unlock()
		e.Log.Info("step cache hit: outputs restored", "key", key, "from_run", entry.RunID, "from_step", entry.Step,
			"seconds", round(time.Since(start).Seconds()))
		return nil
	}
}

// cacheRecord records a successful run's outputs under its key.
func (e *Env) cacheRecord(ctx context.Context, key string, spec *stepcache.Spec) {
	e.mu.Lock()
	entry := &stepcache.Entry{Key: key, Component: e.Contract.Name, Step: e.Step, RunID: e.RunID,
		CreatedAt: time.Now().UTC().Truncate(time.Second), Outputs: map[string]stepcache.Output{},
		Results: map[string]string{}, RowsIn: e.summary.RowsIn, RowsOut: e.summary.RowsOut}
	if spec != nil {
		shown := *spec
		shown.Params = e.summary.Params // secret parameters redacted
		entry.Spec = &shown
	}
	for k, v := range e.summary.Results {
		entry.Results[k] = v
	}
	for name, o := range e.summary.Outputs {
		entry.Outputs[name] = stepcache.Output{URI: o.URI, Digest: o.Digest, Files: o.Files, Bytes: o.Bytes}
	}
	e.summary.Cache = CacheMiss
	e.mu.Unlock()
	if err := stepcache.Record(ctx, e.store, entry); err != nil {
		e.Log.Warn("step cache: recording failed", "key", key, "error", err)
	}
}

// resetOutputs discards what a failed restore staged and starts the
// outputs afresh.
func (e *Env) resetOutputs(ctx context.Context) {
	for _, name := range e.outOrder {
		o := e.outputs[name]
		if err := o.Abort(ctx); err != nil {
			e.Log.Warn("discarding staged output", "output", name, "error", err)
		}
		loc, err := e.resolver.Resolve(ctx, o.URI())
		if err != nil {
			loc = e.stepLocation(name)
		}
		e.outputs[name] = artifact.NewOutputOwned(loc.Store, loc.Key, e.owner)
	}
	clear(e.reused)
}
