package artifact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// S3Config holds the connection settings of the S3 store. Binaries fill it
// from flags and environment variables with settings.Resolve.
type S3Config struct {
	Endpoint     string // host[:port], no scheme; empty means AWS (s3.amazonaws.com)
	Region       string // empty: minio-go asks the bucket location
	AccessKey    string // empty: the credentials chain (env, files, IAM)
	SecretKey    string
	SessionToken string
	Insecure     bool   // plain HTTP instead of TLS
	PathStyle    bool   // path-style addressing (MinIO); default: minio-go decides
	PartSize     uint64 // multipart part size in bytes; 0 means DefaultPartSize (16 MiB)
}

// Location is a resolved artifact URI: a store and a key in it.
type Location struct {
	Store Store
	Key   string
}

// URI of the location.
func (l Location) URI() string { return l.Store.URI(l.Key) }

// A Resolver turns artifact URIs into locations with one set of S3
// connection settings. A binary builds one at its composition root (from
// its settings) and hands it down: every s3:// URI it resolves shares one
// S3 client per bucket, and no stage or library builds S3 settings of its
// own. A Resolver is safe for concurrent use; the zero value is not
// usable (NewResolver).
type Resolver struct {
	s3     S3Config
	mu     sync.Mutex
	stores map[string]*S3 // by bucket
}

// ErrNoS3 is the error (wrapped) of an s3:// URI given to a nil
// *Resolver, which has no S3 settings: it resolves local paths and file://
// URIs only. A library given no resolver uses a nil one rather than build
// S3 settings of its own.
var ErrNoS3 = errors.New("no S3 settings: a nil artifact.Resolver resolves local paths and file:// URIs only")

// NewResolver returns a Resolver that connects to S3 with cfg.
func NewResolver(cfg S3Config) *Resolver {
	return &Resolver{s3: cfg, stores: map[string]*S3{}}
}

// S3Config returns the S3 settings the Resolver connects with (to pass
// them on to a child process's environment, say).
func (r *Resolver) S3Config() S3Config { return r.s3 }

// Resolve parses an artifact URI: "s3://bucket/prefix", "file:///abs/path"
// or a plain local path (the embedded default). Schemes are case
// insensitive.
//
// An s3 URI gives the Resolver's S3 store on the bucket (see NewS3; no
// request is sent) and the prefix as key; a nil Resolver refuses it
// (ErrNoS3). A local path is resolved by ResolvePath.
func (r *Resolver) Resolve(ctx context.Context, uri string) (Location, error) {
	if uri == "" {
		return Location{}, fmt.Errorf("resolving artifact URI: empty")
	}
	if !strings.Contains(uri, "://") {
		return ResolvePath(uri)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return Location{}, fmt.Errorf("parsing artifact URI %q: %w", uri, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "s3":
		if u.Host == "" {
			return Location{}, fmt.Errorf("parsing artifact URI %q: missing bucket (want s3://bucket/prefix)", uri)
		}
		key := strings.Trim(u.Path, "/")
		if key != "" {
			if err := validKey(key); err != nil {
				return Location{}, fmt.Errorf("parsing artifact URI %q: %w", uri, err)
			}
		}
		st, err := r.bucket(ctx, u.Host)
		if err != nil {
			return Location{}, fmt.Errorf("resolving artifact URI %q: %w", uri, err)
		}
		return Location{Store: st, Key: key}, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("parsing artifact URI %q: file URIs take an absolute path (file:///path), not host %q", uri, u.Host)
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("parsing artifact URI %q: missing path", uri)
		}
		return ResolvePath(u.Path)
	default:
		return Location{}, fmt.Errorf("parsing artifact URI %q: unsupported scheme %q (use a path, file:// or s3://)", uri, u.Scheme)
	}
}

// bucket returns the one S3 store of the bucket, made on first use.
func (r *Resolver) bucket(ctx context.Context, name string) (*S3, error) {
	if r == nil {
		return nil, ErrNoS3
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.stores[name]; ok {
		return st, nil
	}
	st, err := NewS3(ctx, name, r.s3)
	if err != nil {
		return nil, err
	}
	r.stores[name] = st
	return st, nil
}

// ResolvePath resolves a local path: it is made absolute and the FS store
// is rooted at its deepest existing folder (the path itself when it is a
// folder, its parent when it is a file), with the rest as key: the store
// never deletes a folder that existed before, and a missing path is not
// created until something is written.
func ResolvePath(p string) (Location, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Location{}, fmt.Errorf("resolving path %q: %w", p, err)
	}
	// Root the store at the deepest existing folder.
	root, rest := abs, []string{}
	for {
		st, err := os.Stat(root)
		if err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			break // the filesystem root; NewFS reports any problem
		}
		rest = append(rest, filepath.Base(root))
		root = parent
	}
	slices.Reverse(rest)
	st, err := NewFS(root)
	if err != nil {
		return Location{}, fmt.Errorf("resolving path %q: %w", p, err)
	}
	return Location{Store: st, Key: strings.Join(rest, "/")}, nil
}
