// Package miniotest runs a real MinIO server for tests of S3 code.
//
// The server binary comes from hack/install-minio.sh (env MINIO_BIN, else
// ${TWEETFLOW_CACHE:-$HOME/.cache/tweetflow}/bin/minio, else minio on PATH).
// Without it tests are skipped with a message naming the script, unless
// TWEETFLOW_REQUIRE_MINIO=1, where they fail (CI sets it after installing).
//
// A package that has several S3 tests shares one server (starting one takes
// about a second) and gives each test a bucket of its own:
//
//	func TestMain(m *testing.M) { miniotest.Main(m) }
//
//	func TestX(t *testing.T) {
//		srv := miniotest.Shared(t) // fresh bucket, shared server
//		st, err := artifact.NewS3(ctx, srv.Bucket, srv.Config())
//	}
//
// Start(t) runs a private server that lives as long as the test.
//
// The server listens on 127.0.0.1 only, with update checks and the web
// console off; it is stopped (SIGTERM, then SIGKILL) by PID and waited for.
// On Linux it also dies with the test binary (parent-death signal).
package miniotest
