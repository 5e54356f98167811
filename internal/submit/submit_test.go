package submit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/tweetflow/tweetflow/internal/submit"
)

const (
	ns    = "ml"
	token = "s3cr3t-token"
)

// fakeAPI is a Kubernetes API server holding one WorkflowTemplate and the
// workflows created so far. It checks what a real one would reject and
// records every request.
type fakeAPI struct {
	template *wfv1.WorkflowTemplate // nil: no template (404)
	// createStatus, when set, answers POST workflows with this code and a Status.
	createStatus int

	mu        sync.Mutex
	created   []wfv1.Workflow
	requests  []string
	phases    []wfv1.WorkflowPhase // successive phases Get returns
	phaseCall int
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		status(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	base := "/apis/argoproj.io/v1alpha1/namespaces/" + ns + "/"
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"workflowtemplates/"):
		name := strings.TrimPrefix(r.URL.Path, base+"workflowtemplates/")
		if f.template == nil || f.template.Name != name {
			status(w, http.StatusNotFound, "NotFound", fmt.Sprintf("workflowtemplates.argoproj.io %q not found", name))
			return
		}
		writeJSON(w, http.StatusOK, f.template)
	case r.Method == http.MethodPost && r.URL.Path == base+"workflows":
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			status(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "content type "+ct)
			return
		}
		var wf wfv1.Workflow
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&wf); err != nil {
			status(w, http.StatusBadRequest, "BadRequest", "decoding workflow: "+err.Error())
			return
		}
		if f.createStatus != 0 {
			status(w, f.createStatus, "AlreadyExists", fmt.Sprintf("workflows.argoproj.io %q already exists", wf.Name))
			return
		}
		if wf.Name == "" {
			wf.Name = wf.GenerateName + fmt.Sprintf("x%04d", len(f.created))
		}
		f.created = append(f.created, wf)
		writeJSON(w, http.StatusCreated, wf)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"workflows/"):
		name := strings.TrimPrefix(r.URL.Path, base+"workflows/")
		wf := wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if f.phaseCall < len(f.phases) {
			wf.Status.Phase = f.phases[f.phaseCall]
			f.phaseCall++
		} else {
			wf.Status.Phase = f.phases[len(f.phases)-1]
		}
		if wf.Status.Phase == wfv1.WorkflowFailed {
			wf.Status.Message = "child 'evaluate-gate' failed"
		}
		writeJSON(w, http.StatusOK, wf)
	default:
		status(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
	}
}

