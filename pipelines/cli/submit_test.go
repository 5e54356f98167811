package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/tweetflow/tweetflow/pipelines/cli"
	"github.com/tweetflow/tweetflow/pipelines/training"
)

const (
	fakeNS    = "ml"
	fakeToken = "tok-123"
)

// fakeCluster answers the Kubernetes API paths of Argo's CRDs and the Argo
// Server's submit and get endpoints, with the compiled training template
// installed in namespace ml.
type fakeCluster struct {
	t      *testing.T
	tmpl   *wfv1.WorkflowTemplate
	phases []wfv1.WorkflowPhase

	mu       sync.Mutex
	requests []string
	created  []wfv1.Workflow
	argoSubs []map[string]any
	gets     int
}

func newFakeCluster(t *testing.T, tls bool, phases ...wfv1.WorkflowPhase) (*fakeCluster, *httptest.Server) {
	wt, err := training.Compile()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeCluster{t: t, tmpl: wt, phases: phases}
	srv := httptest.NewUnstartedServer(f)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		http.Error(w, `{"kind":"Status","code":401,"message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	k8s := "/apis/argoproj.io/v1alpha1/namespaces/" + fakeNS + "/"
	argo := "/api/v1/workflows/" + fakeNS
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == k8s+"workflowtemplates/"+f.tmpl.Name:
		reply(http.StatusOK, f.tmpl)
	case r.Method == http.MethodPost && r.URL.Path == k8s+"workflows":
		var wf wfv1.Workflow
		if err := json.NewDecoder(r.Body).Decode(&wf); err != nil {
			reply(http.StatusBadRequest, map[string]any{"message": err.Error()})
			return
		}
		wf.Name = wf.GenerateName + "abcde"
		f.created = append(f.created, wf)
		reply(http.StatusCreated, wf)
	case r.Method == http.MethodPost && r.URL.Path == argo+"/submit":
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(http.StatusBadRequest, map[string]any{"message": err.Error()})
			return
		}
		f.argoSubs = append(f.argoSubs, req)
		reply(http.StatusOK, wfv1.Workflow{ObjectMeta: wfMeta("tweetflow-training-argo1")})
	case r.Method == http.MethodGet && (strings.HasPrefix(r.URL.Path, k8s+"workflows/") || strings.HasPrefix(r.URL.Path, argo+"/")):
		wf := wfv1.Workflow{ObjectMeta: wfMeta(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])}
		wf.Status.Phase = f.phases[min(f.gets, len(f.phases)-1)]
		if wf.Status.Phase == wfv1.WorkflowFailed {
			wf.Status.Message = "child 'train' failed"
		}
		f.gets++
		reply(http.StatusOK, wf)
	default:
		reply(http.StatusNotFound, map[string]any{"kind": "Status", "code": 404, "message": "not found: " + r.URL.Path})
	}
}

func (f *fakeCluster) snapshot() ([]string, []wfv1.Workflow, []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...), append([]wfv1.Workflow(nil), f.created...), append([]map[string]any(nil), f.argoSubs...)
}

// kubeconfig writes a kubeconfig whose context "fake" points at srv with
// namespace ml and the fake token.
func kubeconfig(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: %q, insecure-skip-tls-verify: true}
- name: other
  cluster: {server: "http://127.0.0.1:1"}
users:
- name: fake
  user: {token: %q}
contexts:
- name: fake
  context: {cluster: fake, user: fake, namespace: %s}
- name: other
  context: {cluster: other, user: fake}
current-context: other
`, srv.URL, fakeToken, fakeNS)
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func clearSubmitEnv(t *testing.T) {
	for _, k := range []string{"KUBECONFIG", "ARGO_SERVER", "ARGO_TOKEN", "ARGO_NAMESPACE", "ARGO_SECURE", "TWEETFLOW_NAMESPACE", "KUBERNETES_SERVICE_HOST"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func TestSubmitThroughKubernetesAPI(t *testing.T) {
	clearSubmitEnv(t)
	f, srv := newFakeCluster(t, true, wfv1.WorkflowRunning, wfv1.WorkflowRunning, wfv1.WorkflowSucceeded)
	kc := kubeconfig(t, srv)
	code, stdout, stderr := tf(t, "submit", "--kubeconfig", kc, "--context", "fake",
		"-p", "sources=s3://tweetflow/raw/a.csv,s3://tweetflow/raw/b.csv", "-p", "labels=binary", "--wait", "--poll", "1ms")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "tweetflow-training-abcde\n") || !strings.Contains(stdout, "Succeeded") {
		t.Errorf("stdout %q: want the workflow name and its final phase", stdout)
	}
	reqs, created, _ := f.snapshot()
	if len(created) != 1 {
		t.Fatalf("%d workflows created; requests %v", len(created), reqs)
	}
	wf := created[0]
	if wf.Namespace != fakeNS || wf.Spec.WorkflowTemplateRef == nil || wf.Spec.WorkflowTemplateRef.Name != training.Name {
		t.Errorf("workflow namespace %q ref %+v", wf.Namespace, wf.Spec.WorkflowTemplateRef)
	}
	got := map[string]string{}
	for _, p := range wf.Spec.Arguments.Parameters {
		got[p.Name] = p.Value.String()
	}
	if got["labels"] != "binary" || got["sources"] != "s3://tweetflow/raw/a.csv,s3://tweetflow/raw/b.csv" || len(got) != 2 {
		t.Errorf("parameters %v", got)
	}
	if reqs[0] != "GET /apis/argoproj.io/v1alpha1/namespaces/ml/workflowtemplates/tweetflow-training" {
		t.Errorf("the template was not read first: %v", reqs)
	}
}

func TestSubmitRejectsBadParameterBeforeCreating(t *testing.T) {
	clearSubmitEnv(t)
	f, srv := newFakeCluster(t, true, wfv1.WorkflowSucceeded)
	kc := kubeconfig(t, srv)
	code, _, stderr := tf(t, "submit", "--kubeconfig", kc, "--context", "fake", "-p", "train-balance=sideways", "-p", "sorces=x")
	if code != cli.ExitFailed || !strings.Contains(stderr, "not one of") || !strings.Contains(stderr, `"sorces"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, created, _ := f.snapshot(); len(created) != 0 {
		t.Errorf("created %d workflows despite bad parameters", len(created))
	}
	if code, _, stderr := tf(t, "submit", "--kubeconfig", kc, "--context", "fake", "-p", "noequals"); code != cli.ExitUsage {
		t.Errorf("-p noequals: exit %d: %s", code, stderr)
	}
	// The wrong namespace: the template is not there.
	code, _, stderr = tf(t, "submit", "--kubeconfig", kc, "--context", "fake", "-n", "elsewhere")
	if code != cli.ExitFailed || !strings.Contains(stderr, "not found") {
		t.Errorf("other namespace: exit %d: %s", code, stderr)
	}
}

func TestSubmitThroughArgoServerFromEnv(t *testing.T) {
	clearSubmitEnv(t)
	f, srv := newFakeCluster(t, false, wfv1.WorkflowRunning, wfv1.WorkflowFailed)
	t.Setenv("ARGO_SERVER", strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("ARGO_SECURE", "false")
	t.Setenv("ARGO_TOKEN", fakeToken)
	t.Setenv("ARGO_NAMESPACE", fakeNS)
	code, stdout, stderr := tf(t, "submit", "-p", "run-id=exp-42", "--wait", "--poll", "1ms")
	if code != cli.ExitFailed || !strings.Contains(stderr, "Failed") || !strings.Contains(stderr, "child 'train' failed") {
		t.Errorf("a failed workflow: exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "tweetflow-training-argo1") {
		t.Errorf("stdout %q lacks the workflow name", stdout)
	}
	reqs, created, subs := f.snapshot()
	if len(created) != 0 || len(subs) != 1 {
		t.Fatalf("created %d through the Kubernetes API, %d through the Argo Server; requests %v", len(created), len(subs), reqs)
	}
	if subs[0]["resourceKind"] != "WorkflowTemplate" || subs[0]["resourceName"] != training.Name || subs[0]["namespace"] != fakeNS {
		t.Errorf("submit request %v", subs[0])
	}
	so, _ := subs[0]["submitOptions"].(map[string]any)
	if ps, _ := so["parameters"].([]any); len(ps) != 1 || ps[0] != "run-id=exp-42" {
		t.Errorf("submit options %v", so)
	}
	// A wrong token is refused with the server's answer.
	t.Setenv("ARGO_TOKEN", "wrong")
	if code, _, stderr := tf(t, "submit"); code != cli.ExitFailed || !strings.Contains(stderr, "401") {
		t.Errorf("wrong token: exit %d: %s", code, stderr)
	}
}

func TestSubmitDryRun(t *testing.T) {
	clearSubmitEnv(t)
	code, stdout, stderr := tf(t, "submit", "--dry-run", "-n", "ml", "-p", "epochs=3", "--generate-name", "exp-")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var wf wfv1.Workflow
	if err := yaml.UnmarshalStrict([]byte(stdout), &wf); err != nil {
		t.Fatalf("dry run output is not a Workflow: %v\n%s", err, stdout)
	}
	if wf.GenerateName != "exp-" || wf.Namespace != "ml" || wf.Spec.WorkflowTemplateRef.Name != training.Name ||
		len(wf.Spec.Arguments.Parameters) != 1 || wf.Spec.Arguments.Parameters[0].Value.String() != "3" {
		t.Errorf("dry-run workflow %+v", wf)
	}
}

func wfMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
