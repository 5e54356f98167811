package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
)

// ErrPrecondition is returned (wrapped) by Conditional.WriteIf when the
// object is not in the expected state: it exists when it should not, or
// it changed since it was read.
var ErrPrecondition = errors.New("precondition failed: the object was created or changed by someone else")

// Conditional is implemented by stores that can replace a small object
// only if it is in an expected state (compare-and-swap). Leases use it.
// FS and S3 implement it.
type Conditional interface {
	// ReadVersion returns the content of key and its version, an opaque
	// string that changes on every write. A missing key gives ErrNotExist.
	ReadVersion(ctx context.Context, key string) (data []byte, version string, err error)
	// WriteIf writes data to key if its current version is ifVersion, or,
	// with ifVersion "", if key does not exist; otherwise it fails with
	// ErrPrecondition. It returns the new version.
	WriteIf(ctx context.Context, key string, data []byte, ifVersion string) (version string, err error)
}

func contentVersion(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ReadVersion implements Conditional: the version is the SHA-256 of the content.
func (s *FS) ReadVersion(ctx context.Context, key string) ([]byte, string, error) {
	r, err := s.Open(ctx, key)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, "", fmt.Errorf("reading %q: %w", s.URI(key), err)
	}
	return b, contentVersion(b), nil
}

// WriteIf implements Conditional. Writers take turns on an exclusive lock
// (flock on the folder of key), so the check and the atomic rename that
// replaces the object happen as one step for every process on this
// machine (and on network file systems whose flock is shared).
func (s *FS) WriteIf(ctx context.Context, key string, data []byte, ifVersion string) (string, error) {
	if _, err := s.path(key); err != nil {
		return "", err
	}
	unlock, err := s.lockConditional(ctx, key)
	if err != nil {
		return "", fmt.Errorf("writing %q: %w", s.URI(key), err)
	}
	defer unlock()
	_, cur, err := s.ReadVersion(ctx, key)
	switch {
	case errors.Is(err, ErrNotExist):
		if ifVersion != "" {
			return "", fmt.Errorf("writing %q: it no longer exists: %w", s.URI(key), ErrPrecondition)
		}
	case err != nil:
		return "", err
	case ifVersion == "":
		return "", fmt.Errorf("writing %q: it exists: %w", s.URI(key), ErrPrecondition)
	case cur != ifVersion:
		return "", fmt.Errorf("writing %q: it changed: %w", s.URI(key), ErrPrecondition)
	}
	if err := writeBytes(ctx, s, key, data); err != nil {
		return "", err
	}
	return contentVersion(data), nil
}

// ReadVersion implements Conditional: the version is the object's ETag.
func (s *S3) ReadVersion(ctx context.Context, key string) ([]byte, string, error) {
	if err := validKey(key); err != nil {
		return nil, "", err
	}
	// One GET gives the body and the ETag of the same version. (Client's
	// GetObject+Stat sends a HEAD first and then a GET with If-Match, which
	// fails when the object is replaced in between, as a renewed lease is.)
	body, info, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, "", s.wrapErr("reading", key, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, "", s.wrapErr("reading", key, err)
	}
	return b, info.ETag, nil
}

// WriteIf implements Conditional with a conditional PUT: If-None-Match: *
// to create, If-Match: <ETag> to replace (AWS S3 and MinIO support both).
func (s *S3) WriteIf(ctx context.Context, key string, data []byte, ifVersion string) (string, error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	opts := minio.PutObjectOptions{ContentType: "application/json"}
	if ifVersion == "" {
		opts.SetMatchETagExcept("*")
	} else {
		opts.SetMatchETag(ifVersion)
	}
	info, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		var resp minio.ErrorResponse
		if errors.As(err, &resp) && (resp.Code == "PreconditionFailed" || resp.Code == "ConditionalRequestConflict" || resp.Code == minio.NoSuchKey) {
			return "", fmt.Errorf("writing %q: %w (%v)", s.URI(key), ErrPrecondition, err)
		}
		return "", fmt.Errorf("writing %q: %w", s.URI(key), err)
	}
	return info.ETag, nil
}
