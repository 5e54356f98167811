package submit

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// FromKubeconfig builds a Config from a kubeconfig file with client-go's
// loading rules: path when set, else $KUBECONFIG, else ~/.kube/config.
// context picks a context (empty: the current one); namespace overrides the
// context's namespace ("default" when neither is set). The HTTP client
// carries the TLS settings and credentials (tokens, client certificates,
// exec plugins), so Config.Token stays empty.
func FromKubeconfig(path, context, namespace string) (Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	rc, err := cc.ClientConfig()
	if err != nil {
		return Config{}, fmt.Errorf("loading kubeconfig %q: %w", path, err)
	}
	if namespace == "" {
		if namespace, _, err = cc.Namespace(); err != nil {
			return Config{}, fmt.Errorf("loading kubeconfig %q: reading the namespace: %w", path, err)
		}
	}
	return fromRest(rc, namespace)
}

// InCluster builds a Config from the pod's service account (token, CA and,
// when namespace is empty, namespace).
func InCluster(namespace string) (Config, error) {
	rc, err := rest.InClusterConfig()
	if err != nil {
		return Config{}, fmt.Errorf("loading the in-cluster config: %w", err)
	}
	if namespace == "" {
		cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(&clientcmd.ClientConfigLoadingRules{}, &clientcmd.ConfigOverrides{})
		if namespace, _, err = cc.Namespace(); err != nil || namespace == "" {
			namespace = "default"
		}
	}
	return fromRest(rc, namespace)
}

func fromRest(rc *rest.Config, namespace string) (Config, error) {
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return Config{}, fmt.Errorf("building the HTTP client for %q: %w", rc.Host, err)
	}
	if namespace == "" {
		namespace = "default"
	}
	return Config{Server: rc.Host, Namespace: namespace, HTTPClient: hc}, nil
}
