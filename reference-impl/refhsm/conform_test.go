package refhsm

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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

func start(t *testing.T) *HSM {
	t.Helper()
	h, err := Start(Options{PINIterations: 1000})
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

// run runs the whole suite, destructive scenarios included, and returns
// its report; the outputs go to a temporary directory.
func run(t *testing.T, d driver.Driver, target string, im *runner.Implementation) (*report.Report, string) {
	t.Helper()
	out := t.TempDir()
	digest, err := runner.Digest(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.Run(context.Background(), runner.Options{
		Spec: loadSpec(t), SpecDigest: digest, Features: features.FS, Driver: d, Target: target,
		Out: out, AllowDestructive: true, Concurrency: 2, Implementation: im,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, out
}

func requirePassed(t *testing.T, r *report.Report) {
	t.Helper()
	var failed []string
	passed := 0
	for _, s := range r.Scenarios {
		switch s.Status {
		case report.Passed:
			passed++
		case report.Failed:
			failed = append(failed, s.ID+" "+s.Name+": "+s.Message)
		}
	}
	if r.Result != report.Passed || len(failed) > 0 {
		t.Fatalf("the reference HSM fails the suite (%s), %d scenarios failed:\n%s", r.Result, len(failed), strings.Join(failed, "\n"))
	}
	if passed == 0 {
		t.Fatal("no scenario ran")
	}
	t.Logf("%d scenarios passed", passed)
}

func TestSuiteInProcess(t *testing.T) {
	h := start(t)
	r, out := run(t, h.InProcess(), "in-process", nil)
	requirePassed(t, r)
	for _, f := range []string{"conformance-report.json", "junit.xml", "cucumber.json", "transcript.jsonl", "coverage.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestSuiteUnixSocket(t *testing.T) {
	h := start(t)
	ctl, err := driver.DialControl(context.Background(), h.ControlURL())
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	targets := h.Targets()
	if len(targets) != 2 || !strings.HasPrefix(targets[0], "unix://") {
		t.Fatalf("targets %v", targets)
	}
	r, _ := run(t, driver.WithControl(&driver.URLs{Targets: targets}, ctl), strings.Join(targets, ","), nil)
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

func TestClaimedProfileMissingFeatureFails(t *testing.T) {
	h := start(t)
	d := withoutFeature{h.InProcess(), "alg.mlkem768"}
	im := &runner.Implementation{
		Vendor: "OpenIHSM", Product: "reference HSM", FirmwareVersion: "embedded",
		Profiles: []string{"baseline", "pqc"},
		Features: []string{"alg.ecdsa-p256", "alg.ecdsa-p384", "alg.ecdsa-p521", "alg.rsa", "alg.aes", "alg.hmac",
			"alg.ed25519", "alg.ecdh", "alg.kdf", "key.unwrap", "key.masking", "alg.mldsa65", "alg.mlkem768"},
	}
	r, _ := run(t, d, "in-process without ML-KEM", im)
	if r.Result == report.Passed {
		t.Fatal("a device claiming pqc without ML-KEM-768 passed")
	}
	found := false
	for _, p := range r.Problems {
		found = found || strings.Contains(p, "profile pqc rejected") && strings.Contains(p, "alg.mlkem768")
	}
	if !found {
		t.Fatalf("no clear problem naming the profile and the feature: %q", r.Problems)
	}
}
