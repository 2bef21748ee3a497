package runner

import (
	"testing"

	"github.com/openihsm/openihsm/features"
)

// TestFeatureBundle checks that the embedded bundle parses, that every
// scenario carries exactly one profile tag and at least one requirement
// tag, and that scenario names are unique within a file (results are
// matched by name).
func TestFeatureBundle(t *testing.T) {
	ps, digest, err := ParseFeatures(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 || digest == "" {
		t.Fatalf("%d pickles, digest %q", len(ps), digest)
	}
	profiles := map[string]bool{"@baseline": true, "@pqc": true, "@attestation": true, "@migration": true}
	seen := map[string]bool{}
	for _, p := range ps {
		n := 0
		for _, tg := range p.Tags {
			if profiles[tg] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s %q: %d profile tags", p.ID(), p.Name, n)
		}
		if len(requirementsOf(p)) == 0 {
			t.Errorf("%s %q: no requirement tag", p.ID(), p.Name)
		}
		if seen[p.Key()] {
			t.Errorf("%s: duplicate scenario name %q", p.ID(), p.Name)
		}
		seen[p.Key()] = true
		if p.Line == 0 {
			t.Errorf("%q: no line", p.Name)
		}
	}
}

func TestExprMatchesGodogSemantics(t *testing.T) {
	e := expr{{"@baseline", "@pqc"}, {"~@serial"}, {"~@destructive"}}
	if got := e.String(); got != "@baseline,@pqc&&~@serial&&~@destructive" {
		t.Fatalf("expr %q", got)
	}
	for _, c := range []struct {
		tags []string
		want bool
	}{
		{[]string{"@baseline"}, true},
		{[]string{"@pqc", "@IHSM-CRY-001"}, true},
		{[]string{"@baseline", "@serial"}, false},
		{[]string{"@attestation"}, false},
		{[]string{"@pqc", "@destructive"}, false},
	} {
		if got := e.match(c.tags); got != c.want {
			t.Errorf("%v: %v, want %v", c.tags, got, c.want)
		}
	}
}
