package stages

import "testing"

func TestContractsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Components {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		if seen[c.Name] {
			t.Errorf("duplicate component %q", c.Name)
		}
		seen[c.Name] = true
	}
}
