package labelset

import (
	"fmt"
	"slices"
	"strings"
)

// Named forms of the labels parameter.
const (
	ThreeClass = "three-class"
	Binary     = "binary"
	All        = "all"
	None       = "none"
)

// The labels of the sentiment forms. Do not modify them.
var (
	ThreeClassLabels = []string{"negative", "neutral", "positive"}
	BinaryLabels     = []string{"negative", "positive"}
)

// Forms describes the accepted forms, for error messages and help.
const Forms = "three-class, binary, all, none, or a comma list of at least 2 labels like AI,OTHER"

// Spec is a parsed labels parameter.
type Spec struct {
	form  string   // ThreeClass, Binary, All, None, or "" for an explicit list
	names []string // the explicit list
}

// Parse parses a labels parameter. Spaces around names are trimmed; an
// explicit list needs at least 2 labels, no empty names and no duplicates.
func Parse(s string) (Spec, error) {
	switch t := strings.TrimSpace(s); t {
	case ThreeClass, Binary, All, None:
		return Spec{form: t}, nil
	case "":
		return Spec{}, fmt.Errorf("empty label set: want %s", Forms)
	}
	parts := strings.Split(s, ",")
	names := make([]string, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return Spec{}, fmt.Errorf("label set %q: label %d is empty", s, i+1)
		}
		if slices.Contains(names, p) {
			return Spec{}, fmt.Errorf("label set %q: label %q is named twice", s, p)
		}
		names = append(names, p)
	}
	if len(names) < 2 {
		return Spec{}, fmt.Errorf("label set %q: unknown form, or a list of fewer than 2 labels: want %s", s, Forms)
	}
	return Spec{names: names}, nil
}

// MustParse is Parse for constants; it panics on error.
func MustParse(s string) Spec {
	sp, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// String renders the spec in parameter syntax.
func (s Spec) String() string {
	if s.form != "" {
		return s.form
	}
	return strings.Join(s.names, ",")
}

// IsAll reports the "all" form, whose labels come from the data.
func (s Spec) IsAll() bool { return s.form == All }

// IsNone reports the "none" form: the data is unlabeled.
func (s Spec) IsNone() bool { return s.form == None }

// Labels resolves the spec to the ordered class names. seen are the labels
// present in the data; only "all" reads them (empty labels are ignored,
// the rest sorted and deduplicated) and it needs at least 2. "none" has no
// labels and is an error here.
func (s Spec) Labels(seen []string) ([]string, error) {
	switch s.form {
	case ThreeClass:
		return slices.Clone(ThreeClassLabels), nil
	case Binary:
		return slices.Clone(BinaryLabels), nil
	case None:
		return nil, fmt.Errorf("label set %q: the data is declared unlabeled; label it first (the label stage) or pick labels: %s", None, Forms)
	case All:
		out := slices.DeleteFunc(slices.Clone(seen), func(l string) bool { return l == "" })
		slices.Sort(out)
		out = slices.Compact(out)
		if len(out) < 2 {
			return nil, fmt.Errorf("label set %q: the data has %d distinct label(s) %q, a classifier needs at least 2", All, len(out), out)
		}
		return out, nil
	}
	return slices.Clone(s.names), nil
}

// DefaultPositive is the positive class of a two-class problem when none
// is declared: the label named first in an explicit list, "positive" for
// binary, and "" (no rule: metrics' own default applies) for the others.
func (s Spec) DefaultPositive() string {
	switch s.form {
	case Binary:
		return "positive"
	case "":
		return s.names[0]
	}
	return ""
}

// Positive returns the index of the positive class among labels: declared
// when it is not empty, else def (usually Spec.DefaultPositive or a
// model's recorded positive label). It returns -1 when both are empty or
// there are more than 2 labels and nothing was declared. A declared label
// must be one of labels and needs exactly 2 of them.
func Positive(labels []string, declared, def string) (int, error) {
	if declared != "" {
		if len(labels) != 2 {
			return -1, fmt.Errorf("positive label %q: only a two-class model has a positive class, this one has %d labels %q", declared, len(labels), labels)
		}
		i := slices.Index(labels, declared)
		if i < 0 {
			return -1, fmt.Errorf("positive label %q is not one of the labels %q", declared, labels)
		}
		return i, nil
	}
	if def == "" || len(labels) != 2 {
		return -1, nil
	}
	return slices.Index(labels, def), nil
}
