package chartcheck_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/tweetflow/tweetflow/pipelines/dsl"
)

// TestChartS3EnvMatchesSettings checks that the chart's tweetflow.s3Env
// helper maps the S3 Secret's keys to the env vars the compiled workflows
// use (dsl.S3SecretKeys, from the declaration in package settings): the
// chart types the names out again in _helpers.tpl.
func TestChartS3EnvMatchesSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "templates", "_helpers.tpl"))
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`range \$key, \$env := dict ((?:"[^"]*" ?)+)`).FindSubmatch(b)
	if line == nil {
		t.Fatal(`_helpers.tpl: no 'range $key, $env := dict ...' in tweetflow.s3Env`)
	}
	words := regexp.MustCompile(`"([^"]*)"`).FindAllSubmatch(line[1], -1)
	if len(words)%2 != 0 {
		t.Fatalf("_helpers.tpl: odd number of words in the s3Env dict: %q", line[1])
	}
	var got [][2]string
	for i := 0; i < len(words); i += 2 {
		got = append(got, [2]string{string(words[i][1]), string(words[i+1][1])})
	}
	want := slices.Clone(dsl.S3SecretKeys)
	less := func(a, b [2]string) int {
		if a[0] < b[0] {
			return -1
		}
		if a[0] > b[0] {
			return 1
		}
		return 0
	}
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		t.Errorf("chart s3Env maps %v, the declared settings %v", got, want)
	}
}
