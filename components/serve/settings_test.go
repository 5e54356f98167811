package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/settings/settingstest"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// TestSettingsTable feeds the shared environments to serve's contract in
// the harness: the S3 settings serve gets must be those of every other
// binary, and a bad setting is a usage error naming its source.
func TestSettingsTable(t *testing.T) {
	for _, tc := range slices.Concat(settingstest.Cases, settingstest.FlagCases) {
		t.Run(tc.Name, func(t *testing.T) {
			var got artifact.S3Config
			ran := false
			capture := func(_ context.Context, env *component.Env) error {
				got, ran = env.Resolver().S3Config(), true
				return nil
			}
			var stderr strings.Builder
			args := slices.Concat([]string{"serve", "--store", t.TempDir()}, tc.Flags)
			code := component.RunEnv(context.Background(), stages.Serve, capture, args, settings.Map(tc.Env), io.Discard, &stderr)
			if tc.ErrSource != "" {
				if code != component.ExitUsage || ran || !strings.Contains(stderr.String(), tc.ErrSource) {
					t.Fatalf("exit %d (ran %v): %s; want a usage error naming %s", code, ran, stderr.String(), tc.ErrSource)
				}
				return
			}
			if code != component.ExitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if got != tc.Want {
				t.Errorf("S3 = %+v, want %+v", got, tc.Want)
			}
		})
	}
}
