package chartcheck_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
)

var update = flag.Bool("update", false, "copy the generated WorkflowTemplates into the chart (charts/tweetflow/files)")

const (
	release   = "tf"
	namespace = "ml"
	fullname  = "tf-tweetflow"
)

var (
	root     = filepath.Join("..", "..")
	chartDir = filepath.Join(root, "charts", "tweetflow")
)

// pipeline is a compiled pipeline the chart ships: the generated
// WorkflowTemplate and its copy in the chart's files/.
type pipeline struct {
	name      string // the WorkflowTemplate's name
	generated string
	chartCopy string
}

var (
	training = pipeline{
		name:      "tweetflow-training",
		generated: filepath.Join(root, "pipelines", "training", "generated", "workflowtemplate.yaml"),
		chartCopy: filepath.Join(chartDir, "files", "workflowtemplate.yaml"),
	}
	labeling = pipeline{
		name:      "tweetflow-labeling",
		generated: filepath.Join(root, "pipelines", "labeling", "generated", "workflowtemplate.yaml"),
		chartCopy: filepath.Join(chartDir, "files", "labeling-workflowtemplate.yaml"),
	}
	pipelines = []pipeline{training, labeling}
)

// allFeatures turns every optional feature on.
var allFeatures = []string{
	"--set", "minio.enabled=true",
	"--set", "server.autoscaling.enabled=true",
	"--set", "server.model=s3://tweetflow/models/demo",
	"--set", "image.pullSecrets={regcred}",
	"--set", "image.tag=1.2.3",
	"--set", "workflow.parameters.sources=s3://tweetflow/demo",
	"--set", "workflow.parameters.labels=binary",
	"--set", "workflow.labeling.parameters.rules=s3://tweetflow/rules/ai-tweets.rules.yaml",
	"--set", "workflow.labeling.parameters.label-model=majority",
	"--set", "workflow.activeDeadlineSeconds=7200",
	"--set", "schedule.enabled=true",
	"--set", "schedule.parameters.sources=s3://tweetflow/raw/latest",
	"--set", "postgres.dsn=postgres://tweetflow:secret@db:5432/tweetflow",
	"--set", "score.enabled=true",
	"--set", "score.model=s3://tweetflow/runs/r1/export-onnx/onnx",
	"--set", "score.tweets=s3://tweetflow/incoming",
	"--set", "dashboard.enabled=true",
	"--set", "dashboard.metrics=s3://tweetflow/runs/r1/evaluate-gate/metrics",
	"--set", "annotate.enabled=true",
	"--set", "annotate.labels={AI,OTHER}",
}

