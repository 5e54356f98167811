package artifact

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// The run layout, decided here and nowhere else:
//
//	runs/<run-id>/<stage>/<output>/...
//
// Keys are relative to a store root (a folder or s3://bucket/prefix).

var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidateName checks a run ID, stage or output name.
func ValidateName(kind, s string) error {
	if !idRe.MatchString(s) || strings.Contains(s, "..") {
		return fmt.Errorf("invalid %s %q: use letters, digits, '.', '_' or '-' (max 128, no '..')", kind, s)
	}
	return nil
}

// RunPrefix is the key prefix of one run: "runs/<run-id>".
func RunPrefix(runID string) string { return path.Join("runs", runID) }

// OutputKey is the key prefix of one stage output: "runs/<run-id>/<stage>/<output>".
func OutputKey(runID, stage, output string) string {
	return path.Join("runs", runID, stage, output)
}

// SummaryFile is the name of the run summary a stage writes beside its
// outputs (see SummaryKey).
const SummaryFile = "_summary.json"

// SummaryKey is the key of one stage's run summary: "runs/<run-id>/<stage>/_summary.json".
func SummaryKey(runID, stage string) string {
	return path.Join("runs", runID, stage, SummaryFile)
}
