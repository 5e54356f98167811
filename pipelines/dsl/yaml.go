package dsl

import (
	"encoding/json"
	"fmt"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	"sigs.k8s.io/yaml"
)

// Marshal renders a WorkflowTemplate as YAML without the empty status and
// creationTimestamp fields Kubernetes types always carry. The output is
// deterministic (map keys sorted).
func Marshal(wt *wfv1.WorkflowTemplate) ([]byte, error) {
	b, err := json.Marshal(wt)
	if err != nil {
		return nil, fmt.Errorf("marshalling workflow template %q: %w", wt.Name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("marshalling workflow template %q: %w", wt.Name, err)
	}
	prune(m)
	out, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshalling workflow template %q: %w", wt.Name, err)
	}
	return out, nil
}

// emptyDroppable are keys whose empty object means nothing (unlike, say,
// emptyDir: {}).
var emptyDroppable = map[string]bool{
	"status": true, "resources": true, "metadata": true, "inputs": true,
	"outputs": true, "arguments": true, "spec": false,
}

// prune drops null values (creationTimestamp: null) and the empty objects
// of emptyDroppable keys (status: {}, resources: {}) recursively.
func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if c, ok := v["container"].(map[string]any); ok && c["name"] == "" {
			delete(c, "name") // Argo names the main container itself
		}
		for k, x := range v {
			x = prune(x)
			if x == nil {
				delete(v, k)
				continue
			}
			if mm, ok := x.(map[string]any); ok && len(mm) == 0 && emptyDroppable[k] {
				delete(v, k)
				continue
			}
			v[k] = x
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = prune(x)
		}
		return v
	}
	return v
}

// Unmarshal parses a WorkflowTemplate from YAML or JSON.
func Unmarshal(b []byte) (*wfv1.WorkflowTemplate, error) {
	var wt wfv1.WorkflowTemplate
	if err := yaml.UnmarshalStrict(b, &wt); err != nil {
		return nil, fmt.Errorf("parsing workflow template: %w", err)
	}
	if wt.Kind != "" && wt.Kind != "WorkflowTemplate" {
		return nil, fmt.Errorf("parsing workflow template: kind is %q, want WorkflowTemplate", wt.Kind)
	}
	return &wt, nil
}
