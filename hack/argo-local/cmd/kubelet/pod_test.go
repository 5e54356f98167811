package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
)

// writeLayout writes an OCI layout at dir whose one layer holds bin at
// /usr/local/bin/probe and an empty /tmp, with entrypoint probe and user
// 65532, like the images `make images` writes.
func writeLayout(t *testing.T, dir, bin string) {
	t.Helper()
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	gz := gzip.NewWriter(&layer)
	tw := tar.NewWriter(gz)
	for _, h := range []*tar.Header{
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
		{Name: "usr/local/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "usr/local/bin/probe", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(exe))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(exe); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	blob := func(b []byte) string {
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", h), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + h
	}
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cfg := blob(js(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{
		"Entrypoint": []string{"/usr/local/bin/probe"}, "Env": []string{"PATH=/usr/local/bin:/bin", "FROM_IMAGE=yes"}, "User": "65532:65532"}}))
	layerDigest := blob(layer.Bytes())
	man := blob(js(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layerDigest, "size": layer.Len()}}}))
	idx := js(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man}}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
}

// probeImages builds ../probe (cmd/probe) and writes its OCI layout at
// <tmp>/images/probe; it returns <tmp>/images.
func probeImages(t *testing.T, tmp string) string {
	t.Helper()
	bin := filepath.Join(tmp, "probe")
	build := exec.Command("go", "build", "-o", bin, "../probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}
	images := filepath.Join(tmp, "images")
	writeLayout(t, filepath.Join(images, "probe"), bin)
	return images
}

// newTestKubelet returns a kubelet stand-in of the API server c with its
// state in root and the OCI layouts of the folders images.
func newTestKubelet(c kubernetes.Interface, root string, images ...string) *kubelet {
	return &kubelet{c: c, nodeName: "argo-local", nodeIP: "127.0.0.1", apiHost: "127.0.0.1", apiPort: "6443", rootDir: root,
		images: &imageStore{dirs: images, prefix: "tweetflow-", cache: filepath.Join(root, "images")},
		pods:   map[types.UID]*podRun{}}
}

// A pod runs from its image in its own namespaces, with its volumes, env,
// user and read-only root, init container first, and is reported Failed
// with the main container's exit code and termination message.
func TestPodRunsFromImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the kubelet stand-in creates mount and PID namespaces")
	}
	tmp := t.TempDir()
	images := probeImages(t, tmp)

	i64 := func(v int64) *int64 { return &v }
	yes, no := true, false
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: types.UID("uid-1"), Labels: map[string]string{"app": "x"}},
		Spec: corev1.PodSpec{
			NodeName:        "argo-local",
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: i64(65532), RunAsGroup: i64(65532), FSGroup: i64(4242), RunAsNonRoot: &yes},
			Volumes: []corev1.Volume{
				{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
				{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
					Items: []corev1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}},
			},
			InitContainers: []corev1.Container{{Name: "init", Image: "reg.example/tweetflow-probe:v1",
				Args:         []string{"write", "/var/run/work/from-init", "hello"},
				VolumeMounts: []corev1.VolumeMount{{Name: "work", MountPath: "/var/run/work"}}}},
			Containers: []corev1.Container{{Name: "main", Image: "reg.example/tweetflow-probe:v1",
				Command: []string{"probe"},
				Args: []string{"id", "print", "/work/from-init", "print", "/sec/key", "print", "/info/name",
					"env", "FROM_IMAGE", "env", "S", "env", "EXPANDED", "touch", "/usr/x", "touch", "/work/ok", "touch", "/sub/ok", "exit", "7", "the reason"},
				Env: []corev1.EnvVar{
					{Name: "S", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "key"}}},
					{Name: "EXPANDED", Value: "$(S)-$(FROM_IMAGE)"},
					// A missing optional key must not stop the container.
					{Name: "OPTIONAL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "nope", Optional: &yes}}},
				},
				SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: &yes, AllowPrivilegeEscalation: &no},
				VolumeMounts: []corev1.VolumeMount{{Name: "work", MountPath: "/work"}, {Name: "sec", MountPath: "/sec", ReadOnly: true},
					{Name: "info", MountPath: "/info"},
					// A subPath the kubelet creates is writable like its emptyDir (Argo's tmp-dir-argo).
					{Name: "work", MountPath: "/sub", SubPath: "0"}}}},
		},
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}, Data: map[string][]byte{"key": []byte("s3cret")}}
	c := fake.NewSimpleClientset(pod, secret)
	root := filepath.Join(tmp, "kubelet")
	k := newTestKubelet(c, root, images)
	r := newPodRun(k, pod)
	r.run(context.Background())

	got, err := c.CoreV1().Pods("ns").Get(context.Background(), "p", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logs := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(root, "pods", "uid-1", "logs", name+".log"))
		return string(b)
	}
	t.Logf("main's log:\n%s", logs("main"))
	if got.Status.Phase != corev1.PodFailed {
		t.Errorf("phase %s, want Failed (exit 7)\ninit log: %s", got.Status.Phase, logs("init"))
	}
	if n := len(got.Status.ContainerStatuses); n != 1 {
		t.Fatalf("%d container statuses", n)
	}
	term := got.Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 7 || term.Message != "the reason" {
		t.Errorf("main terminated = %+v, want exit 7 with message %q", term, "the reason")
	}
	if init := got.Status.InitContainerStatuses[0].State.Terminated; init == nil || init.ExitCode != 0 {
		t.Errorf("init terminated = %+v\n%s", init, logs("init"))
	}
	out := logs("main")
	for _, want := range []string{
		"id uid=65532 gid=65532 groups=[4242] pid=1", // the pod's user and fsGroup; PID 1 of its namespace
		`file /work/from-init: "hello" <nil>`,        // the init container's write, in the shared emptyDir
		`file /sec/key: "s3cret" <nil>`,
		`file /info/name: "p" <nil>`,
		`env FROM_IMAGE="yes"`, // the image's env
		`env S="s3cret"`,       // secretKeyRef
		`env EXPANDED="s3cret-yes"`,
		"touch /usr/x: open /usr/x: read-only file system", // readOnlyRootFilesystem
		"touch /work/ok: <nil>",
		"touch /sub/ok: <nil>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("main's output lacks %q", want)
		}
	}
	for _, d := range []string{"volumes", "containers"} {
		if _, err := os.Stat(filepath.Join(root, "pods", "uid-1", d)); !os.IsNotExist(err) {
			t.Errorf("%s of the finished pod not removed: %v", d, err)
		}
	}
}

