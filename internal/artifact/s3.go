package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// DefaultPartSize is the multipart part size of the S3 store when
// S3Config.PartSize is 0. Objects up to this size are sent with a single PUT.
const DefaultPartSize = 16 << 20

// DefaultS3Endpoint is the endpoint used when S3Config.Endpoint is empty.
const DefaultS3Endpoint = "s3.amazonaws.com"

// S3 is a Store on an S3 bucket (AWS or MinIO), via minio-go v7. Keys are
// object names in the bucket.
//
// Writes are buffered up to the part size and sent with one PUT when they
// end there; longer objects stream through a multipart upload (one part
// buffer in memory per open writer). An aborted or failed multipart upload
// is aborted on the server, so no object and no parts remain.
//
// Rename is a server-side CopyObject followed by RemoveObject: not atomic,
// and limited to objects up to 5 GiB.
type S3 struct {
	client   *minio.Client
	bucket   string
	partSize uint64
}

// NewS3 returns a Store on bucket. It sends no request: a missing bucket or
// bad credentials show up on first use (see Check).
//
// The endpoint defaults to AWS (s3.amazonaws.com), TLS is used unless
// cfg.Insecure, path-style addressing when cfg.PathStyle (otherwise minio-go
// picks: virtual-host style for AWS, path style elsewhere). With
// cfg.AccessKey set the keys are used as given; otherwise credentials come
// from the chain: AWS env variables, MinIO env variables, the AWS and MinIO
// client credential files, then the EC2/ECS/EKS instance identity (IAM).
func NewS3(ctx context.Context, bucket string, cfg S3Config) (*S3, error) {
	if bucket == "" {
		return nil, fmt.Errorf("creating S3 store: missing bucket")
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultS3Endpoint
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{},
			&credentials.EnvMinio{},
			&credentials.FileAWSCredentials{},
			&credentials.FileMinioClient{},
			&credentials.IAM{Client: &http.Client{Transport: http.DefaultTransport, Timeout: 10 * time.Second}},
		})
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       !cfg.Insecure,
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("creating S3 client for endpoint %q: %w", endpoint, err)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	return &S3{client: client, bucket: bucket, partSize: partSize}, nil
}

// Bucket is the bucket of the store.
func (s *S3) Bucket() string { return s.bucket }

// Client is the underlying minio-go client.
func (s *S3) Client() *minio.Client { return s.client }

// Check verifies that the endpoint answers, the credentials work and the
// bucket exists.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("checking bucket %q at %q: %w", s.bucket, s.client.EndpointURL().Host, err)
	}
	if !ok {
		return fmt.Errorf("checking bucket %q at %q: bucket does not exist", s.bucket, s.client.EndpointURL().Host)
	}
	return nil
}

// isNoSuchKey reports whether err is S3's "no such key".
func isNoSuchKey(err error) bool {
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) {
		return false
	}
	return resp.Code == minio.NoSuchKey || resp.Code == "NotFound"
}

// wrapErr wraps err for key, mapping a missing key to ErrNotExist.
func (s *S3) wrapErr(verb, key string, err error) error {
	if isNoSuchKey(err) {
		return fmt.Errorf("%s %q: %w", verb, s.URI(key), ErrNotExist)
	}
	return fmt.Errorf("%s %q: %w", verb, s.URI(key), err)
}

// errAborted ends the upload of an aborted writer.
var errAborted = errors.New("write aborted")

type s3Writer struct {
	s      *S3
	ctx    context.Context
	cancel context.CancelFunc
	key    string

	buf []byte // data not yet handed to an upload (nil once streaming)

	pw   *io.PipeWriter // set once the object outgrew one part
	done chan struct{}  // closed when the streaming upload returned
	err  error          // result of the streaming upload

	finished bool // Close or Abort ran
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.finished {
		return 0, fmt.Errorf("writing %q: %w", w.s.URI(w.key), os.ErrClosed)
	}
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("writing %q: %w", w.s.URI(w.key), err)
	}
	if w.pw == nil {
		if uint64(len(w.buf)+len(p)) <= w.s.partSize {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.startStream()
	}
	n, err := w.pw.Write(p)
	if err != nil {
		return n, fmt.Errorf("writing %q: %w", w.s.URI(w.key), err)
	}
	return n, nil
}

