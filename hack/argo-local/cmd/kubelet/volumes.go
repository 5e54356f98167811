package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prepareVolumes materialises the pod's volumes as folders under
// <podDir>/volumes and returns their host paths by volume name.
func (k *kubelet) prepareVolumes(ctx context.Context, p *corev1.Pod, podDir string) (map[string]string, error) {
	vols := map[string]string{}
	var fsGroup *int64
	if p.Spec.SecurityContext != nil {
		fsGroup = p.Spec.SecurityContext.FSGroup
	}
	for _, v := range p.Spec.Volumes {
		dir := filepath.Join(podDir, "volumes", v.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		vols[v.Name] = dir
		w := &volumeWriter{dir: dir, fsGroup: fsGroup}
		var err error
		switch {
		case v.EmptyDir != nil:
			err = os.Chmod(dir, 0o777)
			if err == nil && fsGroup != nil {
				err = os.Chown(dir, 0, int(*fsGroup))
			}
		case v.HostPath != nil:
			vols[v.Name] = v.HostPath.Path
		case v.Secret != nil:
			err = k.secretVolume(ctx, p, w, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, v.Secret.DefaultMode)
		case v.ConfigMap != nil:
			err = k.configMapVolume(ctx, p, w, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional, v.ConfigMap.DefaultMode)
		case v.DownwardAPI != nil:
			err = w.downward(p, k.nodeName, k.nodeIP, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				switch {
				case src.ServiceAccountToken != nil:
					err = k.tokenVolume(ctx, p, w, src.ServiceAccountToken, v.Projected.DefaultMode)
				case src.ConfigMap != nil:
					err = k.configMapVolume(ctx, p, w, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, v.Projected.DefaultMode)
				case src.Secret != nil:
					err = k.secretVolume(ctx, p, w, src.Secret.Name, src.Secret.Items, src.Secret.Optional, v.Projected.DefaultMode)
				case src.DownwardAPI != nil:
					err = w.downward(p, k.nodeName, k.nodeIP, src.DownwardAPI.Items, v.Projected.DefaultMode)
				default:
					err = fmt.Errorf("unsupported projected source (only serviceAccountToken, configMap, secret, downwardAPI)")
				}
				if err != nil {
					break
				}
			}
		default:
			err = fmt.Errorf("unsupported volume type (argo-local supports emptyDir, hostPath, secret, configMap, downwardAPI, projected)")
		}
		if err != nil {
			return nil, fmt.Errorf("volume %q: %w", v.Name, err)
		}
	}
	return vols, nil
}

// volumeWriter writes the files of a secret, configMap, downwardAPI or
// projected volume with the modes and group ownership the kubelet gives them.
type volumeWriter struct {
	dir     string
	fsGroup *int64
}

func (w *volumeWriter) write(rel string, data []byte, mode *int32, defaultMode *int32) error {
	perm := os.FileMode(0o644)
	if defaultMode != nil {
		perm = os.FileMode(*defaultMode)
	}
	if mode != nil {
		perm = os.FileMode(*mode)
	}
	f := filepath.Join(w.dir, filepath.Clean("/"+rel))
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(f, data, perm); err != nil {
		return err
	}
	if err := os.Chmod(f, perm); err != nil {
		return err
	}
	if w.fsGroup != nil {
		return os.Chown(f, 0, int(*w.fsGroup))
	}
	return nil
}

// keys writes data as files: every key, or only items when given.
func (w *volumeWriter) keys(what string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32) error {
	if len(items) == 0 {
		names := make([]string, 0, len(data))
		for k := range data {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("%s has no key %q", what, it.Key)
		}
		if err := w.write(it.Path, v, it.Mode, defaultMode); err != nil {
			return err
		}
	}
	return nil
}

func (w *volumeWriter) downward(p *corev1.Pod, node, ip string, items []corev1.DownwardAPIVolumeFile, defaultMode *int32) error {
	for _, it := range items {
		if it.FieldRef == nil {
			return fmt.Errorf("downwardAPI %s: only fieldRef is supported", it.Path)
		}
		v, err := fieldRef(p, node, ip, it.FieldRef.FieldPath)
		if err != nil {
			return err
		}
		if err := w.write(it.Path, []byte(v), it.Mode, defaultMode); err != nil {
			return err
		}
	}
	return nil
}

func (k *kubelet) secretVolume(ctx context.Context, p *corev1.Pod, w *volumeWriter, name string, items []corev1.KeyToPath, optional *bool, mode *int32) error {
	s, err := k.c.CoreV1().Secrets(p.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional != nil && *optional {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret %q: %w", name, err)
	}
	return w.keys(fmt.Sprintf("secret %q", name), s.Data, items, mode)
}

func (k *kubelet) configMapVolume(ctx context.Context, p *corev1.Pod, w *volumeWriter, name string, items []corev1.KeyToPath, optional *bool, mode *int32) error {
	cm, err := k.c.CoreV1().ConfigMaps(p.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional != nil && *optional {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configMap %q: %w", name, err)
	}
	return w.keys(fmt.Sprintf("configMap %q", name), configMapData(cm), items, mode)
}

func (k *kubelet) tokenVolume(ctx context.Context, p *corev1.Pod, w *volumeWriter, src *corev1.ServiceAccountTokenProjection, mode *int32) error {
	sa := p.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{
		ExpirationSeconds: src.ExpirationSeconds,
		BoundObjectRef:    &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID},
	}}
	if src.Audience != "" {
		req.Spec.Audiences = []string{src.Audience}
	}
	tr, err := k.c.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("token of service account %q: %w", sa, err)
	}
	return w.write(src.Path, []byte(tr.Status.Token), nil, mode)
}

func configMapData(cm *corev1.ConfigMap) map[string][]byte {
	d := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for k, v := range cm.Data {
		d[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		d[k] = v
	}
	return d
}

var labelRef = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.*)'\]$`)

// fieldRef resolves a downward API field path of p.
func fieldRef(p *corev1.Pod, node, ip, path string) (string, error) {
	kv := func(m map[string]string) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%q\n", k, m[k])
		}
		return b.String()
	}
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "metadata.labels":
		return kv(p.Labels), nil
	case "metadata.annotations":
		return kv(p.Annotations), nil
	case "spec.nodeName":
		return node, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.podIP", "status.hostIP":
		return ip, nil
	case "status.podIPs", "status.hostIPs":
		return ip, nil
	}
	if m := labelRef.FindStringSubmatch(path); m != nil {
		if m[1] == "labels" {
			return p.Labels[m[2]], nil
		}
		return p.Annotations[m[2]], nil
	}
	return "", fmt.Errorf("unsupported fieldRef %q", path)
}