// tool finds a pinned tool in the cache bin folder or on PATH, or skips
// (fails with TWEETFLOW_REQUIRE_TOOLS=1).
func tool(t *testing.T, name string) string {
	t.Helper()
	cache := os.Getenv("TWEETFLOW_CACHE")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache", "tweetflow")
		}
	}
	if p := filepath.Join(cache, "bin", name); cache != "" {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found in %s/bin or on PATH: run hack/install-tools.sh", name, cache)
	if os.Getenv("TWEETFLOW_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// helmTemplate renders the chart; it returns helm's output and error text.
func helmTemplate(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	helm := tool(t, "helm")
	cmd := exec.Command(helm, append([]string{"template", release, chartDir, "--namespace", namespace}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("helm template %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// manifests are the decoded objects of one rendering, by kind.
type manifests struct {
	deployments  []appsv1.Deployment
	services     []corev1.Service
	configMaps   []corev1.ConfigMap
	secrets      []corev1.Secret
	accounts     []corev1.ServiceAccount
	claims       []corev1.PersistentVolumeClaim
	roles        []rbacv1.Role
	bindings     []rbacv1.RoleBinding
	hpas         []autoscalingv2.HorizontalPodAutoscaler
	templates    []wfv1.WorkflowTemplate
	crons        []wfv1.CronWorkflow
	raw          [][]byte
	namespaces   map[string]string // kind/name -> namespace
	labelsByName map[string]map[string]string
}

// render renders the chart and decodes every document strictly into its
// Kubernetes or Argo type; an unknown field or kind fails the test.
func render(t *testing.T, args ...string) *manifests {
	t.Helper()
	out, err := helmTemplate(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, out)
}

func decode(t *testing.T, out []byte) *manifests {
	t.Helper()
	m := &manifests{namespaces: map[string]string{}, labelsByName: map[string]map[string]string{}}
	r := apiyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("splitting rendered YAML: %v", err)
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string            `json:"name"`
				Namespace string            `json:"namespace"`
				Labels    map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("decoding document header: %v\n%s", err, doc)
		}
		if head.Kind == "" {
			continue // an empty document (comments only)
		}
		var into any
		switch head.APIVersion + " " + head.Kind {
		case "apps/v1 Deployment":
			m.deployments = append(m.deployments, appsv1.Deployment{})
			into = &m.deployments[len(m.deployments)-1]
		case "v1 Service":
			m.services = append(m.services, corev1.Service{})
			into = &m.services[len(m.services)-1]
		case "v1 ConfigMap":
			m.configMaps = append(m.configMaps, corev1.ConfigMap{})
			into = &m.configMaps[len(m.configMaps)-1]
		case "v1 Secret":
			m.secrets = append(m.secrets, corev1.Secret{})
			into = &m.secrets[len(m.secrets)-1]
		case "v1 ServiceAccount":
			m.accounts = append(m.accounts, corev1.ServiceAccount{})
			into = &m.accounts[len(m.accounts)-1]
		case "v1 PersistentVolumeClaim":
			m.claims = append(m.claims, corev1.PersistentVolumeClaim{})
			into = &m.claims[len(m.claims)-1]
		case "rbac.authorization.k8s.io/v1 Role":
			m.roles = append(m.roles, rbacv1.Role{})
			into = &m.roles[len(m.roles)-1]
		case "rbac.authorization.k8s.io/v1 RoleBinding":
			m.bindings = append(m.bindings, rbacv1.RoleBinding{})
			into = &m.bindings[len(m.bindings)-1]
		case "autoscaling/v2 HorizontalPodAutoscaler":
			m.hpas = append(m.hpas, autoscalingv2.HorizontalPodAutoscaler{})
			into = &m.hpas[len(m.hpas)-1]
		case "argoproj.io/v1alpha1 WorkflowTemplate":
			m.templates = append(m.templates, wfv1.WorkflowTemplate{})
			into = &m.templates[len(m.templates)-1]
		case "argoproj.io/v1alpha1 CronWorkflow":
			m.crons = append(m.crons, wfv1.CronWorkflow{})
			into = &m.crons[len(m.crons)-1]
		default:
			t.Fatalf("unexpected %s %s %q: add it to the strict decoding", head.APIVersion, head.Kind, head.Metadata.Name)
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("decoding %s %q strictly: %v", head.Kind, head.Metadata.Name, err)
		}
		key := head.Kind + "/" + head.Metadata.Name
		if _, dup := m.namespaces[key]; dup {
			t.Errorf("%s rendered twice", key)
		}
		m.namespaces[key] = head.Metadata.Namespace
		m.labelsByName[key] = head.Metadata.Labels
		m.raw = append(m.raw, doc)
	}
	return m
}

// workflowTemplate is the rendered WorkflowTemplate of a pipeline.
func (m *manifests) workflowTemplate(t *testing.T, p pipeline) *wfv1.WorkflowTemplate {
	t.Helper()
	for i := range m.templates {
		if m.templates[i].Name == p.name {
			return &m.templates[i]
		}
	}
	t.Fatalf("no WorkflowTemplate %q", p.name)
	return nil
}

// templateNames are the names of the rendered WorkflowTemplates, sorted.
func (m *manifests) templateNames() []string {
	var names []string
	for _, wt := range m.templates {
		names = append(names, wt.Name)
	}
	slices.Sort(names)
	return names
}

func (m *manifests) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	for i := range m.deployments {
		if m.deployments[i].Name == name {
			return &m.deployments[i]
		}
	}
	t.Fatalf("no Deployment %q", name)
	return nil
}

// secretNames are the Secrets the rendering creates.
func (m *manifests) secretKeys() map[string][]string {
	out := map[string][]string{}
	for _, s := range m.secrets {
		keys := []string{}
		for k := range s.Data {
			keys = append(keys, k)
		}
		for k := range s.StringData {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out[s.Name] = keys
	}
	return out
}

func TestChartCopyOfWorkflowTemplate(t *testing.T) {
	for _, p := range pipelines {
		t.Run(p.name, func(t *testing.T) {
			want, err := os.ReadFile(p.generated)
			if err != nil {
				t.Fatalf("reading the compiled pipeline (make generate writes it): %v", err)
			}
			if *update {
				if err := os.WriteFile(p.chartCopy, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(p.chartCopy)
			if err != nil {
				t.Fatalf("%v: run 'make generate' or 'go test ./internal/chartcheck -run TestChartCopy -update'", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s: run 'go test ./internal/chartcheck -run TestChartCopy -update'", p.chartCopy, p.generated)
			}
			// The copy is the pipeline the chart renders under this name.
			var wt wfv1.WorkflowTemplate
			if err := yaml.Unmarshal(got, &wt); err != nil || wt.Name != p.name {
				t.Errorf("%s: WorkflowTemplate %q (%v), want %q", p.chartCopy, wt.Name, err, p.name)
			}
		})
	}
}

func TestRenderDefaults(t *testing.T) {
	m := render(t)
	checkCommon(t, m)
	if len(m.hpas) != 0 || len(m.claims) != 0 || len(m.deployments) != 1 {
		t.Errorf("defaults render %d HPAs, %d PVCs, %d Deployments; want 0, 0, 1 (server only)", len(m.hpas), len(m.claims), len(m.deployments))
	}
	d := m.deployment(t, fullname+"-server")
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("server replicas = %v, want 2", d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "ghcr.io/tweetflow/tweetflow-serve:0.1.0" {
		t.Errorf("server image %q", c.Image)
	}
	if slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--model") }) {
		t.Errorf("server args %q: no --model without server.model", c.Args)
	}
	checkServeArgs(t, c.Args)
	// Without MinIO or keys, the Secret carries no credentials (AWS's own
	// chain, e.g. IRSA, provides them).
	if keys := m.secretKeys()[fullname+"-s3"]; !reflect.DeepEqual(keys, []string{"insecure", "path-style", "region"}) {
		t.Errorf("S3 secret keys = %q", keys)
	}
	if names := m.templateNames(); !slices.Equal(names, []string{labeling.name, training.name}) {
		t.Errorf("WorkflowTemplates %q, want the training and the labeling pipeline's", names)
	}
	for _, p := range pipelines {
		checkWorkflowTemplate(t, p, m.workflowTemplate(t, p), "ghcr.io/tweetflow/tweetflow-", "0.1.0", fullname+"-s3", map[string]string{"store": "s3://tweetflow"})
	}
	// The label stage runs in its own image, named after its command.
	if !slices.Contains(containerImages(m.workflowTemplate(t, labeling)), "ghcr.io/tweetflow/tweetflow-label:0.1.0") {
		t.Errorf("labeling pipeline images %q lack the label component's", containerImages(m.workflowTemplate(t, labeling)))
	}
	repo := artifactRepository(t, m)
	if !repo.S3.UseSDKCreds {
		t.Error("without keys the artifact repository should use the AWS SDK's credentials")
	}
	if repo.S3.Endpoint != "s3.us-east-1.amazonaws.com" || repo.S3.Insecure == nil || *repo.S3.Insecure {
		t.Errorf("artifact repository endpoint %q insecure %v, want AWS over TLS", repo.S3.Endpoint, repo.S3.Insecure)
	}
}

func TestRenderAllFeatures(t *testing.T) {
	m := render(t, allFeatures...)
	checkCommon(t, m)
	d := m.deployment(t, fullname+"-server")
	if d.Spec.Replicas != nil {
		t.Errorf("server replicas = %d with an HPA; want them left to the HPA", *d.Spec.Replicas)
	}
	if len(m.hpas) != 1 {
		t.Fatalf("%d HPAs, want 1", len(m.hpas))
	}
	h := m.hpas[0]
	if ref := h.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || ref.Name != d.Name {
		t.Errorf("HPA targets %+v, want Deployment %q", ref, d.Name)
	}
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || h.Spec.MaxReplicas < *h.Spec.MinReplicas ||
		len(h.Spec.Metrics) != 1 || h.Spec.Metrics[0].Resource.Name != corev1.ResourceCPU {
		t.Errorf("HPA spec %+v", h.Spec)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "ghcr.io/tweetflow/tweetflow-serve:1.2.3" || !slices.Contains(c.Args, "--model=s3://tweetflow/models/demo") {
		t.Errorf("server image %q args %q", c.Image, c.Args)
	}
	checkServeArgs(t, c.Args)
	if ps := d.Spec.Template.Spec.ImagePullSecrets; len(ps) != 1 || ps[0].Name != "regcred" {
		t.Errorf("server pull secrets %v", ps)
	}

	minio := m.deployment(t, fullname+"-minio")
	if len(m.claims) != 1 || minio.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim == nil ||
		minio.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != m.claims[0].Name {
		t.Errorf("MinIO data volume %+v, claims %d", minio.Spec.Template.Spec.Volumes, len(m.claims))
	}
	if minio.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("MinIO strategy %q, want Recreate (one writer of the volume)", minio.Spec.Strategy.Type)
	}
	if ls := minio.Spec.Template.Spec.Containers[0].Lifecycle; ls == nil || ls.PostStart == nil || ls.PostStart.Exec == nil ||
		!slices.Contains(ls.PostStart.Exec.Command, "/data/tweetflow") {
		t.Errorf("MinIO does not create the bucket: lifecycle %+v", ls)
	}
	// MinIO's generated keys are in the S3 secret, next to its endpoint.
	secret := fullname + "-s3"
	if keys := m.secretKeys()[secret]; !reflect.DeepEqual(keys, []string{"access-key", "endpoint", "insecure", "path-style", "region", "secret-key"}) {
		t.Errorf("S3 secret keys = %q", keys)
	}
	for _, s := range m.secrets {
		if s.Name == secret {
			if got, want := string(s.Data["endpoint"]), fullname+"-minio."+namespace+".svc:9000"; got != want {
				t.Errorf("S3 endpoint %q, want %q", got, want)
			}
			if string(s.Data["insecure"]) != "true" || len(s.Data["secret-key"]) < 16 {
				t.Errorf("S3 insecure %q, secret key of %d bytes", s.Data["insecure"], len(s.Data["secret-key"]))
			}
		}
	}
	// Each pipeline gets its own parameter defaults (labels=binary is the
	// training pipeline's only), and both the shared workflow settings.
	checkWorkflowTemplate(t, training, m.workflowTemplate(t, training), "ghcr.io/tweetflow/tweetflow-", "1.2.3", secret,
		map[string]string{"store": "s3://tweetflow", "sources": "s3://tweetflow/demo", "labels": "binary"})
	checkWorkflowTemplate(t, labeling, m.workflowTemplate(t, labeling), "ghcr.io/tweetflow/tweetflow-", "1.2.3", secret,
		map[string]string{"store": "s3://tweetflow", "rules": "s3://tweetflow/rules/ai-tweets.rules.yaml", "label-model": "majority"})
	for _, wt := range m.templates {
		if wt.Spec.ActiveDeadlineSeconds == nil || *wt.Spec.ActiveDeadlineSeconds != 7200 {
			t.Errorf("%s: activeDeadlineSeconds = %v", wt.Name, wt.Spec.ActiveDeadlineSeconds)
		}
		if ps := wt.Spec.ImagePullSecrets; len(ps) != 1 || ps[0].Name != "regcred" {
			t.Errorf("%s: workflow pull secrets %v", wt.Name, ps)
		}
	}
	repo := artifactRepository(t, m)
	if repo.S3.Endpoint != fullname+"-minio."+namespace+".svc:9000" || repo.S3.Insecure == nil || !*repo.S3.Insecure {
		t.Errorf("artifact repository endpoint %q insecure %v, want the chart's MinIO over HTTP", repo.S3.Endpoint, repo.S3.Insecure)
	}
}

func TestRenderExistingSecret(t *testing.T) {
	m := render(t, "--set", "s3.existingSecret=team-s3", "--set", "minio.enabled=true", "--set", "minio.persistence.enabled=false")
	checkCommon(t, m)
	if len(m.secrets) != 0 {
		t.Errorf("rendered %d Secrets with s3.existingSecret; want none", len(m.secrets))
	}
	if len(m.claims) != 0 || m.deployment(t, fullname+"-minio").Spec.Template.Spec.Volumes[0].EmptyDir == nil {
		t.Errorf("minio.persistence.enabled=false should use an emptyDir, not a claim")
	}
	for _, p := range pipelines {
		checkWorkflowTemplate(t, p, m.workflowTemplate(t, p), "ghcr.io/tweetflow/tweetflow-", "0.1.0", "team-s3", map[string]string{"store": "s3://tweetflow"})
	}
}

// TestRenderPipelinesSwitched checks the switches of the WorkflowTemplates:
// workflow.labeling.enabled drops the labeling pipeline only,
// workflow.enabled every pipeline and its service account and RBAC, and
// values without workflow.labeling (a release upgraded with --reuse-values
// from an older chart) keep the labeling pipeline with its compiled
// defaults.
func TestRenderPipelinesSwitched(t *testing.T) {
	for _, tc := range []struct {
		set  []string
		want []string
	}{
		{[]string{"workflow.labeling.enabled=false"}, []string{training.name}},
		{[]string{"workflow.enabled=false"}, nil},
		{[]string{"workflow.enabled=false", "workflow.labeling.enabled=true"}, nil},
		{[]string{"workflow.labeling=null"}, []string{labeling.name, training.name}},
	} {
		t.Run(strings.Join(tc.set, ","), func(t *testing.T) {
			t.Parallel()
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			m := render(t, args...)
			if names := m.templateNames(); !slices.Equal(names, tc.want) {
				t.Fatalf("WorkflowTemplates %q, want %q", names, tc.want)
			}
			if tc.want == nil {
				if len(m.accounts) != 0 || len(m.roles) != 0 || len(m.configMaps) != 0 {
					t.Errorf("workflow.enabled=false still renders %d service accounts, %d roles, %d ConfigMaps", len(m.accounts), len(m.roles), len(m.configMaps))
				}
				return
			}
			checkCommon(t, m)
			for _, p := range pipelines {
				if slices.Contains(tc.want, p.name) {
					checkWorkflowTemplate(t, p, m.workflowTemplate(t, p), "ghcr.io/tweetflow/tweetflow-", "0.1.0", fullname+"-s3", map[string]string{"store": "s3://tweetflow"})
				}
			}
		})
	}
}

// containerImages are the images of a WorkflowTemplate's containers.
func containerImages(wt *wfv1.WorkflowTemplate) []string {
	var images []string
	for _, tmpl := range wt.Spec.Templates {
		if tmpl.Container != nil {
			images = append(images, tmpl.Container.Image)
		}
	}
	return images
}

// checkCommon asserts what every rendering must hold.
func checkCommon(t *testing.T, m *manifests) {
	t.Helper()
	for key, ns := range m.namespaces {
		if ns != namespace {
			t.Errorf("%s in namespace %q, want %q", key, ns, namespace)
		}
		if l := m.labelsByName[key]; l["app.kubernetes.io/instance"] != release || l["app.kubernetes.io/part-of"] != "tweetflow" || l["helm.sh/chart"] == "" {
			t.Errorf("%s labels %v lack the chart's standard labels", key, l)
		}
	}
	secrets := m.secretKeys()
	existing := "" // a secret the chart does not create (s3.existingSecret)
	checkRef := func(where, name, key string) {
		t.Helper()
		keys, ok := secrets[name]
		if !ok {
			if existing == "" {
				existing = name
			}
			if name != existing {
				t.Errorf("%s refers to Secret %q; the chart renders %v and the only external one is %q", where, name, secrets, existing)
			}
			return
		}
		if !slices.Contains(keys, key) && !strings.Contains(where, "optional") {
			t.Errorf("%s refers to key %q of Secret %q, which has %q", where, key, name, keys)
		}
	}
	for _, d := range m.deployments {
		checkPod(t, "Deployment "+d.Name, &d.Spec.Template.Spec, checkRef)
		sel := d.Spec.Selector.MatchLabels
		for k, v := range sel {
			if d.Spec.Template.Labels[k] != v {
				t.Errorf("Deployment %s: selector %s=%s does not match the pod labels %v", d.Name, k, v, d.Spec.Template.Labels)
			}
		}
		if d.Spec.Template.Spec.AutomountServiceAccountToken == nil || *d.Spec.Template.Spec.AutomountServiceAccountToken {
			t.Errorf("Deployment %s mounts a service account token it does not need", d.Name)
		}
	}
	// Services select the pods of a Deployment and target a named port of it.
	for _, s := range m.services {
		found := false
		for _, d := range m.deployments {
			if matches(s.Spec.Selector, d.Spec.Template.Labels) {
				found = true
				for _, p := range s.Spec.Ports {
					if !hasPort(d.Spec.Template.Spec.Containers, p.TargetPort.String()) {
						t.Errorf("Service %s port %s targets %q, which Deployment %s does not expose", s.Name, p.Name, p.TargetPort.String(), d.Name)
					}
				}
			}
		}
		if !found || len(s.Spec.Selector) == 0 {
			t.Errorf("Service %s selects no Deployment (selector %v)", s.Name, s.Spec.Selector)
		}
	}
	// The server: probes, metrics annotations.
	d := m.deployment(t, fullname+"-server")
	c := d.Spec.Template.Spec.Containers[0]
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		want := map[string]string{"readiness": "/readyz", "liveness": "/healthz", "startup": "/healthz"}[name]
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || !hasPort([]corev1.Container{c}, p.HTTPGet.Port.String()) {
			t.Errorf("server %s probe %+v, want GET %s on a container port", name, p, want)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("server resources %+v: want CPU requests and a memory limit", c.Resources)
	}
	ann := d.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || ann["prometheus.io/port"] != fmt.Sprint(c.Ports[0].ContainerPort) {
		t.Errorf("server pod annotations %v: want Prometheus scraping of /metrics on port %d", ann, c.Ports[0].ContainerPort)
	}
	// The workflows: they run as the one service account, which exists and
	// has the executor role.
	if len(m.templates) == 0 {
		t.Fatal("no WorkflowTemplate")
	}
	sa := m.templates[0].Spec.ServiceAccountName
	for _, wt := range m.templates {
		if wt.Spec.ServiceAccountName != sa {
			t.Errorf("WorkflowTemplate %s runs as %q, %s as %q: want one service account", wt.Name, wt.Spec.ServiceAccountName, m.templates[0].Name, sa)
		}
	}
	if len(m.accounts) != 1 || m.accounts[0].Name != sa {
		t.Errorf("WorkflowTemplates run as %q; service accounts rendered: %v", sa, m.accounts)
	}
	if len(m.roles) != 1 || len(m.bindings) != 1 {
		t.Fatalf("%d Roles and %d RoleBindings, want 1 each", len(m.roles), len(m.bindings))
	}
	rules := m.roles[0].Rules
	if len(rules) != 1 || !slices.Equal(rules[0].APIGroups, []string{"argoproj.io"}) ||
		!slices.Equal(rules[0].Resources, []string{"workflowtaskresults"}) || !slices.Equal(rules[0].Verbs, []string{"create", "patch"}) {
		t.Errorf("executor role rules %+v: want workflowtaskresults create, patch (Argo v3.7 emissary)", rules)
	}
	b := m.bindings[0]
	if b.RoleRef.Kind != "Role" || b.RoleRef.Name != m.roles[0].Name || len(b.Subjects) != 1 ||
		b.Subjects[0].Kind != "ServiceAccount" || b.Subjects[0].Name != sa || b.Subjects[0].Namespace != namespace {
		t.Errorf("role binding %+v does not bind role %q to service account %q", b, m.roles[0].Name, sa)
	}
	for _, wt := range m.templates {
		for _, tmpl := range wt.Spec.Templates {
			if tmpl.Container == nil {
				continue
			}
			for _, e := range tmpl.Container.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					r := e.ValueFrom.SecretKeyRef
					where := "WorkflowTemplate " + wt.Name + " template " + tmpl.Name + " env " + e.Name
					if r.Optional != nil && *r.Optional {
						where += " (optional)"
					}
					checkRef(where, r.Name, r.Key)
				}
			}
		}
	}
	// Argo's artifact repository refers to the S3 secret's keys.
	repo := artifactRepository(t, m)
	if repo.S3.AccessKeySecret != nil {
		checkRef("artifact repository access key", repo.S3.AccessKeySecret.Name, repo.S3.AccessKeySecret.Key)
		checkRef("artifact repository secret key", repo.S3.SecretKeySecret.Name, repo.S3.SecretKeySecret.Key)
	}
	if repo.S3.Bucket != "tweetflow" || !strings.HasPrefix(repo.S3.KeyFormat, "runs/{{workflow.uid}}/") {
		t.Errorf("artifact repository bucket %q keyFormat %q", repo.S3.Bucket, repo.S3.KeyFormat)
	}
}

// checkPod asserts the hardening of every container of a pod.
func checkPod(t *testing.T, where string, pod *corev1.PodSpec, checkRef func(where, name, key string)) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v, want runAsNonRoot and the RuntimeDefault seccomp profile", where, psc)
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		checkContainer(t, where+" container "+c.Name, c.SecurityContext)
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				r := e.ValueFrom.SecretKeyRef
				w := where + " env " + e.Name
				if r.Optional != nil && *r.Optional {
					w += " (optional)"
				}
				checkRef(w, r.Name, r.Key)
			}
		}
		for _, vm := range c.VolumeMounts {
			if !slices.ContainsFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == vm.Name }) {
				t.Errorf("%s container %s mounts volume %q, which the pod lacks", where, c.Name, vm.Name)
			}
		}
	}
}

