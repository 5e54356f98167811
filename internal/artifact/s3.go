package artifact

import (
	"context"
	"fmt"
)

// S3 is a Store on an S3 bucket (AWS or MinIO), via minio-go v7.
// TODO(artifact helper): implement.
type S3 struct {
	Store
	bucket string
}

// NewS3 returns a Store on bucket.
func NewS3(ctx context.Context, bucket string, cfg S3Config) (*S3, error) {
	return nil, fmt.Errorf("s3 store not implemented yet")
}
