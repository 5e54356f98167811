package component

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// takeLease takes the step's lease (<store>/runs/<run-id>/<step>/_lease.json)
// so that two processes never write one step's outputs at once: a rerun
// started while an orphan of a killed run still writes, or the same run
// submitted twice. The loser fails with an error naming the holder. The
// returned context is cancelled if the lease is lost later (this process
// stalled past its TTL and another took over), and outputs are re-created
// as owned by the lease, whose stale staging areas (see pruneStaging) are
// removed first.
func (e *Env) takeLease(ctx context.Context) (*artifact.Lease, context.Context, error) {
	if e.store.Store == nil {
		return nil, ctx, nil
	}
	ttl := e.settings.LeaseTTL // --lease-ttl, TWEETFLOW_LEASE_TTL (settings.LeaseTTL)
	key := path.Join(e.store.Key, artifact.LeaseKey(e.RunID, e.Step))
	lctx, cancel := context.WithCancelCause(ctx)
	lease, err := artifact.AcquireLease(ctx, e.store.Store, key, artifact.LeaseOptions{
		Holder: e.Contract.Name, TTL: ttl, OnLost: cancel})
	if err != nil {
		cancel(nil)
		if errors.Is(err, artifact.ErrLeaseHeld) {
			return nil, ctx, fmt.Errorf("step %q of run %q is already running: %w", e.Step, e.RunID, err)
		}
		return nil, ctx, err
	}
	e.owner = lease.Owner()
	for _, name := range e.outOrder {
		o := e.outputs[name]
		loc, err := e.resolver.Resolve(ctx, o.URI())
		if err != nil {
			loc = e.stepLocation(name)
		}
		e.outputs[name] = artifact.NewOutputOwned(loc.Store, loc.Key, e.owner)
		e.pruneStaging(ctx, name, loc)
	}
	return lease, lctx, nil
}

// pruneStaging removes what killed writers of this output left in its
// staging area: areas owned by another lease (this process holds the only
// live one) when the output is the step's own, and areas with no owner
// older than artifact.DefaultStagingGrace.
func (e *Env) pruneStaging(ctx context.Context, name string, loc artifact.Location) {
	step := e.store.Store.URI(path.Join(e.store.Key, artifact.RunPrefix(e.RunID), e.Step)) + "/"
	cutoff := time.Now().Add(-artifact.DefaultStagingGrace)
	var n int
	var err error
	if strings.HasPrefix(loc.Store.URI(loc.Key)+"/", step) || e.ownShard(loc) {
		n, err = artifact.PruneStaleStaging(ctx, loc.Store, loc.Key, cutoff, e.owner)
	} else {
		// Written elsewhere (--out-*), where other steps may write too:
		// only age tells a leftover.
		n, err = artifact.PruneStaging(ctx, loc.Store, loc.Key, cutoff)
	}
	if err != nil {
		e.Log.Warn("removing stale staging areas", "output", name, "error", err)
		return
	}
	if n > 0 {
		e.Log.Info("removed staging files left by killed writers", "output", name, "files", n)
	}
}

// ownShard reports whether loc is this step's shard of a fan-out: item
// <index> of step <base> runs as step "<base>-<index>" and writes only
// <store>/runs/<run-id>/<base>/.../shard-<index> (pipelines/shard), so the
// staging there is its own to judge, as a step's own output is.
func (e *Env) ownShard(loc artifact.Location) bool {
	i := strings.LastIndexByte(e.Step, '-')
	uri := strings.TrimSuffix(loc.Store.URI(loc.Key), "/")
	if i <= 0 || !strings.HasSuffix(uri, "/shard-"+e.Step[i+1:]) {
		return false
	}
	base := e.store.Store.URI(path.Join(e.store.Key, artifact.RunPrefix(e.RunID), e.Step[:i])) + "/"
	return strings.HasPrefix(uri, base)
}
