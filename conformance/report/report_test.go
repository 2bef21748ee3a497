package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func sample() *Report {
	r := &Report{
		ReportVersion:  Version,
		Suite:          Suite{Name: "openihsm-conformance", Version: "0.1.0", SpecVersion: "0.1.0", APIRevision: "1.0", SpecDigest: "sha256:" + strings.Repeat("a", 64), FeaturesDigest: "sha256:" + strings.Repeat("b", 64)},
		Implementation: Implementation{Vendor: "OpenIHSM", Product: "reference", FirmwareVersion: "0.1.0", Profiles: []string{"baseline"}},
		Target:         "unix:///tmp/p0.sock",
		Seed:           42,
		Started:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Finished:       time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC),
		Scenarios: []Scenario{
			{ID: "a.feature:3", Name: "ok", Feature: "a", Requirements: []string{"IHSM-SES-001"}, Profile: "baseline", Status: Passed, DurationMS: 2},
			{ID: "a.feature:9", Name: "needs control", Feature: "a", Requirements: []string{"IHSM-TMP-001"}, Profile: "baseline", Status: NotTested, Message: "no control endpoint"},
			{ID: "b.feature:4", Name: "pqc", Feature: "b", Requirements: []string{"IHSM-CRY-010"}, Profile: "pqc", Status: NotTested},
		},
		Transcript: Transcript{File: "transcript.jsonl", Digest: "sha256:" + strings.Repeat("c", 64), Frames: 10},
	}
	reqs := []Requirement{
		{ID: "IHSM-SES-001", Level: "MUST", Profile: "baseline", Tested: "wire"},
		{ID: "IHSM-TMP-001", Level: "MUST", Profile: "baseline", Tested: "control"},
		{ID: "IHSM-CRY-010", Level: "MUST", Profile: "pqc", Tested: "wire"},
		{ID: "IHSM-ATT-009", Level: "SHOULD", Profile: "attestation", Tested: "review"},
	}
	r.Finalize(reqs, map[string]ProfileClaim{"baseline": {Claimed: true, Selected: true}, "pqc": {}})
	return r
}

func TestFinalizeAndSchema(t *testing.T) {
	r := sample()
	if r.Result != Passed {
		t.Fatalf("result = %s, want passed", r.Result)
	}
	for _, p := range r.Profiles {
		want := map[string]string{"baseline": Passed, "pqc": NotTested}[p.Name]
		if p.Result != want {
			t.Errorf("profile %s = %s, want %s", p.Name, p.Result, want)
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(data); err != nil {
		t.Fatal(err)
	}

	r.Scenarios[0].Status = Failed
	r.Finalize(r.Requirements, map[string]ProfileClaim{"baseline": {Claimed: true, Selected: true}})
	if r.Result != Failed {
		t.Fatal("a failed scenario did not fail the report")
	}
}

// TestClaimedProfileWithoutPassIsNotAPass checks the rule for a claimed
// profile none of whose scenarios passed: untested for lack of a control
// channel it makes the run incomplete, with the reason; rejected, or
// without any scenario in the bundle, it fails the run.
func TestClaimedProfileWithoutPassIsNotAPass(t *testing.T) {
	for name, c := range map[string]struct {
		claim      ProfileClaim
		scenarios  []Scenario
		result     string
		profile    string
		reasonPart string
	}{
		"untested for lack of control": {
			ProfileClaim{Claimed: true, Selected: true},
			[]Scenario{{ID: "c.feature:2", Profile: "attestation", Status: NotTested, Message: "needs a control channel (--control)"}},
			Incomplete, NotTested, "1 needs a control channel",
		},
		"rejected": {
			ProfileClaim{Claimed: true, Rejected: "mandatory feature attest.key is not declared in implementation.yaml"},
			[]Scenario{{ID: "c.feature:2", Profile: "attestation", Status: NotTested, Message: "profile attestation not claimed, rejected or not selected"}},
			Failed, Failed, "rejected: mandatory feature attest.key",
		},
		"no scenario in the bundle": {
			ProfileClaim{Claimed: true, Selected: true}, nil, Failed, Failed, "no scenario",
		},
		"not claimed": {
			ProfileClaim{},
			[]Scenario{{ID: "c.feature:2", Profile: "attestation", Status: NotTested}},
			Passed, NotTested, "not claimed",
		},
		"not selected": {
			ProfileClaim{Claimed: true},
			[]Scenario{{ID: "c.feature:2", Profile: "attestation", Status: NotTested}},
			Passed, NotTested, "not selected",
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := sample()
			r.Scenarios = append(r.Scenarios[:1:1], c.scenarios...)
			r.Finalize(r.Requirements, map[string]ProfileClaim{"baseline": {Claimed: true, Selected: true}, "attestation": c.claim})
			if r.Result != c.result {
				t.Errorf("result %s, want %s", r.Result, c.result)
			}
			for _, p := range r.Profiles {
				if p.Name == "attestation" && (p.Result != c.profile || !strings.Contains(p.Reason, c.reasonPart)) {
					t.Errorf("attestation: %s %q, want %s and a reason with %q", p.Result, p.Reason, c.profile, c.reasonPart)
				}
			}
			data, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(data); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	data, _ := json.Marshal(sample())
	for name, edit := range map[string][2]string{
		"unknown status":  {`"status":"passed"`, `"status":"ok"`},
		"bad digest":      {`"digest":"sha256:cccc`, `"digest":"md5:cccc`},
		"unknown field":   {`"seed":42`, `"seed":42,"extra":1`},
		"bad requirement": {`"IHSM-SES-001"`, `"SES-1"`},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(string(data), edit[0], edit[1], 1)
			if bad == string(data) {
				t.Fatalf("edit %q did not apply", edit[0])
			}
			if err := Validate([]byte(bad)); err == nil {
				t.Fatal("invalid report accepted")
			}
		})
	}
}

func TestJUnitReportsSkipsAsSkips(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tests != 3 || got.Skipped != 2 || got.Failures != 0 {
		t.Fatalf("tests/skipped/failures = %d/%d/%d, want 3/2/0", got.Tests, got.Skipped, got.Failures)
	}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			if strings.Contains(c.Name, "pqc") && c.Skipped == nil {
				t.Fatalf("not-tested case %q has no <skipped/>", c.Name)
			}
		}
	}
}

func TestCoverageNamesEveryRequirement(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteCoverage(&buf); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"IHSM-SES-001", "IHSM-TMP-001", "IHSM-CRY-010", "IHSM-ATT-009"} {
		if !strings.Contains(buf.String(), id) {
			t.Errorf("coverage matrix lacks %s", id)
		}
	}
	if !strings.Contains(buf.String(), "checked by review only") {
		t.Error("review-only requirement has no reason")
	}
}
