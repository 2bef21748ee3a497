package conformancetest

import (
	"context"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openihsm/openihsm/conformance/driver"
	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/runner"
	"github.com/openihsm/openihsm/features"
	"github.com/openihsm/openihsm/reference-impl/refhsm"
	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
)

// suite runs the bundle, destructive and control scenarios included,
// against the reference HSM h through targets, and returns the report.
// The vectors, which do not depend on the transport, run in
// TestVectorsPassOnReference.
func suite(t *testing.T, h *refhsm.HSM, targets []string, bundle fs.FS, profiles ...string) *report.Report {
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
		Spec: sp, SpecDigest: digest, Features: bundle, Driver: driver.WithControl(&driver.URLs{Targets: targets}, ctl),
		Target: strings.Join(targets, ","), Out: t.TempDir(), AllowDestructive: true, Concurrency: 2, SkipVectors: true,
		Profiles: profiles,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSuiteTCP runs the whole suite over tcp:// endpoints and demands a
// complete pass (runner.Shortfalls).
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
	r := suite(t, h, targets, features.FS)
	ex, err := runner.LoadExemptions(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	if bad := runner.Shortfalls(r, ex); len(bad) > 0 {
		t.Fatalf("the reference HSM does not pass the whole suite over TCP:\n%s", strings.Join(bad, "\n"))
	}
}

// TestSuiteExec runs the hand-written features over exec: endpoints, each
// connection a child `ihsm bridge unix:///...` process (the adapter
// docs/vendor.md gives vendors), and demands that every scenario pass.
// One child per connection makes this the slowest transport, and the
// generated scenarios exercise no transport path the hand-written ones do
// not (raw frames, length prefixes, control events, destructive runs);
// they run over Unix sockets, in process and over TCP.
func TestSuiteExec(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ihsm binary")
	}
	bin := filepath.Join(t.TempDir(), "ihsm")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ihsm").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	h := start(t)
	var targets []string
	for _, u := range h.Targets() {
		targets = append(targets, "exec:"+bin+" bridge "+u)
	}
	r := suite(t, h, targets, handWritten(t))
	var bad []string
	for _, s := range r.Scenarios {
		if s.Status != report.Passed {
			bad = append(bad, s.ID+" "+s.Name+": "+s.Status+": "+s.Message)
		}
	}
	bad = append(bad, r.Problems...)
	if len(bad) > 0 || r.Result != report.Passed || len(r.Scenarios) == 0 {
		t.Fatalf("the reference HSM does not pass the hand-written features over exec (%s):\n%s", r.Result, strings.Join(bad, "\n"))
	}
}

// handWritten is the feature bundle without features/generated.
func handWritten(t *testing.T) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(features.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".feature") {
			continue
		}
		data, err := fs.ReadFile(features.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = &fstest.MapFile{Data: data}
	}
	return out
}
