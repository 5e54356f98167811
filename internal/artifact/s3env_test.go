package artifact_test

import (
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
)

func TestS3ConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want artifact.S3Config
	}{
		{name: "empty", env: nil, want: artifact.S3Config{}},
		{
			name: "aws",
			env: map[string]string{
				"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-2",
				"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "TOK",
			},
			want: artifact.S3Config{Region: "eu-west-1", AccessKey: "AK", SecretKey: "SK", SessionToken: "TOK"},
		},
		{
			name: "default region",
			env:  map[string]string{"AWS_DEFAULT_REGION": "us-east-2"},
			want: artifact.S3Config{Region: "us-east-2"},
		},
		{
			name: "minio http endpoint",
			env: map[string]string{
				"MINIO_ENDPOINT": "http://minio.argo.svc:9000", "MINIO_ROOT_USER": "admin", "MINIO_ROOT_PASSWORD": "pw",
			},
			want: artifact.S3Config{Endpoint: "minio.argo.svc:9000", Insecure: true, AccessKey: "admin", SecretKey: "pw"},
		},
		{
			name: "https endpoint with path",
			env:  map[string]string{"S3_ENDPOINT": "HTTPS://s3.example.com/ignored/path"},
			want: artifact.S3Config{Endpoint: "s3.example.com"},
		},
		{
			name: "bare endpoint",
			env:  map[string]string{"S3_ENDPOINT": "10.0.0.1:9000"},
			want: artifact.S3Config{Endpoint: "10.0.0.1:9000"},
		},
		{
			name: "endpoint precedence",
			env: map[string]string{
				"AWS_ENDPOINT_URL_S3": "https://s3-specific", "AWS_ENDPOINT_URL": "http://general",
				"S3_ENDPOINT": "http://s3", "MINIO_ENDPOINT": "http://minio",
			},
			want: artifact.S3Config{Endpoint: "s3-specific"},
		},
		{
			name: "endpoint fallback order",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://general:9000", "MINIO_ENDPOINT": "minio"},
			want: artifact.S3Config{Endpoint: "general:9000", Insecure: true},
		},
		{
			name: "S3_INSECURE overrides the scheme",
			env:  map[string]string{"S3_ENDPOINT": "http://h:9000", "S3_INSECURE": "false"},
			want: artifact.S3Config{Endpoint: "h:9000"},
		},
		{
			name: "S3_INSECURE without scheme",
			env:  map[string]string{"S3_ENDPOINT": "h:9000", "S3_INSECURE": "1"},
			want: artifact.S3Config{Endpoint: "h:9000", Insecure: true},
		},
		{
			name: "path style",
			env:  map[string]string{"S3_FORCE_PATH_STYLE": "true"},
			want: artifact.S3Config{PathStyle: true},
		},
		{
			name: "aws path style",
			env:  map[string]string{"AWS_S3_FORCE_PATH_STYLE": "1"},
			want: artifact.S3Config{PathStyle: true},
		},
		{
			name: "bad booleans are false",
			env:  map[string]string{"S3_FORCE_PATH_STYLE": "maybe", "S3_INSECURE": "nope"},
			want: artifact.S3Config{},
		},
		{
			name: "aws keys win over minio keys",
			env: map[string]string{
				"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
				"MINIO_ROOT_USER": "root", "MINIO_ROOT_PASSWORD": "rootpw",
				"MINIO_ACCESS_KEY": "mak", "MINIO_SECRET_KEY": "msk",
			},
			want: artifact.S3Config{AccessKey: "AK", SecretKey: "SK"},
		},
		{
			name: "keys are never mixed across sources",
			env: map[string]string{
				"MINIO_ACCESS_KEY": "mak", "MINIO_SECRET_KEY": "msk",
				"AWS_SECRET_ACCESS_KEY": "orphan", "MINIO_ROOT_PASSWORD": "orphan", "AWS_SESSION_TOKEN": "orphan",
			},
			want: artifact.S3Config{AccessKey: "mak", SecretKey: "msk"},
		},
		{
			name: "blank values are unset",
			env:  map[string]string{"AWS_REGION": "  ", "AWS_DEFAULT_REGION": "r2"},
			want: artifact.S3Config{Region: "r2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := artifact.S3ConfigFromEnv(func(k string) string { return tc.env[k] })
			if got != tc.want {
				t.Errorf("S3ConfigFromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
}
