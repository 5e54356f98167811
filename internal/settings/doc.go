// Package settings declares, once, the settings every tweetflow binary
// shares (the artifact store, the S3/MinIO connection, logging, progress,
// the PostgreSQL DSN, TLS roots, SOURCE_DATE_EPOCH ...) with their flag
// name, their environment variables in order of precedence and their
// default, and turns flags plus an environment into typed Settings with
// one function, Resolve.
//
// The declaration is contract data: the component harness builds its
// flags, --help and docs/components.md from it, the DSL compiles the S3
// Secret's keys from it, and the chart's env names are checked against it.
// Resolve never reads the process environment itself: a composition root
// (a main) passes os.LookupEnv, a test a map.
//
// # Precedence
//
// Each setting takes the first non-blank value of: its flag when given on
// the command line, then its environment variables in the declared order
// (TWEETFLOW_* first, then the usual AWS/MinIO/libpq names), then its
// default. Values are trimmed; a blank value counts as unset. Booleans
// accept what strconv.ParseBool accepts; anything else is an error naming
// the flag or variable. An EnvOnly setting (a credential such as Kafka's
// SASL password) has no flag: only its environment variables set it.
//
// S3 keys come as a pair from one source, never mixed: the sources, in
// order, are the flags (--s3-access-key, --s3-secret-key,
// --s3-session-token), TWEETFLOW_S3_*, AWS_* (with AWS_SESSION_TOKEN),
// MINIO_ROOT_USER/MINIO_ROOT_PASSWORD and MINIO_ACCESS_KEY/MINIO_SECRET_KEY
// (see KeySources). The first source with an access key gives the secret
// key and the session token; its secret key must be set (an error
// otherwise), and a session token is only taken from that same source (so
// AWS_SESSION_TOKEN never rides along with MinIO or TWEETFLOW_S3_* keys).
// A secret key or session token flag without --s3-access-key is an error;
// such leftovers in the environment are ignored. No keys at all leave the
// credentials to the S3 client's chain (files, IAM).
//
// An endpoint is host[:port] or a URL whose scheme (case-insensitive) is
// http or https; a path after the host is dropped. An explicit scheme
// decides TLS: http:// is plain HTTP and https:// is TLS whatever
// --s3-insecure/S3_INSECURE say; the insecure setting only applies to an
// endpoint without a scheme. Any other scheme is an error.
package settings
