// Package version carries the build version of tweetflow binaries, set at
// link time with -ldflags "-X github.com/tweetflow/tweetflow/internal/version.Version=v1.2.3".
package version

// Version of this build; "dev" when not set by the linker.
var Version = "dev"