func status(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: "Failure", Message: msg, Reason: metav1.StatusReason(reason), Code: int32(code)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func trainingTemplate() *wfv1.WorkflowTemplate {
	wt := &wfv1.WorkflowTemplate{ObjectMeta: metav1.ObjectMeta{Name: submit.DefaultTemplate, Namespace: ns}}
	wt.Spec.Arguments.Parameters = []wfv1.Parameter{
		{Name: "store", Value: wfv1.AnyStringPtr("s3://tweetflow")},
		{Name: "sources", Value: wfv1.AnyStringPtr("testdata/demo")},
		{Name: "labels", Value: wfv1.AnyStringPtr("three-class"), Enum: []wfv1.AnyString{"three-class", "binary"}},
	}
	return wt
}

func start(t *testing.T, f *fakeAPI) submit.Config {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return submit.Config{Server: srv.URL, Namespace: ns, Token: token, HTTPClient: srv.Client()}
}

func TestSubmitCreatesWorkflowFromTemplate(t *testing.T) {
	f := &fakeAPI{template: trainingTemplate()}
	cfg := start(t, f)
	name, err := submit.Submit(context.Background(), cfg, submit.Options{
		Parameters: []submit.Parameter{{Name: "sources", Value: "s3://tweetflow/demo/a=b"}, {Name: "labels", Value: "binary"}},
		Labels:     map[string]string{"team": "nlp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.created) != 1 {
		t.Fatalf("created %d workflows, want 1", len(f.created))
	}
	wf := f.created[0]
	if name != wf.Name || !strings.HasPrefix(name, submit.DefaultTemplate+"-") {
		t.Errorf("returned name %q, server named it %q", name, wf.Name)
	}
	if wf.Kind != "Workflow" || wf.APIVersion != "argoproj.io/v1alpha1" {
		t.Errorf("kind %q apiVersion %q", wf.Kind, wf.APIVersion)
	}
	if wf.Spec.WorkflowTemplateRef == nil || wf.Spec.WorkflowTemplateRef.Name != submit.DefaultTemplate {
		t.Errorf("workflowTemplateRef = %+v", wf.Spec.WorkflowTemplateRef)
	}
	if wf.GenerateName != submit.DefaultTemplate+"-" || wf.Namespace != ns {
		t.Errorf("generateName %q namespace %q", wf.GenerateName, wf.Namespace)
	}
	got := map[string]string{}
	for _, p := range wf.Spec.Arguments.Parameters {
		got[p.Name] = p.Value.String()
	}
	want := map[string]string{"sources": "s3://tweetflow/demo/a=b", "labels": "binary"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parameters = %v, want %v", got, want)
	}
	if wf.Labels["team"] != "nlp" || wf.Labels["workflows.argoproj.io/workflow-template"] != submit.DefaultTemplate {
		t.Errorf("labels = %v", wf.Labels)
	}
	wantReqs := []string{
		"GET /apis/argoproj.io/v1alpha1/namespaces/ml/workflowtemplates/tweetflow-training",
		"POST /apis/argoproj.io/v1alpha1/namespaces/ml/workflows",
	}
	if fmt.Sprint(f.requests) != fmt.Sprint(wantReqs) {
		t.Errorf("requests = %q, want %q", f.requests, wantReqs)
	}
}

func TestSubmitErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		template *wfv1.WorkflowTemplate
		conflict bool // POST workflows answers 409
		cfg      func(submit.Config) submit.Config
		opts     submit.Options
		wantCode int      // APIError code, 0 for none
		want     []string // substrings of the error
		created  bool     // a POST reached the server
	}{
		{name: "bad token", template: trainingTemplate(),
			cfg:      func(c submit.Config) submit.Config { c.Token = "wrong"; return c },
			wantCode: 401, want: []string{"401 Unauthorized", "credentials were rejected"}},
		{name: "template missing", template: nil,
			wantCode: 404, want: []string{`reading workflow template "tweetflow-training"`, `not found in namespace "ml"`, "install the tweetflow chart"}},
		{name: "other template missing", template: trainingTemplate(), opts: submit.Options{Template: "nope"},
			wantCode: 404, want: []string{`workflow template "nope" not found`}},
		{name: "name taken", template: trainingTemplate(), conflict: true, opts: submit.Options{Name: "run-1"},
			wantCode: 409, want: []string{"409 Conflict", `workflow "run-1" already exists in namespace "ml"`}, created: true},
		{name: "unknown parameter", template: trainingTemplate(),
			opts: submit.Options{Parameters: []submit.Parameter{{Name: "sorces", Value: "x"}}},
			want: []string{`checking parameter "sorces"`, "has no such parameter", "store, sources, labels"}},
		{name: "value outside enum", template: trainingTemplate(),
			opts: submit.Options{Parameters: []submit.Parameter{{Name: "labels", Value: "five"}}},
			want: []string{`value "five" is not one of three-class, binary`}},
		{name: "parameter twice", template: trainingTemplate(),
			opts: submit.Options{Parameters: []submit.Parameter{{Name: "labels", Value: "binary"}, {Name: "labels", Value: "binary"}}},
			want: []string{`"labels": given twice`}},
		{name: "no namespace", template: trainingTemplate(),
			cfg:  func(c submit.Config) submit.Config { c.Namespace = ""; return c },
			want: []string{"no namespace"}},
		{name: "not a URL", template: trainingTemplate(),
			cfg:  func(c submit.Config) submit.Config { c.Server = "localhost:6443"; return c },
			want: []string{`server "localhost:6443" is not an http(s) URL`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{template: tc.template}
			if tc.conflict {
				f.createStatus = http.StatusConflict
			}
			cfg := start(t, f)
			if tc.cfg != nil {
				cfg = tc.cfg(cfg)
			}
			_, err := submit.Submit(context.Background(), cfg, tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var ae *submit.APIError
			if gotAPI := errors.As(err, &ae); gotAPI != (tc.wantCode != 0) || (gotAPI && ae.Code != tc.wantCode) {
				t.Errorf("error %v: APIError %v (%+v), want code %d", err, gotAPI, ae, tc.wantCode)
			}
			posted := false
			for _, r := range f.requests {
				posted = posted || strings.HasPrefix(r, "POST")
			}
			if posted != tc.created {
				t.Errorf("a POST reached the server: %v, want %v (requests %q)", posted, tc.created, f.requests)
			}
		})
	}
}

func TestSubmitSkipTemplateCheck(t *testing.T) {
	f := &fakeAPI{} // no template: only the POST may happen
	cfg := start(t, f)
	name, err := submit.Submit(context.Background(), cfg, submit.Options{Name: "fixed", SkipTemplateCheck: true,
		Parameters: []submit.Parameter{{Name: "anything", Value: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if name != "fixed" || len(f.requests) != 1 || f.created[0].GenerateName != "" {
		t.Errorf("name %q, requests %q, generateName %q", name, f.requests, f.created[0].GenerateName)
	}
}

func TestWait(t *testing.T) {
	for _, tc := range []struct {
		phases  []wfv1.WorkflowPhase
		want    wfv1.WorkflowPhase
		wantErr string
	}{
		{phases: []wfv1.WorkflowPhase{wfv1.WorkflowPending, wfv1.WorkflowRunning, wfv1.WorkflowSucceeded}, want: wfv1.WorkflowSucceeded},
		{phases: []wfv1.WorkflowPhase{wfv1.WorkflowRunning, wfv1.WorkflowFailed}, want: wfv1.WorkflowFailed,
			wantErr: `workflow "wf-1": it ended Failed: child 'evaluate-gate' failed`},
	} {
		f := &fakeAPI{phases: tc.phases}
		cfg := start(t, f)
		st, err := submit.Wait(context.Background(), cfg, "wf-1", time.Millisecond)
		if st.Phase != tc.want {
			t.Errorf("phase %q, want %q", st.Phase, tc.want)
		}
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("error %v, want %q", err, tc.wantErr)
		}
		if len(f.requests) != len(tc.phases) {
			t.Errorf("%d polls, want %d", len(f.requests), len(tc.phases))
		}
	}
	// A workflow that never finishes: the context ends the wait.
	f := &fakeAPI{phases: []wfv1.WorkflowPhase{wfv1.WorkflowRunning}}
	cfg := start(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := submit.Wait(ctx, cfg, "wf-2", time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want a deadline", err)
	}
}

// TestFromKubeconfig points a kubeconfig at a TLS fake API server: the
// client must trust its CA, send the user's token and use the context's
// namespace.
func TestFromKubeconfig(t *testing.T) {
	f := &fakeAPI{template: trainingTemplate()}
	srv := httptest.NewTLSServer(f)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: %q, certificate-authority: %q}
- name: other
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: ci
  user: {token: %q}
contexts:
- name: fake
  context: {cluster: fake, user: ci, namespace: ml}
- name: other
  context: {cluster: other, user: ci}
current-context: other
`, srv.URL, caFile, token)
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := submit.FromKubeconfig(path, "fake", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Namespace != ns || cfg.Server != srv.URL {
		t.Fatalf("config %+v", cfg)
	}
	name, err := submit.Submit(context.Background(), cfg, submit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.created) != 1 || f.created[0].Name != name {
		t.Errorf("created %v, returned %q", f.created, name)
	}
	if _, err := submit.FromKubeconfig(filepath.Join(t.TempDir(), "missing"), "", ""); err == nil {
		t.Error("a missing kubeconfig loaded")
	}
	if _, err := submit.FromKubeconfig(path, "nope", ""); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown context: %v", err)
	}
}

func TestSubmitToArgoServer(t *testing.T) {
	var got struct {
		Namespace     string          `json:"namespace"`
		ResourceKind  string          `json:"resourceKind"`
		ResourceName  string          `json:"resourceName"`
		SubmitOptions wfv1.SubmitOpts `json:"submitOptions"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, 401, map[string]any{"code": 16, "error": "token not valid", "message": "token not valid"})
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/workflows/"+ns+"/submit" || r.Header.Get("Content-Type") != "application/json" {
			writeJSON(w, 404, map[string]any{"code": 5, "message": "Not Found"})
			return
		}
		b, _ := io.ReadAll(r.Body)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			writeJSON(w, 400, map[string]any{"code": 3, "message": err.Error()})
			return
		}
		if got.ResourceName != submit.DefaultTemplate {
			writeJSON(w, 404, map[string]any{"code": 5, "message": fmt.Sprintf("workflowtemplates.argoproj.io %q not found", got.ResourceName)})
			return
		}
		writeJSON(w, 200, wfv1.Workflow{ObjectMeta: metav1.ObjectMeta{Name: got.SubmitOptions.GenerateName + "abcde"}})
	}))
	t.Cleanup(srv.Close)
	cfg := submit.Config{Server: srv.URL, Namespace: ns, Token: "Bearer " + token}
	name, err := submit.SubmitToArgoServer(context.Background(), cfg, submit.Options{
		Parameters: []submit.Parameter{{Name: "labels", Value: "binary"}},
		Labels:     map[string]string{"team": "nlp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if name != "tweetflow-training-abcde" {
		t.Errorf("name %q", name)
	}
	if got.Namespace != ns || got.ResourceKind != "WorkflowTemplate" || fmt.Sprint(got.SubmitOptions.Parameters) != "[labels=binary]" ||
		got.SubmitOptions.Labels != "app.kubernetes.io/part-of=tweetflow,team=nlp" {
		t.Errorf("request %+v", got)
	}

	_, err = submit.SubmitToArgoServer(context.Background(), cfg, submit.Options{Template: "nope"})
	var ae *submit.APIError
	if !errors.As(err, &ae) || ae.Code != 404 || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Errorf("missing template: %v", err)
	}
	cfg.Token = "wrong"
	_, err = submit.SubmitToArgoServer(context.Background(), cfg, submit.Options{})
	if !errors.As(err, &ae) || ae.Code != 401 || !strings.Contains(err.Error(), "token not valid") {
		t.Errorf("bad token: %v", err)
	}
}

