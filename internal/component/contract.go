package component

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/settings"
)

// Type is the type of a parameter.
type Type string

// Parameter types.
const (
	String   Type = "string"
	Int      Type = "int"
	Float    Type = "float"
	Bool     Type = "bool"
	Duration Type = "duration"
	Strings  Type = "strings" // comma-separated list; the flag may also repeat
)

// Param is one typed parameter of a component.
type Param struct {
	Name        string   // kebab-case flag name, e.g. "max-bad-rows"
	Type        Type     // defaults to String
	Default     string   // as text, the way Argo carries it; "" = empty/zero
	Enum        []string // closed set of allowed values, or nil
	Description string   // one sentence, shown in --help, the Argo form and the docs
	Required    bool     // must be set (no default)
	Min, Max    *float64 // optional numeric bounds
	// Secret marks a value that must not be recorded (a DSN with a
	// password): the summary shows it redacted. Prefer its env var.
	Secret bool
	// Setting, when set, makes the parameter a declared shared setting
	// (e.g. settings.PostgresDSN): it reads the setting's env vars in
	// their order (aliases such as DATABASE_URL included).
	Setting *settings.Setting
}

// EnvNames lists the environment variables of the parameter, first wins.
func (p Param) EnvNames() []string {
	if p.Setting != nil {
		return p.Setting.Env
	}
	return []string{EnvName(p.Name)}
}

// Kind says what an artifact holds.
type Kind string

// Artifact kinds.
const (
	Dataset Kind = "dataset" // Parquet shards of dataset.Tweet rows
	Model   Kind = "model"   // a versioned model folder
	Files   Kind = "files"   // any files (reports, ONNX, OCI layout ...)
	Sources Kind = "sources" // raw input files or globs (ingest only)
)

// Artifact is an input or output of a component. Artifacts are folders in
// an artifact store addressed by URI; outputs are committed atomically.
type Artifact struct {
	Name        string // kebab-case; inputs are flags --<name>, outputs --out-<name>
	Kind        Kind
	Description string
	// From names the default producer of an input as "<stage>/<output>", used
	// when the input flag is empty and --run-id is set (single-component reruns).
	From     string
	Optional bool
	// List marks an input that takes several URIs (comma-separated or repeated).
	List bool
}

// Result is an output parameter: a small value a step reports (Argo output
// parameter), e.g. the gate decision or a metric.
type Result struct {
	Name        string
	Description string
}

// Contract is the single declaration of a component.
type Contract struct {
	Name        string // kebab-case; also the binary and image name
	Summary     string // one line
	Description string // a paragraph for --help and the docs
	Params      []Param
	Inputs      []Artifact
	Outputs     []Artifact
	Results     []Result
	// Shardable marks components whose work can fan out over input shards.
	Shardable bool
	// NoCache marks components with side effects outside their outputs
	// (a database write): --step-cache never skips them.
	NoCache bool
	// Settings lists the shared settings (package settings) the component
	// takes beyond settings.Common, e.g. settings.SourceDateEpoch: they
	// get flags, --help and docs like the common ones, and are part of
	// the step-cache key. EnvOnly ones (credentials, e.g. Kafka's SASL
	// settings) get no flag and are not in the key: --help and the docs
	// list their variables, and the stage reads them through
	// Env.SettingEnv.
	Settings []*settings.Setting
}

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// Validate checks the contract for mistakes a test should catch.
func (c *Contract) Validate() error {
	if !nameRe.MatchString(c.Name) {
		return fmt.Errorf("contract name %q: want kebab-case", c.Name)
	}
	if c.Summary == "" {
		return fmt.Errorf("contract %q: missing summary", c.Name)
	}
	seen := map[string]string{}
	claim := func(flag, what string) error {
		if prev, ok := seen[flag]; ok {
			return fmt.Errorf("contract %q: flag --%s used by %s and %s", c.Name, flag, prev, what)
		}
		if slices.Contains(CommonFlagNames(), flag) {
			return fmt.Errorf("contract %q: %s clashes with common flag --%s", c.Name, what, flag)
		}
		seen[flag] = what
		return nil
	}
	for _, p := range c.Params {
		if !nameRe.MatchString(p.Name) {
			return fmt.Errorf("contract %q: param name %q: want kebab-case", c.Name, p.Name)
		}
		if p.Description == "" {
			return fmt.Errorf("contract %q: param %q has no description", c.Name, p.Name)
		}
		if p.Setting != nil && p.Setting.Name != p.Name {
			return fmt.Errorf("contract %q: param %q is setting --%s: give it the setting's name", c.Name, p.Name, p.Setting.Name)
		}
		if err := claim(p.Name, "param "+p.Name); err != nil {
			return err
		}
		if p.Default != "" || !p.Required {
			if err := p.Check(p.Default); err != nil && p.Default != "" {
				return fmt.Errorf("contract %q: default of %w", c.Name, err)
			}
		}
	}
	for _, x := range c.Settings {
		if slices.Contains(settings.Common, x) {
			return fmt.Errorf("contract %q: setting --%s is common to every component already", c.Name, x.Name)
		}
		if x.EnvOnly && len(x.Env) == 0 {
			return fmt.Errorf("contract %q: env-only setting %q has no environment variable", c.Name, x.Name)
		}
		if err := claim(x.Name, "setting "+x.Name); err != nil {
			return err
		}
	}
	for _, a := range c.Inputs {
		if !nameRe.MatchString(a.Name) || a.Description == "" {
			return fmt.Errorf("contract %q: input %q needs a kebab-case name and a description", c.Name, a.Name)
		}
		if err := claim(a.Name, "input "+a.Name); err != nil {
			return err
		}
	}
	for _, a := range c.Outputs {
		if !nameRe.MatchString(a.Name) || a.Description == "" {
			return fmt.Errorf("contract %q: output %q needs a kebab-case name and a description", c.Name, a.Name)
		}
		if err := claim(OutputFlag(a.Name), "output "+a.Name); err != nil {
			return err
		}
	}
	return nil
}

// OutputFlag is the flag name of an output artifact.
func OutputFlag(name string) string { return "out-" + name }

// EnvName is the environment variable that backs a flag: TWEETFLOW_<FLAG>.
func EnvName(flag string) string {
	return "TWEETFLOW_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Param returns the named parameter.
func (c *Contract) Param(name string) (Param, bool) {
	for _, p := range c.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Check validates a textual value against the parameter's type, enum and bounds.
func (p Param) Check(v string) error {
	if p.Type == Strings {
		return nil
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
		return fmt.Errorf("param %q: value %q is not one of %s", p.Name, v, strings.Join(p.Enum, ", "))
	}
	var f float64
	var err error
	switch p.Type {
	case Int:
		var n int64
		n, err = strconv.ParseInt(v, 10, 64)
		f = float64(n)
	case Float:
		f, err = strconv.ParseFloat(v, 64)
	case Bool:
		_, err = strconv.ParseBool(v)
	case Duration:
		_, err = time.ParseDuration(v)
	}
	if err != nil {
		return fmt.Errorf("param %q: value %q is not a valid %s", p.Name, v, p.Type)
	}
	if p.Min != nil && f < *p.Min {
		return fmt.Errorf("param %q: value %s is below the minimum %g", p.Name, v, *p.Min)
	}
	if p.Max != nil && f > *p.Max {
		return fmt.Errorf("param %q: value %s is above the maximum %g", p.Name, v, *p.Max)
	}
	return nil
}

// F is a helper for Param bounds: Min: component.F(0).
func F(v float64) *float64 { return &v }
