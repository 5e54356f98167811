// Package settingstest holds the environments every entry point's settings
// path is tested with (the component harness, serve, the tweetflow CLI,
// the local executor's rerun): each must give the same S3 settings, or
// fail naming the same variable.
package settingstest

import "github.com/tweetflow/tweetflow/internal/artifact"

// Case is one environment (and, for binaries with S3 flags, command-line
// flags) and the S3 settings every entry point must resolve from it.
type Case struct {
	Name string
	Env  map[string]string
	// Flags are command-line arguments; only for binaries with --s3-* flags.
	Flags []string
	Want  artifact.S3Config
	// ErrSource, when set, is the flag or variable the error must name
	// (Want is then ignored).
	ErrSource string
}

// Cases are environments without flags: every entry point takes them.
var Cases = []Case{
	{Name: "empty"},
	{
		Name: "aws",
		Env: map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-2",
			"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK"},
		Want: artifact.S3Config{Region: "eu-west-1", AccessKey: "AK", SecretKey: "SK", SessionToken: "TOK"},
	},
	{
		Name: "aws default region and endpoint url",
		Env:  map[string]string{"AWS_DEFAULT_REGION": "us-east-2", "AWS_ENDPOINT_URL": "https://s3.example.com/"},
		Want: artifact.S3Config{Region: "us-east-2", Endpoint: "s3.example.com"},
	},
	{
		Name: "minio",
		Env: map[string]string{"MINIO_ENDPOINT": "http://minio.argo.svc:9000", "MINIO_ROOT_USER": "admin",
			"MINIO_ROOT_PASSWORD": "pw", "S3_FORCE_PATH_STYLE": "true"},
		Want: artifact.S3Config{Endpoint: "minio.argo.svc:9000", Insecure: true, AccessKey: "admin", SecretKey: "pw", PathStyle: true},
	},
	{
		Name: "minio access keys",
		Env:  map[string]string{"S3_ENDPOINT": "10.0.0.1:9000", "S3_INSECURE": "1", "MINIO_ACCESS_KEY": "mak", "MINIO_SECRET_KEY": "msk"},
		Want: artifact.S3Config{Endpoint: "10.0.0.1:9000", Insecure: true, AccessKey: "mak", SecretKey: "msk"},
	},
	{
		Name: "chart secret (TWEETFLOW_S3_*)",
		Env: map[string]string{"TWEETFLOW_S3_ENDPOINT": "tf-minio:9000", "TWEETFLOW_S3_REGION": "us-east-1",
			"TWEETFLOW_S3_ACCESS_KEY": "tk", "TWEETFLOW_S3_SECRET_KEY": "ts",
			"TWEETFLOW_S3_INSECURE": "true", "TWEETFLOW_S3_PATH_STYLE": "true"},
		Want: artifact.S3Config{Endpoint: "tf-minio:9000", Region: "us-east-1", AccessKey: "tk", SecretKey: "ts", Insecure: true, PathStyle: true},
	},
	{
		Name: "TWEETFLOW_S3_* win over AWS_* per setting, keys as a pair",
		Env: map[string]string{"TWEETFLOW_S3_ENDPOINT": "https://tf:9000", "AWS_ENDPOINT_URL_S3": "http://aws:1",
			"TWEETFLOW_S3_REGION": "r1", "AWS_REGION": "r2",
			"TWEETFLOW_S3_ACCESS_KEY": "tk", "TWEETFLOW_S3_SECRET_KEY": "ts",
			"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK",
			"TWEETFLOW_S3_PATH_STYLE": "false", "S3_FORCE_PATH_STYLE": "true"},
		Want: artifact.S3Config{Endpoint: "tf:9000", Region: "r1", AccessKey: "tk", SecretKey: "ts"},
	},
	{
		Name: "endpoint precedence",
		Env: map[string]string{"AWS_ENDPOINT_URL_S3": "https://s3-specific", "AWS_ENDPOINT_URL": "http://general",
			"S3_ENDPOINT": "http://s3", "MINIO_ENDPOINT": "http://minio"},
		Want: artifact.S3Config{Endpoint: "s3-specific"},
	},
	// The four cases on which the binaries disagreed (issue 13).
	{
		Name:      "TWEETFLOW_S3_ACCESS_KEY with AWS_SECRET_ACCESS_KEY is refused, not paired",
		Env:       map[string]string{"TWEETFLOW_S3_ACCESS_KEY": "tk", "AWS_SECRET_ACCESS_KEY": "SK"},
		ErrSource: "TWEETFLOW_S3_ACCESS_KEY",
	},
	{
		Name: "http:// endpoint with S3_INSECURE=false is plain HTTP",
		Env:  map[string]string{"S3_ENDPOINT": "http://h:9000", "S3_INSECURE": "false"},
		Want: artifact.S3Config{Endpoint: "h:9000", Insecure: true},
	},
	{
		Name: "upper-case HTTP:// scheme",
		Env:  map[string]string{"TWEETFLOW_S3_ENDPOINT": "HTTP://Minio:9000/", "TWEETFLOW_S3_INSECURE": "false"},
		Want: artifact.S3Config{Endpoint: "Minio:9000", Insecure: true},
	},
	{
		Name: "MinIO keys never take AWS_SESSION_TOKEN",
		Env:  map[string]string{"MINIO_ROOT_USER": "admin", "MINIO_ROOT_PASSWORD": "pw", "AWS_SESSION_TOKEN": "TOK"},
		Want: artifact.S3Config{AccessKey: "admin", SecretKey: "pw"},
	},
	{
		Name: "TWEETFLOW_S3_* keys never take AWS_SESSION_TOKEN",
		Env: map[string]string{"TWEETFLOW_S3_ACCESS_KEY": "tk", "TWEETFLOW_S3_SECRET_KEY": "ts",
			"AWS_SESSION_TOKEN": "TOK", "TWEETFLOW_S3_SESSION_TOKEN": "ttok"},
		Want: artifact.S3Config{AccessKey: "tk", SecretKey: "ts", SessionToken: "ttok"},
	},
	{
		Name: "https:// endpoint stays TLS with S3_INSECURE=true",
		Env:  map[string]string{"S3_ENDPOINT": "HTTPS://s3.example.com/ignored/path", "S3_INSECURE": "true"},
		Want: artifact.S3Config{Endpoint: "s3.example.com"},
	},
	{
		Name: "orphan secrets in the environment are ignored",
		Env: map[string]string{"MINIO_ACCESS_KEY": "mak", "MINIO_SECRET_KEY": "msk",
			"AWS_SECRET_ACCESS_KEY": "orphan", "MINIO_ROOT_PASSWORD": "orphan", "TWEETFLOW_S3_SECRET_KEY": "orphan"},
		Want: artifact.S3Config{AccessKey: "mak", SecretKey: "msk"},
	},
	{
		Name: "blank values are unset",
		Env:  map[string]string{"AWS_REGION": "  ", "AWS_DEFAULT_REGION": "r2", "TWEETFLOW_S3_ENDPOINT": ""},
		Want: artifact.S3Config{Region: "r2"},
	},
	{Name: "bad boolean", Env: map[string]string{"S3_INSECURE": "nope"}, ErrSource: "S3_INSECURE"},
	{Name: "bad path-style boolean", Env: map[string]string{"AWS_S3_FORCE_PATH_STYLE": "maybe"}, ErrSource: "AWS_S3_FORCE_PATH_STYLE"},
	{Name: "bad endpoint scheme", Env: map[string]string{"AWS_ENDPOINT_URL": "ftp://h"}, ErrSource: "AWS_ENDPOINT_URL"},
	{Name: "access key without its secret", Env: map[string]string{"AWS_ACCESS_KEY_ID": "AK"}, ErrSource: "AWS_ACCESS_KEY_ID"},
}

