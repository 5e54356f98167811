//go:build argo

// Package e2e runs tweetflow's compiled WorkflowTemplates on the real Argo
// engine that hack/argo-local/argo-local.sh starts (kube-apiserver, Argo's
// workflow-controller and argoexec v3.7.18, MinIO, the kubelet stand-in
// running the component images), against the chart's resources from the
// real `helm template` output. Run it with `make test-argo`, or after
// `argo-local.sh up` with its `env` exported:
//
//	eval "$(hack/argo-local/argo-local.sh env)"
//	cd hack/argo-local && go test -tags argo -count=1 -v ./e2e
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	wfclient "github.com/argoproj/argo-workflows/v3/pkg/client/clientset/versioned"
	"github.com/minio/minio-go/v7"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tweetflow/tweetflow/hack/argo-local/internal/install"
	"github.com/tweetflow/tweetflow/hack/argo-local/internal/kube"
)

const bucket = install.Bucket

// cluster is the argo-local instance the test talks to.
type cluster struct {
	repo      string
	ns        string
	cfg       *rest.Config
	kube      kubernetes.Interface
	wf        wfclient.Interface
	s3        *minio.Client
	endpoint  string
	accessKey string
	secretKey string
	kubelet   string // the kubelet stand-in's state folder
}

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: start the engine with hack/argo-local/argo-local.sh up and export its env (or run make test-argo)", name)
	}
	return v
}

func setup(t *testing.T) *cluster {
	t.Helper()
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{repo: repo, ns: env(t, "ARGO_LOCAL_NAMESPACE"), endpoint: env(t, "ARGO_LOCAL_S3_ENDPOINT"),
		accessKey: env(t, "ARGO_LOCAL_S3_ACCESS_KEY"), secretKey: env(t, "ARGO_LOCAL_S3_SECRET_KEY"),
		kubelet: env(t, "ARGO_LOCAL_KUBELET_DIR")}
	c.cfg, err = clientcmd.BuildConfigFromFlags("", env(t, "KUBECONFIG"))
	if err != nil {
		t.Fatalf("reading KUBECONFIG: %v", err)
	}
	c.kube = kubernetes.NewForConfigOrDie(c.cfg)
	c.wf = wfclient.NewForConfigOrDie(c.cfg)
	c.s3, err = c.s3cfg().Client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// installChart applies the chart's resources that make sense without a
// cluster's add-ons (WorkflowTemplates, the artifact repository ConfigMap,
// the S3 Secret, the service account and its RBAC) from `helm template`,
// as `argo-local.sh up` does.
func (c *cluster) installChart(t *testing.T, ctx context.Context) {
	t.Helper()
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Fatalf("helm is not on PATH (hack/install-tools.sh builds it into the tools cache): %v", err)
	}
	kinds, err := install.ApplyChart(ctx, c.cfg, helm, c.repo, c.ns, c.s3cfg())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied from helm template: %s", strings.Join(kinds, ", "))
}

func (c *cluster) s3cfg() install.S3 {
	return install.S3{Endpoint: c.endpoint, AccessKey: c.accessKey, SecretKey: c.secretKey}
}

// ensureBucket creates the chart's bucket (its artifact repository, where
// the wait containers archive the logs) if it is missing.
func (c *cluster) ensureBucket(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := install.EnsureBucket(ctx, c.s3, bucket); err != nil {
		t.Fatal(err)
	}
}

