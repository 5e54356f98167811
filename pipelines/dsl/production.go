package dsl

import (
	"fmt"
	"math"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	apiv1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tweetflow/tweetflow/internal/component"
)

// ResourceSpec is the CPU and memory of a component's container, in
// Kubernetes quantities ("500m", "2", "512Mi", "4Gi"). Empty fields are
// left unset.
type ResourceSpec struct {
	CPU         string // request
	Memory      string // request
	CPULimit    string
	MemoryLimit string
}

// StepDefaults are the production settings of a component's template:
// resources, a deadline per attempt and a retry policy. Zero fields fall
// back to the next level (step option, then component defaults, then
// pipeline defaults, then BaseDefaults).
type StepDefaults struct {
	Resources ResourceSpec
	Timeout   time.Duration
	Retry     *RetryPolicy
}

// BaseDefaults apply to every component a pipeline does not configure: a
// small container, a one-hour deadline per attempt and two retries with
// exponential backoff (30s, 60s) for transient failures.
var BaseDefaults = StepDefaults{
	Resources: ResourceSpec{CPU: "250m", Memory: "256Mi", CPULimit: "1", MemoryLimit: "1Gi"},
	Timeout:   time.Hour,
	Retry:     &RetryPolicy{Limit: 2, Backoff: 30 * time.Second, MaxWait: 5 * time.Minute},
}

// NoRetries is a RetryPolicy that never retries.
var NoRetries = RetryPolicy{}

// RetryExpression is the retry condition of every retried step, evaluated
// by Argo with lastRetry.status and lastRetry.exitCode (a string; "-1" when
// the pod never reported one): retry system errors (pod evicted, node
// lost) and failures of the main container, except a usage error
// (component.ExitUsage: rerunning cannot fix the arguments) and a failed
// quality gate (component.ExitGate: a verdict, not a glitch). The retry policy is Always, because Argo's
// OnError policy never retries a container that failed with a non-zero
// exit code, which is how a component reports a transient S3 or network
// error.
var RetryExpression = fmt.Sprintf(`lastRetry.status == "Error" || (asInt(lastRetry.exitCode) != %d && asInt(lastRetry.exitCode) != %d)`,
	component.ExitUsage, component.ExitGate)

// RunAsUser is the UID (and GID) component containers run as: the
// "nonroot" user of distroless base images.
const RunAsUser = 65532

// ScratchVolume is the emptyDir mounted at ScratchDir in every component
// container: the root filesystem is read-only, so results (ResultsDir) and
// temporary files (TMPDIR points there) go to it. It is not /tmp because
// the Helm chart mounts its own emptyDir at /tmp, and two volumes at one
// path are rejected; with both, each is writable.
const (
	ScratchVolume = "scratch"
	ScratchDir    = "/scratch"
)

// WithDefaults sets the pipeline-wide production settings (non-zero fields
// override BaseDefaults).
func WithDefaults(d StepDefaults) Option {
	return func(p *Pipeline) { p.defaults = merge(p.defaults, d) }
}

// WithComponentDefaults sets the production settings of the named
// components' templates (non-zero fields override the pipeline's), e.g. a
// table giving train and embed more CPU and memory.
func WithComponentDefaults(table map[string]StepDefaults) Option {
	return func(p *Pipeline) {
		if p.componentDefaults == nil {
			p.componentDefaults = map[string]StepDefaults{}
		}
		for k, v := range table {
			p.componentDefaults[k] = merge(p.componentDefaults[k], v)
		}
	}
}

// WithResources overrides the step's resources (non-empty fields).
func WithResources(r ResourceSpec) StepOption {
	return func(s *Step) { s.resources = mergeResources(s.resources, r) }
}

// PublishResults makes the step's results workflow outputs too
// (globalName <step>-<result>), so the Argo UI shows them on the
// workflow's summary, not only in the step's details.
func PublishResults() StepOption { return func(s *Step) { s.publish = true } }

func merge(base, over StepDefaults) StepDefaults {
	base.Resources = mergeResources(base.Resources, over.Resources)
	if over.Timeout > 0 {
		base.Timeout = over.Timeout
	}
	if over.Retry != nil {
		r := *over.Retry
		base.Retry = &r
	}
	return base
}

func mergeResources(base, over ResourceSpec) ResourceSpec {
	for _, f := range [][2]*string{{&base.CPU, &over.CPU}, {&base.Memory, &over.Memory},
		{&base.CPULimit, &over.CPULimit}, {&base.MemoryLimit, &over.MemoryLimit}} {
		if *f[1] != "" {
			*f[0] = *f[1]
		}
	}
	return base
}