// FlagCases add command-line flags, for the binaries with --s3-* flags
// (the component harness and serve).
var FlagCases = []Case{
	{
		Name:  "flags win over env",
		Env:   map[string]string{"TWEETFLOW_S3_ENDPOINT": "http://env:1", "TWEETFLOW_S3_REGION": "r-env", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"},
		Flags: []string{"--s3-endpoint", "Https://flag:2", "--s3-region", "r-flag", "--s3-access-key", "fa", "--s3-secret-key", "fs", "--s3-path-style"},
		Want:  artifact.S3Config{Endpoint: "flag:2", Region: "r-flag", AccessKey: "fa", SecretKey: "fs", PathStyle: true},
	},
	{
		Name:  "flag keys never take AWS_SESSION_TOKEN",
		Env:   map[string]string{"AWS_SESSION_TOKEN": "TOK"},
		Flags: []string{"--s3-access-key", "fa", "--s3-secret-key", "fs"},
		Want:  artifact.S3Config{AccessKey: "fa", SecretKey: "fs"},
	},
	{
		Name:      "a flag access key is not paired with an env secret",
		Env:       map[string]string{"TWEETFLOW_S3_SECRET_KEY": "ts"},
		Flags:     []string{"--s3-access-key", "fa"},
		ErrSource: "--s3-access-key",
	},
	{
		Name:      "a flag secret alone is refused",
		Env:       map[string]string{"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"},
		Flags:     []string{"--s3-secret-key", "fs"},
		ErrSource: "--s3-secret-key",
	},
	{
		Name:  "--s3-insecure=false does not override an http:// endpoint",
		Flags: []string{"--s3-endpoint", "http://h:9000", "--s3-insecure=false"},
		Want:  artifact.S3Config{Endpoint: "h:9000", Insecure: true},
	},
	{
		Name:  "--s3-insecure=false overrides S3_INSECURE",
		Env:   map[string]string{"S3_ENDPOINT": "h:9000", "S3_INSECURE": "true"},
		Flags: []string{"--s3-insecure=false"},
		Want:  artifact.S3Config{Endpoint: "h:9000"},
	},
}
