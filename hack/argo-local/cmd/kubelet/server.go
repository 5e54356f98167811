package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/kubelet/pkg/cri/streaming/remotecommand"
)

// streamIdleTimeout is the kubelet's default streaming-connection-idle-timeout.
const streamIdleTimeout = 4 * time.Hour

// serverTLS returns the TLS config of the kubelet's API: its serving
// certificate, and client certificates required and verified against the
// CA bundle (the kube-apiserver's --kubelet-client-certificate), as a
// kubelet with --client-ca-file and anonymous auth off does. Any client
// with a certificate of that CA may exec and read logs: there is no
// authorization (a kubelet asks the API server with a SubjectAccessReview).
func serverTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("serving certificate %s / key %s: %w", certFile, keyFile, err)
	}
	pem, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("client CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("client CA file %s holds no PEM certificate", clientCAFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// serve runs the kubelet's API on l with cfg until the listener closes.
func (k *kubelet) serve(l net.Listener, cfg *tls.Config) error {
	srv := &http.Server{Handler: k.handler(), TLSConfig: cfg, ReadHeaderTimeout: 30 * time.Second}
	return srv.ServeTLS(l, "", "")
}

// handler serves the two kubelet endpoints the API server proxies pods/exec
// and pods/log to:
//
//	/exec/{namespace}/{pod}[/{uid}]/{container}?command=...&input=1&output=1&error=1&tty=1
//	/containerLogs/{namespace}/{pod}/{container}?follow&tailLines&limitBytes&timestamps&sinceSeconds&sinceTime&previous
func (k *kubelet) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/exec/", func(w http.ResponseWriter, req *http.Request) {
		parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/exec/"), "/")
		if len(parts) != 3 && len(parts) != 4 {
			http.Error(w, "want /exec/{namespace}/{pod}[/{uid}]/{container}", http.StatusNotFound)
			return
		}
		ns, pod, container := parts[0], parts[1], parts[len(parts)-1]
		r := k.podByName(ns, pod)
		if r == nil || (len(parts) == 4 && string(r.pod.UID) != parts[2]) {
			http.Error(w, fmt.Sprintf("pod %q in namespace %q is not on this node", pod, ns), http.StatusNotFound)
			return
		}
		if !hasContainer(r.pod, container) {
			http.Error(w, fmt.Sprintf("container %q is not in pod %q", container, pod), http.StatusNotFound)
			return
		}
		opts, err := remotecommand.NewOptions(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		cmd := req.URL.Query()[corev1.ExecCommandParam]
		r.logf("exec in %s: %q (from %s)", container, cmd, req.RemoteAddr)
		remotecommand.ServeExec(w, req, podExecutor{r}, ns+"/"+pod, r.pod.UID, container, cmd, opts,
			streamIdleTimeout, remotecommandconsts.DefaultStreamCreationTimeout, remotecommandconsts.SupportedStreamingProtocols)
	})
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, req *http.Request) {
		parts := strings.Split(strings.TrimPrefix(req.URL.Path, "/containerLogs/"), "/")
		if len(parts) != 3 {
			http.Error(w, "want /containerLogs/{namespace}/{pod}/{container}", http.StatusNotFound)
			return
		}
		k.serveLogs(w, req, parts[0], parts[1], parts[2])
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

// podByName returns the pod on this node with that namespace and name (the
// one not being deleted when a pod of the same name replaces it).
func (k *kubelet) podByName(ns, name string) *podRun {
	k.mu.Lock()
	defer k.mu.Unlock()
	var found *podRun
	for _, r := range k.pods {
		if r.pod.Namespace == ns && r.pod.Name == name && (found == nil || found.deleting) {
			found = r
		}
	}
	return found
}

func hasContainer(p *corev1.Pod, name string) bool {
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			if c.Name == name {
				return true
			}
		}
	}
	return false
}
