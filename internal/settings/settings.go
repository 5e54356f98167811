package settings

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

// Lookup returns the value of a flag or an environment variable and
// whether it is set: os.LookupEnv, a map in tests, or the flags given on a
// command line.
type Lookup func(name string) (string, bool)

// Type is the type of a setting's value.
type Type string

// Setting types.
const (
	String   Type = "string"
	Bool     Type = "bool"
	Duration Type = "duration"
	Int      Type = "int"
)

// Setting is the declaration of one shared setting.
type Setting struct {
	// Name is the flag name (kebab-case, without "--").
	Name string
	// Env lists the environment variables that set it, first wins.
	Env  []string
	Type Type
	// Default as text; "" is empty/zero.
	Default string
	// Category groups the flag in --help.
	Category string
	Usage    string
	// Secret marks a credential: never logged, prefer the env var.
	Secret bool
	// SecretKey is the key of the Kubernetes S3 Secret the compiled
	// workflows and the chart map to Env[0]; empty: not in the Secret.
	SecretKey string
	// EnvOnly: read from the environment variables only, never a flag
	// (secrets and the settings that go with them stay out of command
	// lines, which show in process lists). Name still identifies it.
	EnvOnly bool
}

// Help categories.
const (
	CategoryStore    = "Run and store"
	CategoryS3       = "S3 / MinIO"
	CategoryOps      = "Operations"
	CategoryDatabase = "Database"
	CategoryImage    = "Image"
	CategoryKafka    = "Kafka security"
)

// KeySource is one source of an S3 key pair: the environment variables
// of its access key, secret key and session token ("" when the source has
// none).
type KeySource struct {
	Access, Secret, Token string
}

