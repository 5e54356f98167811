package runs

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
	files, err := artifact.ListStaging(ctx, loc.Store, root)
	if err != nil {
		return nil, fmt.Errorf("listing staging files in %q: %w", loc.Store.URI(root), err)
	}
	rep := &StagingReport{DryRun: dryRun}
	if len(files) == 0 {
		return rep, nil
	}
	now := time.Now()
	cutoff := now.Add(-grace)
	// The live lease owners of each run, read once per run.
	live := map[string]map[string]bool{}
	liveOwners := func(runID string) (map[string]bool, error) {
		if m, ok := live[runID]; ok {
			return m, nil
		}
		m := map[string]bool{}
		objs, err := loc.Store.List(ctx, root+runID+"/")
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			rest := strings.TrimPrefix(o.Key, root+runID+"/")
			if strings.Count(rest, "/") != 1 || path.Base(rest) != artifact.LeaseName {
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
	for _, f := range files {
		runID, _, _ := strings.Cut(strings.TrimPrefix(f.Key, root), "/")
		stale := f.Started.Before(cutoff)
		if !stale && f.Owner != "" {
			owners, err := liveOwners(runID)
			if err != nil {
				return nil, err
			}
			stale = !owners[f.Owner]
		}
		if !stale {
			if !seen[f.Area] {
				seen[f.Area] = true
				rep.Live++
			}
			continue
		}
		if !seen[f.Area] {
			seen[f.Area] = true
			rep.Areas++
		}
		rep.Objects++
		rep.Bytes += f.Size
		if dryRun {
			continue
		}
		if err := artifact.DeleteStaging(ctx, loc.Store, f); err != nil {
			return nil, fmt.Errorf("removing stale staging: %w", err)
		}
	}
	return rep, nil
}