func checkContainer(t *testing.T, where string, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("%s: security context %+v, want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop ALL", where, sc)
	}
}

// checkWorkflowTemplate compares the rendered template with the compiled
// pipeline p: the same DAG, templates and parameters, with only the
// release's overrides (images, secret, security, service account, defaults).
func checkWorkflowTemplate(t *testing.T, p pipeline, got *wfv1.WorkflowTemplate, imagePrefix, tag, secret string, params map[string]string) {
	t.Helper()
	b, err := os.ReadFile(p.generated)
	if err != nil {
		t.Fatal(err)
	}
	var want wfv1.WorkflowTemplate
	if err := yaml.UnmarshalStrict(b, &want); err != nil {
		t.Fatalf("decoding %s: %v", p.generated, err)
	}
	if got.Name != want.Name || got.Spec.Entrypoint != want.Spec.Entrypoint || len(got.Spec.Templates) != len(want.Spec.Templates) {
		t.Fatalf("rendered template %q (entrypoint %q, %d templates), compiled %q (%q, %d)",
			got.Name, got.Spec.Entrypoint, len(got.Spec.Templates), want.Name, want.Spec.Entrypoint, len(want.Spec.Templates))
	}
	if err := validate.ValidateWorkflowTemplate(nil, nil, got, nil, validate.ValidateOpts{Lint: true}); err != nil {
		t.Errorf("Argo rejects the rendered WorkflowTemplate: %v", err)
	}
	checkPod(t, "WorkflowTemplate", &corev1.PodSpec{SecurityContext: got.Spec.SecurityContext}, nil)
	if got.Spec.TTLStrategy == nil || got.Spec.PodGC == nil {
		t.Errorf("ttlStrategy %v podGC %v: want both from the defaults", got.Spec.TTLStrategy, got.Spec.PodGC)
	}
	for i, gt := range got.Spec.Templates {
		wt := want.Spec.Templates[i]
		if !reflect.DeepEqual(gt.DAG, wt.DAG) || !reflect.DeepEqual(gt.Inputs, wt.Inputs) || !reflect.DeepEqual(gt.Outputs, wt.Outputs) ||
			!reflect.DeepEqual(gt.RetryStrategy, wt.RetryStrategy) || gt.Name != wt.Name {
			t.Errorf("template %q differs from the compiled one beyond the release's overrides", gt.Name)
		}
		if gt.Container == nil {
			continue
		}
		c, wc := gt.Container, wt.Container
		if !slices.Equal(c.Command, wc.Command) || !slices.Equal(c.Args, wc.Args) {
			t.Errorf("template %q: command/args changed", gt.Name)
		}
		if want := imagePrefix + filepath.Base(wc.Command[0]) + ":" + tag; c.Image != want {
			t.Errorf("template %q image %q, want %q", gt.Name, c.Image, want)
		}
		checkContainer(t, "WorkflowTemplate template "+gt.Name, c.SecurityContext)
		if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }) {
			t.Errorf("template %q: no writable /tmp under the read-only root", gt.Name)
		}
		var s3 []string
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "TWEETFLOW_S3_") {
				s3 = append(s3, e.Name)
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name != secret {
					t.Errorf("template %q env %s does not read Secret %q", gt.Name, e.Name, secret)
				}
			}
		}
		slices.Sort(s3)
		if want := []string{"TWEETFLOW_S3_ACCESS_KEY", "TWEETFLOW_S3_ENDPOINT", "TWEETFLOW_S3_INSECURE", "TWEETFLOW_S3_PATH_STYLE", "TWEETFLOW_S3_REGION", "TWEETFLOW_S3_SECRET_KEY"}; !slices.Equal(s3, want) {
			t.Errorf("template %q S3 env %q, want %q", gt.Name, s3, want)
		}
	}
	gp, wp := got.Spec.Arguments.Parameters, want.Spec.Arguments.Parameters
	if len(gp) != len(wp) {
		t.Fatalf("%d parameters, compiled %d", len(gp), len(wp))
	}
	for i := range gp {
		v := wp[i].Value.String()
		if o, ok := params[wp[i].Name]; ok {
			v = o
		}
		if gp[i].Name != wp[i].Name || gp[i].Value.String() != v || !reflect.DeepEqual(gp[i].Enum, wp[i].Enum) {
			t.Errorf("parameter %d: %s=%q, want %s=%q", i, gp[i].Name, gp[i].Value.String(), wp[i].Name, v)
		}
	}
}

