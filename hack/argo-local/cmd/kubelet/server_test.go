package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// testPKI writes a CA, a serving certificate for 127.0.0.1 and a client
// certificate (both signed by the CA) into dir, as argo-local.sh does with
// openssl, and returns the PEM of the CA and of the client's certificate
// and key.
func testPKI(t *testing.T, dir string) (caPEM, clientCert, clientKey []byte) {
	t.Helper()
	key := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	caKey, _ := key()
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		k, keyPEM := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
			NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	srvCert, srvKey := issue(2, "system:node:argo-local", x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	clientCert, clientKey = issue(3, "kube-apiserver-kubelet-client", x509.ExtKeyUsageClientAuth, nil)
	for name, b := range map[string][]byte{"ca.crt": caPEM, "kubelet.crt": srvCert, "kubelet.key": srvKey} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caPEM, clientCert, clientKey
}

// The kubelet API runs commands in a running container the way a
// container runtime's exec does (its PID namespace, root, env and user;
// stdout, stderr and the exit code through the real remotecommand SPDY
// protocol), signals its PID 1 like Argo's `argoexec kill 15 1`, and serves
// its log with tailLines, limitBytes, timestamps, sinceTime and follow.
func TestExecAndLogs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the kubelet stand-in creates mount and PID namespaces")
	}
	tmp := t.TempDir()
	images := probeImages(t, tmp)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: types.UID("uid-exec")},
		Spec: corev1.PodSpec{NodeName: "argo-local", Containers: []corev1.Container{{Name: "main", Image: "probe",
			Args: []string{"on-term", "say", "a", "say", "b", "warn", "c", "sleep", "120"},
			Env:  []corev1.EnvVar{{Name: "FROM_POD", Value: "pod-env"}}}}},
	}
	c := fake.NewSimpleClientset(pod)
	root := filepath.Join(tmp, "kubelet")
	k := newTestKubelet(c, root, images)
	r := newPodRun(k, pod)
	k.pods[pod.UID] = r
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.run(ctx)
	t.Cleanup(func() { r.terminate(0) })

	caPEM, cert, key := testPKI(t, tmp)
	tlsCfg, err := serverTLS(filepath.Join(tmp, "kubelet.crt"), filepath.Join(tmp, "kubelet.key"), filepath.Join(tmp, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { _ = k.serve(l, tlsCfg) }()
	base := "https://" + l.Addr().String()
	cfg := &rest.Config{Host: base, TLSClientConfig: rest.TLSClientConfig{CAData: caPEM, CertData: cert, KeyData: key}}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}

	execIn := func(container string, cmd ...string) (string, string, error) {
		q := url.Values{"output": {"1"}, "error": {"1"}, "command": cmd}
		u, _ := url.Parse(base + "/exec/ns/p/" + container + "?" + q.Encode())
		x, err := remotecommand.NewSPDYExecutor(cfg, "POST", u)
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		ectx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = x.StreamWithContext(ectx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
		return stdout.String(), stderr.String(), err
	}
	// An exec as soon as the container is started runs in its root, even
	// if its first process is still setting it up.
	for start := time.Now(); r.container("main") == nil; time.Sleep(time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the container was not started in 30 s")
		}
	}
	if out, errOut, err := execIn("main", "probe", "print", "/etc/hostname"); err != nil || out != "file /etc/hostname: \"p\\n\" <nil>\n" {
		t.Errorf("exec right after the start: %q %q %v, want the container's /etc/hostname", out, errOut, err)
	}
	// The container has written its three lines and sleeps.
	logFile := filepath.Join(root, "pods", "uid-exec", "logs", "main.log")
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if b, _ := os.ReadFile(logFile); string(b) == "a\nb\nc\n" {
			break
		}
		if time.Since(start) > 30*time.Second {
			b, _ := os.ReadFile(logFile)
			t.Fatalf("the container did not start: log %q", b)
		}
	}

	exitCode := func(err error) int {
		var e utilexec.ExitError
		if errors.As(err, &e) {
			return e.ExitStatus()
		}
		return -1
	}
	for _, tc := range []struct {
		name        string
		cmd         []string
		out, errOut string // regular expressions
		code        int
	}{
		// A PID of its own in the container's PID namespace (PID 1 is the
		// container's), the image's user.
		{"identity", []string{"probe", "id"}, `^id uid=65532 gid=65532 groups=\[\] pid=([2-9]|\d\d+)\n$`, `^$`, 0},
		// The container's environment, from the image and from the pod.
		{"env", []string{"/usr/local/bin/probe", "env", "FROM_IMAGE", "env", "FROM_POD"}, `^env FROM_IMAGE="yes"\nenv FROM_POD="pod-env"\n$`, `^$`, 0},
		// Its root: /etc/hostname is the pod's, and its /proc shows its PID 1.
		{"root", []string{"probe", "print", "/etc/hostname", "print", "/proc/1/cmdline"},
			`^file /etc/hostname: "p\\n" <nil>\nfile /proc/1/cmdline: "/usr/local/bin/probe\\x00on-term`, `^$`, 0},
		{"stderr and exit code", []string{"probe", "say", "out", "warn", "oops", "code", "3"}, `^out\n$`, `^oops\n$`, 3},
		{"missing command", []string{"nope"}, `^$`, `exec in container: finding nope in PATH`, 127},
	} {
		out, errOut, err := execIn("main", tc.cmd...)
		if code := exitCode(err); (tc.code == 0 && err != nil) || (tc.code != 0 && code != tc.code) {
			t.Errorf("%s: exec %q: %v (exit code %d), want exit code %d; stderr %q", tc.name, tc.cmd, err, code, tc.code, errOut)
		}
		if !regexp.MustCompile(tc.out).MatchString(out) || !regexp.MustCompile(tc.errOut).MatchString(errOut) {
			t.Errorf("%s: exec %q: stdout %q stderr %q, want %s and %s", tc.name, tc.cmd, out, errOut, tc.out, tc.errOut)
		}
	}
	if _, _, err := execIn("nosuch", "probe", "id"); err == nil {
		t.Errorf("exec in a container the pod does not have: no error")
	}
	// Without a client certificate of the CA: refused.
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tlsCfg.ClientCAs}}}
	if resp, err := anon.Get(base + "/containerLogs/ns/p/main"); err == nil {
		resp.Body.Close()
		t.Errorf("a client without a certificate got %s", resp.Status)
	}

	get := func(query string) string {
		resp, err := client.Get(base + "/containerLogs/ns/p/main?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("logs?%s: %s %v: %s", query, resp.Status, err, b)
		}
		return string(b)
	}
	for query, want := range map[string]string{
		"":                               "a\nb\nc\n",
		"tailLines=2":                    "b\nc\n",
		"tailLines=0":                    "",
		"limitBytes=3":                   "a\nb",
		"tailLines=1&limitBytes=100":     "c\n",
		"sinceTime=2999-01-01T00:00:00Z": "",
	} {
		if got := get(query); got != want {
			t.Errorf("logs?%s = %q, want %q", query, got, want)
		}
	}
	stamped := get("timestamps=true")
	lines := strings.SplitAfter(strings.TrimSuffix(stamped, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("logs?timestamps=true = %q: want 3 lines", stamped)
	}
	for i, l := range lines {
		ts, text, _ := strings.Cut(l, " ")
		when, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || time.Since(when) > time.Minute || time.Since(when) < 0 || strings.TrimSpace(text) != string(rune('a'+i)) {
			t.Errorf("timestamped line %d = %q (%v): want a recent RFC 3339 time and %q", i, l, err, string(rune('a'+i)))
		}
	}
	for query, status := range map[string]int{"previous=true": http.StatusBadRequest, "tailLines=x": http.StatusBadRequest} {
		resp, err := client.Get(base + "/containerLogs/ns/p/main?" + query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("logs?%s: %s, want %d", query, resp.Status, status)
		}
	}

	// follow: the lines so far, then the new ones until the container
	// exits. Argo's controller stops a container this way: it execs
	// `argoexec kill 15 1` in it, which signals the container's PID 1.
	resp, err := client.Get(base + "/containerLogs/ns/p/main?follow=true&tailLines=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	followed := make(chan string, 1)
	br := bufio.NewReader(resp.Body)
	if first, err := br.ReadString('\n'); err != nil || first != "c\n" {
		t.Fatalf("follow: first line %q %v, want the last line so far", first, err)
	}
	go func() {
		rest, _ := io.ReadAll(br)
		followed <- string(rest)
	}()
	start := time.Now()
	out, errOut, err := execIn("main", "probe", "kill", "15", "1")
	if err != nil || out != "kill 15 1: <nil>\n" {
		t.Errorf("exec kill 15 1: %q %q %v", out, errOut, err)
	}
	select {
	case rest := <-followed:
		if rest != "terminated\n" {
			t.Errorf("follow: after the kill %q, want %q", rest, "terminated\n")
		}
		t.Logf("exec kill 15 1 -> container exited -> follow ended: %s", time.Since(start).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		t.Fatalf("follow did not end 30 s after the container was signalled")
	}
	<-r.done
	got, err := c.CoreV1().Pods("ns").Get(context.Background(), "p", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if term := got.Status.ContainerStatuses[0].State.Terminated; term == nil || term.ExitCode != 143 {
		t.Errorf("main after SIGTERM: %+v, want exit code 143", term)
	}
	if _, _, err := execIn("main", "probe", "id"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("exec in an exited container: %v, want an error saying it is not running", err)
	}
	// The log stays readable after the container has exited.
	if got := get("follow=true"); got != "a\nb\nc\nterminated\n" {
		t.Errorf("logs of the exited container = %q", got)
	}
}
