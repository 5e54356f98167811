package runs

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/stepcache"
)

// DeleteOptions tune DeleteRuns.
type DeleteOptions struct {
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool
	// Force deletes a run even when a run that is kept reads its
	// artifacts (a rerun's new run reads the old run's outputs).
	Force bool
	// KeepDependencies keeps, instead of refusing, every run that a kept run
	// reads (Prune's behaviour), and every run a live process is writing.
	KeepDependencies bool
}

// A run with a step whose lease is live (its holder is still writing) is
// never deleted from under it: DeleteRuns refuses it, naming the holder, or
// keeps it with KeepDependencies, Force or not. Stop the run first.

// DeleteReport is what DeleteRuns removed, or would remove on a dry run.
type DeleteReport struct {
	Runs    []string `json:"runs"`
	Objects int      `json:"objects"`
	Bytes   int64    `json:"bytes"`
	// CacheEntries are the step-cache entries whose outputs were in the
	// deleted runs (a later lookup would miss them anyway).
	CacheEntries int `json:"cache_entries"`
	// Kept are the runs left because a kept run reads them: run -> readers.
	Kept map[string][]string `json:"kept,omitempty"`
	// Forced are the deleted runs that kept runs read (with Force).
	Forced map[string][]string `json:"forced,omitempty"`
	// Live are the runs kept because a process is writing them (a live
	// step lease): run -> the step and its holder.
	Live   map[string]string `json:"live,omitempty"`
	DryRun bool              `json:"dry_run"`
}

// DeleteRuns deletes every object of the runs ids under <loc>/runs/, and
// the step-cache entries that point into them. A run that does not exist is
// an error; so is a run that a kept run reads (its summaries record inputs
// in it), unless Force or KeepDependencies.
//
// Each run goes in an order that keeps the store consistent if it is
// interrupted: output manifests first (readers and the step cache stop
// trusting the outputs), then the files, then the step summaries, so a
// half-deleted run is still listed and can be deleted again.
func DeleteRuns(ctx context.Context, loc artifact.Location, ids []string, opt DeleteOptions) (*DeleteReport, error) {
	rep := &DeleteReport{DryRun: opt.DryRun}
	doomed := map[string][]artifact.ObjectInfo{}
	for _, id := range ids {
		if err := artifact.ValidateName("run ID", id); err != nil {
			return nil, err
		}
		if _, ok := doomed[id]; ok {
			continue
		}
		prefix := path.Join(loc.Key, artifact.RunPrefix(id)) + "/"
		objs, err := loc.Store.List(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("listing run %q in %q: %w", id, loc.Store.URI(prefix), err)
		}
		if len(objs) == 0 {
			return nil, fmt.Errorf("deleting run %q: nothing under %q ('tweetflow runs' lists the runs of a store)", id, loc.Store.URI(prefix))
		}
		doomed[id] = objs
	}

	// Runs being written: a step's lease is live.
	now := time.Now()
	for _, id := range slices.Sorted(maps.Keys(doomed)) {
		for _, o := range doomed[id] {
			if path.Base(o.Key) != artifact.LeaseName {
				continue
			}
			info, ok, err := artifact.ReadLease(ctx, loc.Store, o.Key)
			if err != nil {
				return nil, fmt.Errorf("deleting run %q: %w", id, err)
			}
			if !ok || !info.Live(now) {
				continue
			}
			step := path.Base(path.Dir(o.Key))
			if !opt.KeepDependencies {
				return nil, fmt.Errorf("deleting run %q: step %s is being written by %s (lease %s): stop that run first, or wait for it to finish",
					id, step, info.String(), loc.Store.URI(o.Key))
			}
			if rep.Live == nil {
				rep.Live = map[string]string{}
			}
			rep.Live[id] = fmt.Sprintf("step %s held by %s", step, info.String())
			delete(doomed, id)
			break
		}
	}

	// Which kept runs read which doomed ones.
	all, err := ListRuns(ctx, loc)
	if err != nil {
		return nil, err
	}
	for {
		readers := readersOf(loc, all, doomed)
		if len(readers) == 0 || opt.Force {
			rep.Forced = readers
			break
		}
		if !opt.KeepDependencies {
			var msgs []string
			for _, id := range slices.Sorted(maps.Keys(readers)) {
				msgs = append(msgs, fmt.Sprintf("run %q is read by run(s) %s", id, strings.Join(quoted(readers[id]), ", ")))
			}
			return nil, fmt.Errorf("deleting runs: %s: delete those too, or force it", strings.Join(msgs, "; "))
		}
		if rep.Kept == nil {
			rep.Kept = map[string][]string{}
		}
		for id, rs := range readers {
			rep.Kept[id] = rs
			delete(doomed, id)
		}
	}

	entries, err := cacheEntriesIn(ctx, loc, doomed)
	if err != nil {
		return nil, err
	}
	rep.Runs = append([]string{}, slices.Sorted(maps.Keys(doomed))...) // [] in JSON when all are kept
	rep.CacheEntries = len(entries)
	for _, objs := range doomed {
		rep.Objects += len(objs)
		for _, o := range objs {
			rep.Bytes += o.Size
		}
	}
	if opt.DryRun {
		return rep, nil
	}
	for _, k := range entries {
		if err := loc.Store.Delete(ctx, k); err != nil {
			return nil, fmt.Errorf("deleting step-cache entry: %w", err)
		}
	}
	for _, id := range rep.Runs {
		objs := slices.Clone(doomed[id])
		rank := func(key string) int {
			switch path.Base(key) {
			case artifact.ManifestName:
				return 0
			case artifact.SummaryFile:
				return 2
			}
			return 1
		}
		sort.SliceStable(objs, func(i, j int) bool { return rank(objs[i].Key) < rank(objs[j].Key) })
		for _, o := range objs {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("deleting run %q: %w", id, err)
			}
			if err := loc.Store.Delete(ctx, o.Key); err != nil {
				return nil, fmt.Errorf("deleting run %q: %w", id, err)
			}
		}
	}
	return rep, nil
}

