package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	ucli "github.com/urfave/cli/v2"
	"sigs.k8s.io/yaml"

	"github.com/tweetflow/tweetflow/internal/submit"
)

func submitCommand(stdout, stderr io.Writer) *ucli.Command {
	return &ucli.Command{
		Name:  "submit",
		Usage: "start a run of the installed WorkflowTemplate on a cluster (Kubernetes API or Argo Server)",
		UsageText: "tweetflow submit [-p name=value ...] [--wait] [--namespace NS] [--context CTX] [--kubeconfig FILE]\n" +
			"   tweetflow submit --argo-server https://argo.example.com --token TOKEN [-p name=value ...] [--wait]",
		Description: "Creates an Argo Workflow from the WorkflowTemplate installed by the tweetflow chart " +
			"(spec.workflowTemplateRef), with parameter overrides, and prints its name.\n\n" +
			"Where it goes:\n" +
			"   - by default, the Kubernetes API of --kubeconfig / $KUBECONFIG / ~/.kube/config (its --context, " +
			"its namespace unless --namespace); inside a pod without a kubeconfig, the pod's service account. " +
			"The template is read first and every -p is checked against its parameters and enums.\n" +
			"   - with --argo-server (or $ARGO_SERVER), the Argo Server's REST API with a bearer --token " +
			"($ARGO_TOKEN, as printed by 'argo auth token'). A server without a scheme is https:// unless " +
			"$ARGO_SECURE=false; $ARGO_INSECURE_SKIP_VERIFY=true skips TLS verification.\n\n" +
			"With --wait it polls until the workflow ends and exits 1 unless it Succeeded (a failed quality gate " +
			"does not fail the workflow: export is skipped). --dry-run prints the Workflow instead of creating it.\n\n" +
			"Examples:\n" +
			"   tweetflow submit -p sources=s3://tweetflow/raw/sentiment140 -p labels=binary --wait\n" +
			"   tweetflow submit --context prod -n ml -p min-roc-auc=0.8\n" +
			"   ARGO_SERVER=argo.example.com:2746 ARGO_TOKEN=\"$(argo auth token)\" tweetflow submit -p run-id=exp-42",
		Flags: []ucli.Flag{
			&ucli.StringSliceFlag{Name: "param", Aliases: []string{"p"},
				Usage: "set a pipeline parameter: -p name=value (repeatable); see 'tweetflow run --list-params'"},
			&ucli.StringFlag{Name: "template", Value: submit.DefaultTemplate, EnvVars: []string{"TWEETFLOW_WORKFLOW_TEMPLATE"},
				Usage: "name of the installed WorkflowTemplate"},
			&ucli.StringFlag{Name: "namespace", Aliases: []string{"n"}, EnvVars: []string{"ARGO_NAMESPACE", "TWEETFLOW_NAMESPACE"},
				Usage: "namespace of the template and the workflow (default: the kubeconfig context's, else default)"},
			&ucli.StringFlag{Name: "kubeconfig", EnvVars: []string{"KUBECONFIG"},
				Usage: "kubeconfig file (default: ~/.kube/config)"},
			&ucli.StringFlag{Name: "context", EnvVars: []string{"TWEETFLOW_KUBE_CONTEXT"},
				Usage: "kubeconfig context (default: the current one)"},
			&ucli.StringFlag{Name: "argo-server", EnvVars: []string{"ARGO_SERVER"},
				Usage: "submit through this Argo Server (URL, or host:port meaning https) instead of the Kubernetes API"},
			&ucli.StringFlag{Name: "token", EnvVars: []string{"ARGO_TOKEN"},
				Usage: "bearer token of the Argo Server ($ARGO_TOKEN); with the Kubernetes API, --token replaces the kubeconfig's credentials (prefer env vars: flags show in process lists)"},
			&ucli.StringFlag{Name: "generate-name", Usage: "name prefix of the workflow (default: <template>-)"},
			&ucli.StringFlag{Name: "name", Usage: "exact name of the workflow (default: generated)"},
			&ucli.StringFlag{Name: "service-account", Usage: "service account of the workflow pods (default: the template's)"},
			&ucli.BoolFlag{Name: "wait", Aliases: []string{"w"}, Usage: "wait until the workflow ends; exit 1 unless it Succeeded"},
			&ucli.DurationFlag{Name: "poll", Value: 5 * time.Second, Usage: "with --wait: time between status checks"},
			&ucli.DurationFlag{Name: "timeout", Usage: "with --wait: give up after this long (0: no limit)"},
			&ucli.BoolFlag{Name: "dry-run", Usage: "print the Workflow that would be created (YAML) and exit"},
		},
		OnUsageError: onUsage,
		Action: func(cc *ucli.Context) error {
			return submitAction(cc, stdout, stderr)
		},
	}
}

