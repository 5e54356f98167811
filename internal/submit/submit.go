package submit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultTemplate is the name of the training pipeline's WorkflowTemplate.
const DefaultTemplate = "tweetflow-training"

// maxBody caps the API responses read into memory.
const maxBody = 16 << 20

// Config says where the API server is and how to authenticate.
type Config struct {
	// Server is the base URL of the Kubernetes API server (Submit, Wait) or
	// of the Argo Server (SubmitToArgoServer), e.g. https://10.0.0.1:6443.
	Server string
	// Namespace of the WorkflowTemplate and of the new Workflow.
	Namespace string
	// Token is sent as "Authorization: Bearer <token>" when set. Leave it
	// empty when HTTPClient authenticates by itself (FromKubeconfig).
	Token string
	// HTTPClient sends the requests (TLS settings, credentials); nil uses
	// http.DefaultClient.
	HTTPClient *http.Client
}

// Parameter is a pipeline parameter override.
type Parameter struct {
	Name  string
	Value string
}

// Options describe the workflow to submit.
type Options struct {
	// Template is the WorkflowTemplate name; empty means DefaultTemplate.
	Template string
	// Name is a fixed workflow name; empty generates one from GenerateName.
	Name string
	// GenerateName is the name prefix when Name is empty; empty means
	// "<template>-".
	GenerateName string
	// Parameters override the template's parameter defaults.
	Parameters []Parameter
	// Labels are added to the workflow.
	Labels map[string]string
	// ServiceAccount overrides the template's service account.
	ServiceAccount string
	// SkipTemplateCheck skips reading the template (and so the parameter
	// checks) before creating the workflow, for callers allowed to create
	// workflows but not to read templates.
	SkipTemplateCheck bool
}

// ParseParameters parses "name=value" pairs (the argo CLI's -p syntax).
// The value may contain '='; the name may not be empty.
func ParseParameters(pairs []string) ([]Parameter, error) {
	var out []Parameter
	for _, kv := range pairs {
		name, value, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("parsing parameter %q: want name=value", kv)
		}
		out = append(out, Parameter{Name: name, Value: value})
	}
	return out, nil
}

// NewWorkflow builds the Workflow Submit creates: a reference to the
// template, the parameter overrides, labels and a name or generateName.
func NewWorkflow(namespace string, opts Options) *wfv1.Workflow {
	tmpl := opts.template()
	wf := &wfv1.Workflow{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Workflow"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      opts.Name,
			Namespace: namespace,
			Labels: map[string]string{
				"workflows.argoproj.io/workflow-template": tmpl,
				"app.kubernetes.io/part-of":               "tweetflow",
			},
		},
		Spec: wfv1.WorkflowSpec{
			WorkflowTemplateRef: &wfv1.WorkflowTemplateRef{Name: tmpl},
			ServiceAccountName:  opts.ServiceAccount,
		},
	}
	maps.Copy(wf.Labels, opts.Labels)
	if opts.Name == "" {
		wf.GenerateName = opts.GenerateName
		if wf.GenerateName == "" {
			wf.GenerateName = tmpl + "-"
		}
	}
	for _, p := range opts.Parameters {
		wf.Spec.Arguments.Parameters = append(wf.Spec.Arguments.Parameters,
			wfv1.Parameter{Name: p.Name, Value: wfv1.AnyStringPtr(p.Value)})
	}
	return wf
}

func (o Options) template() string {
	if o.Template == "" {
		return DefaultTemplate
	}
	return o.Template
}

