package lint

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

func loadSpec(t *testing.T) *model.Spec {
	t.Helper()
	s, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFeatureBundleIsClean lints the suite's own bundle, the one `ihsm
// conform` embeds: go test fails on any problem, an uncovered MUST
// requirement included.
func TestFeatureBundleIsClean(t *testing.T) {
	ps, err := Lint(Options{Spec: loadSpec(t), Features: features.FS})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Error(p)
	}
}

// TestEveryRuleFires lints broken fixtures and expects each rule at its
// file and line: a lint that cannot fail proves nothing.
func TestEveryRuleFires(t *testing.T) {
	ps, err := Lint(Options{Spec: loadSpec(t), Features: os.DirFS("testdata/broken")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range ps {
		got[fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Rule)] = true
	}
	for _, want := range []string{
		"tags.feature:4: requirement-tag",
		"tags.feature:9: unknown-requirement",
		"tags.feature:14: profile-tag",
		"tags.feature:19: profile-tag",
		"tags.feature:24: unknown-tag",
		"tags.feature:29: duplicate-name",
		"outlines.feature:4: outline-placeholder",
		"outlines.feature:19: unused-column",
		"outlines.feature:24: undefined-step",
		"outlines.feature:28: not-mechanical",
		"sub/parse.feature:5: parse",
		"uncovered.yaml:2: exemption",  // no longer needed
		"uncovered.yaml:4: exemption",  // unknown id
		"uncovered.yaml:6: exemption",  // no reason
		"uncovered.yaml:8: exemption",  // not a MUST
		"uncovered.yaml:12: exemption", // listed twice
		"spec/spec.yaml:" + line(t, "attestation") + ": empty-profile",
		"spec/requirements/keys.yaml:" + reqLine(t, "IHSM-KEY-002") + ": uncovered-must",
	} {
		if !got[want] {
			t.Errorf("no %s", want)
		}
	}
	for _, not := range []string{"uncovered.yaml:10: exemption", "spec/spec.yaml:" + line(t, "baseline") + ": empty-profile"} {
		if got[not] {
			t.Errorf("unexpected %s", not)
		}
	}
	for _, p := range ps {
		if p.Rule == "uncovered-must" && strings.Contains(p.Message, "IHSM-ATT-003") {
			t.Errorf("an exempted requirement is reported uncovered: %s", p)
		}
		if p.Rule == "uncovered-must" && strings.Contains(p.Message, "IHSM-DEV-003") {
			t.Errorf("a covered requirement is reported uncovered: %s", p)
		}
	}
	if t.Failed() {
		for _, p := range ps {
			t.Log(p)
		}
	}
}

func TestMalformedExemptions(t *testing.T) {
	ps, err := Lint(Options{Spec: loadSpec(t), Features: os.DirFS("testdata/badyaml")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ps, func(p Problem) bool { return p.Rule == "exemption" && p.File == ExemptionsFile && p.Line == 3 }) {
		t.Errorf("an unknown field of uncovered.yaml is not reported at its line: %v", ps)
	}
}

func line(t *testing.T, profile string) string {
	p := loadSpec(t).Profile(profile)
	if p == nil {
		t.Fatalf("no profile %s", profile)
	}
	return strconv.Itoa(p.Line)
}

func reqLine(t *testing.T, id string) string {
	q := loadSpec(t).Requirement(id)
	if q == nil {
		t.Fatalf("no requirement %s", id)
	}
	return strconv.Itoa(q.Line)
}
