package component

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/settings"
)

// Common flag names every component has.
const (
	FlagRunID          = "run-id"
	FlagStep           = "step"
	FlagSummaryFile    = "summary-file"
	FlagResultsDir     = "results-dir"
	FlagTerminationLog = "termination-log"
	FlagStepCache      = "step-cache"
)

// Flags of the shared settings (declared in package settings).
var (
	FlagStore     = settings.Store.Name
	FlagLogFormat = settings.LogFormat.Name
	FlagLogLevel  = settings.LogLevel.Name
	FlagProgress  = settings.Progress.Name
)

// DefaultStore is the embedded default artifact store: a local folder.
const DefaultStore = settings.DefaultStore

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
	const ops = "Operations"
	var fs []cli.Flag
	for _, x := range settings.Common {
		fs = append(fs, SettingFlag(x))
		if x == settings.Store {
			fs = append(fs,
				&cli.StringFlag{Name: FlagRunID, Category: cat, EnvVars: []string{"TWEETFLOW_RUN_ID"},
					Usage: "run ID; outputs go to <store>/runs/<run-id>/<step>/<output> and unset inputs default to this run's artifacts (generated when empty)"},
				&cli.StringFlag{Name: FlagStep, Category: cat, EnvVars: []string{"TWEETFLOW_STEP"},
					Usage: "step name in the run layout (default: the component name)"})
		}
	}
	return append(fs,
		&cli.StringFlag{Name: FlagSummaryFile, Category: ops, EnvVars: []string{"TWEETFLOW_SUMMARY_FILE"},
			Usage: "also write the run summary JSON (rows, bytes, seconds) to this local file"},
		&cli.StringFlag{Name: FlagResultsDir, Category: ops, EnvVars: []string{"TWEETFLOW_RESULTS_DIR"},
			Usage: "write each result parameter to <dir>/<name> (Argo output parameters)"},
		&cli.StringFlag{Name: FlagTerminationLog, Category: ops, Value: "/dev/termination-log", EnvVars: []string{"TWEETFLOW_TERMINATION_LOG"},
			Usage: "on failure, write the error here if the file exists and is writable"},
		&cli.BoolFlag{Name: FlagStepCache, Category: cat, EnvVars: []string{"TWEETFLOW_STEP_CACHE"},
			Usage: "reuse the outputs of an earlier successful run of this component with the same binary, parameters and input contents (recorded under <store>/cache), and record this run's"},
	)
}

// SettingFlag is the flag of a declared setting. It reads no environment
// variable itself (settings.Resolve does, in the declared order); its
// usage lists them as urfave/cli does.
func SettingFlag(x *settings.Setting) cli.Flag {
	usage := x.Usage
	if h := x.EnvHelp(); h != "" {
		usage += " " + h
	}
	if x.Type == settings.Bool {
		return &cli.BoolFlag{Name: x.Name, Category: x.Category, Usage: usage, Value: x.Default == "true"}
	}
	return &cli.StringFlag{Name: x.Name, Category: x.Category, Usage: usage, Value: x.Default}
}

// FlagLookup looks up the flags given on cc's command line (or a parent
// command's), for settings.Resolve.
func FlagLookup(cc *cli.Context) settings.Lookup {
	return func(name string) (string, bool) {
		for _, c := range cc.Lineage() {
			if c.IsSet(name) {
				return fmt.Sprint(c.Value(name)), true
			}
		}
		return "", false
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
		env := p.EnvNames()
		if p.Setting != nil {
			// The harness resolves it with settings.Resolve's precedence.
			usage += " [$" + strings.Join(env, ", $") + "]"
			env = nil
		}
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

// A PostgreSQL source URI with a query (postgres://...?query=SELECT a, b
// FROM t) keeps its commas: it takes the rest of s, so it comes last in
// its value (or in a flag of its own).
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if n := len(out); n > 0 && isQueryURI(out[n-1]) {
			out[n-1] += "," + p
			continue
		}
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if n := len(out); n > 0 {
		out[n-1] = strings.TrimSpace(out[n-1])
	}
	return out
}

// isQueryURI reports whether s is a postgres:// URI with a query parameter.
func isQueryURI(s string) bool {
	return isDatabaseURI(s) && strings.Contains(strings.ToLower(s), "query=")
}

// isDatabaseURI reports whether s is a postgres:// (or postgresql://) URI.
func isDatabaseURI(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}
