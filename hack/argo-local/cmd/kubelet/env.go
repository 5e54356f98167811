package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var varRef = regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// expand replaces $(VAR) with the value of VAR in env, keeps unknown
// references as written and turns $$ into $, like the kubelet.
func expand(s string, env map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		if v, ok := env[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// envList is an ordered environment: later values replace earlier ones in place.
type envList struct {
	order []string
	vals  map[string]string
}

func (e *envList) set(k, v string) {
	if e.vals == nil {
		e.vals = map[string]string{}
	}
	if _, ok := e.vals[k]; !ok {
		e.order = append(e.order, k)
	}
	e.vals[k] = v
}

func (e *envList) list() []string {
	out := make([]string, 0, len(e.order))
	for _, k := range e.order {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

// buildEnv returns the container's environment: the image's, the service
// variables of the API server, envFrom, then env (with $(VAR) references to
// earlier variables expanded), as the kubelet builds it.
func (k *kubelet) buildEnv(ctx context.Context, p *corev1.Pod, c *corev1.Container, img *image) (*envList, error) {
	e := &envList{}
	for _, kv := range img.Config.Env {
		name, v, _ := strings.Cut(kv, "=")
		e.set(name, v)
	}
	if _, ok := e.vals["PATH"]; !ok {
		e.set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	e.set("HOSTNAME", p.Name)
	if _, ok := e.vals["HOME"]; !ok {
		e.set("HOME", "/")
	}
	e.set("KUBERNETES_SERVICE_HOST", k.apiHost)
	e.set("KUBERNETES_SERVICE_PORT", k.apiPort)
	e.set("KUBERNETES_SERVICE_PORT_HTTPS", k.apiPort)
	e.set("KUBERNETES_PORT", "tcp://"+k.apiHost+":"+k.apiPort)
	for _, ef := range c.EnvFrom {
		var data map[string][]byte
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := k.c.CoreV1().ConfigMaps(p.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("envFrom configMap %q: %w", ef.ConfigMapRef.Name, err)
			}
			data = configMapData(cm)
		case ef.SecretRef != nil:
			s, err := k.c.CoreV1().Secrets(p.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("envFrom secret %q: %w", ef.SecretRef.Name, err)
			}
			data = s.Data
		}
		for k, v := range data {
			e.set(ef.Prefix+k, string(v))
		}
	}
	for _, ev := range c.Env {
		v := expand(ev.Value, e.vals)
		if vf := ev.ValueFrom; vf != nil {
			if vf.SecretKeyRef != nil || vf.ConfigMapKeyRef != nil {
				val, ok := k.lookupKey(ctx, p, vf)
				if !ok && optionalMissing(vf) {
					continue // a missing optional key leaves the variable unset
				}
				if !ok {
					return nil, fmt.Errorf("env %s: %w", ev.Name, missingKey(vf))
				}
				v = val
			} else {
				var err error
				if v, err = k.envFrom(p, vf); err != nil {
					return nil, fmt.Errorf("env %s: %w", ev.Name, err)
				}
			}
		}
		e.set(ev.Name, v)
	}
	return e, nil
}

func optionalMissing(vf *corev1.EnvVarSource) bool {
	switch {
	case vf.SecretKeyRef != nil:
		return vf.SecretKeyRef.Optional != nil && *vf.SecretKeyRef.Optional
	case vf.ConfigMapKeyRef != nil:
		return vf.ConfigMapKeyRef.Optional != nil && *vf.ConfigMapKeyRef.Optional
	}
	return false
}

// lookupKey reports whether the secret or configMap key of vf exists.
func (k *kubelet) lookupKey(ctx context.Context, p *corev1.Pod, vf *corev1.EnvVarSource) (string, bool) {
	switch {
	case vf.SecretKeyRef != nil:
		s, err := k.c.CoreV1().Secrets(p.Namespace).Get(ctx, vf.SecretKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", false
		}
		v, ok := s.Data[vf.SecretKeyRef.Key]
		return string(v), ok
	case vf.ConfigMapKeyRef != nil:
		cm, err := k.c.CoreV1().ConfigMaps(p.Namespace).Get(ctx, vf.ConfigMapKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", false
		}
		v, ok := configMapData(cm)[vf.ConfigMapKeyRef.Key]
		return string(v), ok
	}
	return "", true
}

func missingKey(vf *corev1.EnvVarSource) error {
	if vf.SecretKeyRef != nil {
		return fmt.Errorf("secret %q has no key %q (or does not exist)", vf.SecretKeyRef.Name, vf.SecretKeyRef.Key)
	}
	return fmt.Errorf("configMap %q has no key %q (or does not exist)", vf.ConfigMapKeyRef.Name, vf.ConfigMapKeyRef.Key)
}

func (k *kubelet) envFrom(p *corev1.Pod, vf *corev1.EnvVarSource) (string, error) {
	switch {
	case vf.FieldRef != nil:
		return fieldRef(p, k.nodeName, k.nodeIP, vf.FieldRef.FieldPath)
	case vf.ResourceFieldRef != nil:
		return "0", nil
	}
	return "", fmt.Errorf("unsupported valueFrom")
}
