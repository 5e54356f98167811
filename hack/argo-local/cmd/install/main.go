// Command install puts tweetflow into a running argo-local instance, as
// the e2e tests do: the chart's WorkflowTemplates, artifact repository,
// S3 Secret, service account and RBAC from `helm template`, the artifact
// bucket, and the demo data at s3://tweetflow/demo/semeval. argo-local.sh
// up runs it; running it again updates what it applied.
//
//	install --kubeconfig F --namespace tweetflow --repo R --helm H \
//	  --s3-endpoint 127.0.0.1:19000 --s3-access-key K --s3-secret-key S
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/tweetflow/tweetflow/hack/argo-local/internal/install"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the argo-local API server (required)")
	ns := flag.String("namespace", "", "namespace the workflow-controller watches (required)")
	repo := flag.String("repo", ".", "the tweetflow checkout (charts/tweetflow, testdata/demo)")
	helm := flag.String("helm", "helm", "helm binary")
	var s3 install.S3
	flag.StringVar(&s3.Endpoint, "s3-endpoint", "", "argo-local's MinIO, host:port (required)")
	flag.StringVar(&s3.AccessKey, "s3-access-key", "", "its access key (required)")
	flag.StringVar(&s3.SecretKey, "s3-secret-key", "", "its secret key (required)")
	flag.Parse()
	for name, v := range map[string]string{"kubeconfig": *kubeconfig, "namespace": *ns, "s3-endpoint": s3.Endpoint, "s3-access-key": s3.AccessKey, "s3-secret-key": s3.SecretKey} {
		if v == "" {
			fmt.Fprintf(os.Stderr, "install: --%s is required (argo-local.sh up passes it)\n", name)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *kubeconfig, *ns, *repo, *helm, s3); err != nil {
		fmt.Fprintln(os.Stderr, "install:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, ns, repo, helm string, s3 install.S3) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}
	kinds, err := install.ApplyChart(ctx, cfg, helm, repo, ns, s3)
	if err != nil {
		return err
	}
	fmt.Printf("install: applied from helm template: %s\n", strings.Join(kinds, ", "))
	c, err := s3.Client()
	if err != nil {
		return err
	}
	files, err := install.UploadDemo(ctx, c, repo)
	if err != nil {
		return err
	}
	fmt.Printf("install: %d demo files at s3://%s/%s\n", len(files), install.Bucket, install.DemoPrefix)
	return nil
}