func artifactRepository(t *testing.T, m *manifests) wfv1.ArtifactRepository {
	t.Helper()
	for _, cm := range m.configMaps {
		if cm.Name != "artifact-repositories" {
			continue
		}
		key := cm.Annotations["workflows.argoproj.io/default-artifact-repository"]
		data, ok := cm.Data[key]
		if !ok {
			t.Fatalf("artifact-repositories: default %q is not a key of %v", key, cm.Data)
		}
		var repo wfv1.ArtifactRepository
		if err := yaml.UnmarshalStrict([]byte(data), &repo); err != nil {
			t.Fatalf("decoding artifact repository %q strictly: %v", key, err)
		}
		if repo.S3 == nil || (repo.S3.AccessKeySecret == nil) != (repo.S3.SecretKeySecret == nil) ||
			(repo.S3.AccessKeySecret == nil) != repo.S3.UseSDKCreds {
			t.Fatalf("artifact repository %q: want s3 with both key refs, or useSDKCreds: %s", key, data)
		}
		return repo
	}
	t.Fatal("no artifact-repositories ConfigMap")
	return wfv1.ArtifactRepository{}
}

func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func hasPort(cs []corev1.Container, port string) bool {
	for _, c := range cs {
		for _, p := range c.Ports {
			if p.Name == port || fmt.Sprint(p.ContainerPort) == port {
				return true
			}
		}
	}
	return false
}

