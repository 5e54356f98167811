package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/model/metrics"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/pipelines/runs"
)

// DefaultRunsLimit is how many runs `tweetflow runs` lists unless --limit.
const DefaultRunsLimit = 20

func runsCommand(stdout io.Writer) *ucli.Command {
	flags := func() []ucli.Flag {
		return []ucli.Flag{
			&ucli.StringFlag{Name: settings.Store.Name, Value: settings.Store.Default, EnvVars: settings.Store.Env,
				Usage: "artifact store: a local folder (default), file:///path or s3://bucket/prefix (S3 settings from the env vars of the components' --s3-* flags, resolved the same way: docs/components.md#common-flags)"},
			&ucli.BoolFlag{Name: "json", Usage: "print JSON instead of a table (with every step's summary for runs and show)"},
		}
	}
	return &ucli.Command{
		Name:  "runs",
		Usage: "list the runs in an artifact store, newest first; 'runs show' one, 'runs diff' two, 'runs delete' or 'runs prune' old ones",
		UsageText: "tweetflow runs [--store DIR|s3://bucket/prefix] [--limit N] [--json]\n" +
			"tweetflow runs show [--store ...] [--json] RUN-ID\n" +
			"tweetflow runs diff [--store ...] [--json] RUN-A RUN-B\n" +
			"tweetflow runs delete [--store ...] [--dry-run] [--force] RUN-ID...\n" +
			"tweetflow runs prune [--store ...] (--keep N | --older-than DURATION | both) [--dry-run]",
		Description: "Reads the summary each step wrote beside its outputs (<store>/runs/<run-id>/<step>/_summary.json), " +
			"so it sees runs made on this machine and on Argo alike. The list gives each run's start, time, steps, " +
			"status and the gate's verdict and metrics; 'show' gives every step's status, time, rows, outputs and results " +
			"(the model to serve is the export-onnx output).",
		Flags: append(flags(), &ucli.IntFlag{Name: "limit", Aliases: []string{"n"}, Value: DefaultRunsLimit,
			Usage: "list at most this many runs (0: all)"}),
		OnUsageError: onUsage,
		Action: func(cc *ucli.Context) error {
			if cc.Args().Len() > 0 {
				return usageError{fmt.Errorf("unexpected argument %q (to show one run: tweetflow runs show %s)", cc.Args().First(), cc.Args().First())}
			}
			if cc.Int("limit") < 0 {
				return usageError{fmt.Errorf("--limit %d: want 0 (all) or more", cc.Int("limit"))}
			}
			loc, runs, err := listRuns(cc)
			if err != nil {
				return err
			}
			shown := runs
			if n := cc.Int("limit"); n > 0 && len(shown) > n {
				shown = shown[:n]
			}
			if cc.Bool("json") {
				return writeJSON(stdout, shown)
			}
			if len(runs) == 0 {
				fmt.Fprintf(stdout, "no runs in %s (tweetflow run, or the Argo workflow, writes them)\n", loc.URI())
				return nil
			}
			if err := writeRunsTable(stdout, shown); err != nil {
				return err
			}
			if len(shown) < len(runs) {
				fmt.Fprintf(stdout, "\n%d of %d runs in %s (--limit 0 lists all)\n", len(shown), len(runs), loc.URI())
			}
			return nil
		},
		Subcommands: []*ucli.Command{{
			Name:         "show",
			Usage:        "show one run: every step's status, time, rows, outputs and results",
			UsageText:    "tweetflow runs show [--store DIR|s3://bucket/prefix] [--json] RUN-ID",
			ArgsUsage:    "RUN-ID",
			Flags:        flags(),
			OnUsageError: onUsage,
			Action: func(cc *ucli.Context) error {
				args := cc.Args().Slice()
				for _, a := range args[min(1, len(args)):] {
					if strings.HasPrefix(a, "-") {
						return usageError{fmt.Errorf("flag %q after the run ID: flags go first (tweetflow runs show [--store ...] [--json] RUN-ID)", a)}
					}
				}
				if len(args) != 1 {
					return usageError{fmt.Errorf("want one run ID, got %d arguments ('tweetflow runs' lists the runs)", len(args))}
				}
				if err := artifact.ValidateName("run ID", cc.Args().First()); err != nil {
					return usageError{err}
				}
				loc, err := resolveStore(cc)
				if err != nil {
					return err
				}
				r, err := runs.ReadRun(cc.Context, loc, cc.Args().First())
				if err != nil {
					return err
				}
				if given(cc, "json").Bool("json") {
					return writeJSON(stdout, r)
				}
				fmt.Fprintf(stdout, "run %s, started %s, status %s\n\n", r.ID, r.Started.UTC().Format(time.DateTime), r.Status())
				return r.Report().WriteTable(stdout)
			},
		}, {
			Name:      "diff",
			Usage:     "compare two runs step by step: the parameters, row counts and results that differ, with numeric deltas",
			UsageText: "tweetflow runs diff [--store DIR|s3://bucket/prefix] [--json] RUN-A RUN-B",
			Description: "Steps are matched by name; a step only one run has is listed as such. Inputs, outputs, times " +
				"and digests are not compared (they differ between any two runs). Deltas are RUN-B minus RUN-A.",
			Flags:        flags(),
			OnUsageError: onUsage,
			Action: func(cc *ucli.Context) error {
				ids := cc.Args().Slice()
				for _, a := range ids {
					if strings.HasPrefix(a, "-") {
						return usageError{fmt.Errorf("flag %q after a run ID: flags go first (tweetflow runs diff [--store ...] [--json] RUN-A RUN-B)", a)}
					}
				}
				if len(ids) != 2 {
					return usageError{fmt.Errorf("want two run IDs, got %d ('tweetflow runs' lists the runs)", len(ids))}
				}
				loc, err := resolveStore(cc)
				if err != nil {
					return err
				}
				var pair [2]*runs.RunInfo
				for i, id := range ids {
					if err := artifact.ValidateName("run ID", id); err != nil {
						return usageError{err}
					}
					if pair[i], err = runs.ReadRun(cc.Context, loc, id); err != nil {
						return err
					}
				}
				rows := runs.Diff(pair[0], pair[1])
				if given(cc, "json").Bool("json") {
					return writeJSON(stdout, rows)
				}
				if len(rows) == 0 {
					fmt.Fprintf(stdout, "no differences between %s and %s (same steps, parameters, rows and results)\n", ids[0], ids[1])
					return nil
				}
				tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintf(tw, "STEP\tWHAT\t%s\t%s\tDELTA\n", ids[0], ids[1])
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Step, strings.TrimSpace(r.Kind+" "+r.Name), r.A, r.B, r.Delta)
				}
				return tw.Flush()
			},
		}, {
			Name:      "delete",
			Usage:     "delete runs: every artifact under <store>/runs/<run-id>/, and the step-cache entries pointing into them",
			UsageText: "tweetflow runs delete [--store DIR|s3://bucket/prefix] [--dry-run] [--force] RUN-ID...",
			Description: "Refuses to delete a run that a kept run reads (a rerun's new run reads the earlier run's " +
				"outputs): delete both, or --force. Runs restored from the step cache are copies and read nothing.",
			Flags:        append(flags(), deleteFlags()...),
			OnUsageError: onUsage,
			Action: func(cc *ucli.Context) error {
				ids := cc.Args().Slice()
				if len(ids) == 0 {
					return usageError{errors.New("want one or more run IDs ('tweetflow runs' lists the runs)")}
				}
				for _, a := range ids {
					if strings.HasPrefix(a, "-") {
						return usageError{fmt.Errorf("flag %q after a run ID: flags go first (tweetflow runs delete [--dry-run] [--force] RUN-ID...)", a)}
					}
					if err := artifact.ValidateName("run ID", a); err != nil {
						return usageError{err}
					}
				}
				return deleteRuns(cc, stdout, ids, runs.DeleteOptions{})
			},
		}, {
			Name:      "prune",
			Usage:     "delete all runs but the newest --keep, or those older than --older-than (or both), keeping runs that kept runs read; and remove the staging files killed steps left",
			UsageText: "tweetflow runs prune [--store ...] (--keep N | --older-than DURATION | both | --staging-only) [--dry-run]",
			Description: "Staging files (<output>/_staging/) of a step that was killed before publishing are removed from the " +
				"runs that are kept: those of a step whose lease (<run>/<step>/_lease.json) is not live, and those written " +
				"without a lease more than --staging-grace ago. Staging of running steps stays.",
			Flags: append(flags(), append(deleteFlags(),
				&ucli.IntFlag{Name: "keep", Usage: "keep the newest N runs"},
				&ucli.DurationFlag{Name: "older-than", Usage: "delete only runs that started longer ago than this, e.g. 720h"},
				&ucli.BoolFlag{Name: "staging-only", Usage: "delete no run, only remove stale staging files"},
				&ucli.DurationFlag{Name: "staging-grace", Value: artifact.DefaultStagingGrace,
					Usage: "remove staging files written without a lease once they are this old"},
			)...),
			OnUsageError: onUsage,
			Action: func(cc *ucli.Context) error {
				if cc.Args().Len() > 0 {
					return usageError{fmt.Errorf("unexpected argument %q (to delete given runs: tweetflow runs delete RUN-ID...)", cc.Args().First())}
				}
				staging := func() error {
					loc, err := resolveStore(cc)
					if err != nil {
						return err
					}
					rep, err := runs.PruneStaging(cc.Context, loc, cc.Duration("staging-grace"), cc.Bool("dry-run"))
					if err != nil {
						return err
					}
					if given(cc, "json").Bool("json") {
						if cc.Bool("staging-only") {
							return writeJSON(stdout, rep)
						}
						return nil // one JSON document: the runs deleted
					}
					verb := "removed"
					if rep.DryRun {
						verb = "would remove"
					}
					fmt.Fprintf(stdout, "%s %d stale staging area(s) in %s (%d objects, %.1f MiB); %d of running steps kept\n",
						verb, rep.Areas, loc.URI(), rep.Objects, float64(rep.Bytes)/(1<<20), rep.Live)
					return nil
				}
				if cc.Bool("staging-only") {
					if cc.IsSet("keep") || cc.IsSet("older-than") {
						return usageError{errors.New("--staging-only deletes no run: drop --keep and --older-than")}
					}
					return staging()
				}
				if !cc.IsSet("keep") && !cc.IsSet("older-than") {
					return usageError{errors.New("give --keep N, --older-than DURATION or both (or --staging-only): prune deletes nothing by default")}
				}
				if cc.Int("keep") < 0 || cc.Duration("older-than") < 0 {
					return usageError{fmt.Errorf("--keep %d, --older-than %v: want zero or more", cc.Int("keep"), cc.Duration("older-than"))}
				}
				loc, infos, err := listRuns(cc)
				if err != nil {
					return err
				}
				var before time.Time
				if cc.IsSet("older-than") {
					before = time.Now().Add(-cc.Duration("older-than"))
				}
				ids := runs.PruneSelect(infos, cc.Int("keep"), before)
				if len(ids) == 0 {
					fmt.Fprintf(stdout, "nothing to prune: %d runs in %s\n", len(infos), loc.URI())
				} else if err := deleteRuns(cc, stdout, ids, runs.DeleteOptions{KeepDependencies: true}); err != nil {
					return err
				}
				return staging()
			},
		}},
	}
}

func deleteFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "dry-run", Usage: "say what would be deleted, delete nothing"},
		&ucli.BoolFlag{Name: "force", Usage: "delete runs even when a kept run reads their artifacts"},
	}
}

// deleteRuns deletes ids (or says what it would) and prints the outcome.
func deleteRuns(cc *ucli.Context, stdout io.Writer, ids []string, opt runs.DeleteOptions) error {
	loc, err := resolveStore(cc)
	if err != nil {
		return err
	}
	opt.DryRun, opt.Force = cc.Bool("dry-run"), cc.Bool("force")
	rep, err := runs.DeleteRuns(cc.Context, loc, ids, opt)
	if err != nil {
		return err
	}
	if given(cc, "json").Bool("json") {
		return writeJSON(stdout, rep)
	}
	for _, id := range slices.Sorted(maps.Keys(rep.Kept)) {
		fmt.Fprintf(stdout, "kept %s: read by %s\n", id, strings.Join(rep.Kept[id], ", "))
	}
	for _, id := range slices.Sorted(maps.Keys(rep.Live)) {
		fmt.Fprintf(stdout, "kept %s: being written (%s)\n", id, rep.Live[id])
	}
	for _, id := range slices.Sorted(maps.Keys(rep.Forced)) {
		fmt.Fprintf(stdout, "warning: %s read artifacts of %s, which is deleted\n", strings.Join(rep.Forced[id], ", "), id)
	}
	verb := "deleted"
	if rep.DryRun {
		verb = "would delete"
	}
	if len(rep.Runs) == 0 {
		fmt.Fprintf(stdout, "nothing deleted in %s\n", loc.URI())
		return nil
	}
	fmt.Fprintf(stdout, "%s %d run(s) in %s: %s (%d objects, %.1f MiB; %d step-cache entries)\n",
		verb, len(rep.Runs), loc.URI(), strings.Join(rep.Runs, ", "), rep.Objects, float64(rep.Bytes)/(1<<20), rep.CacheEntries)
	return nil
}

