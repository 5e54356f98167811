package run

import (
	"errors"
	"testing"

	"github.com/tweetflow/tweetflow/internal/settings"
	"github.com/tweetflow/tweetflow/internal/settings/settingstest"
)

// TestSettingsTable feeds the shared environments, as the os.Environ list
// the tasks get, to Rerun's S3 settings path: they must equal every
// component's, so that rerun reads the store the components wrote.
func TestSettingsTable(t *testing.T) {
	for _, tc := range settingstest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			env := []string{"UNRELATED=1"}
			for k, v := range tc.Env {
				env = append(env, k+"="+v)
			}
			res, err := envResolver(env)
			if tc.ErrSource != "" {
				var se *settings.Error
				if !errors.As(err, &se) || se.Source != tc.ErrSource {
					t.Fatalf("err = %v, want one from %s", err, tc.ErrSource)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.S3Config(); got != tc.Want {
				t.Errorf("S3 = %+v, want %+v", got, tc.Want)
			}
		})
	}
}
