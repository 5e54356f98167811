package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run"
)

func rerunCommand(stdout, stderr io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:  "rerun",
		Usage: "run one step of an earlier run again, on that run's inputs, with other parameters",
		UsageText: "tweetflow rerun --run-id OLD --step STEP [-p name=value ...] [--new-run-id NEW | --in-place]\n" +
			"   [--store DIR|s3://bucket/prefix] [--bin DIR] [--template FILE]",
		Description: "Takes the step's task from the WorkflowTemplate (so its arguments are the pipeline's), resolves its " +
			"inputs to run OLD's artifacts and runs the component binary from --bin. Nothing is copied:\n" +
			"   - with --new-run-id NEW (the default, a fresh ID when empty), the outputs go to <store>/runs/NEW/<step>/ " +
			"and OLD is untouched; continue downstream with --run-id NEW --in-place.\n" +
			"   - with --in-place, the step's outputs in OLD are replaced (atomically); OLD's later steps are then stale.\n\n" +
			"-p sets a pipeline parameter (tweetflow run --list-params) or any flag of the step's component, exposed or " +
			"not (e.g. -p emojis=remove for clean). Exposed parameters the step's summary in OLD records keep OLD's " +
			"values unless given. Works with a local folder or an s3:// store (S3 settings from the env vars of the components' --s3-* flags, resolved the same way: docs/components.md#common-flags).\n\n" +
			"Example:\n" +
			"   tweetflow rerun --run-id local-20261122-101500-ab12 --step clean -p emojis=remove -p conflicts=first",
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "run-id", Aliases: []string{"from"}, Required: true, EnvVars: []string{"TWEETFLOW_RUN_ID"},
				Usage: "the earlier run whose artifacts feed the step (required)"},
			&ucli.StringFlag{Name: "step", Required: true, Usage: "the step to run again, e.g. clean (required)"},
			&ucli.StringSliceFlag{Name: "param", Aliases: []string{"p"},
				Usage: "set a pipeline parameter or a flag of the step's component: -p name=value (repeatable)"},
			&ucli.StringFlag{Name: "new-run-id", Usage: "run ID of the outputs (default: a fresh local-<date>-<time>-<hex>)"},
			&ucli.BoolFlag{Name: "in-place", Usage: "replace the step's outputs in the earlier run instead"},
			&ucli.StringFlag{Name: "template", Aliases: []string{"f"}, EnvVars: []string{"TWEETFLOW_TEMPLATE"},
				Usage: "WorkflowTemplate YAML; empty compiles the training pipeline in memory"},
			&ucli.StringFlag{Name: "bin", Value: "bin", EnvVars: []string{"TWEETFLOW_BIN"},
				Usage: "folder of the component binaries"},
			&ucli.StringFlag{Name: settings.Store.Name, Value: settings.Store.Default, EnvVars: settings.Store.Env,
				Usage: "artifact store of the earlier run: a local folder, file:///path or s3://bucket/prefix"},
			&ucli.StringFlag{Name: "work-dir", Usage: "keep the step's work files here"},
			&ucli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "do not stream the step's logs"},
			&ucli.StringFlag{Name: "report", Usage: "also write the report as JSON to this file"},
		},
		OnUsageError: onUsage,
		Action: func(cc *ucli.Context) error {
			return rerunAction(cc, stdout, stderr)
		},
	}
}

func rerunAction(cc *ucli.Context, stdout, stderr io.Writer) error {
	if cc.Args().Len() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (parameters are -p name=value)", cc.Args().First())}
	}
	wt, err := loadTemplate(cc)
	if err != nil {
		return err
	}
	spec := run.RerunSpec{Step: cc.String("step"), From: cc.String("run-id"), Args: map[string]string{}}
	switch {
	case cc.Bool("in-place") && cc.String("new-run-id") != "":
		return usageError{errors.New("--in-place and --new-run-id exclude each other")}
	case cc.Bool("in-place"):
		spec.RunID = spec.From
	case cc.String("new-run-id") != "":
		spec.RunID = cc.String("new-run-id")
	default:
		spec.RunID = component.NewRunID(time.Now())
	}
	declared := map[string]bool{}
	for _, p := range wt.Spec.Arguments.Parameters {
		declared[p.Name] = true
	}
	params := map[string]string{}
	for _, kv := range cc.StringSlice("param") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError{fmt.Errorf("-p %q: want name=value", kv)}
		}
		switch {
		case k == dsl.RunIDParam:
			return usageError{errors.New("-p run-id: use --run-id, --new-run-id or --in-place")}
		case declared[k]:
			params[k] = v
		default:
			spec.Args[k] = v
		}
	}
	if _, given := params[dsl.StoreParam]; !given || cc.IsSet("store") {
		params[dsl.StoreParam] = cc.String("store")
	}
	res, err := resolver(cc)
	if err != nil {
		return err
	}
	opts := []run.Option{run.WithBinDir(cc.String("bin")), run.WithParams(params), run.WithResolver(res)}
	if d := cc.String("work-dir"); d != "" {
		opts = append(opts, run.WithWorkDir(d))
	}
	if !cc.Bool("quiet") {
		opts = append(opts, run.WithLog(stderr))
	}
	rep, runErr := run.Rerun(cc.Context, wt, spec, opts...)
	if rep != nil && cc.String("report") != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(cc.String("report"), append(b, '\n'), 0o644)
		}
		if err != nil {
			return errors.Join(runErr, fmt.Errorf("writing report %q: %w", cc.String("report"), err))
		}
	}
	if rep == nil {
		return runErr
	}
	fmt.Fprintln(stdout)
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if runErr == nil {
		fmt.Fprintf(stdout, "inputs from run %s; outputs in run %s\n", spec.From, spec.RunID)
		if spec.RunID != spec.From {
			fmt.Fprintf(stdout, "continue downstream: tweetflow rerun --run-id %s --in-place --step <next step>\n", spec.RunID)
		}
	}
	return runErr
}