// activeDeadlineSeconds fails the pod with DeadlineExceeded; a container
// that ignores SIGTERM is killed after the grace period (exit 137).
func TestPodDeadline(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the kubelet stand-in creates mount and PID namespaces")
	}
	tmp := t.TempDir()
	images := probeImages(t, tmp)
	one := int64(1)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "slow", Namespace: "ns", UID: types.UID("uid-2")},
		Spec: corev1.PodSpec{NodeName: "argo-local", ActiveDeadlineSeconds: &one, TerminationGracePeriodSeconds: &one,
			Containers: []corev1.Container{{Name: "main", Image: "probe", Args: []string{"ignore-term", "sleep", "60"}}}},
	}
	c := fake.NewSimpleClientset(pod)
	root := filepath.Join(tmp, "kubelet")
	k := newTestKubelet(c, root, images)
	start := time.Now()
	newPodRun(k, pod).run(context.Background())
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the pod ran %s: the deadline (1 s) and grace period (1 s) were not enforced", d)
	}
	got, err := c.CoreV1().Pods("ns").Get(context.Background(), "slow", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != corev1.PodFailed || got.Status.Reason != "DeadlineExceeded" {
		t.Errorf("phase %s reason %q, want Failed DeadlineExceeded", got.Status.Phase, got.Status.Reason)
	}
	if term := got.Status.ContainerStatuses[0].State.Terminated; term == nil || term.ExitCode != 137 {
		t.Errorf("main terminated = %+v, want exit 137 (SIGKILL after the grace period)", term)
	}
}

// The component images of `make images` (../../../../out/images) run:
// their layers unpack and the component starts from the image's entrypoint
// path as the image's user with a read-only root.
func TestProjectImageRuns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the kubelet stand-in creates mount and PID namespaces")
	}
	images, err := filepath.Abs("../../../../out/images")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(images, "ingest", "index.json")); err != nil {
		t.Skipf("no component images in %s: run `make images` first", images)
	}
	yes := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ingest", Namespace: "ns", UID: types.UID("uid-3")},
		Spec: corev1.PodSpec{NodeName: "argo-local", Containers: []corev1.Container{{Name: "main",
			Image: "ghcr.io/tweetflow/tweetflow-ingest:dev", Command: []string{"ingest"}, Args: []string{"--help"},
			SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: &yes, RunAsNonRoot: &yes}}}},
	}
	c := fake.NewSimpleClientset(pod)
	root := filepath.Join(t.TempDir(), "kubelet")
	k := newTestKubelet(c, root, images)
	newPodRun(k, pod).run(context.Background())
	got, err := c.CoreV1().Pods("ns").Get(context.Background(), "ingest", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(filepath.Join(root, "pods", "uid-3", "logs", "main.log"))
	if got.Status.Phase != corev1.PodSucceeded || !strings.Contains(string(out), "--sources") {
		t.Errorf("ingest --help in its image: phase %s, output:\n%s", got.Status.Phase, out)
	}
}
