package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	ucli "github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/docs"
	"github.com/tweetflow/tweetflow/pipelines/dsl"
	"github.com/tweetflow/tweetflow/pipelines/run"
	"github.com/tweetflow/tweetflow/pipelines/runs"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

// Exit codes of the tweetflow command.
const (
	ExitOK      = 0
	ExitFailed  = 1 // the run or the check failed
	ExitUsage   = 2
	ExitChanged = 3 // compile/docs --check: the file is out of date
)

type usageError struct{ error }

type exitError struct {
	code int
	error
}

// Main runs the tweetflow command with args (args[0] is the program name)
// and the environment env (os.LookupEnv in main; the shared settings, such
// as S3's, are resolved from it by settings.Resolve) and returns the exit
// code.
func Main(ctx context.Context, args []string, env settings.Lookup, stdout, stderr io.Writer) int {
	app := App(stdout, stderr, env)
	err := app.RunContext(ctx, args)
	if err == nil {
		return ExitOK
	}
	var ue usageError
	var ee exitError
	code := ExitFailed
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case errors.As(err, &ue), isFlagError(err):
		code = ExitUsage
	}
	fmt.Fprintln(stderr, "error:", err)
	if code == ExitUsage {
		fmt.Fprintln(stderr, "Run 'tweetflow --help' for usage.")
	}
	return code
}

func isFlagError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "flag provided but not defined") || strings.Contains(s, "invalid value") ||
		strings.Contains(s, "Required flag") || strings.Contains(s, "No help topic")
}

// metaEnv is the App.Metadata key of the environment Lookup.
const metaEnv = "env"

// lookupEnv is the environment the app was built with (empty if none).
func lookupEnv(cc *ucli.Context) settings.Lookup {
	if cc.App != nil {
		if l, ok := cc.App.Metadata[metaEnv].(settings.Lookup); ok && l != nil {
			return l
		}
	}
	return func(string) (string, bool) { return "", false }
}

// getenv reads a variable of the app's environment ("" if unset): the
// Argo client's own variables (ARGO_*, KUBERNETES_SERVICE_HOST), read as
// the argo CLI reads them.
func getenv(cc *ucli.Context) func(string) string {
	l := lookupEnv(cc)
	return func(name string) string { v, _ := l(name); return v }
}

// resolver is the artifact resolver of the command, with the S3 settings
// resolved from the environment like every tweetflow binary's
// (settings.Resolve); tweetflow has no S3 flags.
func resolver(cc *ucli.Context) (*artifact.Resolver, error) {
	st, err := settings.Resolve(nil, lookupEnv(cc), settings.S3)
	if err != nil {
		return nil, usageError{err}
	}
	return artifact.NewResolver(st.S3), nil
}