// TestValuesRejected checks that values.schema.json and the templates'
// own checks refuse bad values with a message naming the value.
func TestValuesRejected(t *testing.T) {
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"server.replicas=abc"}, "'/server/replicas': got string, want integer"},
		{[]string{"server.replicas=-1"}, "replicas"},
		{[]string{"image.pullPolicy=Sometimes"}, "pullPolicy"},
		{[]string{"server.replica=2"}, "additional properties 'replica' not allowed"},
		{[]string{"server.service.type=Ingress"}, "type"},
		{[]string{"s3.bucket=Bad_Bucket"}, "bucket"},
		{[]string{"s3.endpoint=http://minio:9000"}, "endpoint"},
		{[]string{"server.autoscaling.targetCPUUtilizationPercentage=150"}, "targetCPUUtilizationPercentage"},
		{[]string{"workflow.podGCStrategy=Never"}, "podGCStrategy"},
		{[]string{"workflow.parameters.sorces=s3://x"}, `workflow.parameters.sorces: the pipeline tweetflow-training has no parameter "sorces" (it has: store, `},
		{[]string{"workflow.parameters.format=xml"}, `workflow.parameters.format: "xml" is not one of auto, sentiment140`},
		// The labeling pipeline's defaults are checked against its own parameters.
		{[]string{"workflow.labeling.parameters.rule=s3://x/r.yaml"}, `workflow.labeling.parameters.rule: the pipeline tweetflow-labeling has no parameter "rule" (it has: store, `},
		{[]string{"workflow.labeling.parameters.golden=s3://x/g.csv", "workflow.labeling.parameters.min-auc=high"}, `workflow.labeling.parameters.min-auc: the pipeline tweetflow-labeling has no parameter "min-auc"`},
		// A parameter of the other pipeline is still unknown: rules is the
		// labeling pipeline's, dim the training pipeline's.
		{[]string{"workflow.parameters.rules=s3://x/r.yaml"}, `workflow.parameters.rules: the pipeline tweetflow-training has no parameter "rules"`},
		{[]string{"workflow.labeling.parameters.dim=auto"}, `workflow.labeling.parameters.dim: the pipeline tweetflow-labeling has no parameter "dim"`},
		{[]string{"workflow.labeling.parameters.label-model=snorkel"}, `workflow.labeling.parameters.label-model: "snorkel" is not one of majority, generative`},
		{[]string{"workflow.labeling.enable=false"}, "additional properties 'enable' not allowed"},
		{[]string{"workflow.labeling.enabled=no"}, "'/workflow/labeling/enabled': got string, want boolean"},
		{[]string{"server.autoscaling.enabled=true", "server.autoscaling.minReplicas=5", "server.autoscaling.maxReplicas=3"}, "minReplicas (5) is above maxReplicas (3)"},
	} {
		t.Run(strings.Join(tc.set, ","), func(t *testing.T) {
			t.Parallel()
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			_, err := helmTemplate(t, args...)
			if err == nil {
				t.Fatalf("helm template accepted %v", tc.set)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not name %q: %v", tc.want, err)
			}
		})
	}
}

