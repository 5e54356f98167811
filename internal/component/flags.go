package component

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Common flag names every component has.
const (
	FlagStore          = "store"
	FlagRunID          = "run-id"
	FlagStep           = "step"
	FlagS3Endpoint     = "s3-endpoint"
	FlagS3Region       = "s3-region"
	FlagS3AccessKey    = "s3-access-key"
	FlagS3SecretKey    = "s3-secret-key"
	FlagS3Insecure     = "s3-insecure"
	FlagS3PathStyle    = "s3-path-style"
	FlagLogFormat      = "log-format"
	FlagLogLevel       = "log-level"
	FlagProgress       = "progress"
	FlagSummaryFile    = "summary-file"
	FlagResultsDir     = "results-dir"
	FlagTerminationLog = "termination-log"
	FlagStepCache      = "step-cache"
)

// DefaultStore is the embedded default artifact store: a local folder.
const DefaultStore = ".tweetflow"

// CommonFlagNames lists the flags the harness adds to every component.
func CommonFlagNames() []string {
	var names []string
	for _, f := range commonFlags() {
		names = append(names, f.Names()[0])
	}
	return names
}

func commonFlags() []cli.Flag {
	const cat = "Run and store"
	const s3 = "S3 / MinIO"
	const ops = "Operations"
	return []cli.Flag{
		&cli.StringFlag{Name: FlagStore, Category: cat, Value: DefaultStore, EnvVars: []string{"TWEETFLOW_STORE"},
			Usage: "artifact store root: a local folder (the default), file:///abs/path or s3://bucket/prefix"},
		&cli.StringFlag{Name: FlagRunID, Category: cat, EnvVars: []string{"TWEETFLOW_RUN_ID"},
			Usage: "run ID; outputs go to <store>/runs/<run-id>/<step>/<output> and unset inputs default to this run's artifacts (generated when empty)"},
		&cli.StringFlag{Name: FlagStep, Category: cat, EnvVars: []string{"TWEETFLOW_STEP"},
			Usage: "step name in the run layout (default: the component name)"},
		&cli.StringFlag{Name: FlagS3Endpoint, Category: s3, EnvVars: []string{"TWEETFLOW_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT", "MINIO_ENDPOINT"},
			Usage: "S3 endpoint host[:port] or URL (http:// means no TLS); empty means AWS"},
		&cli.StringFlag{Name: FlagS3Region, Category: s3, EnvVars: []string{"TWEETFLOW_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"},
			Usage: "S3 region"},
		&cli.StringFlag{Name: FlagS3AccessKey, Category: s3, EnvVars: []string{"TWEETFLOW_S3_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "MINIO_ROOT_USER", "MINIO_ACCESS_KEY"},
			Usage: "S3 access key (prefer the env var: flags show in process lists)"},
		&cli.StringFlag{Name: FlagS3SecretKey, Category: s3, EnvVars: []string{"TWEETFLOW_S3_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY"},
			Usage: "S3 secret key (prefer the env var)"},
		&cli.BoolFlag{Name: FlagS3Insecure, Category: s3, EnvVars: []string{"TWEETFLOW_S3_INSECURE", "S3_INSECURE"},
			Usage: "talk plain HTTP to the S3 endpoint"},
		&cli.BoolFlag{Name: FlagS3PathStyle, Category: s3, EnvVars: []string{"TWEETFLOW_S3_PATH_STYLE", "S3_FORCE_PATH_STYLE", "AWS_S3_FORCE_PATH_STYLE"},
			Usage: "path-style bucket addressing (MinIO)"},
		&cli.StringFlag{Name: FlagLogFormat, Category: ops, Value: "auto", EnvVars: []string{"TWEETFLOW_LOG_FORMAT"},
			Usage: "log format: auto (text in a terminal, JSON otherwise), text or json"},
		&cli.StringFlag{Name: FlagLogLevel, Category: ops, Value: "info", EnvVars: []string{"TWEETFLOW_LOG_LEVEL"},
			Usage: "log level: debug, info, warn or error"},
		&cli.StringFlag{Name: FlagProgress, Category: ops, Value: "auto", EnvVars: []string{"TWEETFLOW_PROGRESS"},
			Usage: "progress: auto (a bar in a terminal, log lines otherwise), bar, log or none"},
		&cli.StringFlag{Name: FlagSummaryFile, Category: ops, EnvVars: []string{"TWEETFLOW_SUMMARY_FILE"},
			Usage: "also write the run summary JSON (rows, bytes, seconds) to this local file"},
		&cli.StringFlag{Name: FlagResultsDir, Category: ops, EnvVars: []string{"TWEETFLOW_RESULTS_DIR"},
			Usage: "write each result parameter to <dir>/<name> (Argo output parameters)"},
		&cli.StringFlag{Name: FlagTerminationLog, Category: ops, Value: "/dev/termination-log", EnvVars: []string{"TWEETFLOW_TERMINATION_LOG"},
			Usage: "on failure, write the error here if the file exists and is writable"},
		&cli.BoolFlag{Name: FlagStepCache, Category: cat, EnvVars: []string{"TWEETFLOW_STEP_CACHE"},
			Usage: "reuse the outputs of an earlier successful run of this component with the same binary, parameters and input contents (recorded under <store>/cache), and record this run's"},
	}
}

// Flags builds the component's own flags (params, inputs, outputs) from the contract.
func (c *Contract) Flags() []cli.Flag {
	var fs []cli.Flag
	for _, p := range c.Params {
		usage := p.Description
		if len(p.Enum) > 0 {
			usage += fmt.Sprintf(" (one of: %s)", strings.Join(p.Enum, ", "))
		}
		if p.Required {
			usage += " (required)"
		}
		env := []string{EnvName(p.Name)}
		switch p.Type {
		case Bool:
			fs = append(fs, &cli.BoolFlag{Name: p.Name, Category: "Parameters", Usage: usage, EnvVars: env, Value: p.Default == "true"})
		case Strings:
			f := &cli.StringSliceFlag{Name: p.Name, Category: "Parameters", Usage: usage + " (comma-separated or repeated)", EnvVars: env}
			if p.Default != "" {
				f.Value = cli.NewStringSlice(splitList(p.Default)...)
			}
			fs = append(fs, f)
		default:
			fs = append(fs, &cli.StringFlag{Name: p.Name, Category: "Parameters", Usage: usage, EnvVars: env, Value: p.Default})
		}
	}
	for _, a := range c.Inputs {
		usage := fmt.Sprintf("input %s: %s", a.Kind, a.Description)
		if a.From != "" {
			usage += fmt.Sprintf(" (default with --run-id: <store>/runs/<run-id>/%s)", a.From)
		}
		env := []string{EnvName(a.Name)}
		if a.List {
			fs = append(fs, &cli.StringSliceFlag{Name: a.Name, Category: "Inputs", Usage: usage + "; several: comma-separated or repeated", EnvVars: env})
		} else {
			fs = append(fs, &cli.StringFlag{Name: a.Name, Category: "Inputs", Usage: usage, EnvVars: env})
		}
	}
	for _, a := range c.Outputs {
		n := OutputFlag(a.Name)
		fs = append(fs, &cli.StringFlag{Name: n, Category: "Outputs", EnvVars: []string{EnvName(n)},
			Usage: fmt.Sprintf("output %s: %s (default: <store>/runs/<run-id>/<step>/%s)", a.Kind, a.Description, a.Name)})
	}
	return fs
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