// Submit creates a Workflow from the WorkflowTemplate through the
// Kubernetes API and returns its name. Unless opts.SkipTemplateCheck, it
// first reads the template and checks the parameter overrides.
func Submit(ctx context.Context, cfg Config, opts Options) (string, error) {
	if err := cfg.check(); err != nil {
		return "", err
	}
	if err := checkParameterNames(opts.Parameters); err != nil {
		return "", err
	}
	tmpl := opts.template()
	if !opts.SkipTemplateCheck {
		var wt wfv1.WorkflowTemplate
		path := "/apis/argoproj.io/v1alpha1/namespaces/" + url.PathEscape(cfg.Namespace) + "/workflowtemplates/" + url.PathEscape(tmpl)
		if err := cfg.do(ctx, http.MethodGet, path, nil, &wt); err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == http.StatusNotFound {
				ae.Hint = fmt.Sprintf("workflow template %q not found in namespace %q: install the tweetflow chart there, or check the namespace and the Argo Workflows CRDs", tmpl, cfg.Namespace)
			}
			return "", fmt.Errorf("reading workflow template %q: %w", tmpl, err)
		}
		if err := CheckParameters(&wt, opts.Parameters); err != nil {
			return "", err
		}
	}
	wf := NewWorkflow(cfg.Namespace, opts)
	var created wfv1.Workflow
	path := "/apis/argoproj.io/v1alpha1/namespaces/" + url.PathEscape(cfg.Namespace) + "/workflows"
	if err := cfg.do(ctx, http.MethodPost, path, wf, &created); err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			switch ae.Code {
			case http.StatusNotFound:
				ae.Hint = fmt.Sprintf("the Workflow resource was not found: are the Argo Workflows CRDs installed and does namespace %q exist?", cfg.Namespace)
			case http.StatusConflict:
				ae.Hint = fmt.Sprintf("workflow %q already exists in namespace %q: choose another name or leave it empty to generate one", opts.Name, cfg.Namespace)
			}
		}
		return "", fmt.Errorf("creating workflow from template %q: %w", tmpl, err)
	}
	if created.Name == "" {
		return "", fmt.Errorf("creating workflow from template %q: the API server returned no name", tmpl)
	}
	return created.Name, nil
}

// CheckParameters checks that every override names a parameter of the
// template and, for parameters with an enum, is one of its values.
func CheckParameters(wt *wfv1.WorkflowTemplate, params []Parameter) error {
	known := map[string]wfv1.Parameter{}
	var names []string
	for _, p := range wt.Spec.Arguments.Parameters {
		known[p.Name] = p
		names = append(names, p.Name)
	}
	var errs []error
	for _, p := range params {
		tp, ok := known[p.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("checking parameter %q: template %q has no such parameter (it has: %s)", p.Name, wt.Name, strings.Join(names, ", ")))
			continue
		}
		if len(tp.Enum) > 0 && !slices.ContainsFunc(tp.Enum, func(e wfv1.AnyString) bool { return e.String() == p.Value }) {
			var vals []string
			for _, e := range tp.Enum {
				vals = append(vals, e.String())
			}
			errs = append(errs, fmt.Errorf("checking parameter %q: value %q is not one of %s", p.Name, p.Value, strings.Join(vals, ", ")))
		}
	}
	return errors.Join(errs...)
}

func checkParameterNames(params []Parameter) error {
	seen := map[string]bool{}
	for _, p := range params {
		if p.Name == "" {
			return errors.New("checking parameters: a parameter has no name")
		}
		if seen[p.Name] {
			return fmt.Errorf("checking parameter %q: given twice", p.Name)
		}
		seen[p.Name] = true
	}
	return nil
}

// argoSubmitRequest is the Argo Server's WorkflowSubmitRequest
// (pkg/apiclient/workflow) in its JSON form.
type argoSubmitRequest struct {
	Namespace     string           `json:"namespace"`
	ResourceKind  string           `json:"resourceKind"`
	ResourceName  string           `json:"resourceName"`
	SubmitOptions *wfv1.SubmitOpts `json:"submitOptions,omitempty"`
}

// SubmitToArgoServer submits the WorkflowTemplate through the Argo Server
// REST API (POST /api/v1/workflows/<ns>/submit) and returns the workflow's
// name. cfg.Server is the Argo Server's URL and cfg.Token an Argo Server
// token (a service account token; a leading "Bearer " is accepted). The
// Argo Server checks the parameters itself.
func SubmitToArgoServer(ctx context.Context, cfg Config, opts Options) (string, error) {
	if err := cfg.check(); err != nil {
		return "", err
	}
	if err := checkParameterNames(opts.Parameters); err != nil {
		return "", err
	}
	tmpl := opts.template()
	so := &wfv1.SubmitOpts{Name: opts.Name, GenerateName: opts.GenerateName, ServiceAccount: opts.ServiceAccount}
	if so.Name == "" && so.GenerateName == "" {
		so.GenerateName = tmpl + "-"
	}
	for _, p := range opts.Parameters {
		so.Parameters = append(so.Parameters, p.Name+"="+p.Value)
	}
	labels := map[string]string{"app.kubernetes.io/part-of": "tweetflow"}
	maps.Copy(labels, opts.Labels)
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		kv = append(kv, k+"="+labels[k])
	}
	so.Labels = strings.Join(kv, ",")
	req := argoSubmitRequest{Namespace: cfg.Namespace, ResourceKind: "WorkflowTemplate", ResourceName: tmpl, SubmitOptions: so}
	var created wfv1.Workflow
	path := "/api/v1/workflows/" + url.PathEscape(cfg.Namespace) + "/submit"
	if err := cfg.do(ctx, http.MethodPost, path, req, &created); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == http.StatusNotFound {
			ae.Hint = fmt.Sprintf("workflow template %q not found in namespace %q (or no Argo Server at %s)", tmpl, cfg.Namespace, cfg.Server)
		}
		return "", fmt.Errorf("submitting template %q to the Argo Server: %w", tmpl, err)
	}
	if created.Name == "" {
		return "", fmt.Errorf("submitting template %q to the Argo Server: the server returned no name", tmpl)
	}
	return created.Name, nil
}