// given is a flag's value as set on the command or on a parent command
// (tweetflow runs --store S show ID), else its default.
func given(cc *ucli.Context, name string) *ucli.Context {
	for _, c := range cc.Lineage() {
		if c.IsSet(name) {
			return c
		}
	}
	return cc
}

func resolveStore(cc *ucli.Context) (artifact.Location, error) {
	res, err := resolver(cc)
	if err != nil {
		return artifact.Location{}, err
	}
	loc, err := res.Resolve(cc.Context, given(cc, "store").String("store"))
	if err != nil {
		return artifact.Location{}, usageError{fmt.Errorf("--store: %w", err)}
	}
	return loc, nil
}

// listRuns lists the runs of --store, newest first.
func listRuns(cc *ucli.Context) (artifact.Location, []*runs.RunInfo, error) {
	loc, err := resolveStore(cc)
	if err != nil {
		return loc, nil, err
	}
	runs, err := runs.ListRuns(cc.Context, loc)
	return loc, runs, err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeRunsTable prints a row per run: ID, start (UTC), seconds, steps,
// status (with the failed steps), the gate's verdict and its metrics.
func writeRunsTable(w io.Writer, runs []*runs.RunInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RUN ID\tSTARTED (UTC)\tSECONDS\tSTEPS\tSTATUS\tGATE\tMETRICS\n")
	for _, r := range runs {
		status := r.Status()
		if status == "failed" {
			var failed []string
			for _, s := range r.Steps {
				if s.Status == "failed" {
					failed = append(failed, s.Step)
				}
			}
			status += " (" + strings.Join(failed, ", ") + ")"
		}
		verdict, shown := "-", ""
		if g := r.Gate(); g != nil {
			verdict = "failed"
			if g.Results[metrics.GatePassed] == "true" {
				verdict = "passed"
			}
			var kv []string
			for k, v := range g.Results {
				if k != metrics.GatePassed {
					kv = append(kv, k+"="+v)
				}
			}
			sort.Strings(kv)
			shown = strings.Join(kv, " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d\t%s\t%s\t%s\n", r.ID, r.Started.UTC().Format(time.DateTime),
			r.Seconds(), len(r.Steps), status, verdict, shown)
	}
	return tw.Flush()
}
