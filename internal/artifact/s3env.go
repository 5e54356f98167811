package artifact

import (
	"strconv"
	"strings"
)

// S3ConfigFromEnv builds an S3Config from the usual AWS and MinIO
// environment variables, read through getenv (os.Getenv in a main; a map
// lookup in tests). The first non-empty variable of each list wins:
//
//	Endpoint   AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, S3_ENDPOINT, MINIO_ENDPOINT
//	Region     AWS_REGION, AWS_DEFAULT_REGION
//	keys       (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
//	           (MINIO_ROOT_USER, MINIO_ROOT_PASSWORD),
//	           (MINIO_ACCESS_KEY, MINIO_SECRET_KEY)
//	Insecure   S3_INSECURE
//	PathStyle  S3_FORCE_PATH_STYLE, AWS_S3_FORCE_PATH_STYLE
//
// Keys are taken as pairs: the first group whose access key is set gives
// the secret key (and, for AWS, the session token), so keys of different
// sources are never mixed. An endpoint may be a URL: "http://host:9000"
// gives Endpoint "host:9000" and Insecure, "https://host" gives "host"; a
// trailing path is dropped. S3_INSECURE, when set to a boolean
// (1/0/true/false, see strconv.ParseBool), overrides the scheme. Unparsable
// booleans count as false.
func S3ConfigFromEnv(getenv func(string) string) S3Config {
	first := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return v
			}
		}
		return ""
	}
	var cfg S3Config
	if ep := first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT", "MINIO_ENDPOINT"); ep != "" {
		cfg.Endpoint, cfg.Insecure = splitEndpoint(ep)
	}
	cfg.Region = first("AWS_REGION", "AWS_DEFAULT_REGION")
	for _, pair := range [][3]string{
		{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
		{"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", ""},
		{"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", ""},
	} {
		if ak := first(pair[0]); ak != "" {
			cfg.AccessKey = ak
			cfg.SecretKey = first(pair[1])
			if pair[2] != "" {
				cfg.SessionToken = first(pair[2])
			}
			break
		}
	}
	if v := first("S3_INSECURE"); v != "" {
		cfg.Insecure, _ = strconv.ParseBool(v)
	}
	if v := first("S3_FORCE_PATH_STYLE", "AWS_S3_FORCE_PATH_STYLE"); v != "" {
		cfg.PathStyle, _ = strconv.ParseBool(v)
	}
	return cfg
}

// splitEndpoint turns an endpoint that may be a URL into host[:port] and
// whether it is plain HTTP.
func splitEndpoint(ep string) (host string, insecure bool) {
	lower := strings.ToLower(ep)
	switch {
	case strings.HasPrefix(lower, "http://"):
		ep, insecure = ep[len("http://"):], true
	case strings.HasPrefix(lower, "https://"):
		ep = ep[len("https://"):]
	}
	host, _, _ = strings.Cut(ep, "/")
	return host, insecure
}
