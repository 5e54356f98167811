package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/tweetflow/tweetflow/internal/artifact"
	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
	"github.com/tweetflow/tweetflow/internal/stages"
)

// staticServer builds components/serve with CGO off (cached by go build).
func staticServer(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	bin := filepath.Join(t.TempDir(), "serve")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", bin, "github.com/tweetflow/tweetflow/components/serve")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building serve: %v\n%s", err, out)
	}
	return bin
}

// exportedModel writes a committed export-onnx output and returns its path.
func exportedModel(t *testing.T) string {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: "run-7"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := artifact.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	o := artifact.NewOutput(st, "onnx")
	for n, b := range tm.Files {
		if err := o.WriteFile(context.Background(), n, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "onnx")
}

func runStage(t *testing.T, args ...string) (int, map[string]string, string) {
	t.Helper()
	results := t.TempDir()
	var out bytes.Buffer
	args = append([]string{"build-serving-image", "--results-dir", results, "--log-format", "json", "--progress", "none"}, args...)
	code := component.Run(context.Background(), stages.BuildServingImage, component.Typed(run), args, &out, &out)
	res := map[string]string{}
	for _, n := range []string{"digest", "image"} {
		b, _ := os.ReadFile(filepath.Join(results, n))
		res[n] = string(b)
	}
	return code, res, out.String()
}

func TestBuildServingImage(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	server := staticServer(t)
	model := exportedModel(t)
	out1, out2 := filepath.Join(t.TempDir(), "img"), filepath.Join(t.TempDir(), "img")
	code, r1, log1 := runStage(t, "--onnx", model, "--server-binary", server, "--tag", "v1", "--run-id", "run-a", "--out-image", out1, "--store", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, log1)
	}
	if !strings.HasPrefix(r1["digest"], "sha256:") || r1["image"] != "" {
		t.Fatalf("results %v", r1)
	}
	for _, f := range []string{"oci-layout", "index.json", artifact.ManifestName} {
		if _, err := os.Stat(filepath.Join(out1, f)); err != nil {
			t.Errorf("layout lacks %s: %v", f, err)
		}
	}
	idx, _ := os.ReadFile(filepath.Join(out1, "index.json"))
	if !strings.Contains(string(idx), r1["digest"]) || !strings.Contains(strings.Join(strings.Fields(string(idx)), ""), `"org.opencontainers.image.ref.name":"v1"`) {
		t.Errorf("index.json: %s", idx)
	}
	// Reproducible: a second build gives the same digest.
	code, r2, log2 := runStage(t, "--onnx", model, "--server-binary", server, "--tag", "v1", "--run-id", "run-a", "--out-image", out2, "--store", t.TempDir())
	if code != 0 || r2["digest"] != r1["digest"] {
		t.Fatalf("second build: exit %d digest %q vs %q: %s", code, r2["digest"], r1["digest"], log2)
	}
	// Push to a local registry.
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	code, r3, log3 := runStage(t, "--onnx", model, "--server-binary", server, "--tag", "v1", "--run-id", "run-a", "--registry", host,
		"--insecure-registry", "--out-image", filepath.Join(t.TempDir(), "img"), "--store", t.TempDir())
	if code != 0 || r3["image"] != host+"/tweetflow-model@"+r1["digest"] {
		t.Fatalf("push: exit %d results %v: %s", code, r3, log3)
	}
}

func TestBuildServingImageRejects(t *testing.T) {
	model := exportedModel(t)
	// A dynamically linked binary cannot run in the image.
	if _, err := os.Stat("/bin/ls"); err == nil {
		code, _, out := runStage(t, "--onnx", model, "--server-binary", "/bin/ls", "--out-image", filepath.Join(t.TempDir(), "i"), "--store", t.TempDir())
		if code != component.ExitRuntime || !strings.Contains(out, "dynamically linked") {
			t.Errorf("dynamic binary: exit %d: %s", code, out)
		}
	}
	// A folder that is not a model.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "model.onnx"), []byte("nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, out := runStage(t, "--onnx", bad, "--server-binary", "/bin/ls", "--out-image", filepath.Join(t.TempDir(), "i"), "--store", t.TempDir())
	if code != component.ExitRuntime || !strings.Contains(out, "checking the exported model") {
		t.Errorf("bad model: exit %d: %s", code, out)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	code, _, out = runStage(t, "--onnx", model, "--server-binary", staticServer(t), "--out-image", filepath.Join(t.TempDir(), "i"), "--store", t.TempDir())
	if code != component.ExitUsage {
		t.Errorf("bad SOURCE_DATE_EPOCH: exit %d: %s", code, out)
	}
}
