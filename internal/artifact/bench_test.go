package artifact_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/testutil/miniotest"
)

// BenchmarkStore measures write and read throughput of each store, for a
// small object (one PUT on S3) and a 32 MiB one (a 2-part multipart upload).
//
//	go test -run '^$' -bench Store -benchtime 5x ./internal/artifact/
func BenchmarkStore(b *testing.B) {
	stores := []struct {
		name string
		new  func(b *testing.B) artifact.Store
	}{
		{"FS", func(b *testing.B) artifact.Store {
			st, err := artifact.NewFS(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
		{"S3", func(b *testing.B) artifact.Store {
			srv := miniotest.Shared(b)
			st, err := artifact.NewS3(context.Background(), srv.Bucket, srv.Config())
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	for _, s := range stores {
		for _, size := range []int{4 << 10, 32 << 20} {
			data := make([]byte, size)
			rand.NewChaCha8([32]byte{1}).Read(data)
			b.Run(fmt.Sprintf("%s/write/%dKiB", s.name, size>>10), func(b *testing.B) {
				st := s.new(b)
				ctx := context.Background()
				b.SetBytes(int64(size))
				for i := 0; b.Loop(); i++ {
					w, err := st.Create(ctx, fmt.Sprintf("bench/%d", i%4))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := w.Write(data); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/read/%dKiB", s.name, size>>10), func(b *testing.B) {
				st := s.new(b)
				ctx := context.Background()
				write(b, st, "bench/obj", string(data))
				b.SetBytes(int64(size))
				for b.Loop() {
					r, err := st.Open(ctx, "bench/obj")
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(io.Discard, r); err != nil {
						b.Fatal(err)
					}
					r.Close()
				}
			})
		}
	}
}
