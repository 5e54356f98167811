package settings_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/settings/settingstest"
)

// flagsOf turns "--name value", "--name=value" and "--bool" into a Lookup,
// as component.FlagLookup reads a parsed command line.
func flagsOf(t *testing.T, args []string) settings.Lookup {
	t.Helper()
	m := map[string]string{}
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok {
			t.Fatalf("bad flag %q", args[i])
		}
		if n, v, ok := strings.Cut(name, "="); ok {
			m[n] = v
			continue
		}
		if x := settings.ByName(name); x != nil && x.Type == settings.Bool {
			m[name] = "true"
			continue
		}
		i++
		m[name] = args[i]
	}
	return settings.Map(m)
}

func TestResolveS3(t *testing.T) {
	for _, tc := range slices.Concat(settingstest.Cases, settingstest.FlagCases) {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := settings.Resolve(flagsOf(t, tc.Flags), settings.Map(tc.Env), settings.S3)
			if tc.ErrSource != "" {
				var se *settings.Error
				if !errors.As(err, &se) || se.Source != tc.ErrSource {
					t.Fatalf("err = %v, want a settings.Error from %s", err, tc.ErrSource)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.S3 != tc.Want {
				t.Errorf("S3 = %+v, want %+v", got.S3, tc.Want)
			}
		})
	}
}

