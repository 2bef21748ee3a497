package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// xmllint finds libxml2's xmllint (Debian's libxml2-utils), the XML Schema
// validator the JUnit check uses. Outside CI a machine without it skips
// the check; in CI (CI=true) its absence fails the run, so the check can
// never silently stop running.
func xmllint(t *testing.T) string {
	t.Helper()
	if path, err := exec.LookPath("xmllint"); err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("xmllint not found and CI=true: .ci/run installs Debian's libxml2-utils package; the JUnit schema check must run in CI")
	}
	t.Skip("xmllint not found (install Debian's libxml2-utils package); skipped outside CI")
	return ""
}

// validateJUnit validates doc against schema/junit.xsd. It returns nil when
// the document is valid and the xmllint output when the schema rejects it;
// any other xmllint failure (the schema does not compile, the document is
// not XML) fails the test, so a rejection always means the schema said no.
func validateJUnit(t *testing.T, lint string, doc []byte) error {
	t.Helper()
	f := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--noout", "--schema", filepath.Join("schema", "junit.xsd"), f).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() == 3: // xmllint: the document does not validate
		return errors.New(string(out))
	default:
		t.Fatalf("xmllint: %v\n%s", err, out)
		return nil
	}
}

// junitSample is the sample report with a scenario of every outcome: one
// passed, one failed (a message that needs escaping), one skipped and two
// not tested, one of a microsecond (a time encoding/xml would write with
// an exponent).
func junitSample() *Report {
	r := sample()
	r.Scenarios = append(r.Scenarios,
		Scenario{ID: "b.feature:12", Name: "fails", Feature: "b", Profile: "baseline", Status: Failed, DurationMS: 0.001,
			Message: "step 3: status is \"Busy\" <want Success> & the device\nsaid \x1b[31mno"},
		Scenario{ID: "c.feature:2", Name: "destroys", Feature: "c", Profile: "baseline", Status: Skipped, DurationMS: 1234.5678,
			Message: "destructive: needs --allow-destructive"},
	)
	return r
}

// TestJUnitValidatesAgainstSchema writes the JUnit XML of a report with
// every scenario outcome and validates it against schema/junit.xsd, then
// checks that the schema rejects broken variants of it, so the check
// cannot pass vacuously.
func TestJUnitValidatesAgainstSchema(t *testing.T) {
	lint := xmllint(t)
	var buf bytes.Buffer
	if err := junitSample().WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	if err := validateJUnit(t, lint, buf.Bytes()); err != nil {
		t.Fatalf("junit.xml does not validate against schema/junit.xsd:\n%s\n%s", err, good)
	}
	for _, want := range []string{"<failure ", "<skipped ", `errors="0"`, `timestamp="2026-01-01T00:00:00Z"`, `time="0.000"`, `time="1.235"`} {
		if !strings.Contains(good, want) {
			t.Errorf("junit.xml has no %s:\n%s", want, good)
		}
	}

	for name, edit := range map[string][2]string{
		"testcase without name":  {`<testcase name="ok [a.feature:3]" `, `<testcase `},
		"testcase without class": {`classname="a"`, `class="a"`},
		"skipped not a number":   {`skipped="3"`, `skipped="three"`},
		"negative failures":      {`failures="1"`, `failures="-1"`},
		"time with an exponent":  {`time="0.000"`, `time="1e-06"`},
		"bad timestamp":          {`timestamp="2026-01-01T00:00:00Z"`, `timestamp="yesterday"`},
		"suite without tests":    {`<testsuite name="a" tests="2"`, `<testsuite name="a"`},
		"unknown element":        {`time="0.002"></testcase>`, `time="0.002"><ignored></ignored></testcase>`},
		"skipped and failed":     {`<failure `, `<skipped></skipped><failure `},
		"testcase outside suite": {`<testsuite name="a" tests="2"`, `<testcase name="x" classname="y"></testcase><testsuite name="a" tests="2"`},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(good, edit[0], edit[1], 1)
			if bad == good {
				t.Fatalf("edit %q did not apply", edit[0])
			}
			if err := validateJUnit(t, lint, []byte(bad)); err == nil {
				t.Fatalf("schema/junit.xsd accepts a broken document:\n%s", bad)
			}
		})
	}
}

// TestJUnitCountsAgree checks what XML Schema 1.0 cannot: every suite's
// counts are those of its test cases, and the totals their sums.
func TestJUnitCountsAgree(t *testing.T) {
	var buf bytes.Buffer
	if err := junitSample().WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var tests, failures, skipped int
	for _, s := range got.Suites {
		f, k := 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
				if c.Failure.Text == "" {
					t.Errorf("%s: <failure> without its message as text", c.Name)
				}
			}
			if c.Skipped != nil {
				k++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Skipped != k || s.Errors != 0 {
			t.Errorf("suite %s: tests/failures/errors/skipped %d/%d/%d/%d, its cases %d/%d/0/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, k)
		}
		tests, failures, skipped = tests+s.Tests, failures+s.Failures, skipped+s.Skipped
	}
	if got.Tests != tests || got.Failures != failures || got.Skipped != skipped || got.Errors != 0 {
		t.Errorf("totals %d/%d/%d/%d, the suites' sums %d/%d/0/%d", got.Tests, got.Failures, got.Errors, got.Skipped, tests, failures, skipped)
	}
	if tests != 5 || failures != 1 || skipped != 3 {
		t.Errorf("tests/failures/skipped %d/%d/%d, want 5/1/3", tests, failures, skipped)
	}
}
