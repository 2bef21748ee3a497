package runner

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openihsm/openihsm/conformance/report"
)

func TestShortfalls(t *testing.T) {
	r := &report.Report{
		Result: report.Passed,
		Scenarios: []report.Scenario{
			{ID: "a:1", Status: report.Passed},
			{ID: "a:2", Status: report.NotTested, Tags: []string{TagNotMechanical}},
		},
		Requirements: []report.Requirement{
			{ID: "IHSM-KEY-001", Level: "MUST", Tested: "wire", Status: report.Passed},
			{ID: "IHSM-KEY-002", Level: "MUST", Tested: "wire", Status: report.NotTested},
			{ID: "IHSM-KEY-010", Level: "SHOULD", Tested: "wire", Status: report.NotTested},
			{ID: "IHSM-KEY-015", Level: "MUST", Tested: "review", Status: report.NotTested},
		},
	}
	ex := []Exemption{{ID: "IHSM-KEY-002", Reason: "r"}}
	if got := Shortfalls(r, ex); len(got) != 0 {
		t.Fatalf("a complete pass has shortfalls: %q", got)
	}
	for name, edit := range map[string]func(r *report.Report){
		"a skipped scenario": func(r *report.Report) { r.Scenarios[0].Status = report.Skipped },
		"an untested scenario": func(r *report.Report) {
			r.Scenarios = append(r.Scenarios, report.Scenario{ID: "a:3", Status: report.NotTested})
		},
		"a failed scenario":    func(r *report.Report) { r.Scenarios[0].Status = report.Failed },
		"a problem":            func(r *report.Report) { r.Problems = []string{"p"} },
		"an uncovered MUST":    func(r *report.Report) { r.Requirements[0].Status = report.NotTested },
		"an incomplete result": func(r *report.Report) { r.Result = report.Incomplete },
		"an exempted MUST that failed": func(r *report.Report) {
			r.Requirements[1].Status = report.Failed
			r.Scenarios[0].Status = report.Failed
		},
	} {
		c := *r
		c.Scenarios = append([]report.Scenario{}, r.Scenarios...)
		c.Requirements = append([]report.Requirement{}, r.Requirements...)
		edit(&c)
		if got := Shortfalls(&c, ex); len(got) == 0 {
			t.Errorf("%s: no shortfall", name)
		}
	}
}

func TestLoadExemptions(t *testing.T) {
	ex, err := LoadExemptions(fstest.MapFS{ExemptionsFile: {Data: []byte("uncovered:\n  - id: IHSM-KEY-002\n    reason: why\n")}})
	if err != nil || len(ex) != 1 || ex[0].ID != "IHSM-KEY-002" || ex[0].Line != 2 {
		t.Fatalf("%+v, %v", ex, err)
	}
	if ex, err := LoadExemptions(fstest.MapFS{}); err != nil || ex != nil {
		t.Fatalf("a bundle without the file: %+v, %v", ex, err)
	}
	_, err = LoadExemptions(fstest.MapFS{ExemptionsFile: {Data: []byte("uncovered:\n  - id: X\n    note: y\n")}})
	if le, ok := err.(*LineError); !ok || le.Line != 3 || !strings.Contains(le.Error(), "note") {
		t.Fatalf("unknown field: %v", err)
	}
}
