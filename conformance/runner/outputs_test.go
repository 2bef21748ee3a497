package runner

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openihsm/openihsm/conformance/report"
)

func outputsReport() *report.Report {
	digest := "sha256:" + strings.Repeat("a", 64)
	r := &report.Report{
		ReportVersion:  report.Version,
		Suite:          report.Suite{Name: "openihsm-conformance", Version: "test", SpecVersion: "0.1.0", APIRevision: "1.0", SpecDigest: digest, FeaturesDigest: digest},
		Implementation: report.Implementation{Vendor: "v", Product: "p", FirmwareVersion: "1", Profiles: []string{"baseline"}, Features: []string{}},
		Target:         "in-process",
		Started:        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Finished:       time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC),
		Scenarios: []report.Scenario{{ID: "a.feature:3", Name: "ok", Feature: "a.feature", Tags: []string{"@baseline"},
			Requirements: []string{"IHSM-SES-001"}, Profile: "baseline", Status: report.Passed, DurationMS: 1}},
		Transcript: report.Transcript{File: "transcript.jsonl", Digest: digest},
	}
	r.Finalize([]report.Requirement{{ID: "IHSM-SES-001", Level: "MUST", Profile: "baseline", Tested: "wire"}},
		map[string]report.ProfileClaim{"baseline": {Claimed: true, Selected: true}})
	return r
}

const cucumberFeature = `{"uri": "a.feature", "id": "a", "keyword": "Feature", "name": "A", "description": "", "line": 1,
	"elements": [{"id": "a;ok", "keyword": "Scenario", "name": "ok", "description": "", "line": 3, "type": "scenario",
		"steps": [{"keyword": "When ", "name": "I send GetApiRevision", "line": 4, "match": {"location": "steps.go:1"},
			"result": {"status": "passed", "duration": 1000}}]}]}`

// TestWriteOutputsValidatesCucumber checks that writeOutputs writes a
// cucumber.json that validates, and that a cucumber JSON its schema
// rejects is an error of the run: cucumber.json is not written, the
// verdict and the other outputs are.
func TestWriteOutputsValidatesCucumber(t *testing.T) {
	dir := t.TempDir()
	if err := writeOutputs(dir, outputsReport(), []json.RawMessage{json.RawMessage(cucumberFeature), json.RawMessage(cucumberFeature)}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "cucumber.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.ValidateCucumber(data); err != nil {
		t.Fatal(err)
	}

	dir = t.TempDir()
	bad := strings.Replace(cucumberFeature, `"status": "passed"`, `"status": "ok"`, 1)
	err = writeOutputs(dir, outputsReport(), []json.RawMessage{json.RawMessage(bad)})
	if err == nil || !strings.Contains(err.Error(), "cucumber.json") {
		t.Fatalf("a malformed cucumber JSON gave %v, want an error naming cucumber.json", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cucumber.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cucumber.json written despite failing its schema (%v)", err)
	}
	for _, f := range []string{"conformance-report.json", "junit.xml", "coverage.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}

	// A run that ran no scenario writes an empty array.
	dir = t.TempDir()
	if err := writeOutputs(dir, outputsReport(), nil); err != nil {
		t.Fatal(err)
	}
}
