package install

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/tweetflow/tweetflow/hack/argo-local/internal/kube"
)

// Bucket is the chart's default bucket: its artifact repository (where the
// wait containers archive logs) and where the demo data goes.
const Bucket = "tweetflow"

// DemoPrefix is where UploadDemo puts the demo data: the training
// template's sources parameter is s3://tweetflow/demo/semeval.
const DemoPrefix = "demo/semeval/"

// S3 is the MinIO instance of argo-local.
type S3 struct {
	Endpoint  string // host:port, plain HTTP
	AccessKey string
	SecretKey string
}

// Client returns a MinIO client for s.
func (s S3) Client() (*minio.Client, error) {
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, "")})
	if err != nil {
		return nil, fmt.Errorf("MinIO client for %s: %w", s.Endpoint, err)
	}
	return c, nil
}

// chartKinds are the kinds of the chart's output that make sense without a
// cluster's add-ons: no Deployments (there is no image registry or
// scheduler here) and no CronWorkflow.
var chartKinds = map[string]bool{"WorkflowTemplate": true, "ConfigMap": true, "Secret": true, "ServiceAccount": true, "Role": true, "RoleBinding": true}

// required are the objects a training run cannot do without; Chart fails
// when the chart's output lacks one (prefixes of Kind/name).
var required = []string{"WorkflowTemplate/tweetflow-training", "ConfigMap/artifact-repositories", "Secret/tweetflow-s3", "Role/", "RoleBinding/", "ServiceAccount/"}

// Chart renders charts/tweetflow of repo with `helm template` (helm is the
// binary's path) for namespace ns and the MinIO instance s3, and returns
// the objects to apply with their "Kind/name", sorted.
func Chart(ctx context.Context, helm, repo, ns string, s3 S3) ([]*unstructured.Unstructured, []string, error) {
	cmd := exec.CommandContext(ctx, helm, "template", "tweetflow", filepath.Join(repo, "charts/tweetflow"),
		"--namespace", ns, "--set", "fullnameOverride=tweetflow",
		"--set", "s3.endpoint="+s3.Endpoint, "--set", "s3.insecure=true",
		"--set", "s3.accessKey="+s3.AccessKey, "--set", "s3.secretKey="+s3.SecretKey,
		"--set", "server.enabled=false", "--set", "image.tag=argo-local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("helm template: %w\n%s", err, stderr.String())
	}
	objs, err := kube.Decode(bytes.NewReader(out))
	if err != nil {
		return nil, nil, fmt.Errorf("decoding helm template output: %w", err)
	}
	var keep []*unstructured.Unstructured
	var kinds []string
	for _, o := range objs {
		if chartKinds[o.GetKind()] {
			keep = append(keep, o)
			kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		}
	}
	sort.Strings(kinds)
	for _, want := range required {
		found := false
		for _, k := range kinds {
			found = found || strings.HasPrefix(k, want)
		}
		if !found {
			return nil, nil, fmt.Errorf("helm template output lacks %s (it has %s)", want, strings.Join(kinds, ", "))
		}
	}
	return keep, kinds, nil
}

// ApplyChart renders the chart (Chart) and applies its objects to
// namespace ns of the API server cfg (server-side apply: running it again
// updates them). It returns the applied objects' "Kind/name".
func ApplyChart(ctx context.Context, cfg *rest.Config, helm, repo, ns string, s3 S3) ([]string, error) {
	objs, kinds, err := Chart(ctx, helm, repo, ns, s3)
	if err != nil {
		return nil, err
	}
	a, err := kube.NewApplier(cfg)
	if err != nil {
		return nil, err
	}
	if err := a.Apply(ctx, ns, objs); err != nil {
		return nil, fmt.Errorf("applying the chart's %s: %w", strings.Join(kinds, ", "), err)
	}
	return kinds, nil
}

// EnsureBucket creates bucket if it is missing.
func EnsureBucket(ctx context.Context, c *minio.Client, bucket string) error {
	ok, err := c.BucketExists(ctx, bucket)
	if err != nil {
		return fmt.Errorf("MinIO at %s: %w", c.EndpointURL().Host, err)
	}
	if !ok {
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			return fmt.Errorf("creating bucket %q: %w", bucket, err)
		}
	}
	return nil
}

// UploadDemo creates Bucket if needed and puts repo's
// testdata/demo/semeval/*.txt under DemoPrefix. It returns the local files.
func UploadDemo(ctx context.Context, c *minio.Client, repo string) ([]string, error) {
	if err := EnsureBucket(ctx, c, Bucket); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(repo, "testdata/demo/semeval/*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) < 2 {
		return nil, fmt.Errorf("demo data: %d files in %s, want the SemEval train and test files", len(files), filepath.Join(repo, "testdata/demo/semeval"))
	}
	for _, f := range files {
		if _, err := c.FPutObject(ctx, Bucket, DemoPrefix+filepath.Base(f), f, minio.PutObjectOptions{}); err != nil {
			return nil, fmt.Errorf("uploading %s: %w", f, err)
		}
	}
	return files, nil
}
