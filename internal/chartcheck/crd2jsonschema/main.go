// Command crd2jsonschema writes kubeconform JSON schemas for the
// CustomResourceDefinitions in the given YAML files, one file per kind and
// served version named by kubeconform's template
// {{ .ResourceKind }}{{ .KindSuffix }}.json (workflowtemplate-argoproj-v1alpha1.json),
// for offline strict validation:
//
//	go run ./internal/chartcheck/crd2jsonschema -out DIR CRD.yaml...
//	kubeconform -strict -schema-location 'DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json' ...
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tweetflow/tweetflow/internal/chartcheck"
)

func main() {
	out := flag.String("out", ".", "folder to write the schemas to")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: crd2jsonschema -out DIR CRD.yaml...")
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "crd2jsonschema:", err)
		os.Exit(1)
	}
}

func run(out string, files []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating %q: %w", out, err)
	}
	n := 0
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return fmt.Errorf("reading CRD file %q: %w", f, err)
		}
		schemas, err := chartcheck.CRDSchemas(r)
		r.Close()
		if err != nil {
			return fmt.Errorf("converting CRD file %q: %w", f, err)
		}
		for _, s := range schemas {
			if err := os.WriteFile(filepath.Join(out, s.FileName()), s.JSON, 0o644); err != nil {
				return fmt.Errorf("writing schema of %s: %w", s.Kind, err)
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no CustomResourceDefinition with a schema in %q", files)
	}
	return nil
}
