package runner

import (
	"strings"
	"testing"

	"github.com/openihsm/openihsm/features"
)

// TestParseFeatures checks that the embedded bundle parses, generated
// subdirectory included, that every pickle has a line, and that a
// @not-mechanical scenario carries its reason (the lint, package
// conformance/lint, checks the tags and the steps).
func TestParseFeatures(t *testing.T) {
	ps, digest, err := ParseFeatures(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("%d pickles, digest %q", len(ps), digest)
	}
	generated, notMech := 0, 0
	for _, p := range ps {
		if p.Line == 0 {
			t.Errorf("%q: no line", p.Name)
		}
		if strings.HasPrefix(p.URI, "generated/") {
			generated++
		}
		if p.HasTag(TagNotMechanical) {
			notMech++
			if !strings.HasPrefix(p.Description, "Not produced mechanically: ") {
				t.Errorf("%s: a @not-mechanical scenario without its reason: %q", p.ID(), p.Description)
			}
		}
	}
	if generated == 0 || notMech == 0 {
		t.Errorf("%d generated pickles, %d @not-mechanical", generated, notMech)
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
