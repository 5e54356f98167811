// Package e2e holds the end-to-end test of the training pipeline: the
// components ingest, clean, balance-split, embed, train, evaluate-gate and
// export-onnx run one after the other on the real SemEval data of the
// shared data folder (every file except twitter-2016test-A.txt, which is
// the development set the model is then scored on), with small model
// settings, against a local artifact store; then the first three stages
// run again against a real MinIO store (s3:// root) and must produce the
// same datasets.
//
// The components are package main, which Go cannot import, so the test
// builds their binaries once (go build, about 10-30 s on 2 cores) and runs
// them as processes, with the same flags a pipeline step gets. Set
// TWEETFLOW_E2E_BIN to a folder of already built binaries (make build) to
// skip the build.
//
// The test skips when the shared data is missing (see
// stagetest.SharedData), in -short mode, and the S3 part when MinIO is not
// installed (see miniotest).
package e2e
