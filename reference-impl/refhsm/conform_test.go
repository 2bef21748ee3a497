package refhsm

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

func loadSpec(t *testing.T) *model.Spec {
	t.Helper()
	sp, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func start(t *testing.T, o Options) *HSM {
	t.Helper()
	o.PINIterations = 1000
	h, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

func controlled(t *testing.T, h *HSM, targets []string) driver.Driver {
	t.Helper()
	ctl, err := driver.DialControl(context.Background(), h.ControlURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctl.Close() })
	return driver.WithControl(&driver.URLs{Targets: targets}, ctl)
}

// run runs the suite, destructive scenarios included, and returns its
// report; the outputs go to a temporary directory. The runner checks the
// JSON outputs against their schemas before writing them; run checks the
// cucumber.json it wrote again, so every run here tries the schema on
// godog's output of real scenarios against the reference HSM.
func run(t *testing.T, o runner.Options) (*report.Report, string) {
	t.Helper()
	out := t.TempDir()
	digest, err := runner.Digest(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	o.Spec, o.SpecDigest, o.Out, o.AllowDestructive = loadSpec(t), digest, out, true
	if o.Concurrency == 0 {
		o.Concurrency = 2
	}
	if o.Features == nil {
		o.Features = features.FS
	}
	r, err := runner.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	cj, err := os.ReadFile(filepath.Join(out, "cucumber.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.ValidateCucumber(cj); err != nil {
		t.Fatal(err)
	}
	return r, out
}

// requirePassed demands a complete pass (runner.Shortfalls): nothing
// failed, skipped or left untested but the @not-mechanical scenarios, no
// run problem, and every MUST requirement tested by wire or control
// passed unless features/uncovered.yaml lists it.
func requirePassed(t *testing.T, r *report.Report) {
	t.Helper()
	ex, err := runner.LoadExemptions(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	if bad := runner.Shortfalls(r, ex); len(bad) > 0 {
		t.Fatalf("the reference HSM does not pass the whole suite:\n%s", strings.Join(bad, "\n"))
	}
	passed := 0
	for _, s := range r.Scenarios {
		if s.Status == report.Passed {
			passed++
		}
	}
	t.Logf("%d scenarios passed", passed)
}

func TestSuiteInProcess(t *testing.T) {
	h := start(t, Options{})
	r, out := run(t, runner.Options{Driver: h.InProcess(), Target: "in-process"})
	requirePassed(t, r)
	for _, f := range []string{"conformance-report.json", "junit.xml", "cucumber.json", "transcript.jsonl", "coverage.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "conformance-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Validate(data); err != nil {
		t.Fatal(err)
	}
	if r.Suite.Digest == "" || r.Suite.BinaryDigest == "" || r.Suite.StepsDigest == "" || r.SerialSeed != r.Seed+1 {
		t.Errorf("suite %+v, seeds %d and %d", r.Suite, r.Seed, r.SerialSeed)
	}
}

func TestSuiteUnixSocket(t *testing.T) {
	h := start(t, Options{})
	targets := h.Targets()
	if len(targets) != 2 || !strings.HasPrefix(targets[0], "unix://") {
		t.Fatalf("targets %v", targets)
	}
	r, _ := run(t, runner.Options{Driver: controlled(t, h, targets), Target: strings.Join(targets, ",")})
	requirePassed(t, r)
}

// withoutFeature hides a feature from GetCapabilities responses, making
// the reference HSM a device that lacks it.
type withoutFeature struct {
	driver.Driver
	feature string
}

func (w withoutFeature) Dial(ctx context.Context, i int) (transport.Transport, error) {
	t, err := w.Driver.Dial(ctx, i)
	if err != nil {
		return nil, err
	}
	return hidingTransport{t, w.feature}, nil
}

type hidingTransport struct {
	transport.Transport
	feature string
}

func (h hidingTransport) RoundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	out, err := h.Transport.RoundTrip(ctx, frame)
	if err != nil {
		return out, err
	}
	rh, env, err := wire.DecodeResponse(out)
	if err != nil || rh.Opcode != wire.OpGetCapabilities || env.Body == nil {
		return out, nil
	}
	var caps wire.GetCapabilitiesResponse
	if err := wire.Unmarshal(env.Body, &caps); err != nil {
		return out, nil
	}
	caps.Features = slices.DeleteFunc(caps.Features, func(f string) bool { return f == h.feature })
	body, err := wire.Marshal(&caps)
	if err != nil {
		return nil, err
	}
	return wire.EncodeResponse(rh, wire.Envelope{Body: body})
}

// TestClaimedProfileMissingFeatureFails runs the suite against a device
// that claims pqc but lacks ML-KEM-768: the run fails, the pqc profile is
// claimed and failed, and a problem names the profile and the feature.
func TestClaimedProfileMissingFeatureFails(t *testing.T) {
	h := start(t, Options{})
	im := &runner.Implementation{
		Vendor: "OpenIHSM", Product: "reference HSM", FirmwareVersion: "embedded",
		Profiles: []string{"baseline", "pqc"},
	}
	r, _ := run(t, runner.Options{Driver: withoutFeature{h.InProcess(), "alg.mlkem768"}, Target: "in-process without ML-KEM",
		Implementation: im, Features: oneScenario(t), SkipVectors: true})
	if r.Result != report.Failed {
		t.Fatalf("a device claiming pqc without ML-KEM-768 got %s", r.Result)
	}
	found := false
	for _, p := range r.Problems {
		found = found || strings.Contains(p, "profile pqc rejected") && strings.Contains(p, "alg.mlkem768")
	}
	if !found {
		t.Fatalf("no clear problem naming the profile and the feature: %q", r.Problems)
	}
	for _, p := range r.Profiles {
		switch {
		case p.Name == "pqc" && (!p.Claimed || p.Result != report.Failed || !strings.Contains(p.Reason, "alg.mlkem768")):
			t.Errorf("pqc: %+v", p)
		case p.Name == "baseline" && p.Result != report.Passed:
			t.Errorf("baseline: %+v", p)
		}
	}
}

// oneScenario is a bundle of one baseline and one pqc scenario.
func oneScenario(t *testing.T) fs.FS {
	t.Helper()
	return fstest.MapFS{"one.feature": {Data: []byte(`Feature: One
  @baseline @IHSM-DEV-001
  Scenario: The revision
    When I send GetApiRevision
    Then the status is Success

  @pqc @IHSM-CRY-004
  Scenario: An ML-DSA key
    Given a provisioned partition
    And an open session
    And a key of kind MlDsa65 with usage Sign as @k
`)}}
}

// TestExampleImplementationAccepted runs the suite with the example
// implementation.yaml of docs/vendor.md against the reference HSM.
func TestExampleImplementationAccepted(t *testing.T) {
	im, err := runner.LoadImplementation(filepath.Join("..", "..", "docs", "implementation.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, Options{})
	r, _ := run(t, runner.Options{Driver: h.InProcess(), Target: "in-process", Implementation: im, Features: oneScenario(t), SkipVectors: true})
	// The example names another vendor and product than the reference
	// HSM's, which is a problem; nothing else may be.
	for _, p := range r.Problems {
		if !strings.HasPrefix(p, "implementation.yaml declares vendor") && !strings.HasPrefix(p, "implementation.yaml declares product") &&
			!strings.HasPrefix(p, "implementation.yaml declares firmware_version") {
			t.Errorf("problem: %s", p)
		}
	}
	for _, p := range r.Profiles {
		if slices.Contains(im.Profiles, p.Name) && (!p.Claimed || p.Result != report.Passed) {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
}

// TestUnreachableDevice runs the suite against an endpoint nobody
// listens on: the run reports why, writes its outputs and fails.
func TestUnreachableDevice(t *testing.T) {
	target := "unix://" + filepath.Join(t.TempDir(), "nobody.sock")
	r, out := run(t, runner.Options{Driver: &driver.URLs{Targets: []string{target}}, Target: target})
	if r.Result != report.Failed || len(r.Problems) == 0 || !strings.Contains(r.Problems[0], "does not answer") {
		t.Fatalf("result %s, problems %q", r.Result, r.Problems)
	}
	for _, s := range r.Scenarios {
		if s.Status == report.Passed || s.Status == report.Failed {
			t.Fatalf("%s: %s against no device", s.ID, s.Status)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "conformance-report.json")); err != nil {
		t.Fatal(err)
	}
}

// TestFailureDoesNotCascade runs scenarios that fail midway with the
// device clock moved, the device tampered, a partition locked out or its
// PIN changed: the device is restored after each, so the scenario that runs after them
// passes, including the check of the certificates the reset issued (valid
// only if the clock was set back first).
func TestFailureDoesNotCascade(t *testing.T) {
	const (
		tamper = `
  @baseline @needs-control @IHSM-TMP-001
  Scenario: A tamper with the clock two hours ahead, then a wrong expectation
    Given a provisioned partition
    When the clock advances by 120m
    And the device is tampered
    And I send GetDeviceInfo
    Then the response field device_state is Operational
`
		lockout = `
  @baseline @needs-control @IHSM-PRV-009
  Scenario: A lockout, then a wrong expectation
    Given a provisioned partition
    When I fail the PIN check of OpenSession 5 times
    And I send OpenSession
    Then the status is Success
`
		pin = `
  @baseline @IHSM-PRV-012
  Scenario: A changed PIN, then a wrong expectation
    Given a provisioned partition
    And an open session
    And I save the suite PIN as @pin
    When I send ChangePin with:
      | current_pin | @pin                |
      | new_pin     | text:changed-pin-01 |
    Then the status is PinIncorrect
`
		after = `
  @baseline @serial @IHSM-SES-001
  Scenario: Afterwards the device serves sessions and its certificates are valid
    Given a provisioned partition
    And an open session
    When I send GetDeviceInfo
    Then the response field device_state is Operational
    And the response field partition_state is Provisioned
    When I send GetCredentialKey
    Then the credential key signature verifies against the certificate chain
`
	)
	// Without the tamper (and its reset), only the lockout's restoration
	// (the backoff waited out on the device clock, the PIN counter reset)
	// lets the last scenario open a session.
	// A failed scenario that changed the PIN gets the suite PIN back
	// (without a control channel too).
	for name, text := range map[string]string{"tamper and lockout": tamper + lockout + after, "lockout": lockout + after, "pin": pin + after} {
		t.Run(name, func(t *testing.T) {
			failureDoesNotCascade(t, fstest.MapFS{"cascade.feature": {Data: []byte("Feature: Failures midway\n" + text)}})
		})
	}
}

func failureDoesNotCascade(t *testing.T, bundle fs.FS) {
	h := start(t, Options{})
	o := runner.Options{Driver: controlled(t, h, h.Targets()), Target: "unix", Features: bundle, SkipVectors: true, Concurrency: 1}
	r, _ := run(t, o)
	for _, s := range r.Scenarios {
		want := report.Failed
		if strings.HasPrefix(s.Name, "Afterwards") {
			want = report.Passed
		}
		if s.Status != want {
			t.Errorf("%s: %s, want %s: %s", s.Name, s.Status, want, s.Message)
		}
		if s.Status == report.Failed && strings.Contains(s.Message, "restoring the device") {
			t.Errorf("%s: %s", s.Name, s.Message)
		}
	}
}
