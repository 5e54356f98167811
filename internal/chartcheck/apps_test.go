package chartcheck_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"github.com/argoproj/argo-workflows/v3/workflow/validate"
	corev1 "k8s.io/api/core/v1"
)

// templateGetter serves the rendered WorkflowTemplates to Argo's validation.
type templateGetter []wfv1.WorkflowTemplate

func (g templateGetter) Get(name string) (*wfv1.WorkflowTemplate, error) {
	for i := range g {
		if g[i].Name == name {
			return &g[i], nil
		}
	}
	return nil, fmt.Errorf("no WorkflowTemplate %q", name)
}

// TestRenderSchedule checks the training CronWorkflow: schedule, timezone,
// Forbid, history limits, the reference to the rendered training
// template with the scheduled parameters, and Argo's own validation of it
// against that template.
func TestRenderSchedule(t *testing.T) {
	m := render(t, "--set", "schedule.enabled=true", "--set", "schedule.schedules={0 4 * * *,30 16 * * 5}",
		"--set", "schedule.timezone=Europe/Lisbon", "--set", "schedule.parameters.sources=s3://tweetflow/raw/latest",
		"--set", "schedule.parameters.labels=binary", "--set", "schedule.startingDeadlineSeconds=600")
	checkCommon(t, m)
	if len(m.crons) != 1 {
		t.Fatalf("%d CronWorkflows, want 1", len(m.crons))
	}
	cw := m.crons[0]
	s := cw.Spec
	if cw.Name != fullname+"-training" || !slices.Equal(s.Schedules, []string{"0 4 * * *", "30 16 * * 5"}) || s.Schedule != "" ||
		s.Timezone != "Europe/Lisbon" || s.ConcurrencyPolicy != wfv1.ForbidConcurrent || s.Suspend {
		t.Errorf("CronWorkflow %s spec %+v", cw.Name, s)
	}
	if s.SuccessfulJobsHistoryLimit == nil || *s.SuccessfulJobsHistoryLimit != 3 || s.FailedJobsHistoryLimit == nil || *s.FailedJobsHistoryLimit != 3 ||
		s.StartingDeadlineSeconds == nil || *s.StartingDeadlineSeconds != 600 {
		t.Errorf("history limits %v/%v, starting deadline %v", s.SuccessfulJobsHistoryLimit, s.FailedJobsHistoryLimit, s.StartingDeadlineSeconds)
	}
	ref := s.WorkflowSpec.WorkflowTemplateRef
	if ref == nil || ref.Name != training.name || ref.ClusterScope {
		t.Errorf("workflowTemplateRef %+v, want %s", ref, training.name)
	}
	var params []string
	for _, p := range s.WorkflowSpec.Arguments.Parameters {
		params = append(params, p.Name+"="+p.Value.String())
	}
	if want := []string{"labels=binary", "sources=s3://tweetflow/raw/latest"}; !slices.Equal(params, want) {
		t.Errorf("scheduled parameters %q, want %q", params, want)
	}
	if err := validate.ValidateCronWorkflow(context.Background(), templateGetter(m.templates), nil, &cw, nil); err != nil {
		t.Errorf("Argo rejects the CronWorkflow: %v", err)
	}
	// Argo's validation fails on a schedule it cannot parse: the check can fail.
	bad := cw.DeepCopy()
	bad.Spec.Schedules = []string{"0 25 * * *"}
	if err := validate.ValidateCronWorkflow(context.Background(), templateGetter(m.templates), nil, bad, nil); err == nil {
		t.Error("Argo accepts hour 25")
	}
	// Off by default.
	if m := render(t); len(m.crons) != 0 {
		t.Errorf("defaults render %d CronWorkflows", len(m.crons))
	}
}

// probe is one expected HTTP probe.
type probe struct{ kind, path string }

