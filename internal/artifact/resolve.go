package artifact

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// S3Config holds the connection settings of the S3 store. Components fill it
// from flags with the usual AWS/MinIO environment variables as fallbacks.
type S3Config struct {
	Endpoint     string // host[:port]; empty means AWS (s3.amazonaws.com)
	Region       string
	AccessKey    string
	SecretKey    string
	SessionToken string
	Insecure     bool // plain HTTP instead of TLS
	PathStyle    bool // path-style addressing (MinIO)
	PartSize     uint64
}

// Location is a resolved artifact URI: a store and a key in it.
type Location struct {
	Store Store
	Key   string
}

// URI of the location.
func (l Location) URI() string { return l.Store.URI(l.Key) }

// Resolve parses an artifact URI: "s3://bucket/prefix", "file:///abs/path"
// or a plain local path (the embedded default).
func Resolve(ctx context.Context, uri string, cfg S3Config) (Location, error) {
	if uri == "" {
		return Location{}, fmt.Errorf("resolving artifact URI: empty")
	}
	switch {
	case strings.HasPrefix(uri, "s3://"):
		u, err := url.Parse(uri)
		if err != nil {
			return Location{}, fmt.Errorf("parsing artifact URI %q: %w", uri, err)
		}
		if u.Host == "" {
			return Location{}, fmt.Errorf("parsing artifact URI %q: missing bucket (want s3://bucket/prefix)", uri)
		}
		st, err := NewS3(ctx, u.Host, cfg)
		if err != nil {
			return Location{}, err
		}
		return Location{Store: st, Key: strings.Trim(u.Path, "/")}, nil
	case strings.HasPrefix(uri, "file://"):
		u, err := url.Parse(uri)
		if err != nil {
			return Location{}, fmt.Errorf("parsing artifact URI %q: %w", uri, err)
		}
		return resolvePath(u.Path)
	case strings.Contains(uri, "://"):
		return Location{}, fmt.Errorf("parsing artifact URI %q: unsupported scheme (use a path, file:// or s3://)", uri)
	default:
		return resolvePath(uri)
	}
}

func resolvePath(p string) (Location, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Location{}, fmt.Errorf("resolving path %q: %w", p, err)
	}
	st, err := NewFS("/")
	if err != nil {
		return Location{}, err
	}
	return Location{Store: st, Key: strings.TrimPrefix(filepath.ToSlash(abs), "/")}, nil
}
