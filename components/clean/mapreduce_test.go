package main

import (
	"context"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/dataset"
	"github.com/tweetflow/tweetflow/internal/stageio"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/internal/testutil/stagetest"
	"github.com/tweetflow/tweetflow/pipelines/shard"
)

// writeShards commits rows split into n consecutive parts as the shards
// <loc>/shard-0000 ... of a fan-out, and returns their URIs.
func writeShards(t *testing.T, loc artifact.Location, rows []dataset.Tweet, n int) []string {
	t.Helper()
	ctx := context.Background()
	var uris []string
	for i := range n {
		part := rows[i*len(rows)/n : (i+1)*len(rows)/n]
		out := artifact.NewOutput(loc.Store, path.Join(loc.Key, shard.Dir(shard.Index(i))))
		w := stageio.DatasetWriter(ctx, out, 100000)
		for j := range part {
			if err := w.Write(&part[j]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		m, err := out.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, m.URI)
	}
	return uris
}

// dataHashes lists name:sha256 of the data files of a manifest.
func dataHashes(m *artifact.Manifest) []string {
	var out []string
	for _, f := range dataset.ShardFiles(m) {
		out = append(out, f.Name+":"+f.SHA256)
	}
	return out
}

// TestCleanMapReduceMatchesAll: the demo data (duplicate ids, texts and
// conflicting labels) split into 3 shards, cleaned by --mode map per shard,
// gathered and reduced, gives byte-identical clean/tweets data files (and
// the same stats) as --mode all over the unsplit data, under both conflict
// rules.
func TestCleanMapReduceMatchesAll(t *testing.T) {
	for _, rule := range []string{"majority", "first"} {
		t.Run(rule, func(t *testing.T) {
			s := stagetest.NewFS(t)
			rows := ingested(t, s, "all")
			s.MustRun(t, stages.Clean, runFn, "all", "--conflicts", rule, "--strip-hash")
			want := s.MustManifest(t, "all", "clean", "tweets")

			ingestOut := s.Loc("mr", "ingest", "tweets")
			mapOut := s.Loc("mr", "clean-map", "tweets")
			for i, uri := range writeShards(t, ingestOut, rows, 3) {
				idx := shard.Index(i)
				s.MustRun(t, stages.Clean, runFn, "mr", "--mode", "map", "--strip-hash", "--step", "clean-map-"+idx,
					"--tweets", uri, "--out-tweets", mapOut.URI()+"/"+shard.Dir(idx))
			}
			if _, err := shard.Gather(context.Background(), mapOut, 3); err != nil {
				t.Fatal(err)
			}
			mapped := s.Tweets(t, "mr", "clean-map", "tweets")
			if len(mapped) != len(rows) {
				t.Fatalf("map kept %d of %d rows, want all", len(mapped), len(rows))
			}
			s.MustRun(t, stages.Clean, runFn, "mr", "--mode", "reduce", "--conflicts", rule, "--strip-hash", "--tweets", mapOut.URI())
			got := s.MustManifest(t, "mr", "clean", "tweets")
			if g, w := dataHashes(got), dataHashes(want); len(w) == 0 || !slices.Equal(g, w) {
				t.Errorf("reduce data files %v, want those of --mode all %v", g, w)
			}
			if g, w := cleanStats(t, s, "mr"), cleanStats(t, s, "all"); g != w {
				t.Errorf("reduce stats %+v, want %+v", g, w)
			}
			if !slices.Equal(s.File(t, "mr", "clean", "tweets", stageio.CleanerFile), s.File(t, "all", "clean", "tweets", stageio.CleanerFile)) {
				t.Error("reduce cleaner.json differs from --mode all's")
			}
		})
	}
}

// TestCleanReduceChecksOptions: reduce refuses (exit 2) a dataset not made
// by map, and one mapped with other cleaner options.
func TestCleanReduceChecksOptions(t *testing.T) {
	s := stagetest.NewFS(t)
	ingested(t, s, "r")
	r := s.Run(t, stages.Clean, runFn, "r", "--mode", "reduce")
	if r.Code != 2 || !strings.Contains(r.Stderr, stageio.CleanerFile) {
		t.Errorf("reduce over raw data: exit %d, stderr:\n%s\nwant exit 2 naming %s", r.Code, r.Stderr, stageio.CleanerFile)
	}
	s.MustRun(t, stages.Clean, runFn, "r", "--mode", "map", "--step", "clean-map", "--lowercase=false")
	mapped := s.URI("r", "clean-map", "tweets")
	r = s.Run(t, stages.Clean, runFn, "r", "--mode", "reduce", "--tweets", mapped)
	if r.Code != 2 || !strings.Contains(r.Stderr, "same options") {
		t.Errorf("reduce with other options: exit %d, stderr:\n%s\nwant exit 2", r.Code, r.Stderr)
	}
	s.MustRun(t, stages.Clean, runFn, "r", "--mode", "reduce", "--tweets", mapped, "--lowercase=false")
}
