package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tweetflow/tweetflow/internal/serving/servingtest"
)

var epoch = time.Unix(0, 0).UTC()

func testServing(t *testing.T, server []byte) Serving {
	t.Helper()
	tm, err := servingtest.Random(servingtest.Options{Version: "run-42"})
	if err != nil {
		t.Fatal(err)
	}
	return Serving{Server: server, Model: tm.Files, ModelVersion: "run-42", RunID: "run-42",
		Source: "https://example.com/tweetflow", Created: epoch, CACerts: []byte("-----BEGIN CERTIFICATE-----\n")}
}

func digest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestReproducible(t *testing.T) {
	s := testServing(t, []byte("#!binary"))
	a, err := ServingImage(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ServingImage(s)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, a) != digest(t, b) {
		t.Fatalf("same inputs, digests %s and %s", digest(t, a), digest(t, b))
	}
	// Layouts written twice are byte-identical.
	d1, d2 := t.TempDir(), t.TempDir()
	if err := WriteLayout(d1, a, "run-42"); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(d2, b, "run-42"); err != nil {
		t.Fatal(err)
	}
	i1, _ := os.ReadFile(filepath.Join(d1, "index.json"))
	i2, _ := os.ReadFile(filepath.Join(d2, "index.json"))
	if !bytes.Equal(i1, i2) || !bytes.Contains(i1, []byte(digest(t, a))) {
		t.Fatalf("index.json differs or lacks the digest:\n%s\n%s", i1, i2)
	}
	// Any input change changes the digest.
	s2 := s
	s2.Created = epoch.Add(time.Second)
	c, err := ServingImage(s2)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, c) == digest(t, a) {
		t.Error("created time does not change the digest")
	}
}

func TestServingImageContents(t *testing.T) {
	img, err := ServingImage(testServing(t, []byte("#!binary")))
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != "application/vnd.oci.image.config.v1+json" || len(m.Layers) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	for _, l := range m.Layers {
		if l.MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Errorf("layer media type %s", l.MediaType)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if strings.Join(c.Entrypoint, " ") != "/usr/local/bin/tweetflow-serve --model /models/run-42" || c.User != "65532:65532" {
		t.Errorf("entrypoint %q user %q", c.Entrypoint, c.User)
	}
	if !slices.Contains(c.Env, "TWEETFLOW_STORE=/tmp/tweetflow") {
		t.Errorf("env %q: want the harness's store in the writable /tmp", c.Env)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ports %v", c.ExposedPorts)
	}
	if c.Labels[LabelVersion] != "run-42" || c.Labels[LabelRunID] != "run-42" || c.Labels[LabelSource] == "" {
		t.Errorf("labels %v", c.Labels)
	}
	if !cf.Created.Time.Equal(epoch) || cf.OS != "linux" {
		t.Errorf("created %v os %s", cf.Created, cf.OS)
	}
	// Walk the layers: files, modes, owners and times.
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*tar.Header{}
	var order []string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		var prev string
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Name < prev {
				t.Errorf("entries not sorted: %q after %q", h.Name, prev)
			}
			prev = h.Name
			if !h.ModTime.Equal(epoch) || h.Uname != "" {
				t.Errorf("%s: mtime %v uname %q", h.Name, h.ModTime, h.Uname)
			}
			got[h.Name] = h
			order = append(order, h.Name)
		}
		rc.Close()
	}
	for name, mode := range map[string]int64{
		"etc/ssl/certs/ca-certificates.crt": 0o644, "etc/passwd": 0o644, "etc/group": 0o644, "tmp/": 0o1777,
		"usr/local/bin/tweetflow-serve": 0o755, "models/run-42/model.onnx": 0o444, "models/run-42/vocab.txt": 0o444,
	} {
		h := got[name]
		if h == nil {
			t.Errorf("no %s in %v", name, order)
			continue
		}
		if h.Mode != mode {
			t.Errorf("%s: mode %o, want %o", name, h.Mode, mode)
		}
	}
	if h := got["home/nonroot/"]; h == nil || h.Uid != NonRootUID {
		t.Errorf("home of nonroot: %+v", h)
	}
}

