package component

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/settings/settingstest"
)

// TestSettingsTable feeds the shared environments to the harness: every
// component must resolve the same S3 settings as serve, tweetflow and the
// local executor (see package settingstest).
func TestSettingsTable(t *testing.T) {
	c := Contract{Name: "probe", Summary: "probe"}
	for _, tc := range slices.Concat(settingstest.Cases, settingstest.FlagCases) {
		t.Run(tc.Name, func(t *testing.T) {
			var got artifact.S3Config
			ran := false
			probe := func(_ context.Context, e *Env) error {
				got, ran = e.Resolver().S3Config(), true
				return nil
			}
			var out, errb bytes.Buffer
			args := slices.Concat([]string{"probe", "--store", t.TempDir(), "--log-level", "error"}, tc.Flags)
			code := RunEnv(context.Background(), c, probe, args, settings.Map(tc.Env), &out, &errb)
			if tc.ErrSource != "" {
				if code != ExitUsage || !strings.Contains(errb.String(), tc.ErrSource+":") {
					t.Fatalf("exit %d, stderr %q: want a usage error naming %s", code, errb.String(), tc.ErrSource)
				}
				return
			}
			if code != ExitOK || !ran {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got != tc.Want {
				t.Errorf("S3 = %+v, want %+v", got, tc.Want)
			}
		})
	}
}

// TestSettingParam: a parameter declared as a setting (--postgres-dsn)
// reads the setting's aliases (DATABASE_URL) in their order, and only
// through the harness' environment.
func TestSettingParam(t *testing.T) {
	c := Contract{Name: "probe", Summary: "probe", Params: []Param{
		{Name: "postgres-dsn", Setting: settings.PostgresDSN, Secret: true, Description: "dsn"}}}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "unset"},
		{name: "alias", env: map[string]string{"DATABASE_URL": "postgres://alias"}, want: "postgres://alias"},
		{name: "own env first", env: map[string]string{"DATABASE_URL": "postgres://alias", "TWEETFLOW_POSTGRES_DSN": "postgres://own"}, want: "postgres://own"},
		{name: "flag first", args: []string{"--postgres-dsn", "postgres://flag"}, env: map[string]string{"TWEETFLOW_POSTGRES_DSN": "postgres://own"}, want: "postgres://flag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			var summary Summary
			probe := func(_ context.Context, e *Env) error {
				got, summary = e.String("postgres-dsn"), e.SummarySnapshot()
				return nil
			}
			var out, errb bytes.Buffer
			args := slices.Concat([]string{"probe", "--store", t.TempDir(), "--log-level", "error"}, tc.args)
			if code := RunEnv(context.Background(), c, probe, args, settings.Map(tc.env), &out, &errb); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got != tc.want {
				t.Errorf("--postgres-dsn = %q, want %q", got, tc.want)
			}
			if tc.want != "" && summary.Params["postgres-dsn"] != "<redacted>" {
				t.Errorf("summary records %q, want it redacted", summary.Params["postgres-dsn"])
			}
		})
	}
}

// TestSettingsHelp: the declared settings show in --help with every env
// var, in order, and the contract's own settings too.
func TestSettingsHelp(t *testing.T) {
	c := Contract{Name: "probe", Summary: "probe", Settings: []*settings.Setting{settings.SourceDateEpoch},
		Params: []Param{{Name: "postgres-dsn", Setting: settings.PostgresDSN, Description: "dsn"}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := RunEnv(context.Background(), c, nil, []string{"probe", "--help"}, nil, &out, &errb); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	help := out.String()
	for _, x := range slices.Concat(settings.Common, []*settings.Setting{settings.SourceDateEpoch, settings.PostgresDSN}) {
		if !strings.Contains(help, "--"+x.Name) || !strings.Contains(help, x.EnvHelp()) {
			t.Errorf("--help lacks --%s %s:\n%s", x.Name, x.EnvHelp(), help)
		}
	}
}

// TestEnvOnlySettings: a contract's EnvOnly settings (Kafka's SASL/TLS
// settings in score and collect) have no flag, show in --help with their
// variable (secrets marked), reach the stage through SettingEnv as given
// (spaces kept) while undeclared variables stay hidden, and are not part
// of the step-cache key.
func TestEnvOnlySettings(t *testing.T) {
	pw := &settings.Setting{Name: "probe-password", Env: []string{"PROBE_PASSWORD"}, Secret: true, EnvOnly: true, Usage: "the probe's password"}
	user := &settings.Setting{Name: "probe-user", Env: []string{"PROBE_USER"}, EnvOnly: true, Usage: "the probe's user"}
	c := Contract{Name: "probe", Summary: "probe", Settings: []*settings.Setting{pw, user}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	env := settings.Map(map[string]string{"PROBE_PASSWORD": " p w ", "PROBE_USER": "ann", "HOME": "/root"})
	run := func(args ...string) (code int, e *Env, stdout, stderr string) {
		probe := func(_ context.Context, got *Env) error { e = got; return nil }
		var out, errb bytes.Buffer
		code = RunEnv(context.Background(), c, probe, slices.Concat([]string{"probe", "--store", t.TempDir(), "--log-level", "error"}, args), env, &out, &errb)
		return code, e, out.String(), errb.String()
	}

	code, e, _, stderr := run()
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for name, want := range map[string]string{"PROBE_PASSWORD": " p w ", "PROBE_USER": "ann", "HOME": ""} {
		if got, _ := e.SettingEnv()(name); got != want {
			t.Errorf("SettingEnv(%s) = %q, want %q", name, got, want)
		}
	}
	if len(e.settingText) != 0 {
		t.Errorf("cache key settings %v: env-only settings are not part of it", e.settingText)
	}

	if code, _, _, stderr := run("--probe-password", "x"); code != ExitUsage || !strings.Contains(stderr, "probe-password") {
		t.Errorf("--probe-password: exit %d, stderr %q: want a usage error (no such flag)", code, stderr)
	}

	_, _, help, _ := run("--help")
	for _, want := range []string{"Environment-only settings", "$PROBE_PASSWORD: the probe's password (secret)", "$PROBE_USER: the probe's user"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "--probe-password") || strings.Contains(help, "--probe-user") {
		t.Errorf("--help shows a flag for an env-only setting:\n%s", help)
	}

	bad := Contract{Name: "probe", Summary: "probe", Settings: []*settings.Setting{{Name: "probe-x", EnvOnly: true, Usage: "x"}}}
	if err := bad.Validate(); err == nil {
		t.Error("an env-only setting without a variable passed Validate")
	}
}