// App builds the tweetflow CLI; env is the environment (see Main).
func App(stdout, stderr io.Writer, env settings.Lookup) *ucli.App {
	compileFlags := []ucli.Flag{
		&ucli.StringFlag{Name: "image-prefix", Value: dsl.DefaultImagePrefix, EnvVars: []string{"TWEETFLOW_IMAGE_PREFIX"},
			Usage: "registry and namespace of the component images: <prefix>/<component>:<version>"},
		&ucli.StringFlag{Name: "version", Value: dsl.DefaultVersion, EnvVars: []string{"TWEETFLOW_VERSION"},
			Usage: "tag of the component images"},
		&ucli.StringFlag{Name: "s3-secret", Value: dsl.DefaultS3Secret, EnvVars: []string{"TWEETFLOW_S3_SECRET"},
			Usage: "Kubernetes Secret with the S3 settings (keys: endpoint, region, access-key, secret-key, insecure, path-style); empty for none"},
		&ucli.StringFlag{Name: "service-account", EnvVars: []string{"TWEETFLOW_SERVICE_ACCOUNT"},
			Usage: "service account of the workflow pods"},
		&ucli.IntFlag{Name: "parallelism", EnvVars: []string{"TWEETFLOW_PARALLELISM"},
			Usage: "most tasks of a workflow running at once on the cluster, fan-out items included (0: no limit)"},
	}
	return &ucli.App{
		Name:  "tweetflow",
		Usage: "compile, run, submit and document the tweetflow training pipeline",
		Description: "tweetflow compiles the training pipeline (ingest, clean, balance-split, embed, train, evaluate-gate, " +
			"export-onnx, build-serving-image) to an Argo WorkflowTemplate, runs that template on this machine with the " +
			"component binaries, lists the runs of an artifact store, and writes the component reference.",
		Writer:          stdout,
		ErrWriter:       stderr,
		Metadata:        map[string]any{metaEnv: env},
		HideHelpCommand: true,
		// -p sources=a,b is one parameter, not two.
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*ucli.Context, error) {},
		OnUsageError: func(_ *ucli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*ucli.Command{
			{
				Name:      "compile",
				Usage:     "compile the training pipeline to an Argo WorkflowTemplate (YAML)",
				UsageText: "tweetflow compile [--pipeline NAME] [--out FILE] [--check] [--image-prefix P] [--version V]",
				Description: "Writes the WorkflowTemplate to --out (standard output when empty). With --check it only " +
					"compares with --out and exits 3 when the file is out of date. Submit on a cluster with\n" +
					"   argo template create FILE && argo submit --from workflowtemplate/" + training.Name + " -p sources=s3://...",
				Flags: append([]ucli.Flag{
					&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, EnvVars: []string{"TWEETFLOW_TEMPLATE_OUT"},
						Usage: "file to write (e.g. " + training.GeneratedFile + "); empty writes to standard output"},
					&ucli.BoolFlag{Name: "check", Usage: "do not write: exit 3 when --out differs from a fresh compile"},
					&ucli.StringFlag{Name: "pipeline", Value: pipelines[0].name, EnvVars: []string{"TWEETFLOW_PIPELINE"}, Usage: pipelineUsage()},
				}, compileFlags...),
				OnUsageError: onUsage,
				Action: func(cc *ucli.Context) error {
					pl, err := lookupPipeline(cc.String("pipeline"))
					if err != nil {
						return err
					}
					b, err := pl.yaml(compileOptions(cc)...)
					if err != nil {
						return err
					}
					return writeOrCheck(cc, b, stdout, "tweetflow compile --pipeline "+cc.String("pipeline"))
				},
			},
			{
				Name:      "run",
				Usage:     "run the training pipeline on this machine, one local process per step",
				UsageText: "tweetflow run [--pipeline NAME | --template FILE] [--bin DIR] [--store DIR] [-p name=value ...] [--parallel N]",
				Description: "Runs the WorkflowTemplate (by default the training pipeline compiled in memory) with the " +
					"component binaries of --bin: independent steps in parallel, each step's logs prefixed with [step], " +
					"a table of steps, seconds, rows and outputs at the end. The gate's exit code 3 skips export and " +
					"packaging without failing the run. Parameters are the template's (tweetflow run --list-params).",
				Flags: []ucli.Flag{
					&ucli.StringFlag{Name: "template", Aliases: []string{"f"}, EnvVars: []string{"TWEETFLOW_TEMPLATE"},
						Usage: "WorkflowTemplate YAML to run; empty compiles --pipeline in memory"},
					&ucli.StringFlag{Name: "pipeline", Value: pipelines[0].name, EnvVars: []string{"TWEETFLOW_PIPELINE"},
						Usage: "pipeline to run when no --template is given: " + pipelineNames()},
					&ucli.StringFlag{Name: "bin", Value: "bin", EnvVars: []string{"TWEETFLOW_BIN"},
						Usage: "folder of the component binaries (go build -o bin/ ./components/...)"},
					&ucli.StringFlag{Name: settings.Store.Name, Value: settings.Store.Default, EnvVars: settings.Store.Env,
						Usage: "artifact store: a local folder (default), file:///path or s3://bucket/prefix (overrides -p store)"},
					&ucli.StringFlag{Name: "run-id", EnvVars: []string{"TWEETFLOW_RUN_ID"},
						Usage: "run ID (default: generated, local-<date>-<time>-<hex>)"},
					&ucli.StringSliceFlag{Name: "param", Aliases: []string{"p"},
						Usage: "set a pipeline parameter: -p name=value (repeatable)"},
					&ucli.IntFlag{Name: "parallel", Value: run.DefaultParallel, EnvVars: []string{"TWEETFLOW_PARALLEL"},
						Usage: "steps run at once; a fan-out (ingest over its source files) also runs this many items at once"},
					&ucli.StringFlag{Name: "work-dir", EnvVars: []string{"TWEETFLOW_WORK_DIR"},
						Usage: "keep per-step files (results, summaries) here instead of a temporary folder"},
					&ucli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "do not stream the steps' logs"},
					&ucli.StringFlag{Name: "report", EnvVars: []string{"TWEETFLOW_REPORT"},
						Usage: "also write the run report (steps, statuses, outputs, summaries) as JSON to this file"},
					&ucli.BoolFlag{Name: "list-params", Usage: "list the template's parameters and exit"},
					&ucli.BoolFlag{Name: "no-cache", Usage: "run every step: do not restore outputs from the step cache (-p cache=false)"},
					&ucli.DurationFlag{Name: "max-retry-wait", Usage: "cap the backoff between retries of a failed step (0: the template's)"},
				},
				OnUsageError: onUsage,
				Action: func(cc *ucli.Context) error {
					return runAction(cc, stdout, stderr)
				},
			},
			rerunCommand(stdout, stderr),
			replayCommand(stdout, stderr),
			kafkaDevCommand(stdout),
			submitCommand(stdout, stderr),
			shardsCommand(stdout),
			runsCommand(stdout),
			{
				Name:  "components",
				Usage: "about the pipeline components",
				Subcommands: []*ucli.Command{
					{
						Name:      "docs",
						Usage:     "write the component reference (Markdown) from the contracts",
						UsageText: "tweetflow components docs [--out docs/components.md] [--check]",
						Flags: []ucli.Flag{
							&ucli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "file to write; empty writes to standard output"},
							&ucli.BoolFlag{Name: "check", Usage: "do not write: exit 3 when --out is out of date"},
						},
						OnUsageError: onUsage,
						Action: func(cc *ucli.Context) error {
							var b bytes.Buffer
							if err := docs.Write(&b, stages.Components); err != nil {
								return err
							}
							return writeOrCheck(cc, b.Bytes(), stdout, "tweetflow components docs")
						},
					},
					{
						Name:  "list",
						Usage: "list the components in pipeline order",
						Action: func(cc *ucli.Context) error {
							for _, c := range stages.Components {
								fmt.Fprintf(stdout, "%-20s %s\n", c.Name, c.Summary)
							}
							return nil
						},
					},
				},
			},
		},
	}
}

