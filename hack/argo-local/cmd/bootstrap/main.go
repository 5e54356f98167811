// Command bootstrap prepares a bare kube-apiserver for Argo Workflows, in
// place of a controller manager and `kubectl apply`: the namespace, its
// default ServiceAccount and kube-root-ca.crt ConfigMap, Argo's CRDs and
// any other manifests (server-side applied), then waits until the
// Workflow kind is served.
//
//	bootstrap --kubeconfig run/kubeconfig --namespace tweetflow --ca run/pki/ca.crt \
//	    --manifests crds/,controller-configmap.yaml
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tweetflow/tweetflow/hack/argo-local/internal/kube"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the API server")
	namespace := flag.String("namespace", "", "namespace to create (required)")
	ca := flag.String("ca", "", "PEM file of the cluster CA, for the kube-root-ca.crt ConfigMap (required)")
	manifests := flag.String("manifests", "", "comma-separated YAML files or folders (their *.yaml files, sorted) to apply after the namespace")
	flag.Parse()
	if err := run(*kubeconfig, *namespace, *ca, *manifests); err != nil {
		fmt.Fprintln(os.Stderr, "error: bootstrap:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, namespace, caFile, manifests string) error {
	if namespace == "" || caFile == "" {
		return fmt.Errorf("--namespace and --ca are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("reading kubeconfig %q: %w", kubeconfig, err)
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("reading CA: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := kube.Bootstrap(ctx, kubernetes.NewForConfigOrDie(cfg), namespace, ca); err != nil {
		return err
	}
	var objs []*unstructured.Unstructured
	for _, m := range strings.Split(manifests, ",") {
		if m == "" {
			continue
		}
		files := []string{m}
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			files, _ = filepath.Glob(filepath.Join(m, "*.yaml"))
		}
		for _, f := range files {
			if filepath.Base(f) == "kustomization.yaml" {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			o, err := kube.Decode(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("reading %s: %w", f, err)
			}
			objs = append(objs, o...)
		}
	}
	a, err := kube.NewApplier(cfg)
	if err != nil {
		return err
	}
	if err := a.Apply(ctx, namespace, objs); err != nil {
		return err
	}
	// The controller fails at start-up when the Workflow kind is not served yet.
	dyn := dynamic.NewForConfigOrDie(cfg)
	wf := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "workflows"}
	for {
		_, err := dyn.Resource(wf).Namespace(namespace).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("workflows.argoproj.io is not served: %w", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	fmt.Printf("bootstrap: namespace %s ready with %d manifests applied\n", namespace, len(objs))
	return nil
}