// settings resolves a step's production settings: BaseDefaults, the
// pipeline's, the component's, then the step's own options.
func (s *Step) settings() StepDefaults {
	d := merge(BaseDefaults, s.p.defaults)
	d = merge(d, s.p.componentDefaults[s.c.Name])
	d = merge(d, StepDefaults{Resources: s.resources, Timeout: s.timeout, Retry: s.retry})
	return d
}

// checkResources validates the quantities and that requests do not exceed
// limits.
func (r ResourceSpec) check() error {
	q := map[string]resource.Quantity{}
	for name, v := range map[string]string{"cpu": r.CPU, "memory": r.Memory, "cpu limit": r.CPULimit, "memory limit": r.MemoryLimit} {
		if v == "" {
			continue
		}
		x, err := resource.ParseQuantity(v)
		if err != nil {
			return fmt.Errorf("resources: %s %q: %w", name, v, err)
		}
		q[name] = x
	}
	for _, pair := range [][2]string{{"cpu", "cpu limit"}, {"memory", "memory limit"}} {
		req, okr := q[pair[0]]
		lim, okl := q[pair[1]]
		if okr && okl && req.Cmp(lim) > 0 {
			return fmt.Errorf("resources: %s request %s is above its limit %s", pair[0], req.String(), lim.String())
		}
	}
	return nil
}

func (r ResourceSpec) requirements() apiv1.ResourceRequirements {
	var rr apiv1.ResourceRequirements
	set := func(l *apiv1.ResourceList, name apiv1.ResourceName, v string) {
		if v == "" {
			return
		}
		if *l == nil {
			*l = apiv1.ResourceList{}
		}
		(*l)[name] = resource.MustParse(v)
	}
	set(&rr.Requests, apiv1.ResourceCPU, r.CPU)
	set(&rr.Requests, apiv1.ResourceMemory, r.Memory)
	set(&rr.Limits, apiv1.ResourceCPU, r.CPULimit)
	set(&rr.Limits, apiv1.ResourceMemory, r.MemoryLimit)
	return rr
}

// securityContext is the hardened context of every component container.
func securityContext() *apiv1.SecurityContext {
	yes, no := true, false
	uid := int64(RunAsUser)
	return &apiv1.SecurityContext{
		RunAsNonRoot:             &yes,
		RunAsUser:                &uid,
		RunAsGroup:               &uid,
		ReadOnlyRootFilesystem:   &yes,
		AllowPrivilegeEscalation: &no,
		Capabilities:             &apiv1.Capabilities{Drop: []apiv1.Capability{"ALL"}},
		SeccompProfile:           &apiv1.SeccompProfile{Type: apiv1.SeccompProfileTypeRuntimeDefault},
	}
}

// applyProduction sets resources, security, the scratch volume, the termination message
// policy, the deadline and the retry strategy on a component template.
func applyProduction(t *wfv1.Template, d StepDefaults) {
	c := t.Container
	c.Resources = d.Resources.requirements()
	c.SecurityContext = securityContext()
	c.TerminationMessagePolicy = apiv1.TerminationMessageFallbackToLogsOnError
	c.VolumeMounts = append(c.VolumeMounts, apiv1.VolumeMount{Name: ScratchVolume, MountPath: ScratchDir})
	c.Env = append(c.Env, apiv1.EnvVar{Name: "TMPDIR", Value: ScratchDir})
	t.Volumes = append(t.Volumes, apiv1.Volume{Name: ScratchVolume, VolumeSource: apiv1.VolumeSource{EmptyDir: &apiv1.EmptyDirVolumeSource{}}})
	if d.Timeout > 0 {
		secs := intstr.FromInt32(int32(math.Ceil(d.Timeout.Seconds())))
		t.ActiveDeadlineSeconds = &secs
	}
	if r := d.Retry; r != nil && r.Limit > 0 {
		limit := intstr.FromInt32(int32(r.Limit))
		rs := &wfv1.RetryStrategy{Limit: &limit, RetryPolicy: wfv1.RetryPolicyAlways, Expression: RetryExpression}
		if r.Backoff > 0 {
			two := intstr.FromInt32(2)
			rs.Backoff = &wfv1.Backoff{Duration: r.Backoff.String(), Factor: &two}
			if r.MaxWait > 0 {
				rs.Backoff.Cap = r.MaxWait.String()
			}
		}
		t.RetryStrategy = rs
	}
}