// TestRenderApps checks the Deployments of score, dashboard and annotate:
// image, arguments, the PostgreSQL connection string from the Secret,
// probes on the http port, Services; checkCommon checks non-root, the
// read-only root filesystem and the Secret references.
func TestRenderApps(t *testing.T) {
	m := render(t, allFeatures...)
	checkCommon(t, m)
	if keys := m.secretKeys()[fullname+"-postgres"]; !slices.Equal(keys, []string{"dsn"}) {
		t.Errorf("PostgreSQL secret keys %q, want dsn", keys)
	}
	for _, tc := range []struct {
		component string
		args      []string
		probes    []probe
		service   bool
	}{
		{"score", []string{"--model=s3://tweetflow/runs/r1/export-onnx/onnx", "--table=tweet_scores", "--tweets=s3://tweetflow/incoming", "--store=s3://tweetflow"}, nil, false},
		{"dashboard", []string{"--addr=:8080", "--table=tweet_scores", "--refresh=10s", "--metrics=s3://tweetflow/runs/r1/evaluate-gate/metrics", "--store=s3://tweetflow"},
			[]probe{{"startup", "/healthz"}, {"liveness", "/healthz"}, {"readiness", "/readyz"}}, true},
		{"annotate", []string{"--addr=:8080", "--labels=AI,OTHER", "--store=s3://tweetflow"},
			[]probe{{"startup", "/healthz"}, {"liveness", "/healthz"}, {"readiness", "/healthz"}}, true},
	} {
		t.Run(tc.component, func(t *testing.T) {
			d := m.deployment(t, fullname+"-"+tc.component)
			c := d.Spec.Template.Spec.Containers[0]
			if c.Image != "ghcr.io/tweetflow/tweetflow-"+tc.component+":1.2.3" {
				t.Errorf("image %q", c.Image)
			}
			for _, a := range tc.args {
				if !slices.Contains(c.Args, a) {
					t.Errorf("args %q lack %q", c.Args, a)
				}
			}
			dsn := false
			for _, e := range c.Env {
				if e.Name == "TWEETFLOW_POSTGRES_DSN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
					e.ValueFrom.SecretKeyRef.Name == fullname+"-postgres" && e.ValueFrom.SecretKeyRef.Key == "dsn" {
					dsn = true
				}
				if e.Value != "" && strings.Contains(e.Value, "secret@") {
					t.Errorf("env %s holds the connection string in clear", e.Name)
				}
			}
			if !dsn {
				t.Errorf("env %+v: no TWEETFLOW_POSTGRES_DSN from the PostgreSQL secret", c.Env)
			}
			if slices.ContainsFunc(c.Args, func(a string) bool { return strings.Contains(a, "postgres://") }) {
				t.Errorf("args %q hold the connection string", c.Args)
			}
			got := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
			for _, p := range tc.probes {
				pr := got[p.kind]
				if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Path != p.path || !hasPort([]corev1.Container{c}, pr.HTTPGet.Port.String()) {
					t.Errorf("%s probe %+v, want GET %s on a container port", p.kind, pr, p.path)
				}
			}
			if !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool { return v.MountPath == "/tmp" }) {
				t.Errorf("no writable /tmp: %+v", c.VolumeMounts)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("resources %+v", c.Resources)
			}
			svc := slices.ContainsFunc(m.services, func(s corev1.Service) bool { return s.Name == fullname+"-"+tc.component })
			if svc != tc.service {
				t.Errorf("service rendered %v, want %v", svc, tc.service)
			}
		})
	}
	if d := m.deployment(t, fullname+"-score"); d.Spec.Template.Spec.TerminationGracePeriodSeconds == nil || *d.Spec.Template.Spec.TerminationGracePeriodSeconds != 60 {
		t.Errorf("score grace period %v, want 60 s to finish the batch in flight", d.Spec.Template.Spec.TerminationGracePeriodSeconds)
	}

	// score's probes come from score.probes; an existing PostgreSQL secret
	// is used as is.
	m = render(t, "--set", "score.enabled=true", "--set", "score.model=s3://tweetflow/m", "--set", "postgres.existingSecret=team-db",
		"--set", "postgres.key=url", "--set", "score.probes.livenessProbe.httpGet.path=/healthz", "--set", "score.probes.livenessProbe.httpGet.port=9090")
	checkCommon(t, m)
	c := m.deployment(t, fullname+"-score").Spec.Template.Spec.Containers[0]
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.LivenessProbe.HTTPGet.Port.IntValue() != 9090 {
		t.Errorf("score liveness probe %+v", c.LivenessProbe)
	}
	// score.predictUrl scores through the model server: no model needed.
	pm := render(t, "--set", "score.enabled=true", "--set", "score.predictUrl=http://tweetflow-server:8080", "--set", "postgres.dsn=postgres://u:p@db/x")
	checkCommon(t, pm)
	if args := pm.deployment(t, fullname+"-score").Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--predict-url=http://tweetflow-server:8080") ||
		slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--model=") }) {
		t.Errorf("score args with predictUrl: %q", args)
	}
	if _, ok := m.secretKeys()[fullname+"-postgres"]; ok {
		t.Error("a PostgreSQL secret is rendered with postgres.existingSecret")
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "team-db" && e.ValueFrom.SecretKeyRef.Key == "url"
	}) {
		t.Errorf("score env %+v does not read team-db/url", c.Env)
	}
}

// TestAppValuesRejected checks the schema and the templates' checks of the
// new values.
func TestAppValuesRejected(t *testing.T) {
	db := "postgres.dsn=postgres://u:p@db/x"
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"schedule.concurrencyPolicy=Sometimes"}, "concurrencyPolicy"},
		{[]string{"schedule.schedules={every day}"}, "schedules"},
		{[]string{"schedule.successfulJobsHistoryLimit=-1"}, "successfulJobsHistoryLimit"},
		{[]string{"schedule.enabled=true", "schedule.parameters.sorces=s3://x"}, `schedule.parameters.sorces: the pipeline tweetflow-training has no parameter "sorces"`},
		{[]string{"schedule.enabled=true", "schedule.parameters.format=xml"}, `schedule.parameters.format: "xml" is not one of`},
		{[]string{"schedule.enabled=true", "workflow.enabled=false"}, "schedule.enabled: the CronWorkflow runs the tweetflow-training"},
		{[]string{"dashboard.enabled=true"}, "postgres.dsn: score, dashboard and annotate need"},
		{[]string{"score.enabled=true", db}, "score.model: give the exported model folder"},
		{[]string{"annotate.enabled=true", db}, "annotate.labels: give the label set"},
		{[]string{"score.enabled=true", db, "score.predictUrl=ftp://server"}, "predictUrl"},
		{[]string{"dashboard.tables={bad;name}"}, "tables"},
		{[]string{"dashboard.refresh=often"}, "refresh"},
		{[]string{"score.table=x y"}, "table"},
		{[]string{"dashboard.replica=2"}, "additional properties 'replica' not allowed"},
		{[]string{"postgres.dsn=mysql://x"}, "dsn"},
		{[]string{"score.probes.live=1"}, "additional properties 'live' not allowed"},
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