func TestParseParameters(t *testing.T) {
	got, err := submit.ParseParameters([]string{"sources=s3://b/p?x=1", "run-id=", " seed =7"})
	if err != nil {
		t.Fatal(err)
	}
	want := []submit.Parameter{{"sources", "s3://b/p?x=1"}, {"run-id", ""}, {"seed", "7"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"novalue", "=x"} {
		if _, err := submit.ParseParameters([]string{bad}); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

type templateGetter map[string]*wfv1.WorkflowTemplate

func (g templateGetter) Get(name string) (*wfv1.WorkflowTemplate, error) {
	if wt, ok := g[name]; ok {
		return wt, nil
	}
	return nil, fmt.Errorf("workflow template %q not found", name)
}

// TestWorkflowValidAgainstCompiledTemplate runs Argo's own validation on
// the Workflow Submit sends, resolved against the compiled pipeline.
func TestWorkflowValidAgainstCompiledTemplate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "pipelines", "training", "generated", "workflowtemplate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wt wfv1.WorkflowTemplate
	if err := yaml.UnmarshalStrict(b, &wt); err != nil {
		t.Fatal(err)
	}
	wt.Namespace = ns
	params := []submit.Parameter{{Name: "sources", Value: "s3://tweetflow/demo"}, {Name: "labels", Value: "binary"}}
	if err := submit.CheckParameters(&wt, params); err != nil {
		t.Fatalf("the compiled template refuses %v: %v", params, err)
	}
	getter := templateGetter{wt.Name: &wt}
	wf := submit.NewWorkflow(ns, submit.Options{Template: wt.Name, Parameters: params})
	if err := validate.ValidateWorkflow(getter, nil, wf, nil, validate.ValidateOpts{}); err != nil {
		t.Errorf("Argo rejects the submitted workflow: %v", err)
	}
	wf = submit.NewWorkflow(ns, submit.Options{Template: "missing"})
	if err := validate.ValidateWorkflow(getter, nil, wf, nil, validate.ValidateOpts{}); err == nil {
		t.Error("Argo accepts a workflow whose template does not exist: the check above proves nothing")
	}
	if err := submit.CheckParameters(&wt, []submit.Parameter{{Name: "train-balance", Value: "sideways"}}); err == nil {
		t.Error("the compiled template's train-balance enum accepts sideways")
	}
}
