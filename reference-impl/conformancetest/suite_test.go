package conformancetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/reference-impl/refhsm"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/transport"
)

// TestMain lets the test binary act as an exec adapter for
// TestSuiteExec: "conformancetest.test bridge TARGET" copies frames
// between its stdin and stdout and the endpoint TARGET
// (spec/transport.Bridge, the code of `ihsm bridge`).
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "bridge" {
		if err := transport.Bridge(context.Background(), os.Args[2], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// suite runs the whole suite, destructive and control scenarios
// included, against the reference HSM h through targets, and demands a
// complete pass (runner.Shortfalls). The vectors, which do not depend on
// the transport, run in TestVectorsPassOnReference.
func suite(t *testing.T, h *refhsm.HSM, targets []string) {
	t.Helper()
	ctl, err := driver.DialControl(context.Background(), h.ControlURL())
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	sp, err := model.Load(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := runner.Digest(spec.FS)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runner.Run(context.Background(), runner.Options{
		Spec: sp, SpecDigest: digest, Features: features.FS, Driver: driver.WithControl(&driver.URLs{Targets: targets}, ctl),
		Target: strings.Join(targets, ","), Out: t.TempDir(), AllowDestructive: true, Concurrency: 2, SkipVectors: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := runner.LoadExemptions(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	if bad := runner.Shortfalls(r, ex); len(bad) > 0 {
		t.Fatalf("the reference HSM does not pass the whole suite over %s:\n%s", targets[0], strings.Join(bad, "\n"))
	}
	if r.Result != report.Passed {
		t.Fatalf("result %s", r.Result)
	}
}

// TestSuiteTCP runs the suite over tcp:// endpoints.
func TestSuiteTCP(t *testing.T) {
	h, err := refhsm.Start(refhsm.Options{PINIterations: 1000, TCPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	targets := h.TCPTargets()
	if len(targets) != 2 || !strings.HasPrefix(targets[0], "tcp://127.0.0.1:") {
		t.Fatalf("targets %v", targets)
	}
	suite(t, h, targets)
}

// TestSuiteExec runs the suite over exec: endpoints: each connection is a
// child process (this test binary) bridging its stdin and stdout to a
// partition's Unix socket.
func TestSuiteExec(t *testing.T) {
	h := start(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, u := range h.Targets() {
		targets = append(targets, "exec:"+exe+" bridge "+u)
	}
	suite(t, h, targets)
}