func TestPushAndPull(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	img, err := ServingImage(testServing(t, []byte("#!binary")))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := Push(context.Background(), img, host+"/tweetflow-model:run-42", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(ref, "@"+digest(t, img)) {
		t.Errorf("pushed ref %q", ref)
	}
	r, err := name.ParseReference(host+"/tweetflow-model:run-42", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, pulled) != digest(t, img) {
		t.Fatalf("pulled %s, pushed %s", digest(t, pulled), digest(t, img))
	}
	cf, err := pulled.ConfigFile()
	if err != nil || cf.Config.Labels[LabelVersion] != "run-42" {
		t.Fatalf("pulled config %v %v", cf, err)
	}
}

func TestSkopeoInspect(t *testing.T) {
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Skip("skopeo not installed (apt-get install skopeo)")
	}
	img, err := ServingImage(testServing(t, []byte("#!binary")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteLayout(dir, img, "run-42"); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("skopeo", "inspect", "oci:"+dir+":run-42").CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	var info struct {
		Digest string
		Labels map[string]string
		Layers []string
		Env    []string
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if info.Digest != digest(t, img) || info.Labels[LabelVersion] != "run-42" || info.Labels[LabelRunID] != "run-42" || len(info.Layers) != 3 {
		t.Errorf("skopeo sees %+v", info)
	}
	out, err = exec.Command("skopeo", "inspect", "--config", "oci:"+dir+":run-42").CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo inspect --config: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"/usr/local/bin/tweetflow-serve"`) || !strings.Contains(string(out), `"65532:65532"`) {
		t.Errorf("config: %s", out)
	}
}

// TestUnpackAndRun builds the real static server, packs it with a model,
// unpacks the image with umoci and runs its entrypoint chrooted in the
// rootfs as the image's user, then asks it for a prediction. It needs
// root, umoci and a Go toolchain, and is skipped with -short.
func TestUnpackAndRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs it from an unpacked image")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot")
	}
	if _, err := exec.LookPath("umoci"); err != nil {
		t.Skip("umoci not installed (apt-get install umoci)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	bin := filepath.Join(t.TempDir(), "serve")
	build := exec.Command(gobin, "build", "-trimpath", "-o", bin, "github.com/tweetflow/tweetflow/components/serve")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	server, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	s := testServing(t, server)
	ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err == nil {
		s.CACerts = ca
	}
	img, err := ServingImage(s)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	lay := filepath.Join(work, "layout")
	if err := WriteLayout(lay, img, "run-42"); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(work, "bundle")
	if out, err := exec.Command("umoci", "unpack", "--rootless", "--image", lay+":run-42", bundle).CombinedOutput(); err != nil {
		t.Fatalf("umoci unpack: %v\n%s", err, out)
	}
	rootfs := filepath.Join(bundle, "rootfs")
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(cf.Config.Entrypoint[0], append(cf.Config.Entrypoint[1:], "--addr", "127.0.0.1:"+port)...)
	cmd.Env = cf.Config.Env
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs, Credential: &syscall.Credential{Uid: NonRootUID, Gid: NonRootUID}}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	base := "http://127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server in the image did not get ready: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Post(base+"/predict", "application/json", strings.NewReader(`{"text":"I love this!"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Label         string             `json:"label"`
		Probabilities map[string]float64 `json:"probabilities"`
		ModelVersion  string             `json:"model_version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("predict: %d %v", resp.StatusCode, err)
	}
	if out.ModelVersion != "run-42" || len(out.Probabilities) != 3 || out.Label == "" {
		t.Errorf("prediction %+v", out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}

func TestComponentImage(t *testing.T) {
	c := Component{Name: "train", Binary: []byte("\x7fELF..."), Version: "v1.2.3", Source: "https://example.com/x", Created: epoch, CACerts: []byte("ca")}
	a, err := ComponentImage(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ComponentImage(c)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, a) != digest(t, b) {
		t.Error("component image is not reproducible")
	}
	cf, err := a.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/usr/local/bin/train" || cf.Config.Labels[LabelVersion] != "v1.2.3" ||
		cf.Config.Labels[LabelTitle] != "train" || cf.Config.User != "65532:65532" {
		t.Errorf("config %+v", cf.Config)
	}
	c.Binary = []byte("\x7fELF!!!")
	d, err := ComponentImage(c)
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, d) == digest(t, a) {
		t.Error("a different binary gives the same digest")
	}
	if _, err := ComponentImage(Component{Name: "../x", Binary: []byte("x")}); err == nil {
		t.Error("bad name accepted")
	}
}

// The image of build-serving-image carries the server it packages beside
// itself (the real Argo engine found the image without it).
func TestComponentImageCompanions(t *testing.T) {
	c := Component{Name: "build-serving-image", Binary: []byte("\x7fELF-b"), Created: epoch, CACerts: []byte("ca"),
		Companions: map[string][]byte{"serve": []byte("\x7fELF-s")}}
	img, err := ComponentImage(c)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(tr)
			files[h.Name] = fmt.Sprintf("%o %s", h.Mode, b)
		}
		rc.Close()
	}
	for name, want := range map[string]string{"usr/local/bin/build-serving-image": "755 \x7fELF-b", "usr/local/bin/serve": "755 \x7fELF-s"} {
		if files[name] != want {
			t.Errorf("%s: %q, want %q", name, files[name], want)
		}
	}
	for _, bad := range []map[string][]byte{{"serve": nil}, {"../serve": []byte("x")}, {"build-serving-image": []byte("x")}} {
		c.Companions = bad
		if _, err := ComponentImage(c); err == nil {
			t.Errorf("companions %v accepted", bad)
		}
	}
}
