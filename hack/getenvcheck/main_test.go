package main

import (
	"bytes"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{name: "call", src: `package p; import "os"; func f() string { return os.Getenv("X") }`, want: []string{"Getenv"}},
		{name: "lookup as a value", src: `package p; import "os"; var l = os.LookupEnv`, want: []string{"LookupEnv"}},
		{name: "environ", src: `package p; import "os"; func f() []string { return os.Environ() }`, want: []string{"Environ"}},
		{name: "renamed import", src: `package p; import sys "os"; func f() { sys.Getenv("X") }`, want: []string{"Getenv"}},
		{name: "other os functions", src: `package p; import "os"; func f() { os.Exit(1) }`},
		{name: "another package's Getenv", src: `package p; import os "example.com/fake"; func f() { os.Getenv("X") }`},
		{name: "no os import", src: `package p; func f() { var os struct{ Getenv func(string) string }; os.Getenv("X") }`},
		{name: "comment", src: "package p\nimport \"os\"\n// os.Getenv(\"X\")\nvar _ = os.Args"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := checkFile(token.NewFileSet(), "x.go", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.Func)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("found %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckTree(t *testing.T) {
	root := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lib/lib.go", `package lib; import "os"; func F() string { return os.Getenv("X") }`)
	write("lib/lib_test.go", `package lib; import "os"; func G() string { return os.Getenv("X") }`)
	write("cmd/main.go", `package main; import "os"; func main() { _ = os.Environ() }`)
	write(".git/x.go", `package x; import "os"; var _ = os.Getenv`)
	findings, stale, err := check(root, map[string]string{"cmd/main.go": "root", "gone/main.go": "stale"})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || !strings.HasSuffix(findings[0].Pos.Filename, filepath.Join("lib", "lib.go")) {
		t.Errorf("findings %v, want lib/lib.go only", findings)
	}
	if len(stale) != 1 || stale[0] != "gone/main.go" {
		t.Errorf("stale %v, want gone/main.go", stale)
	}
}

// TestRepository runs the check on this repository, as make verify does.
func TestRepository(t *testing.T) {
	var out bytes.Buffer
	if code := run(filepath.Join("..", ".."), &out); code != 0 {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
}
