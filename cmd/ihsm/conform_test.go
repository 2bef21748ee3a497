//go:build !ihsmfirmware

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestConformLint runs `ihsm conform lint` over the embedded bundle,
// which must be clean, and over broken fixtures, which must fail with
// file:line: rule lines.
func TestConformLint(t *testing.T) {
	code, out, errOut := runIHSM("conform", "lint")
	if code != 0 || !strings.HasPrefix(out, "ok: embedded features, ") {
		t.Fatalf("lint of the embedded bundle: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut = runIHSM("conform", "lint", filepath.Join("..", "..", "conformance", "lint", "testdata", "broken"))
	if code != 1 {
		t.Fatalf("lint of broken features: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"outlines.feature:24: undefined-step: ", "tags.feature:9: unknown-requirement: ", "uncovered.yaml:4: exemption: "} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if code, _, _ := runIHSM("conform", "lint", "a", "b"); code != 2 {
		t.Errorf("two directories: exit %d, want 2", code)
	}
	if code, _, _ := runIHSM("conform", "lint", filepath.Join("..", "..", "no-such-dir")); code != 1 {
		t.Errorf("a missing directory: exit %d, want 1", code)
	}
}

// TestBridgeBinary runs the real ihsm binary as an exec adapter in front
// of a reference HSM on a Unix socket: a request written to its stdin is
// answered on its stdout.
func TestBridgeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ihsm binary")
	}
	if code, _, _ := runIHSM("bridge"); code != 2 {
		t.Errorf("ihsm bridge without a target: exit %d, want 2", code)
	}
	bin := filepath.Join(t.TempDir(), "ihsm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	target := serveHSM(t)
	tr, err := transport.Dial(context.Background(), "exec:"+bin+" bridge "+target)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	c := client.New(tr)
	for range 3 {
		rev, err := c.GetApiRevision(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rev.MinRevision != wire.Revision {
			t.Fatalf("min revision 0x%04X", rev.MinRevision)
		}
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("the adapter did not end cleanly: %v", err)
	}
}

// TestConformExitCodes checks the exit statuses of docs/vendor.md that
// need no device: bad usage is 2, an unreachable device is 1 with the
// report written and the reason printed.
func TestConformExitCodes(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"--target", "http://device"}, 2},
		{[]string{"--target", "unix:///x.sock", "--implementation", filepath.Join(out, "missing.yaml")}, 2},
		{[]string{"--control", "unix:///c.sock"}, 2},
		{[]string{"--no-such-flag"}, 2},
	} {
		if code, _, errOut := runIHSM(append([]string{"conform", "--out", out}, c.args...)...); code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, c.code, errOut)
		}
	}
	target := "unix://" + filepath.Join(t.TempDir(), "nobody.sock")
	code, stdout, stderr := runIHSM("conform", "--target", target, "--out", out)
	if code != 1 || !strings.Contains(stdout, "problem: the device at "+target+" does not answer") || !strings.Contains(stderr, "nothing was tested") {
		t.Fatalf("unreachable device: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "conformance-report.json")); err != nil {
		t.Fatal(err)
	}
}
