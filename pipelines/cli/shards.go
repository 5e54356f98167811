package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/pipelines/shard"
)

// Names of the plan's results (Argo output parameters).
const (
	ShardsResult = "shards"
	CountResult  = "count"
)

func shardsCommand(stdout io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:  "shards",
		Usage: "the built-in steps of a fan-out (dsl.FanOut): plan the shards, gather their outputs",
		Subcommands: []*ucli.Command{
			{
				Name:      "plan",
				Usage:     "list the files of a list input, or the shards of a gathered dataset, as withParam items ({\"index\", \"uri\"}) and their count",
				UsageText: "tweetflow shards plan (--sources a.csv,s3://bucket/raw/ | --dataset URI) [--results-dir DIR]",
				Flags: []ucli.Flag{
					&ucli.StringSliceFlag{Name: "sources", Usage: "paths, globs, folders or s3:// URIs (comma-separated or repeated)"},
					&ucli.StringFlag{Name: "dataset", Usage: "a committed dataset: one item per shard-<index> folder of a gathered output, else the dataset itself"},
					&ucli.StringFlag{Name: "results-dir", Usage: "write <dir>/" + ShardsResult + " (JSON) and <dir>/" + CountResult + "; empty prints the JSON"},
				},
				OnUsageError: onUsage,
				Action: func(cc *ucli.Context) error {
					var sources []string
					for _, s := range cc.StringSlice("sources") {
						for _, s := range strings.Split(s, ",") {
							if strings.TrimSpace(s) != "" {
								sources = append(sources, s)
							}
						}
					}
					ds := strings.TrimSpace(cc.String("dataset"))
					if (len(sources) == 0) == (ds == "") {
						return usageError{errors.New("give either --sources or --dataset")}
					}
					res, err := resolver(cc)
					if err != nil {
						return err
					}
					var items []shard.Item
					if ds != "" {
						items, err = shard.PlanDataset(cc.Context, ds, res)
					} else {
						items, err = shard.Plan(cc.Context, sources, res, func(path string) {
							fmt.Fprintf(cc.App.ErrWriter, "shards plan: warning: %s is empty: skipped\n", path)
						})
					}
					if errors.Is(err, shard.ErrBadSources) {
						return usageError{err} // exit 2: not retried
					}
					if err != nil {
						return err
					}
					b, err := json.Marshal(items)
					if err != nil {
						return err
					}
					dir := cc.String("results-dir")
					if dir == "" {
						_, err := fmt.Fprintf(stdout, "%s\n", b)
						return err
					}
					if err := os.MkdirAll(dir, 0o755); err != nil {
						return fmt.Errorf("writing results: %w", err)
					}
					if err := os.WriteFile(filepath.Join(dir, ShardsResult), b, 0o644); err != nil {
						return fmt.Errorf("writing results: %w", err)
					}
					if err := os.WriteFile(filepath.Join(dir, CountResult), []byte(strconv.Itoa(len(items))), 0o644); err != nil {
						return fmt.Errorf("writing results: %w", err)
					}
					fmt.Fprintf(stdout, "%d shards\n", len(items))
					return nil
				},
			},
			{
				Name:      "gather",
				Usage:     "publish the committed shards <out>/shard-0000... as one output <out> (a manifest, no copy)",
				UsageText: "tweetflow shards gather --out URI --count N",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "out", Required: true, Usage: "the output's URI: a folder or s3://bucket/prefix"},
					&ucli.IntFlag{Name: "count", Required: true, Usage: "number of shards"},
				},
				OnUsageError: onUsage,
				Action: func(cc *ucli.Context) error {
					if cc.Int("count") < 1 {
						return usageError{errors.New("--count must be at least 1")}
					}
					res, err := resolver(cc)
					if err != nil {
						return err
					}
					loc, err := res.Resolve(cc.Context, cc.String("out"))
					if err != nil {
						return err
					}
					m, err := shard.Gather(cc.Context, loc, cc.Int("count"))
					if err != nil {
						return err
					}
					fmt.Fprintf(stdout, "gathered %d shards (%d files, %d bytes) at %s\n", cc.Int("count"), len(m.Files), m.TotalBytes(), m.URI)
					return nil
				},
			},
		},
	}
}
