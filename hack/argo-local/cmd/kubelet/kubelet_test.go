package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestResolveInKeepsLinksInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "run"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "var"), 0o755))
	must(os.Symlink("/run", filepath.Join(root, "var", "run")))            // absolute: relative to the root
	must(os.Symlink("../../../etc", filepath.Join(root, "var", "escape"))) // climbs above the root
	must(os.Symlink("loop", filepath.Join(root, "loop")))
	for _, tc := range []struct{ in, want string }{
		{"/var/run/argo", "/run/argo"},
		{"var/run/secrets/x", "/run/secrets/x"},
		{"/var/escape/passwd", "/etc/passwd"},
		{"/a/../b", "/b"},
		{"/", "/"},
	} {
		got, err := resolveIn(root, tc.in)
		if err != nil {
			t.Errorf("resolveIn(%q): %v", tc.in, err)
			continue
		}
		if want := filepath.Join(root, tc.want); got != want {
			t.Errorf("resolveIn(%q) = %q, want %q", tc.in, got, want)
		}
	}
	if _, err := resolveIn(root, "/loop/x"); err == nil {
		t.Errorf("resolveIn of a link loop: no error")
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "1", "B_C": "two"}
	for _, tc := range []struct{ in, want string }{
		{"$(A)", "1"},
		{"x$(B_C)y", "xtwoy"},
		{"$(MISSING)", "$(MISSING)"},
		{"$$(A)", "$(A)"},
		{"$A", "$A"},
	} {
		if got := expand(tc.in, env); got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCommandFollowsKubernetesRules(t *testing.T) {
	img := &image{Ref: "x", Config: imageConfig{Entrypoint: []string{"/ep"}, Cmd: []string{"--cmd"}}}
	env := map[string]string{"V": "v"}
	for _, tc := range []struct {
		name          string
		command, args []string
		want          []string
	}{
		{"image defaults", nil, nil, []string{"/ep", "--cmd"}},
		{"args replace cmd", nil, []string{"--a=$(V)"}, []string{"/ep", "--a=v"}},
		{"command drops cmd", []string{"run"}, nil, []string{"run"}},
		{"command and args", []string{"run"}, []string{"x"}, []string{"run", "x"}},
	} {
		got, err := command(&corev1.Container{Command: tc.command, Args: tc.args}, img, env)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := command(&corev1.Container{}, &image{Ref: "empty"}, env); err == nil {
		t.Errorf("no command and no entrypoint: no error")
	}
}

func TestUser(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	yes := true
	img := &image{Ref: "x", Config: imageConfig{User: "65532:65532"}}
	p := &corev1.Pod{Spec: corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{RunAsUser: i64(1000), FSGroup: i64(2000)}}}
	uid, gid, groups, err := user(p, &corev1.Container{}, img)
	if err != nil || uid != 1000 || gid != 65532 || !reflect.DeepEqual(groups, []uint32{2000}) {
		t.Errorf("pod runAsUser: %d %d %v %v", uid, gid, groups, err)
	}
	c := &corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsUser: i64(0), RunAsNonRoot: &yes}}
	if _, _, _, err := user(&corev1.Pod{}, c, img); err == nil {
		t.Errorf("runAsNonRoot with uid 0: no error")
	}
	if _, _, _, err := user(&corev1.Pod{}, &corev1.Container{}, &image{Ref: "y", Config: imageConfig{User: "nobody"}}); err == nil {
		t.Errorf("a user name: no error")
	}
}

func TestImageName(t *testing.T) {
	s := &imageStore{prefix: "tweetflow-"}
	for in, want := range map[string]string{
		"ghcr.io/tweetflow/tweetflow-ingest:v1":       "ingest",
		"localhost:5001/tweetflow/tweetflow-clean":    "clean",
		"argoexec:v3.7.18":                            "argoexec",
		"reg/tweetflow-train@sha256:0123456789abcdef": "train",
	} {
		if got := s.imageName(in); got != want {
			t.Errorf("imageName(%q) = %q, want %q", in, got, want)
		}
	}
}
