package chartcheck_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/chartcheck"
)

// argoCRDs finds the CRDs shipped in the argo-workflows module of go.mod.
func argoCRDs(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/argoproj/argo-workflows/v3").Output()
	if err != nil {
		t.Fatalf("locating the argo-workflows module: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "manifests", "base", "crds", "full", "argoproj.io_*.yaml"))
	if len(files) == 0 {
		t.Fatalf("no CRDs in %s", out)
	}
	return files
}

// TestKubeconform validates the compiled WorkflowTemplates and the chart's
// renderings with kubeconform -strict against the Argo CRD schemas, and
// requires every WorkflowTemplate and CronWorkflow to be validated (not
// skipped): one per compiled file, one per pipeline in each rendering, and
// the training schedule's CronWorkflow with every feature on.
func TestKubeconform(t *testing.T) {
	kubeconform := tool(t, "kubeconform")
	dir := t.TempDir()
	n := 0
	for _, f := range argoCRDs(t) {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		schemas, err := chartcheck.CRDSchemas(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range schemas {
			if err := os.WriteFile(filepath.Join(dir, s.FileName()), s.JSON, 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if n < 2 {
		t.Fatalf("%d schemas from the Argo CRDs", n)
	}
	files := []string{}
	wantTemplates := map[string][]string{} // file -> WorkflowTemplate names
	for _, p := range pipelines {
		files = append(files, p.generated)
		wantTemplates[p.generated] = []string{p.name}
	}
	for name, args := range map[string][]string{"defaults": nil, "all": allFeatures} {
		out, err := helmTemplate(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name+".yaml")
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
		wantTemplates[p] = []string{labeling.name, training.name}
		if name == "all" { // schedule.enabled: the CronWorkflow too
			wantTemplates[p] = append([]string{"CronWorkflow/" + fullname + "-training"}, wantTemplates[p]...)
		}
	}
	// A template with a misspelt field must fail: the schemas are strict.
	b, err := os.ReadFile(training.generated)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, bytes.Replace(b, []byte("\n  entrypoint: "), []byte("\n  entrypont: typo\n  entrypoint: "), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	// run returns the status of each WorkflowTemplate by file and name.
	run := func(files ...string) map[string]map[string]string {
		cmd := exec.Command(kubeconform, append([]string{"-strict", "-output", "json", "-verbose", "-ignore-missing-schemas",
			"-schema-location", filepath.Join(dir, "{{ .ResourceKind }}{{ .KindSuffix }}.json")}, files...)...)
		out, _ := cmd.Output() // exit 1 on invalid resources: judged below
		var report struct {
			Resources []struct {
				Filename, Kind, Name, Status, Msg string
			}
		}
		if err := json.Unmarshal(out, &report); err != nil {
			t.Fatalf("decoding the kubeconform report: %v\n%s", err, out)
		}
		got := map[string]map[string]string{}
		for _, r := range report.Resources {
			if r.Kind == "WorkflowTemplate" || r.Kind == "CronWorkflow" {
				if got[r.Filename] == nil {
					got[r.Filename] = map[string]string{}
				}
				name := r.Name
				if r.Kind == "CronWorkflow" {
					name = "CronWorkflow/" + name
				}
				got[r.Filename][name] = r.Status + " " + r.Msg
			}
		}
		return got
	}
	got := run(files...)
	for _, f := range files {
		names := slices.Sorted(maps.Keys(got[f]))
		if !slices.Equal(names, wantTemplates[f]) {
			t.Errorf("%s: kubeconform validated WorkflowTemplates %q, want %q", f, names, wantTemplates[f])
		}
		for name, status := range got[f] {
			if status != "statusValid " {
				t.Errorf("%s: WorkflowTemplate %s: %q, want statusValid", f, name, status)
			}
		}
	}
	if got := run(bad)[bad][training.name]; !strings.HasPrefix(got, "statusInvalid") || !strings.Contains(got, "entrypont") {
		t.Errorf("a misspelt field: %q, want statusInvalid naming it", got)
	}
}

func TestCRDSchemas(t *testing.T) {
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.io
  names: {kind: Widget}
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {format: int-or-string}
              note: {type: string, nullable: true}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {a: {type: string}}}
              labels: {type: object, additionalProperties: {type: string}, properties: {x: {type: string}}}
  - name: v0
    served: false
    schema:
      openAPIV3Schema: {type: object}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
`
	schemas, err := chartcheck.CRDSchemas(strings.NewReader(crd))
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) != 1 || schemas[0].FileName() != "widget-example-v1.json" {
		t.Fatalf("schemas %+v, want one named widget-example-v1.json", schemas)
	}
	var s map[string]any
	if err := json.Unmarshal(schemas[0].JSON, &s); err != nil {
		t.Fatal(err)
	}
	get := func(m map[string]any, path ...string) any {
		var v any = m
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	spec := []string{"properties", "spec"}
	props := append(spec, "properties")
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"additionalProperties"}, "false"},
		{append(spec, "additionalProperties"), "false"},
		{append(props, "size"), `{"oneOf":[{"type":"string"},{"type":"integer"}]}`},
		{append(props, "note", "type"), `["string","null"]`},
		{append(props, "free", "additionalProperties"), "null"}, // preserve-unknown-fields stays open
		{append(props, "labels", "additionalProperties"), `{"type":"string"}`},
	} {
		b, _ := json.Marshal(get(s, tc.path...))
		if string(b) != tc.want {
			t.Errorf("%s = %s, want %s", strings.Join(tc.path, "."), b, tc.want)
		}
	}
}
