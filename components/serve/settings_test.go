package main

import (
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/settings/settingstest"
)

// TestSettingsTable feeds the shared environments to serve's flags and
// settings path: the S3 settings must be those of every other binary.
func TestSettingsTable(t *testing.T) {
	for _, tc := range slices.Concat(settingstest.Cases, settingstest.FlagCases) {
		t.Run(tc.Name, func(t *testing.T) {
			var got artifact.S3Config
			var err error
			app := &cli.App{Name: "serve", Flags: flags(), Writer: io.Discard, ErrWriter: io.Discard,
				Action: func(cc *cli.Context) error {
					got, err = s3Config(cc, settings.Map(tc.Env))
					return nil
				}}
			if rerr := app.RunContext(context.Background(), slices.Concat([]string{"serve"}, tc.Flags)); rerr != nil {
				t.Fatal(rerr)
			}
			if tc.ErrSource != "" {
				var se *settings.Error
				var ue usageError
				if !errors.As(err, &ue) || !errors.As(ue.error, &se) || se.Source != tc.ErrSource {
					t.Fatalf("err = %v, want a usage error from %s", err, tc.ErrSource)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.Want {
				t.Errorf("S3 = %+v, want %+v", got, tc.Want)
			}
		})
	}
}