func TestHelmLintStrict(t *testing.T) {
	helm := tool(t, "helm")
	for _, args := range [][]string{nil, allFeatures} {
		cmd := exec.Command(helm, append([]string{"lint", "--strict", chartDir}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("helm lint --strict %v: %v\n%s", args, err, out)
		}
	}
}

// TestValuesDocumented checks that every value in values.yaml has a
// comment: a key right after a "# -- " comment line (helm-docs style) is
// documented with its whole subtree; any other key must be a parent whose
// children are all documented. Plain comments (section headers) do not
// count.
func TestValuesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	documentedAt := -1 // indent of the documented ancestor, -1 for none
	prevComment := false
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			prevComment = false
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			prevComment = prevComment || strings.HasPrefix(trimmed, "# -- ")
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if documentedAt >= 0 && indent <= documentedAt {
			documentedAt = -1
		}
		if strings.HasPrefix(trimmed, "- ") || documentedAt >= 0 {
			prevComment = false
			continue // inside a documented value
		}
		key, value, ok := strings.Cut(trimmed, ":")
		if !ok {
			t.Errorf("values.yaml:%d: unexpected line %q", i+1, line)
			continue
		}
		switch {
		case prevComment:
			documentedAt = indent
		case strings.TrimSpace(value) != "":
			t.Errorf("values.yaml:%d: value %q has no comment", i+1, key)
		}
		prevComment = false
	}
}