// uploadDemo puts the demo data at s3://tweetflow/demo/semeval/.
func (c *cluster) uploadDemo(t *testing.T, ctx context.Context) []string {
	t.Helper()
	files, err := install.UploadDemo(ctx, c.s3, c.repo)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// checkArgoCLI checks that Argo's own CLI (built by build.sh for
// developers, against argo-local's kubeconfig) sees wf as the test does:
// `argo list` names it and `argo get -o json` gives its phase and nodes.
func (c *cluster) checkArgoCLI(t *testing.T, ctx context.Context, wf *wfv1.Workflow) {
	t.Helper()
	argo, err := exec.LookPath("argo")
	if err != nil {
		t.Errorf("the argo CLI is not on PATH (hack/argo-local/build.sh builds it into the tools cache): %v", err)
		return
	}
	run := func(args ...string) []byte {
		cmd := exec.CommandContext(ctx, argo, append(args, "--namespace", c.ns)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("argo %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	if out := run("list", "-o", "name"); !slices.Contains(strings.Fields(string(out)), wf.Name) {
		t.Errorf("argo list -o name does not name %s:\n%s", wf.Name, out)
	}
	var got wfv1.Workflow
	if err := json.Unmarshal(run("get", wf.Name, "-o", "json"), &got); err != nil {
		t.Errorf("argo get %s -o json: %v", wf.Name, err)
		return
	}
	if got.Status.Phase != wf.Status.Phase || len(got.Status.Nodes) != len(wf.Status.Nodes) {
		t.Errorf("argo get %s: phase %s with %d nodes, the API has %s with %d", wf.Name, got.Status.Phase, len(got.Status.Nodes), wf.Status.Phase, len(wf.Status.Nodes))
	}
	t.Logf("argo CLI: list names %s; get: %s, %d nodes", wf.Name, got.Status.Phase, len(got.Status.Nodes))
}

// submit creates a Workflow of the WorkflowTemplate with params.
func (c *cluster) submit(t *testing.T, ctx context.Context, template string, params map[string]string) *wfv1.Workflow {
	t.Helper()
	return c.submitAs(t, ctx, template, "", params)
}

// submitAs is submit with the workflow's service account (empty: the template's).
func (c *cluster) submitAs(t *testing.T, ctx context.Context, template, serviceAccount string, params map[string]string) *wfv1.Workflow {
	t.Helper()
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var ps []wfv1.Parameter
	for _, k := range names {
		ps = append(ps, wfv1.Parameter{Name: k, Value: wfv1.AnyStringPtr(params[k])})
	}
	wf := &wfv1.Workflow{
		ObjectMeta: metav1.ObjectMeta{GenerateName: template + "-", Namespace: c.ns},
		Spec: wfv1.WorkflowSpec{WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: template}, ServiceAccountName: serviceAccount,
			Arguments: wfv1.Arguments{Parameters: ps}},
	}
	created, err := c.wf.ArgoprojV1alpha1().Workflows(c.ns).Create(ctx, wf, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("submitting %s: %v", template, err)
	}
	t.Logf("submitted %s (%v)", created.Name, params)
	return created
}

// wait waits until the workflow has finished and returns it; on a timeout
// it reports the nodes and the logs of the failed pods.
func (c *cluster) wait(t *testing.T, ctx context.Context, name string, timeout time.Duration) *wfv1.Workflow {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var wf *wfv1.Workflow
	for {
		var err error
		wf, err = c.wf.ArgoprojV1alpha1().Workflows(c.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if wf.Status.Phase.Completed() {
			break
		}
		if time.Now().After(deadline) {
			c.dump(t, wf)
			t.Fatalf("workflow %s still %s after %s", name, wf.Status.Phase, timeout)
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("workflow %s: %s in %.0fs (%s)", name, wf.Status.Phase, time.Since(start).Seconds(), wf.Status.Message)
	return wf
}

// dump logs every node and the container logs of failed pods.
func (c *cluster) dump(t *testing.T, wf *wfv1.Workflow) {
	t.Helper()
	var lines []string
	for _, n := range wf.Status.Nodes {
		lines = append(lines, fmt.Sprintf("  %-40s %-8s %-10s %s", n.DisplayName, n.Type, n.Phase, n.Message))
	}
	sort.Strings(lines)
	t.Logf("nodes of %s:\n%s", wf.Name, strings.Join(lines, "\n"))
	pods, err := c.kube.CoreV1().Pods(c.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "workflows.argoproj.io/workflow=" + wf.Name})
	if err != nil {
		return
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodSucceeded {
			continue
		}
		logs, _ := filepath.Glob(filepath.Join(c.kubelet, "pods", string(p.UID), "logs", "*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Logf("pod %s (%s) %s:\n%s", p.Name, p.Status.Phase, filepath.Base(l), b)
		}
	}
}

// node returns the workflow node of a DAG task by its display name: the
// Retry node when the template has a retryStrategy, else the Pod or
// Skipped node.
func node(t *testing.T, wf *wfv1.Workflow, display string) wfv1.NodeStatus {
	t.Helper()
	var found []wfv1.NodeStatus
	for _, n := range wf.Status.Nodes {
		if n.DisplayName == display {
			found = append(found, n)
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		return found[i].Type == wfv1.NodeTypeRetry && found[j].Type != wfv1.NodeTypeRetry
	})
	if len(found) == 0 {
		t.Fatalf("workflow %s has no node %q", wf.Name, display)
	}
	return found[0]
}

func outputParam(n wfv1.NodeStatus, name string) (string, bool) {
	if n.Outputs == nil {
		return "", false
	}
	for _, p := range n.Outputs.Parameters {
		if p.Name == name && p.Value != nil {
			return p.Value.String(), true
		}
	}
	return "", false
}

// objects lists the object keys under prefix.
func (c *cluster) objects(ctx context.Context, prefix string) []string {
	var keys []string
	for o := range c.s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err == nil {
			keys = append(keys, o.Key)
		}
	}
	return keys
}

func trainingParams(runID, minROC string) map[string]string {
	return map[string]string{
		"sources": "s3://" + bucket + "/demo/semeval", "run-id": runID,
		"dim": "32", "embed-epochs": "1", "epochs": "3",
		"min-roc-auc": minROC, "min-pr-auc": "0.3",
	}
}

// applyFile server-side applies the manifests of a repository file in the
// test namespace.
func applyFile(t *testing.T, ctx context.Context, c *cluster, rel string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.repo, rel))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kube.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	a, err := kube.NewApplier(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, c.ns, objs); err != nil {
		t.Fatalf("applying %s: %v", rel, err)
	}
}

// TestTrainingOnArgo runs the training pipeline twice on the real engine:
// a gate that passes (export and image build run) and an impossible
// threshold (the gate fails, export and image build are skipped).
func TestTrainingOnArgo(t *testing.T) {
	c := setup(t)
	ctx := context.Background()
	c.installChart(t, ctx)
	files := c.uploadDemo(t, ctx)
	stamp := strconv.FormatInt(time.Now().Unix(), 36)
	passRun := "" // the run of gate-passes, whose steps gate-fails finds in the step cache
	// The scoring pipeline (not in the chart) is applied from its generated
	// file now, minutes before its subtest submits it: the controller
	// resolves workflowTemplateRef from its informer cache, and a template
	// applied a few milliseconds before the submission was once "not
	// found" (hack/argo-local/README.md, engine differences).
	applyFile(t, ctx, c, "pipelines/scoring/generated/workflowtemplate.yaml")

	t.Run("gate-passes", func(t *testing.T) {
		runID := "argo-pass-" + stamp
		sub := c.submit(t, ctx, "tweetflow-training", trainingParams(runID, "0.5"))
		// A retry after a step killed once: the train component's process is
		// SIGKILLed in its first attempt, as the OOM killer would.
		killed := make(chan error, 1)
		killCtx, stopKill := context.WithCancel(ctx)
		defer stopKill()
		go func() { killed <- c.killOnce(killCtx, sub.Name, "train(0)", "train") }()
		wf := c.wait(t, ctx, sub.Name, 40*time.Minute)
		stopKill()
		killErr := <-killed
		if wf.Status.Phase != wfv1.WorkflowSucceeded {
			c.dump(t, wf)
			t.Fatalf("workflow %s: %s: %s", wf.Name, wf.Status.Phase, wf.Status.Message)
		}
		c.checkArgoCLI(t, ctx, wf)
		gate := node(t, wf, "evaluate-gate")
		if gate.Phase != wfv1.NodeSucceeded {
			t.Errorf("evaluate-gate: %s (%s)", gate.Phase, gate.Message)
		}
		if v, _ := outputParam(gate, "passed"); v != "true" {
			t.Errorf("evaluate-gate passed = %q, want true", v)
		}
		for _, m := range []string{"roc-auc", "pr-auc"} {
			v, _ := outputParam(gate, m)
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0.3 || f > 1 {
				t.Errorf("evaluate-gate %s = %q: want a number in [0.3, 1]", m, v)
			}
		}
		if g := wf.Status.Outputs; g == nil {
			t.Errorf("the workflow has no global outputs (evaluate-gate-passed)")
		} else {
			found := false
			for _, p := range g.Parameters {
				if p.Name == "evaluate-gate-passed" && p.Value != nil && p.Value.String() == "true" {
					found = true
				}
			}
			if !found {
				t.Errorf("global output evaluate-gate-passed is not true: %+v", g.Parameters)
			}
		}
		for _, step := range []string{"export-onnx", "build-serving-image"} {
			if n := node(t, wf, step); n.Phase != wfv1.NodeSucceeded {
				t.Errorf("%s: %s, want Succeeded after a passing gate", step, n.Phase)
			}
		}
		if keys := c.objects(ctx, "runs/"+runID+"/export-onnx/onnx/"); len(keys) == 0 {
			t.Errorf("no ONNX model under s3://%s/runs/%s/export-onnx/onnx/", bucket, runID)
		}
		// The ingest fan-out: one item per demo file, each writing its shard.
		items := 0
		for _, n := range wf.Status.Nodes {
			if strings.HasPrefix(n.DisplayName, "ingest(") && n.Type == wfv1.NodeTypeRetry {
				items++
				if n.Phase != wfv1.NodeSucceeded {
					t.Errorf("%s: %s", n.DisplayName, n.Phase)
				}
			}
		}
		if items != len(files) {
			t.Errorf("ingest fanned out to %d items, want one per demo file (%d)", items, len(files))
		}
		for i := range files {
			// `tweetflow shards plan` numbers the shards with four digits.
			if keys := c.objects(ctx, fmt.Sprintf("runs/%s/ingest/tweets/shard-%04d/", runID, i)); len(keys) == 0 {
				t.Errorf("ingest item %d wrote nothing under runs/%s/ingest/tweets/shard-%04d/", i, runID, i)
			}
		}
		c.checkRunsListing(t, runID)

		// The killed attempt failed with 137 and the retry succeeded.
		if killErr != nil {
			t.Errorf("killing train's first attempt: %v", killErr)
		} else {
			var attempts []string
			failed137 := false
			for _, n := range wf.Status.Nodes {
				if n.TemplateName == "train" && n.Type == wfv1.NodeTypePod {
					attempts = append(attempts, fmt.Sprintf("%s %s %q", n.DisplayName, n.Phase, n.Message))
					failed137 = failed137 || (n.Phase == wfv1.NodeFailed && strings.Contains(n.Message, "137"))
				}
			}
			sort.Strings(attempts)
			t.Logf("train attempts: %s", strings.Join(attempts, "; "))
			if len(attempts) != 2 || !failed137 {
				t.Errorf("train: want 2 attempts, the first Failed with exit code 137, got %v", attempts)
			}
			if n := node(t, wf, "train"); n.Phase != wfv1.NodeSucceeded {
				t.Errorf("train: %s after its retry", n.Phase)
			}
		}
		passRun = runID
	})

	// The scoring pipeline (applied above, run under the chart's service
	// account) scores two demo files with the model gate-passes exported.
	t.Run("scoring", func(t *testing.T) {
		if passRun == "" {
			t.Skip("gate-passes did not finish: no exported model")
		}
		runID := "argo-score-" + stamp
		sub := c.submitAs(t, ctx, "tweetflow-scoring", "tweetflow-workflow", map[string]string{
			"store": "s3://" + bucket, "run-id": runID,
			"tweets": "s3://" + bucket + "/demo/semeval/twitter-2014sarcasm-A.txt,s3://" + bucket + "/demo/semeval/twitter-2015train-A.txt",
			"model":  "s3://" + bucket + "/runs/" + passRun + "/export-onnx/onnx",
		})
		wf := c.wait(t, ctx, sub.Name, 20*time.Minute)
		if wf.Status.Phase != wfv1.WorkflowSucceeded {
			c.dump(t, wf)
			t.Fatalf("workflow %s: %s: %s", wf.Name, wf.Status.Phase, wf.Status.Message)
		}
		for i := 0; i < 2; i++ {
			s := c.summary(t, ctx, runID, fmt.Sprintf("score-%04d", i))
			if s.Status != "succeeded" {
				t.Errorf("score-%04d: summary status %q", i, s.Status)
			}
			if keys := c.objects(ctx, fmt.Sprintf("runs/%s/score/scores/shard-%04d/", runID, i)); len(keys) == 0 {
				t.Errorf("score item %d wrote nothing under runs/%s/score/scores/shard-%04d/", i, runID, i)
			}
		}
	})

	t.Run("gate-fails", func(t *testing.T) {
		runID := "argo-fail-" + stamp
		wf := c.wait(t, ctx, c.submit(t, ctx, "tweetflow-training", trainingParams(runID, "1")).Name, 40*time.Minute)
		// A failed gate fails the workflow: its skipped last step
		// (build-serving-image) takes the failed gate's phase, and only a
		// last step's own continueOn is honoured (assessDAGPhase in
		// workflow/controller/dag.go). Found here first; `tweetflow run`
		// succeeded on the same workflow until its executor did the same
		// (pipelines/run TestRunGateFailureSkipsConditionalSteps,
		// pipelines/training TestLocalRunOfTheTemplate/fail).
		if wf.Status.Phase != wfv1.WorkflowFailed {
			c.dump(t, wf)
			t.Errorf("workflow %s: %s (%s): Argo v3.7.18 fails the DAG of a failed gate, and so does tweetflow run; if this changed, change pipelines/run's assess too", wf.Name, wf.Status.Phase, wf.Status.Message)
		}
		gate := node(t, wf, "evaluate-gate")
		if gate.Phase != wfv1.NodeFailed {
			t.Errorf("evaluate-gate: %s, want Failed with min-roc-auc 1", gate.Phase)
		}
		if v, _ := outputParam(gate, "passed"); v != "false" {
			t.Errorf("evaluate-gate passed = %q, want false", v)
		}
		pods := 0
		for _, n := range wf.Status.Nodes {
			if n.TemplateName == "evaluate-gate" && n.Type == wfv1.NodeTypePod {
				pods++
			}
		}
		if pods != 1 {
			t.Errorf("the gate ran %d times: a verdict (exit 3) must not be retried", pods)
		}
		for _, step := range []string{"export-onnx", "build-serving-image"} {
			if n := node(t, wf, step); n.Phase != wfv1.NodeSkipped {
				t.Errorf("%s: %s, want Skipped after a failing gate", step, n.Phase)
			}
		}
		if keys := c.objects(ctx, "runs/"+runID+"/export-onnx/"); len(keys) != 0 {
			t.Errorf("export wrote %v after a failing gate", keys)
		}
		// The step cache on a resubmit: the same data and parameters up to
		// train, so those steps restore gate-passes' outputs; the gate's
		// threshold changed, so it runs.
		if passRun == "" {
			t.Log("gate-passes did not finish: no step cache check")
			return
		}
		if s := c.summary(t, ctx, runID, "evaluate-gate"); s.Status != "gate-failed" || s.Cache == "hit" {
			t.Errorf("evaluate-gate: summary status %q cache %q, want gate-failed and run (not restored)", s.Status, s.Cache)
		}
		for step, want := range map[string]string{"clean": "hit", "balance-split": "hit", "embed": "hit", "train": "hit"} {
			s := c.summary(t, ctx, runID, step)
			if s.Cache != want {
				t.Errorf("%s: step cache %q, want %q", step, s.Cache, want)
			}
			if want == "hit" && fmt.Sprint(s.Extra["cached_from"]) != passRun+"/"+step {
				t.Errorf("%s: cached_from %v, want %s/%s", step, s.Extra["cached_from"], passRun, step)
			}
		}
	})
}

// stepSummary is the part of a component's _summary.json the test reads.
type stepSummary struct {
	Status string         `json:"status"`
	Cache  string         `json:"cache"`
	Extra  map[string]any `json:"extra"`
}

// summary reads runs/<run>/<step>/_summary.json from MinIO.
func (c *cluster) summary(t *testing.T, ctx context.Context, runID, step string) stepSummary {
	t.Helper()
	var s stepSummary
	key := "runs/" + runID + "/" + step + "/_summary.json"
	o, err := c.s3.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err == nil {
		defer o.Close()
		err = json.NewDecoder(o).Decode(&s)
	}
	if err != nil {
		t.Errorf("reading s3://%s/%s: %v", bucket, key, err)
	}
	return s
}

// killOnce waits for the pod of the workflow node whose name ends with
// nodeSuffix to run its main container, then SIGKILLs the process named
// comm in it (the component, a child of Argo's emissary, which then
// reports exit code 137), once.
func (c *cluster) killOnce(ctx context.Context, wf, nodeSuffix, comm string) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the %s process of %s was never seen running", comm, nodeSuffix)
		case <-time.After(200 * time.Millisecond):
		}
		pods, err := c.kube.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: "workflows.argoproj.io/workflow=" + wf})
		if err != nil {
			continue
		}
		for _, p := range pods.Items {
			if !strings.HasSuffix(p.Annotations["workflows.argoproj.io/node-name"], "."+nodeSuffix) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(c.kubelet, "pods", string(p.UID), "main.pid"))
			if err != nil {
				continue
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			if pid, ok := findProcess(pid, comm); ok {
				if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
					return fmt.Errorf("killing %s (pid %d): %w", comm, pid, err)
				}
				return nil
			}
		}
	}
}