func submitAction(cc *ucli.Context, stdout, stderr io.Writer) error {
	if cc.Args().Len() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (parameters are -p name=value)", cc.Args().First())}
	}
	params, err := submit.ParseParameters(cc.StringSlice("param"))
	if err != nil {
		return usageError{err}
	}
	opts := submit.Options{
		Template:       cc.String("template"),
		Name:           cc.String("name"),
		GenerateName:   cc.String("generate-name"),
		Parameters:     params,
		ServiceAccount: cc.String("service-account"),
	}
	if cc.Bool("dry-run") {
		ns := cc.String("namespace")
		if ns == "" {
			ns = "default"
		}
		b, err := yaml.Marshal(submit.NewWorkflow(ns, opts))
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	}
	ctx := cc.Context
	server := cc.String("argo-server")
	var cfg submit.Config
	var name string
	if server != "" {
		cfg, err = argoServerConfig(server, cc.String("token"), cc.String("namespace"), getenv(cc))
		if err != nil {
			return usageError{err}
		}
		name, err = submit.SubmitToArgoServer(ctx, cfg, opts)
	} else {
		cfg, err = kubeConfig(cc.String("kubeconfig"), cc.String("context"), cc.String("namespace"), getenv(cc))
		if err != nil {
			return err
		}
		// $ARGO_TOKEN is for the Argo Server: only an explicit --token
		// replaces the kubeconfig's credentials.
		if t := cc.String("token"); t != "" && t != getenv(cc)("ARGO_TOKEN") {
			cfg.Token = t
		}
		name, err = submit.Submit(ctx, cfg, opts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", name)
	fmt.Fprintf(stderr, "submitted workflow %s in namespace %s (template %s)\n", name, cfg.Namespace, opts.Template)
	if !cc.Bool("wait") {
		return nil
	}
	if d := cc.Duration("timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var st submit.Status
	if server != "" {
		st, err = waitArgoServer(ctx, cfg, name, cc.Duration("poll"))
	} else {
		st, err = submit.Wait(ctx, cfg, name, cc.Duration("poll"))
	}
	if st.Phase != "" {
		fmt.Fprintf(stdout, "%s %s\n", name, st.Phase)
	}
	return err
}

// kubeConfig loads the kubeconfig; inside a pod without one it falls back
// to the pod's service account.
func kubeConfig(path, kubeContext, namespace string, getenv func(string) string) (submit.Config, error) {
	cfg, err := submit.FromKubeconfig(path, kubeContext, namespace)
	if err == nil {
		return cfg, nil
	}
	if path == "" && kubeContext == "" && getenv("KUBERNETES_SERVICE_HOST") != "" {
		if ic, ierr := submit.InCluster(namespace); ierr == nil {
			return ic, nil
		}
	}
	return submit.Config{}, fmt.Errorf("%w (pass --kubeconfig, set $KUBECONFIG, or use --argo-server)", err)
}

// argoServerConfig builds the config of an Argo Server: host:port means
// https unless ARGO_SECURE=false, as with the argo CLI.
func argoServerConfig(server, token, namespace string, getenv func(string) string) (submit.Config, error) {
	if !strings.Contains(server, "://") {
		scheme := "https://"
		if v := getenv("ARGO_SECURE"); v == "false" || v == "0" {
			scheme = "http://"
		}
		server = scheme + server
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return submit.Config{}, fmt.Errorf("parsing --argo-server %q: want https://host[:port] or host:port", server)
	}
	if namespace == "" {
		namespace = "default"
	}
	cfg := submit.Config{Server: strings.TrimSuffix(server, "/"), Namespace: namespace, Token: token}
	if v := getenv("ARGO_INSECURE_SKIP_VERIFY"); v == "true" || v == "1" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
		cfg.HTTPClient = &http.Client{Transport: tr}
	}
	return cfg, nil
}

// waitArgoServer polls GET /api/v1/workflows/<ns>/<name> of an Argo Server
// until the workflow is done (submit.Wait speaks the Kubernetes API).
func waitArgoServer(ctx context.Context, cfg submit.Config, name string, interval time.Duration) (submit.Status, error) {
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	u := cfg.Server + "/api/v1/workflows/" + url.PathEscape(cfg.Namespace) + "/" + url.PathEscape(name)
	return submit.Poll(ctx, name, interval, func(ctx context.Context) (submit.Status, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return submit.Status{}, fmt.Errorf("waiting for workflow %q: %w", name, err)
		}
		req.Header.Set("Accept", "application/json")
		if cfg.Token != "" {
			tok := cfg.Token
			if !strings.HasPrefix(tok, "Bearer ") {
				tok = "Bearer " + tok
			}
			req.Header.Set("Authorization", tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			return submit.Status{}, fmt.Errorf("waiting for workflow %q: %w", name, err)
		}
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if rerr != nil {
			return submit.Status{}, fmt.Errorf("waiting for workflow %q: reading GET %s: %w", name, u, rerr)
		}
		if resp.StatusCode != http.StatusOK {
			return submit.Status{}, fmt.Errorf("waiting for workflow %q: GET %s: %d %s: %s", name, u, resp.StatusCode,
				http.StatusText(resp.StatusCode), strings.TrimSpace(string(b)))
		}
		var wf wfv1.Workflow
		if err := json.Unmarshal(b, &wf); err != nil {
			return submit.Status{}, fmt.Errorf("waiting for workflow %q: decoding GET %s: %w", name, u, err)
		}
		return submit.Status{Phase: wf.Status.Phase, Message: wf.Status.Message}, nil
	})
}
