// Package image builds OCI images without a container daemon, with
// go-containerregistry: deterministic layers from in-memory files, an
// empty base with OCI media types, the image config, an OCI image layout
// on disk and pushes to a registry.
//
// Reproducibility: layer tars have sorted entries, parent folders added,
// every mtime set to the image's Created time, numeric owners only and
// PAX headers; history and config carry the same fixed time
// (SOURCE_DATE_EPOCH, or the Unix epoch, chosen by the caller). The same
// inputs therefore give the same manifest digest.
//
// ServingImage builds the model-server image: a base layer with the CA
// bundle at /etc/ssl/certs/ca-certificates.crt (callers pass the build
// machine's bundle, which on Debian comes from the ca-certificates
// package), /etc/passwd and /etc/group with root and the non-root user
// 65532 "nonroot", and /tmp; a layer with the server binary at
// /usr/local/bin/tweetflow-serve; and a layer with the model at
// /models/<version>/. The entrypoint is
// ["/usr/local/bin/tweetflow-serve", "--model", "/models/<version>"], the
// user 65532:65532, port 8080 is exposed, and the labels carry the model
// version (org.opencontainers.image.version), the run ID
// (dev.tweetflow.run-id) and the source. ComponentImage builds the image of
// one pipeline component the same way (binary at /usr/local/bin/<name>).
package image