// TestRenderServerAdminToken checks that server.adminToken.existingSecret
// hands the reload endpoint's bearer token to the server from the Secret,
// and that without it no token variable is rendered (the endpoint then
// answers 403 off loopback).
func TestRenderServerAdminToken(t *testing.T) {
	find := func(m *manifests) *corev1.EnvVar {
		for _, c := range m.deployment(t, fullname+"-server").Spec.Template.Spec.Containers {
			for i, e := range c.Env {
				if e.Name == "TWEETFLOW_ADMIN_TOKEN" {
					return &c.Env[i]
				}
			}
		}
		return nil
	}
	if e := find(render(t)); e != nil {
		t.Errorf("default values render TWEETFLOW_ADMIN_TOKEN: %+v", e)
	}
	m := render(t, "--set", "server.adminToken.existingSecret=reload-token", "--set", "server.adminToken.key=bearer")
	checkCommon(t, m)
	e := find(m)
	if e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
		t.Fatalf("TWEETFLOW_ADMIN_TOKEN not rendered from a Secret: %+v", e)
	}
	if ref := e.ValueFrom.SecretKeyRef; ref.Name != "reload-token" || ref.Key != "bearer" {
		t.Errorf("TWEETFLOW_ADMIN_TOKEN from %s/%s; want reload-token/bearer", ref.Name, ref.Key)
	}
}

// checkServeArgs: every server argument is a flag of serve's contract
// (in the harness), and the harness's store is the writable /tmp (the
// root filesystem is read-only).
func checkServeArgs(t *testing.T, args []string) {
	t.Helper()
	known := map[string]bool{}
	for _, f := range component.App(stages.Serve, nil, io.Discard, io.Discard).Flags {
		for _, n := range f.Names() {
			known[n] = true
		}
	}
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || !known[name] {
			t.Errorf("server arg %q is not a flag of serve", a)
		}
	}
	if !slices.Contains(args, "--store=/tmp/tweetflow") {
		t.Errorf("server args %q: want --store=/tmp/tweetflow", args)
	}
}