// KeySources are the environment sources of S3 keys, in order of
// precedence (after the flags): the first whose access key is set gives
// the pair and the token.
var KeySources = []KeySource{
	{"TWEETFLOW_S3_ACCESS_KEY", "TWEETFLOW_S3_SECRET_KEY", "TWEETFLOW_S3_SESSION_TOKEN"},
	{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
	{"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", ""},
	{"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", ""},
}

func keyEnv(f func(KeySource) string) []string {
	var out []string
	for _, s := range KeySources {
		if v := f(s); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// DefaultStore is the embedded default artifact store: a local folder.
const DefaultStore = ".tweetflow"

// DefaultCACerts is the CA bundle of Debian's ca-certificates.
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// DefaultImageSource is the org.opencontainers.image.source of images.
const DefaultImageSource = "https://github.com/tweetflow/tweetflow"

// The declared settings.
var (
	Store = &Setting{Name: "store", Env: []string{"TWEETFLOW_STORE"}, Default: DefaultStore, Category: CategoryStore,
		Usage: "artifact store root: a local folder (the default), file:///abs/path or s3://bucket/prefix"}

	S3Endpoint = &Setting{Name: "s3-endpoint", Category: CategoryS3, SecretKey: "endpoint",
		Env:   []string{"TWEETFLOW_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT", "MINIO_ENDPOINT"},
		Usage: "S3 endpoint host[:port] or URL; an http:// or https:// scheme (any case) decides TLS; empty means AWS"}
	S3Region = &Setting{Name: "s3-region", Category: CategoryS3, SecretKey: "region",
		Env:   []string{"TWEETFLOW_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"},
		Usage: "S3 region"}
	S3AccessKey = &Setting{Name: "s3-access-key", Category: CategoryS3, SecretKey: "access-key", Secret: true,
		Env:   keyEnv(func(s KeySource) string { return s.Access }),
		Usage: "S3 access key; keys come as a pair from one source (flags, TWEETFLOW_S3_*, AWS_*, MINIO_ROOT_*, MINIO_*_KEY), never mixed (prefer the env vars: flags show in process lists)"}
	S3SecretKey = &Setting{Name: "s3-secret-key", Category: CategoryS3, SecretKey: "secret-key", Secret: true,
		Env:   keyEnv(func(s KeySource) string { return s.Secret }),
		Usage: "S3 secret key, from the same source as the access key"}
	S3SessionToken = &Setting{Name: "s3-session-token", Category: CategoryS3, Secret: true,
		Env:   keyEnv(func(s KeySource) string { return s.Token }),
		Usage: "S3 session token (temporary credentials), only with an access key of the same source"}
	S3Insecure = &Setting{Name: "s3-insecure", Type: Bool, Category: CategoryS3, SecretKey: "insecure",
		Env:   []string{"TWEETFLOW_S3_INSECURE", "S3_INSECURE"},
		Usage: "talk plain HTTP to an S3 endpoint given without a scheme (an http:// or https:// endpoint decides by itself)"}
	S3PathStyle = &Setting{Name: "s3-path-style", Type: Bool, Category: CategoryS3, SecretKey: "path-style",
		Env:   []string{"TWEETFLOW_S3_PATH_STYLE", "S3_FORCE_PATH_STYLE", "AWS_S3_FORCE_PATH_STYLE"},
		Usage: "path-style bucket addressing (MinIO)"}

	LogFormat = &Setting{Name: "log-format", Default: "auto", Category: CategoryOps, Env: []string{"TWEETFLOW_LOG_FORMAT"},
		Usage: "log format: auto (text in a terminal, JSON otherwise), text or json"}
	LogLevel = &Setting{Name: "log-level", Default: "info", Category: CategoryOps, Env: []string{"TWEETFLOW_LOG_LEVEL"},
		Usage: "log level: debug, info, warn or error"}
	Progress = &Setting{Name: "progress", Default: "auto", Category: CategoryOps, Env: []string{"TWEETFLOW_PROGRESS"},
		Usage: "progress: auto (a bar in a terminal, log lines otherwise), bar, log or none"}
	MemoryLimit = &Setting{Name: "memory-limit", Default: DefaultMemoryLimit, Category: CategoryOps,
		Env: []string{"TWEETFLOW_MEMORY_LIMIT", "GOMEMLIMIT"},
		Usage: "soft memory limit of the Go runtime: a percentage of the container's memory limit (cgroup v2 memory.max or v1 memory.limit_in_bytes; no limit when it has none), " +
			"a size in GOMEMLIMIT's syntax (e.g. 224MiB) or off"}
	LeaseTTL = &Setting{Name: "lease-ttl", Type: Duration, Default: artifact.DefaultLeaseTTL.String(), Category: CategoryOps,
		Env:   []string{"TWEETFLOW_LEASE_TTL"},
		Usage: "time after which the step's lease of a writer that stopped renewing it may be taken over"}

	PostgresDSN = &Setting{Name: "postgres-dsn", Category: CategoryDatabase, Secret: true,
		Env:   []string{"TWEETFLOW_POSTGRES_DSN", "DATABASE_URL"},
		Usage: "PostgreSQL connection string (postgres://user:pass@host/db)"}

	CACerts = &Setting{Name: "ca-certs", Default: DefaultCACerts, Category: CategoryImage, Env: []string{"SSL_CERT_FILE"},
		Usage: "CA certificates bundle copied into the image (SSL_CERT_FILE also sets this process' TLS roots)"}
	SourceDateEpoch = &Setting{Name: "source-date-epoch", Type: Int, Category: CategoryImage, Env: []string{"SOURCE_DATE_EPOCH"},
		Usage: "creation time of the image in seconds since 1970 (reproducible builds); empty: 0"}
	ImageSource = &Setting{Name: "image-source", Default: DefaultImageSource, Category: CategoryImage, Env: []string{"TWEETFLOW_IMAGE_SOURCE"},
		Usage: "the image's org.opencontainers.image.source label"}
)

// S3 lists the settings of the S3 connection.
var S3 = []*Setting{S3Endpoint, S3Region, S3AccessKey, S3SecretKey, S3SessionToken, S3Insecure, S3PathStyle}

// Common lists the settings every component takes.
var Common = slices.Concat([]*Setting{Store}, S3, []*Setting{LogFormat, LogLevel, Progress, LeaseTTL, MemoryLimit})

// All lists every declared setting.
var All = slices.Concat(Common, []*Setting{PostgresDSN, CACerts, SourceDateEpoch, ImageSource})

// Settings are resolved settings. Only the settings asked for are set;
// the others are zero.
type Settings struct {
	Store       string
	S3          artifact.S3Config
	LogFormat   string
	LogLevel    string
	Progress    string
	LeaseTTL    time.Duration
	MemoryLimit MemoryLimitSpec
	PostgresDSN string
	// CACerts is the CA bundle to copy into images.
	CACerts string
	// SourceDate is SOURCE_DATE_EPOCH as a time (the Unix epoch if unset).
	SourceDate  time.Time
	ImageSource string
}

// Error is a bad setting value; Source names the flag or variable.
type Error struct {
	Source string
	Err    error
}

func (e *Error) Error() string { return e.Source + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Resolve turns flags (the flags given on the command line; nil for none)
// and env (the environment; nil for none) into the settings listed in use,
// following the declared precedence (see the package documentation).
// Settings not in use are left zero and not checked.
func Resolve(flags, env Lookup, use []*Setting) (Settings, error) {
	r := resolver{flags: flags, env: env}
	var s Settings
	has := func(x *Setting) bool { return slices.Contains(use, x) }
	str := func(x *Setting, dst *string) {
		if has(x) {
			*dst, _, _ = r.value(x)
		}
	}
	str(Store, &s.Store)
	str(LogFormat, &s.LogFormat)
	str(LogLevel, &s.LogLevel)
	str(Progress, &s.Progress)
	str(PostgresDSN, &s.PostgresDSN)
	str(CACerts, &s.CACerts)
	str(ImageSource, &s.ImageSource)
	if has(LeaseTTL) {
		v, src, _ := r.value(LeaseTTL)
		d, perr := time.ParseDuration(v)
		if perr != nil || d <= 0 {
			return Settings{}, &Error{src, fmt.Errorf("%q: want a positive duration such as 30s", v)}
		}
		s.LeaseTTL = d
	}
	if has(MemoryLimit) {
		v, src, _ := r.value(MemoryLimit)
		m, perr := ParseMemoryLimit(v)
		if perr != nil {
			return Settings{}, &Error{src, perr}
		}
		s.MemoryLimit = m
	}
	if has(SourceDateEpoch) {
		s.SourceDate = time.Unix(0, 0).UTC()
		if v, src, ok := r.value(SourceDateEpoch); ok {
			sec, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || sec < 0 {
				return Settings{}, &Error{src, fmt.Errorf("%q: want seconds since 1970", v)}
			}
			s.SourceDate = time.Unix(sec, 0).UTC()
		}
	}
	if slices.ContainsFunc(S3, has) {
		var err error
		if s.S3, err = r.s3(); err != nil {
			return Settings{}, err
		}
	}
	return s, nil
}

// Value is the text of one setting by the same precedence as Resolve
// (flag, env vars in order, default), for a setting a component takes as a
// parameter (e.g. PostgresDSN).
func Value(x *Setting, flags, env Lookup) string {
	v, _, _ := resolver{flags: flags, env: env}.value(x)
	return v
}

// ByName returns the declared setting whose flag is name, or nil.
func ByName(name string) *Setting {
	for _, x := range All {
		if x.Name == name {
			return x
		}
	}
	return nil
}

type resolver struct{ flags, env Lookup }

func get(l Lookup, name string) (string, bool) {
	if l == nil || name == "" {
		return "", false
	}
	v, ok := l(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// value is the first non-blank value of x's flag and env vars, with its
// source ("--name" or the variable), else its default (ok false).
func (r resolver) value(x *Setting) (v, source string, ok bool) {
	if v, ok := get(r.flags, x.Name); ok && !x.EnvOnly {
		return v, "--" + x.Name, true
	}
	for _, e := range x.Env {
		if v, ok := get(r.env, e); ok {
			return v, e, true
		}
	}
	return x.Default, "--" + x.Name, false
}

func (r resolver) boolean(x *Setting) (v, ok bool, err error) {
	s, src, ok := r.value(x)
	if !ok {
		return false, false, nil
	}
	b, perr := strconv.ParseBool(s)
	if perr != nil {
		return false, false, &Error{src, fmt.Errorf("%q is not a boolean (true, false, 1 or 0)", s)}
	}
	return b, true, nil
}

func (r resolver) s3() (artifact.S3Config, error) {
	var cfg artifact.S3Config
	scheme := ""
	if v, src, ok := r.value(S3Endpoint); ok {
		host, sch, err := SplitEndpoint(v)
		if err != nil {
			return cfg, &Error{src, err}
		}
		cfg.Endpoint, scheme = host, sch
	}
	cfg.Region, _, _ = r.value(S3Region)
	var err error
	if cfg.AccessKey, cfg.SecretKey, cfg.SessionToken, err = r.keys(); err != nil {
		return cfg, err
	}
	insecure, _, err := r.boolean(S3Insecure)
	if err != nil {
		return cfg, err
	}
	switch scheme {
	case "http":
		cfg.Insecure = true
	case "https":
		cfg.Insecure = false
	default:
		cfg.Insecure = insecure
	}
	if cfg.PathStyle, _, err = r.boolean(S3PathStyle); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// keys picks the key pair and token from the first source with an access key.
func (r resolver) keys() (access, secret, token string, err error) {
	fa, hasA := get(r.flags, S3AccessKey.Name)
	fs, hasS := get(r.flags, S3SecretKey.Name)
	ft, hasT := get(r.flags, S3SessionToken.Name)
	switch {
	case hasA && !hasS:
		return "", "", "", &Error{"--" + S3AccessKey.Name, fmt.Errorf("set without --%s: keys come as a pair from one source", S3SecretKey.Name)}
	case hasA:
		return fa, fs, ft, nil
	case hasS || hasT:
		n := S3SecretKey.Name
		if !hasS {
			n = S3SessionToken.Name
		}
		return "", "", "", &Error{"--" + n, fmt.Errorf("set without --%s: keys come as a pair from one source", S3AccessKey.Name)}
	}
	for _, src := range KeySources {
		a, ok := get(r.env, src.Access)
		if !ok {
			continue
		}
		s, ok := get(r.env, src.Secret)
		if !ok {
			return "", "", "", &Error{src.Access, fmt.Errorf("set without %s: keys come as a pair from one source", src.Secret)}
		}
		t, _ := get(r.env, src.Token)
		return a, s, t, nil
	}
	return "", "", "", nil
}

// SplitEndpoint parses an S3 endpoint: host[:port] or an http(s) URL
// (scheme in any case, path dropped). scheme is "http", "https" or "" when
// none was given.
func SplitEndpoint(ep string) (host, scheme string, err error) {
	rest := ep
	if i := strings.Index(ep, "://"); i >= 0 {
		scheme = strings.ToLower(ep[:i])
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("endpoint %q: scheme %q is not http or https", ep, ep[:i])
		}
		rest = ep[i+len("://"):]
	}
	host, _, _ = strings.Cut(rest, "/")
	if host == "" {
		return "", "", fmt.Errorf("endpoint %q: no host", ep)
	}
	return host, scheme, nil
}

// EnvList is a Lookup over an environment in os.Environ form
// ("NAME=value"); like the process environment, the last entry wins.
func EnvList(environ []string) Lookup {
	return func(name string) (string, bool) {
		for _, kv := range slices.Backward(environ) {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				return v, true
			}
		}
		return "", false
	}
}

// Map is a Lookup over a map.
func Map(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// EnvHelp is the env vars of x as shown in --help: "[$A, $B]".
func (x *Setting) EnvHelp() string {
	if len(x.Env) == 0 {
		return ""
	}
	return "[$" + strings.Join(x.Env, ", $") + "]"
}