func TestResolveOthers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags map[string]string
		env   map[string]string
		use   []*settings.Setting
		check func(t *testing.T, s settings.Settings)
		err   string
	}{
		{name: "defaults", use: settings.All, check: func(t *testing.T, s settings.Settings) {
			want := settings.Settings{Store: ".tweetflow", LogFormat: "auto", LogLevel: "info", Progress: "auto",
				LeaseTTL: s.LeaseTTL, MemoryLimit: settings.MemoryLimitSpec{Percent: 90}, CACerts: settings.DefaultCACerts, SourceDate: time.Unix(0, 0).UTC(), ImageSource: settings.DefaultImageSource}
			if s != want || s.LeaseTTL <= 0 {
				t.Errorf("got %+v, want %+v", s, want)
			}
		}},
		{name: "DATABASE_URL is the alias of --postgres-dsn", use: []*settings.Setting{settings.PostgresDSN},
			env: map[string]string{"DATABASE_URL": "postgres://db"},
			check: func(t *testing.T, s settings.Settings) {
				if s.PostgresDSN != "postgres://db" {
					t.Errorf("dsn %q", s.PostgresDSN)
				}
			}},
		{name: "TWEETFLOW_POSTGRES_DSN wins over DATABASE_URL, the flag over both", use: []*settings.Setting{settings.PostgresDSN},
			env:   map[string]string{"DATABASE_URL": "postgres://db", "TWEETFLOW_POSTGRES_DSN": "postgres://tf"},
			flags: map[string]string{"postgres-dsn": "postgres://flag"},
			check: func(t *testing.T, s settings.Settings) {
				if s.PostgresDSN != "postgres://flag" {
					t.Errorf("dsn %q", s.PostgresDSN)
				}
			}},
		{name: "image settings", use: []*settings.Setting{settings.CACerts, settings.SourceDateEpoch, settings.ImageSource},
			env: map[string]string{"SSL_CERT_FILE": "/ca.pem", "SOURCE_DATE_EPOCH": "1700000000", "TWEETFLOW_IMAGE_SOURCE": "https://x"},
			check: func(t *testing.T, s settings.Settings) {
				if s.CACerts != "/ca.pem" || !s.SourceDate.Equal(time.Unix(1700000000, 0)) || s.ImageSource != "https://x" {
					t.Errorf("got %+v", s)
				}
			}},
		{name: "bad SOURCE_DATE_EPOCH", use: []*settings.Setting{settings.SourceDateEpoch},
			env: map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, err: "SOURCE_DATE_EPOCH"},
		{name: "bad SOURCE_DATE_EPOCH unused is not checked", use: settings.Common,
			env: map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, check: func(*testing.T, settings.Settings) {}},
		{name: "lease TTL", use: []*settings.Setting{settings.LeaseTTL}, env: map[string]string{"TWEETFLOW_LEASE_TTL": "3s"},
			check: func(t *testing.T, s settings.Settings) {
				if s.LeaseTTL != 3*time.Second {
					t.Errorf("ttl %s", s.LeaseTTL)
				}
			}},
		{name: "bad lease TTL", use: []*settings.Setting{settings.LeaseTTL}, flags: map[string]string{"lease-ttl": "-1s"}, err: "--lease-ttl"},
		{name: "store and logging from env", use: settings.Common,
			env: map[string]string{"TWEETFLOW_STORE": "s3://b/p", "TWEETFLOW_LOG_FORMAT": "json", "TWEETFLOW_LOG_LEVEL": "debug", "TWEETFLOW_PROGRESS": "none"},
			check: func(t *testing.T, s settings.Settings) {
				if s.Store != "s3://b/p" || s.LogFormat != "json" || s.LogLevel != "debug" || s.Progress != "none" {
					t.Errorf("got %+v", s)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := settings.Resolve(settings.Map(tc.flags), settings.Map(tc.env), tc.use)
			if tc.err != "" {
				var se *settings.Error
				if !errors.As(err, &se) || se.Source != tc.err {
					t.Fatalf("err = %v, want one from %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

func TestEnvList(t *testing.T) {
	l := settings.EnvList([]string{"A=1", "B=", "A=2", "junk"})
	if v, ok := l("A"); v != "2" || !ok {
		t.Errorf("A = %q %v, want the last entry", v, ok)
	}
	if _, ok := l("B"); !ok {
		t.Error("B is set (empty)")
	}
	if _, ok := l("C"); ok {
		t.Error("C is unset")
	}
}

// TestDeclaration checks the declaration itself: unique flags and env
// vars, the key sources' variables in the key settings, secret keys only
// on S3 settings.
func TestDeclaration(t *testing.T) {
	flags, envs := map[string]bool{}, map[string]string{}
	for _, x := range settings.All {
		if x.Name == "" || x.Usage == "" || x.Category == "" || len(x.Env) == 0 {
			t.Errorf("setting %+v: needs a name, usage, category and env vars", x)
		}
		if flags[x.Name] {
			t.Errorf("flag --%s declared twice", x.Name)
		}
		flags[x.Name] = true
		for _, e := range x.Env {
			if prev, ok := envs[e]; ok {
				t.Errorf("env %s of --%s and --%s", e, prev, x.Name)
			}
			envs[e] = x.Name
		}
		if x.SecretKey != "" && !slices.Contains(settings.S3, x) {
			t.Errorf("--%s: only S3 settings live in the S3 Secret", x.Name)
		}
	}
	for _, s := range settings.KeySources {
		if !slices.Contains(settings.S3AccessKey.Env, s.Access) || !slices.Contains(settings.S3SecretKey.Env, s.Secret) ||
			(s.Token != "" && !slices.Contains(settings.S3SessionToken.Env, s.Token)) {
			t.Errorf("key source %+v not in the key settings' env", s)
		}
	}
}

// TestEnvOnlyValue: an EnvOnly setting never takes a flag's value.
func TestEnvOnlyValue(t *testing.T) {
	x := &settings.Setting{Name: "kafka-sasl-password", Env: []string{"TWEETFLOW_KAFKA_SASL_PASSWORD"}, EnvOnly: true}
	flags := settings.Map(map[string]string{"kafka-sasl-password": "from-flag"})
	if got := settings.Value(x, flags, settings.Map(map[string]string{"TWEETFLOW_KAFKA_SASL_PASSWORD": "from-env"})); got != "from-env" {
		t.Errorf("value %q, want the env var's", got)
	}
	if got := settings.Value(x, flags, nil); got != "" {
		t.Errorf("value %q from a flag of an env-only setting", got)
	}
}
