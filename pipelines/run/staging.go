package run

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// StagingReport is what PruneStaging removed (or would remove).
type StagingReport struct {
	Areas   int   `json:"areas"`
	Objects int   `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Live counts the staging areas kept because a live step owns them.
	Live   int  `json:"live"`
	DryRun bool `json:"dry_run"`
}

// PruneStaging removes the staging areas that stages killed before Commit
// left under <loc>/runs/: every area whose owner (the lease token in its
// name, see artifact.NewOutputOwned) holds no live lease of its run, and
// every area without an owner that started more than grace ago. Areas of a
// step that is still running (its lease is live: not released, renewed, and
// its process exists when it runs on this machine) are kept.
func PruneStaging(ctx context.Context, loc artifact.Location, grace time.Duration, dryRun bool) (*StagingReport, error) {
	root := path.Join(loc.Key, "runs") + "/"
	objs, err := loc.Store.List(ctx, root)
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", loc.Store.URI(root), err)
	}
	rep := &StagingReport{DryRun: dryRun}
	now := time.Now()
	cutoff := now.Add(-grace)
	// The live lease owners of each run, read once per run.
	live := map[string]map[string]bool{}
	liveOwners := func(runID string) (map[string]bool, error) {
		if m, ok := live[runID]; ok {
			return m, nil
		}
		m := map[string]bool{}
		for _, o := range objs {
			rest, ok := strings.CutPrefix(o.Key, root+runID+"/")
			if !ok || strings.Count(rest, "/") != 1 || path.Base(rest) != artifact.LeaseName {
				continue
			}
			info, found, err := artifact.ReadLease(ctx, loc.Store, o.Key)
			if err != nil {
				return nil, err
			}
			if found && info.Live(now) {
				m[info.Owner] = true
			}
		}
		live[runID] = m
		return m, nil
	}
	seen := map[string]bool{}
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, root)
		i := strings.Index(rel, "/_staging/")
		if i < 0 {
			continue
		}
		runID, _, _ := strings.Cut(rel, "/")
		areaRoot := rel[:i+len("/_staging/")]
		area, _, _ := strings.Cut(rel[len(areaRoot):], "/")
		parts := strings.SplitN(area, "-", 3)
		started, err := time.Parse("20060102T150405", parts[0])
		if err != nil || len(parts) < 2 {
			continue // not a staging area of artifact.Output
		}
		stale := started.Before(cutoff)
		if !stale && len(parts) == 3 {
			owners, err := liveOwners(runID)
			if err != nil {
				return nil, err
			}
			stale = !owners[parts[2]]
		}
		key := areaRoot + area
		if !stale {
			if !seen[key] {
				seen[key] = true
				rep.Live++
			}
			continue
		}
		if !seen[key] {
			seen[key] = true
			rep.Areas++
		}
		rep.Objects++
		rep.Bytes += o.Size
		if dryRun {
			continue
		}
		if err := loc.Store.Delete(ctx, o.Key); err != nil {
			return nil, fmt.Errorf("removing stale staging: %w", err)
		}
	}
	return rep, nil
}