// startStream starts a multipart upload fed by a pipe, beginning with the
// buffered data.
func (w *s3Writer) startStream() {
	pr, pw := io.Pipe()
	w.pw = pw
	w.done = make(chan struct{})
	first := bytes.NewReader(w.buf)
	w.buf = nil
	go func() {
		defer close(w.done)
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.key, io.MultiReader(first, pr), -1,
			minio.PutObjectOptions{PartSize: w.s.partSize, ContentType: "application/octet-stream"})
		w.err = err
		// Unblock writers if the upload failed before reading everything.
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.Close()
		}
	}()
}

func (w *s3Writer) Close() error {
	if w.finished {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		w.Abort()
		return fmt.Errorf("closing %q: %w", w.s.URI(w.key), err)
	}
	w.finished = true
	defer w.cancel()
	if w.pw == nil {
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.key, bytes.NewReader(w.buf), int64(len(w.buf)),
			minio.PutObjectOptions{ContentType: "application/octet-stream"})
		w.buf = nil
		if err != nil {
			return fmt.Errorf("uploading %q: %w", w.s.URI(w.key), err)
		}
		return nil
	}
	w.pw.Close()
	<-w.done
	if w.err != nil {
		return fmt.Errorf("uploading %q: %w", w.s.URI(w.key), w.err)
	}
	return nil
}

// Abort discards the object: nothing was sent yet, or the multipart upload
// is aborted (its parts deleted) before Abort returns.
func (w *s3Writer) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	w.buf = nil
	if w.pw != nil {
		w.pw.CloseWithError(errAborted)
		w.cancel() // minio-go aborts the upload with a context of its own
		<-w.done
	}
	w.cancel()
	return nil
}

// Create implements Store.
func (s *S3) Create(ctx context.Context, key string) (Writer, error) {
	if err := validKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("creating %q: %w", s.URI(key), err)
	}
	wctx, cancel := context.WithCancel(ctx)
	return &s3Writer{s: s, ctx: wctx, cancel: cancel, key: key}, nil
}

// Open implements Store.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := validKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.wrapErr("opening", key, err)
	}
	// GetObject is lazy: Stat sends the request and reports a missing key.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.wrapErr("opening", key, err)
	}
	return obj, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := validKey(key); err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return ObjectInfo{}, s.wrapErr("stating", key, err)
	}
	return ObjectInfo{Key: key, Size: info.Size, ModTime: info.LastModified}, nil
}

// List implements Store: every object whose key has prefix as a plain string
// prefix, sorted by key. Folder markers (keys ending in '/') are skipped.
func (s *S3) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine on early return
	out := []ObjectInfo{}
	if !possiblePrefix(prefix) {
		return out, nil // S3 may reject it; no valid key matches anyway
	}
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("listing %q: %w", s.URI(prefix), obj.Err)
		}
		if strings.HasSuffix(obj.Key, "/") || !strings.HasPrefix(obj.Key, prefix) {
			continue
		}
		out = append(out, ObjectInfo{Key: obj.Key, Size: obj.Size, ModTime: obj.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Rename implements Store: a server-side copy (objects up to 5 GiB), then a
// delete of src.
func (s *S3) Rename(ctx context.Context, src, dst string) error {
	if err := validKey(src); err != nil {
		return err
	}
	if err := validKey(dst); err != nil {
		return err
	}
	if src == dst {
		_, err := s.Stat(ctx, src)
		return err
	}
	_, err := s.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: dst},
		minio.CopySrcOptions{Bucket: s.bucket, Object: src})
	if err != nil {
		if isNoSuchKey(err) {
			return fmt.Errorf("renaming %q: %w", s.URI(src), ErrNotExist)
		}
		return fmt.Errorf("renaming %q to %q: %w", s.URI(src), s.URI(dst), err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, src, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("renaming %q to %q: removing the source: %w", s.URI(src), s.URI(dst), err)
	}
	return nil
}

// Delete implements Store; deleting a missing key is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := validKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !isNoSuchKey(err) {
		return fmt.Errorf("deleting %q: %w", s.URI(key), err)
	}
	return nil
}

// URI implements Store: "s3://bucket/key" ("s3://bucket" for the empty key).
func (s *S3) URI(key string) string {
	if key == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + key
}
