package runs

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCatalogDoesNotImportTheExecutor: listing, diffing and deleting runs
// needs neither the local executor nor Argo's workflow code.
func TestCatalogDoesNotImportTheExecutor(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/tweetflow/tweetflow/pipelines/run" || strings.HasPrefix(dep, "github.com/argoproj/") {
			t.Errorf("pipelines/runs imports %s", dep)
		}
	}
}