// Status is a workflow's phase and message.
type Status struct {
	Phase   wfv1.WorkflowPhase
	Message string
}

// Done reports whether the workflow has finished.
func (s Status) Done() bool { return s.Phase.Completed() }

// Get reads a workflow's status through the Kubernetes API.
func Get(ctx context.Context, cfg Config, name string) (Status, error) {
	if err := cfg.check(); err != nil {
		return Status{}, err
	}
	var wf wfv1.Workflow
	path := "/apis/argoproj.io/v1alpha1/namespaces/" + url.PathEscape(cfg.Namespace) + "/workflows/" + url.PathEscape(name)
	if err := cfg.do(ctx, http.MethodGet, path, nil, &wf); err != nil {
		return Status{}, fmt.Errorf("reading workflow %q: %w", name, err)
	}
	return Status{Phase: wf.Status.Phase, Message: wf.Status.Message}, nil
}

// Wait polls the workflow every interval until it finishes or ctx ends.
// It returns the final status, and an error when the workflow did not
// succeed (naming its phase and message).
func Wait(ctx context.Context, cfg Config, name string, interval time.Duration) (Status, error) {
	return Poll(ctx, name, interval, func(ctx context.Context) (Status, error) { return Get(ctx, cfg, name) })
}

// Poll calls get every interval (5s when not positive) until the workflow
// name is done or ctx ends, whatever API get speaks. It returns the final
// status (the last one known when get fails), and an error when get fails
// or the workflow did not succeed (naming its phase and message).
func Poll(ctx context.Context, name string, interval time.Duration, get func(context.Context) (Status, error)) (Status, error) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var st Status
	for {
		next, err := get(ctx)
		if err != nil {
			return st, err // the last status known
		}
		st = next
		if st.Done() {
			if st.Phase != wfv1.WorkflowSucceeded {
				return st, fmt.Errorf("waiting for workflow %q: it ended %s: %s", name, st.Phase, st.Message)
			}
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("waiting for workflow %q (phase %q): %w", name, st.Phase, ctx.Err())
		case <-t.C:
		}
	}
}

// APIError is a failed API request.
type APIError struct {
	Method, URL string
	Code        int
	// Reason and Message come from the Kubernetes Status (or the Argo
	// Server's error) body, when there is one.
	Reason  string
	Message string
	// Hint says what probably went wrong, for the common codes.
	Hint string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

func (c Config) check() error {
	if c.Server == "" {
		return errors.New("checking the API config: no server URL")
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("checking the API config: server %q is not an http(s) URL", c.Server)
	}
	if c.Namespace == "" {
		return errors.New("checking the API config: no namespace")
	}
	return nil
}

// do sends one JSON request and decodes a 2xx JSON answer into out.
func (c Config) do(ctx context.Context, method, path string, in, out any) error {
	u := strings.TrimSuffix(c.Server, "/") + path
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encoding the %s %s request: %w", method, u, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("building the %s %s request: %w", method, u, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		tok := c.Token
		if !strings.HasPrefix(tok, "Bearer ") {
			tok = "Bearer " + tok
		}
		req.Header.Set("Authorization", tok)
	}
	client := c.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sending %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading the answer to %s %s: %w", method, u, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(method, u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decoding the answer to %s %s: %w", method, u, err)
	}
	return nil
}

func newAPIError(method, u string, code int, body []byte) *APIError {
	e := &APIError{Method: method, URL: u, Code: code}
	// A Kubernetes Status, or an Argo Server (grpc-gateway) error.
	var st struct {
		metav1.Status
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &st) == nil {
		e.Reason, e.Message = string(st.Reason), st.Message
		if e.Message == "" {
			e.Message = st.Error
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 300 {
			e.Message = e.Message[:300] + "..."
		}
	}
	switch code {
	case http.StatusUnauthorized:
		e.Hint = "the credentials were rejected: check the token or the kubeconfig's user"
	case http.StatusForbidden:
		e.Hint = "the credentials lack RBAC permission: creating workflows needs create on workflows.argoproj.io (and get on workflowtemplates)"
	}
	return e
}
