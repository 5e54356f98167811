package docs_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tweetflow/tweetflow/internal/component"
	"github.com/tweetflow/tweetflow/internal/stages"
	"github.com/tweetflow/tweetflow/pipelines/docs"
)

func TestWriteCoversEveryContract(t *testing.T) {
	var a, b bytes.Buffer
	if err := docs.Write(&a, stages.All); err != nil {
		t.Fatal(err)
	}
	if err := docs.Write(&b, stages.All); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("two renders differ")
	}
	doc := a.String()
	for _, c := range stages.All {
		sec := section(t, doc, "## "+c.Name+"\n")
		for _, p := range c.Params {
			row := line(t, sec, "| `--"+p.Name+"` |")
			for _, want := range append([]string{component.EnvName(p.Name)}, p.Enum...) {
				if !strings.Contains(row, want) {
					t.Errorf("%s --%s: row lacks %q: %s", c.Name, p.Name, want, row)
				}
			}
			if p.Default != "" && !strings.Contains(row, "`"+p.Default+"`") {
				t.Errorf("%s --%s: row lacks the default %q: %s", c.Name, p.Name, p.Default, row)
			}
		}
		for _, in := range c.Inputs {
			line(t, sec, "| `--"+in.Name+"` | "+string(in.Kind)+" |")
		}
		for _, o := range c.Outputs {
			line(t, sec, "| `--out-"+o.Name+"` | "+string(o.Kind)+" |")
		}
		for _, r := range c.Results {
			line(t, sec, "| `"+r.Name+"` | ")
		}
	}
	common := section(t, doc, "## Common flags\n")
	for _, f := range component.CommonFlagNames() {
		line(t, common, "| `--"+f+"` |")
	}
}

func TestCellEscapesPipes(t *testing.T) {
	c := component.Contract{Name: "x", Summary: "a | b", Params: []component.Param{{Name: "p", Description: "one | two"}}}
	var b bytes.Buffer
	if err := docs.Write(&b, []*component.Contract{&c}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `one \| two`) || strings.Contains(b.String(), "one | two") {
		t.Errorf("pipe not escaped:\n%s", b.String())
	}
}

func section(t *testing.T, doc, head string) string {
	t.Helper()
	i := strings.Index(doc, head)
	if i < 0 {
		t.Fatalf("no section %q", head)
	}
	rest := doc[i+len(head):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func line(t *testing.T, sec, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(sec, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Errorf("no line starting with %q", prefix)
	return ""
}