func onUsage(_ *ucli.Context, err error, _ bool) error { return usageError{err} }

func compileOptions(cc *ucli.Context) []dsl.CompileOption {
	return []dsl.CompileOption{
		dsl.ImagePrefix(cc.String("image-prefix")),
		dsl.Version(cc.String("version")),
		dsl.S3Secret(cc.String("s3-secret")),
		dsl.ServiceAccount(cc.String("service-account")),
		dsl.Parallelism(cc.Int("parallelism")),
	}
}

func writeOrCheck(cc *ucli.Context, b []byte, stdout io.Writer, regen string) error {
	out := cc.String("out")
	if cc.Bool("check") {
		if out == "" {
			return usageError{errors.New("--check needs --out")}
		}
		old, err := os.ReadFile(out)
		if err != nil {
			return fmt.Errorf("reading %q: %w", out, err)
		}
		if !bytes.Equal(old, b) {
			return exitError{ExitChanged, fmt.Errorf("%s is out of date: run %s --out %s", out, regen, out)}
		}
		return nil
	}
	if out == "" || out == "-" {
		_, err := stdout.Write(b)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("writing %q: %w", out, err)
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing %q: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("writing %q: %w", out, err)
	}
	return nil
}

// loadTemplate reads --template, or compiles --pipeline (training by default).
func loadTemplate(cc *ucli.Context) (*wfv1.WorkflowTemplate, error) {
	if f := cc.String("template"); f != "" {
		if cc.IsSet("pipeline") {
			return nil, usageError{fmt.Errorf("--template and --pipeline: give one")}
		}
		return run.Load(f)
	}
	pl, err := lookupPipeline(cc.String("pipeline"))
	if err != nil {
		return nil, err
	}
	return pl.compile()
}

