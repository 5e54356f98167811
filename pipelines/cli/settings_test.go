package cli

import (
	"context"
	"errors"
	"io"
	"testing"

	ucli "github.com/urfave/cli/v2"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/settings/settingstest"
)

// TestSettingsTable feeds the shared environments to the S3 settings path
// of tweetflow runs, rerun's store and shards (resolver of the App built
// with that environment): they must equal every component's.
func TestSettingsTable(t *testing.T) {
	for _, tc := range settingstest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			var got artifact.S3Config
			var err error
			app := App(io.Discard, io.Discard, settings.Map(tc.Env))
			app.Commands = append(app.Commands, &ucli.Command{Name: "probe", Action: func(cc *ucli.Context) error {
				var res *artifact.Resolver
				if res, err = resolver(cc); err == nil {
					got = res.S3Config()
				}
				return nil
			}})
			if rerr := app.RunContext(context.Background(), []string{"tweetflow", "probe"}); rerr != nil {
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