// findProcess returns the PID of the process named comm among root and its
// descendants.
func findProcess(root int, comm string) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", root))
	if err != nil {
		return 0, false
	}
	if strings.TrimSpace(string(b)) == comm {
		return root, true
	}
	// Any thread may have forked a child (Go's os/exec does): read them all.
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", root))
	for _, t := range tasks {
		kids, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(kids)) {
			k, _ := strconv.Atoi(f)
			if pid, ok := findProcess(k, comm); ok {
				return pid, true
			}
		}
	}
	return 0, false
}

// checkRunsListing runs `tweetflow runs` against the MinIO store: the run
// that Argo executed is listed like a local one.
func (c *cluster) checkRunsListing(t *testing.T, runID string) {
	t.Helper()
	cli := filepath.Join(c.repo, "bin", "tweetflow")
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("%s: %v (make build)", cli, err)
	}
	cmd := exec.Command(cli, "runs", "--store", "s3://"+bucket, "--json")
	cmd.Env = append(os.Environ(), "TWEETFLOW_S3_ENDPOINT="+c.endpoint, "TWEETFLOW_S3_ACCESS_KEY="+c.accessKey,
		"TWEETFLOW_S3_SECRET_KEY="+c.secretKey, "TWEETFLOW_S3_INSECURE=true", "TWEETFLOW_S3_PATH_STYLE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tweetflow runs: %v\n%s", err, out)
	}
	var runs []map[string]any
	if err := json.Unmarshal(out, &runs); err != nil {
		t.Fatalf("tweetflow runs --json: %v\n%s", err, out)
	}
	for _, r := range runs {
		if fmt.Sprint(r["run_id"]) == runID {
			t.Logf("tweetflow runs lists %s: %v", runID, r)
			return
		}
	}
	t.Errorf("tweetflow runs does not list %s:\n%s", runID, out)
}
