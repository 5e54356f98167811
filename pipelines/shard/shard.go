package shard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/ingest"
	"github.com/tweetflow/tweetflow/internal/pgsource"
)

// ErrBadSources marks local sources that do not exist or match nothing: a
// usage error, not worth a retry.
var ErrBadSources = errors.New("bad sources")

// Item is one shard of a fan-out: withParam's element.
type Item struct {
	// Index is the shard's position, zero-padded so that names sort in
	// plan order (shard-0000, shard-0001, ...).
	Index string `json:"index"`
	// URI is the file: a local path or an s3:// URI.
	URI string `json:"uri"`
}

// Dir is the folder of shard index under an output: "shard-<index>".
func Dir(index string) string { return "shard-" + index }

// Index formats shard number i.
func Index(i int) string { return fmt.Sprintf("%04d", i) }

// Plan expands the sources (paths, globs, folders or s3://bucket/prefix
// URIs, as ingest takes them) into one item per file (a postgres://
// table or query source is one item), in the order ingest
// would read them. Empty local files get no item (ingest would fail on a
// shard with no rows): each is passed to onEmpty (a warning), and a plan
// whose files are all empty fails.
func Plan(ctx context.Context, sources []string, res *artifact.Resolver, onEmpty func(path string)) ([]Item, error) {
	var uris, local, empty []string
	flush := func() error {
		if len(local) == 0 {
			return nil
		}
		files, err := ingest.ExpandLocal(local)
		if err != nil {
			return fmt.Errorf("planning shards: %w: %w", ErrBadSources, err)
		}
		for _, f := range files {
			if st, err := os.Stat(f); err == nil && st.Size() == 0 {
				empty = append(empty, f)
				if onEmpty != nil {
					onEmpty(f)
				}
				continue
			}
			uris = append(uris, f)
		}
		local = nil
		return nil
	}
	for _, s := range sources {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if pgsource.IsURI(s) {
			// A database table or query is read whole by one shard.
			if err := flush(); err != nil {
				return nil, err
			}
			uris = append(uris, s)
			continue
		}
		if !strings.HasPrefix(strings.ToLower(s), "s3://") {
			local = append(local, s)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		loc, err := res.Resolve(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("planning shards: %w", err)
		}
		srcs, err := ingest.ExpandStore(ctx, loc.Store, loc.Key)
		if err != nil {
			return nil, fmt.Errorf("planning shards: %w", err)
		}
		for _, src := range srcs {
			uris = append(uris, src.Name)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(uris) == 0 && len(empty) > 0 {
		return nil, fmt.Errorf("planning shards: %w: every source is empty (%s)", ErrBadSources, strings.Join(empty, ", "))
	}
	if len(uris) == 0 {
		return nil, errors.New("planning shards: no sources")
	}
	items := make([]Item, len(uris))
	for i, u := range uris {
		items[i] = Item{Index: Index(i), URI: u}
	}
	return items, nil
}

// ShardsMeta is the manifest metadata key in which Gather records the
// number of shards of a gathered output.
const ShardsMeta = "shards"

// PlanDataset lists the shards of the committed dataset at uri: one item
// per shard-<index> folder of a gathered output (its manifest's "shards"
// count), with the folder's URI, or a single item, the dataset itself,
// when it was not gathered. A fan-out over a dataset thus keeps the shards
// of the fan-out that wrote it.
func PlanDataset(ctx context.Context, uri string, res *artifact.Resolver) ([]Item, error) {
	loc, err := res.Resolve(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("planning shards of %q: %w", uri, err)
	}
	m, err := artifact.ReadManifest(ctx, loc.Store, loc.Key)
	if err != nil {
		return nil, fmt.Errorf("planning shards of %q: %w", uri, err)
	}
	v, ok := m.Meta[ShardsMeta]
	if !ok {
		return []Item{{Index: Index(0), URI: loc.URI()}}, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("planning shards of %q: manifest %q %q: want a positive count", uri, ShardsMeta, v)
	}
	items := make([]Item, n)
	for i := range n {
		dir := Dir(Index(i))
		items[i] = Item{Index: Index(i), URI: artifact.Location{Store: loc.Store, Key: path.Join(loc.Key, dir)}.URI()}
	}
	return items, nil
}

// Gather publishes the count committed shards under out (shard-0000 ...)
// as one output: a manifest at out listing each shard's files as
// shard-<index>/<name>, with the first shard's metadata and "shards" set to
// the count. It fails when a shard is missing or not committed.
func Gather(ctx context.Context, out artifact.Location, count int) (*artifact.Manifest, error) {
	if count < 1 {
		return nil, fmt.Errorf("gathering %q: count %d: want at least one shard", out.URI(), count)
	}
	m := &artifact.Manifest{URI: out.URI(), Meta: map[string]string{}}
	for i := range count {
		dir := Dir(Index(i))
		sm, err := artifact.ReadManifest(ctx, out.Store, path.Join(out.Key, dir))
		if err != nil {
			return nil, fmt.Errorf("gathering %q: shard %d: %w", out.URI(), i, err)
		}
		if i == 0 {
			for k, v := range sm.Meta {
				m.Meta[k] = v
			}
		}
		for _, f := range sm.Files {
			f.Name = dir + "/" + f.Name
			m.Files = append(m.Files, f)
		}
	}
	m.Meta[ShardsMeta] = strconv.Itoa(count)
	m.CommittedAt = time.Now().UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	key := path.Join(out.Key, artifact.ManifestName)
	w, err := out.Store.Create(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("gathering %q: %w", out.URI(), err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		w.Abort()
		return nil, fmt.Errorf("gathering %q: %w", out.URI(), err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gathering %q: %w", out.URI(), err)
	}
	return m, nil
}