func runAction(cc *ucli.Context, stdout, stderr io.Writer) error {
	if cc.Args().Len() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (parameters are -p name=value)", cc.Args().First())}
	}
	wt, err := loadTemplate(cc)
	if err != nil {
		return err
	}
	if cc.Bool("list-params") {
		for _, p := range wt.Spec.Arguments.Parameters {
			def, desc := "", ""
			if p.Value != nil {
				def = p.Value.String()
			}
			if p.Description != nil {
				desc = p.Description.String()
			}
			fmt.Fprintf(stdout, "%-18s %-24q %s\n", p.Name, def, desc)
		}
		return nil
	}
	params := map[string]string{}
	for _, kv := range cc.StringSlice("param") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError{fmt.Errorf("-p %q: want name=value", kv)}
		}
		params[k] = v
	}
	declared := map[string]bool{}
	for _, p := range wt.Spec.Arguments.Parameters {
		declared[p.Name] = true
	}
	if _, given := params[dsl.StoreParam]; declared[dsl.StoreParam] && (!given || cc.IsSet("store")) {
		params[dsl.StoreParam] = cc.String("store")
	}
	if id := cc.String("run-id"); id != "" {
		params[dsl.RunIDParam] = id
	}
	if cc.Bool("no-cache") && declared[dsl.CacheParam] {
		params[dsl.CacheParam] = "false"
	}
	opts := []run.Option{
		run.WithBinDir(cc.String("bin")),
		run.WithParams(params),
		run.WithParallel(cc.Int("parallel")),
		run.WithMaxRetryWait(cc.Duration("max-retry-wait")),
	}
	if d := cc.String("work-dir"); d != "" {
		opts = append(opts, run.WithWorkDir(d))
	}
	if !cc.Bool("quiet") {
		opts = append(opts, run.WithLog(stderr))
	}
	rep, runErr := run.Run(cc.Context, wt, opts...)
	if rep != nil && cc.String("report") != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(cc.String("report"), append(b, '\n'), 0o644)
		}
		if err != nil {
			return errors.Join(runErr, fmt.Errorf("writing report %q: %w", cc.String("report"), err))
		}
	}
	if rep != nil {
		fmt.Fprintln(stdout)
		if err := rep.WriteTable(stdout); err != nil {
			return err
		}
		if runErr == nil {
			if failed := rep.Failed(); len(failed) > 0 {
				fmt.Fprintf(stdout, "allowed to fail: %s (the steps they guard were skipped)\n", strings.Join(failed, ", "))
			}
			writeNext(stdout, rep, cc.String("bin"), cc.String("store"))
		}
	}
	return runErr
}

// writeNext says what to do with a finished run: serve its exported model
// (when the gate let export-onnx run), and look at the store's runs.
func writeNext(w io.Writer, rep *runs.Report, bin, store string) {
	fmt.Fprintln(w, "\nnext:")
	for _, s := range rep.Steps {
		if s.Status != runs.Succeeded || s.Summary == nil || s.Summary.Component != stages.ExportONNX.Name {
			continue
		}
		if out, ok := s.Summary.Outputs[stages.ExportONNX.Outputs[0].Name]; ok {
			model := out.URI
			if u, err := url.Parse(model); err == nil && u.Scheme == "file" {
				model = u.Path
			}
			fmt.Fprintf(w, "  serve the model:   %s --model %s --addr 127.0.0.1:8080\n", filepath.Join(bin, "serve"), model) // components/serve
		}
	}
	fmt.Fprintf(w, "  list the runs:     %s runs --store %s   (show, diff, delete, prune)\n", filepath.Join(bin, "tweetflow"), store)
}