// PruneSelect picks the runs to prune: all but the newest keep (runs are
// newest first, as ListRuns gives them) and, when before is not zero, only
// those that started before it.
func PruneSelect(runs []*RunInfo, keep int, before time.Time) []string {
	var ids []string
	for i, r := range runs {
		if i < keep || (!before.IsZero() && !r.Started.Before(before)) {
			continue
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// readersOf maps each doomed run to the kept runs whose step summaries
// record an input inside it.
func readersOf(loc artifact.Location, runs []*RunInfo, doomed map[string][]artifact.ObjectInfo) map[string][]string {
	out := map[string][]string{}
	for id := range doomed {
		root := loc.Store.URI(path.Join(loc.Key, artifact.RunPrefix(id)))
		for _, r := range runs {
			if _, gone := doomed[r.ID]; gone {
				continue
			}
			if readsFrom(r, root) {
				out[id] = append(out[id], r.ID)
			}
		}
		sort.Strings(out[id])
	}
	return out
}

func readsFrom(r *RunInfo, root string) bool {
	for _, s := range r.Steps {
		for _, uris := range s.Inputs {
			for _, u := range uris {
				if within(u, root) {
					return true
				}
			}
		}
	}
	return false
}

// within reports whether uri is root or below it; a plain local path is
// compared as the file:// URI the FS store gives it.
func within(uri, root string) bool {
	if !strings.Contains(uri, "://") && filepath.IsAbs(uri) {
		uri = (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Clean(uri))}).String()
	}
	return uri == root || strings.HasPrefix(uri, root+"/")
}

// cacheEntriesIn returns the keys of the step-cache entries with an output
// inside one of the doomed runs.
func cacheEntriesIn(ctx context.Context, loc artifact.Location, doomed map[string][]artifact.ObjectInfo) ([]string, error) {
	prefix := path.Join(loc.Key, stepcache.Prefix) + "/"
	objs, err := loc.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing the step cache %q: %w", loc.Store.URI(prefix), err)
	}
	var roots []string
	for id := range doomed {
		roots = append(roots, loc.Store.URI(path.Join(loc.Key, artifact.RunPrefix(id))))
	}
	var keys []string
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".json") || strings.Contains(strings.TrimPrefix(o.Key, prefix), "/") {
			continue
		}
		e, err := stepcache.Lookup(ctx, loc, strings.TrimSuffix(path.Base(o.Key), ".json"))
		if err != nil {
			return nil, err
		}
		if e != nil && entryIn(e, roots) {
			keys = append(keys, o.Key)
		}
	}
	return keys, nil
}

func entryIn(e *stepcache.Entry, roots []string) bool {
	for _, o := range e.Outputs {
		for _, root := range roots {
			if within(o.URI, root) {
				return true
			}
		}
	}
	return false
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
