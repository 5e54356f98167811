// Command getenvcheck fails when Go code reads the process environment
// (os.Getenv, os.LookupEnv, os.Environ, called or passed as a value)
// outside the composition roots listed in allowed: flags and env are read
// once, at the root, and handed down (package settings resolves the
// shared settings from a lookup function). Like Argo's forbidigo rule for
// its executor. Test files (_test.go) are not checked. `make verify` runs
// it from the repository root:
//
//	go run ./hack/getenvcheck
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// forbidden are the functions of package os that read the environment.
var forbidden = map[string]bool{"Getenv": true, "LookupEnv": true, "Environ": true}

// allowed lists the files that may read the environment, each with the
// reason. Keep it short: a new entry needs a reason a reviewer accepts.
var allowed = map[string]string{
	// Composition roots: a main hands os.LookupEnv down.
	"internal/component/main.go":            "the composition root of every component (Main, Run)",
	"cmd/tweetflow/main.go":                 "the tweetflow CLI's composition root",
	"images/build/main.go":                  "composition root of the image builder (SOURCE_DATE_EPOCH through settings.Resolve)",
	"hack/chaos/main.go":                    "dev tool main: passes its environment on to the processes it starts",
	"hack/argo-local/cmd/kubelet/main.go":   "dev tool main: $KUBECONFIG default of its flag",
	"hack/argo-local/cmd/bootstrap/main.go": "dev tool main: $KUBECONFIG default of its flag",

	// The Go runtime's own variables.
	"internal/component/gc.go": "TuneGC defers to GOGC when the runtime is told it",

	// The local executor passes an environment on to the tasks it starts.
	"pipelines/run/run.go":   "the tasks' default environment is this process' (WithEnv overrides it), as os/exec does",
	"pipelines/run/rerun.go": "the tasks' default environment is this process' (WithEnv overrides it), as os/exec does",

	// Test support: processes started by tests, and helpers gated by env.
	"pipelines/training/testdata/stagefake/main.go": "a fake component for executor tests, steered by STAGEFAKE_* env",
	"pipelines/run/internal/fake/fake.go":           "a fake component for executor tests, steered by env",
	"hack/argo-local/cmd/probe/main.go":             "the test container of hack/argo-local: it prints its environment for the kubelet tests",
	"internal/testutil/pgtest/pgtest.go":            "test helper: finds PostgreSQL, cleans the server's environment",
	"internal/testutil/stagetest/build.go":          "test helper: starts a component binary with the test process' environment plus the test's",
	"internal/testutil/browsertest/browsertest.go":  "test helper: TWEETFLOW_REQUIRE_BROWSER and the artifacts folder",
	"internal/testutil/miniotest/miniotest.go":      "test helper: finds MinIO, cleans the server's environment",
	"internal/testutil/shareddata/shareddata.go":    "test helper: shared test data folder and its requirement",
	"internal/testutil/servertest/servertest.go":    "test helper: whether a server test is required",
}

// Finding is one forbidden read of the environment.
type Finding struct {
	Pos  token.Position
	Func string
}

func (f Finding) String() string { return fmt.Sprintf("%s: os.%s", f.Pos, f.Func) }

// checkFile returns the forbidden references in one file's source.
func checkFile(fset *token.FileSet, name string, src any) ([]Finding, error) {
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var osNames []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if p != "os" {
			continue
		}
		n := "os"
		if imp.Name != nil {
			n = imp.Name.Name
		}
		if n == "_" {
			continue
		}
		if n == "." {
			return nil, fmt.Errorf("%s: dot-import of os: cannot check it", name)
		}
		osNames = append(osNames, n)
	}
	if len(osNames) == 0 {
		return nil, nil
	}
	var out []Finding
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || !forbidden[sel.Sel.Name] {
			return true
		}
		for _, o := range osNames {
			if id.Name == o {
				out = append(out, Finding{Pos: fset.Position(sel.Pos()), Func: sel.Sel.Name})
			}
		}
		return true
	})
	return out, nil
}

// check walks root and reports forbidden reads outside allowed, and
// allowed entries that no longer read the environment (stale).
func check(root string, allowed map[string]string) (findings []Finding, stale []string, err error) {
	fset := token.NewFileSet()
	used := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, ".") || base == "node_modules" || base == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		fs, err := checkFile(fset, p, nil)
		if err != nil {
			return err
		}
		if len(fs) == 0 {
			return nil
		}
		if _, ok := allowed[rel]; ok {
			used[rel] = true
			return nil
		}
		findings = append(findings, fs...)
		return nil
	})
	for f := range allowed {
		if !used[f] {
			stale = append(stale, f)
		}
	}
	sort.Strings(stale)
	return findings, stale, err
}

func run(root string, w io.Writer) int {
	findings, stale, err := check(root, allowed)
	if err != nil {
		fmt.Fprintln(w, "error: getenvcheck:", err)
		return 1
	}
	for _, f := range findings {
		fmt.Fprintf(w, "%s: reads the environment outside a composition root: take a settings.Lookup (or a value) from the caller, or allow-list the file with a reason in hack/getenvcheck\n", f)
	}
	for _, s := range stale {
		fmt.Fprintf(w, "%s: allow-listed in hack/getenvcheck but reads no environment: remove the entry\n", s)
	}
	if len(findings) > 0 || len(stale) > 0 {
		return 1
	}
	return 0
}

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	os.Exit(run(root, os.Stderr))
}
