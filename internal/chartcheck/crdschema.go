package chartcheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	apiyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Schema is a kubeconform JSON schema of one kind, from a CRD.
type Schema struct {
	// Kind is the CRD's spec.names.kind.
	Kind string
	// Group and Version are the API group and served version the schema is of.
	Group, Version string
	// JSON is the schema document.
	JSON []byte
}

// CRDSchemas converts every CustomResourceDefinition in r (YAML, one or
// more documents) into kubeconform JSON schemas, one per served version.
// The conversion is kubeconform's openapi2jsonschema.py in strict mode:
// every object schema with properties and no additionalProperties gets
// additionalProperties false (except those marked
// x-kubernetes-preserve-unknown-fields), "format: int-or-string" becomes a
// oneOf of string and integer, and "nullable: true" also allows null.
func CRDSchemas(r io.Reader) ([]Schema, error) {
	dec := apiyaml.NewYAMLReader(bufio.NewReader(r))
	var out []Schema
	for {
		doc, err := dec.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading CRD documents: %w", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			return nil, fmt.Errorf("decoding CRD document: %w", err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			s := strictSchema(v.Schema.OpenAPIV3Schema)
			b, err := json.MarshalIndent(s, "", "  ")
			if err != nil {
				return nil, fmt.Errorf("encoding the schema of %s %s: %w", crd.Spec.Names.Kind, v.Name, err)
			}
			out = append(out, Schema{Kind: crd.Spec.Names.Kind, Group: crd.Spec.Group, Version: v.Name, JSON: append(b, '\n')})
		}
	}
	return out, nil
}

// FileName is the schema's file name under kubeconform's naming template
// {{ .ResourceKind }}{{ .KindSuffix }}.json: the lowercase kind, the first
// label of the group and the version, e.g.
// workflowtemplate-argoproj-v1alpha1.json.
func (s Schema) FileName() string {
	group, _, _ := strings.Cut(s.Group, ".")
	name := strings.ToLower(s.Kind)
	if group != "" {
		name += "-" + strings.ToLower(group)
	}
	return name + "-" + strings.ToLower(s.Version) + ".json"
}

// strictSchema rewrites one OpenAPI v3 schema node (see CRDSchemas).
func strictSchema(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v)+1)
		for k, x := range v {
			if m, ok := x.(map[string]any); ok && m["format"] == "int-or-string" {
				out[k] = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
				continue
			}
			out[k] = strictSchema(x)
		}
		_, hasProps := v["properties"]
		_, hasAdditional := v["additionalProperties"]
		preserve, _ := v["x-kubernetes-preserve-unknown-fields"].(bool)
		if hasProps && !hasAdditional && !preserve {
			out["additionalProperties"] = false
		}
		if nullable, _ := v["nullable"].(bool); nullable {
			if t, ok := v["type"].(string); ok {
				out["type"] = []any{t, "null"}
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = strictSchema(x)
		}
		return out
	}
	return v
}
