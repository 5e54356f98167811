package run

import (
	"context"
	"github.com/tweetflow/tweetflow/pipelines/runs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// TestPruneStaging: `runs prune` removes the staging files of writers
// whose lease is not live (killed) and old unowned ones, keeps those of a
// running step, on both stores.
func TestPruneStaging(t *testing.T) {
	for _, kind := range []string{"fs", "s3"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t)
			var loc artifact.Location
			if kind == "s3" {
				_, _, loc = h.s3()
			} else {
				_, loc = h.fs()
			}
			ctx := context.Background()
			key := func(k string) string { return loc.Key + "/" + k }
			stage := func(run, step, owner string) {
				o := artifact.NewOutputOwned(loc.Store, key(artifact.OutputKey(run, step, "data")), owner)
				if err := o.WriteFile(ctx, "part-0", strings.NewReader("staged by "+owner)); err != nil {
					t.Fatal(err)
				}
			}
			// A running step: its lease is held (and renewed) by this process.
			live, err := artifact.AcquireLease(ctx, loc.Store, key(artifact.LeaseKey("r1", "train")), artifact.LeaseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer live.Release(ctx)
			stage("r1", "train", live.Owner())
			// A killed step: its lease's process is gone.
			now := time.Now().UTC()
			host, _ := os.Hostname()
			dead := `{"owner":"0123456789abcdef","host":"` + host + `","pid":999999999,"renewed_at":"` + now.Format(time.RFC3339) +
				`","expires_at":"` + now.Add(time.Hour).Format(time.RFC3339) + `"}`
			w, err := loc.Store.Create(ctx, key(artifact.LeaseKey("r1", "split")))
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(dead))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			stage("r1", "split", "0123456789abcdef")
			// A step whose lease was released: what it staged is a leftover.
			done, err := artifact.AcquireLease(ctx, loc.Store, key(artifact.LeaseKey("r2", "embed")), artifact.LeaseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			stage("r2", "embed", done.Owner())
			done.Release(ctx)
			// Unowned: a recent one stays, a two-day-old one goes.
			stage("r2", "score", "")
			w, err = loc.Store.Create(ctx, key(artifact.OutputKey("r2", "old", "data")+"/_staging/"+now.Add(-48*time.Hour).Format("20060102T150405")+"-aaaa/x"))
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("old"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			rep, err := runs.PruneStaging(ctx, loc, 24*time.Hour, true)
			if err != nil || rep.Areas != 3 || rep.Objects != 3 || rep.Live != 2 {
				t.Fatalf("dry run: %+v, %v; want 3 areas, 3 objects, 2 kept", rep, err)
			}
			if rep, err = runs.PruneStaging(ctx, loc, 24*time.Hour, false); err != nil || rep.Areas != 3 {
				t.Fatalf("PruneStaging: %+v, %v", rep, err)
			}
			files, err := artifact.ListStaging(ctx, loc.Store, key("runs/"))
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, f := range files {
				left = append(left, strings.TrimPrefix(f.Output, loc.Key+"/"))
			}
			if len(left) != 2 || left[0] != "runs/r1/train/data" || left[1] != "runs/r2/score/data" {
				t.Errorf("staging left: %q, want the running step's and the recent unowned one", left)
			}
		})
	}
}
