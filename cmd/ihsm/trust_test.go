//go:build !ihsmfirmware

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLITrustWarning: a command that sends the PIN warns when it trusts
// an unpinned device root, and is quiet once the root is pinned.
func TestCLITrustWarning(t *testing.T) {
	t.Setenv("IHSM_TARGET", serveHSM(t))
	t.Setenv("IHSM_PIN", "")
	t.Setenv("IHSM_ROOT", "")
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	os.WriteFile(pinFile, []byte("a fine pin\n"), 0o600)
	pin := "--pin-file=" + pinFile

	code, out, errOut := runIHSM("provision", pin)
	if code != 0 || !strings.Contains(errOut, "trust on first use") {
		t.Fatalf("provision without --root: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if code, _, errOut := runIHSM("device", "certs", "--out", filepath.Join(dir, "chain")); code != 0 || strings.Contains(errOut, "trust on first use") {
		t.Fatalf("device certs: exit %d, stderr %q (no PIN is sent, so no warning)", code, errOut)
	}
	root := "--root=" + filepath.Join(dir, "chain", "root.pem")
	if code, _, errOut := runIHSM("key", "list", pin, root); code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("key list with --root: exit %d, stderr %q", code, errOut)
	}
}

// TestCLIUsageNits: `ihsm device -h` is help, not an error, and key delete
// names only the flag it has.
func TestCLIUsageNits(t *testing.T) {
	for _, h := range []string{"-h", "--help", "help"} {
		if code, _, errOut := runIHSM("device", h); code != 0 || !strings.Contains(errOut, "usage: ihsm device") {
			t.Errorf("ihsm device %s: exit %d, %q", h, code, errOut)
		}
	}
	t.Setenv("IHSM_PIN", "some pin value")
	code, _, errOut := runIHSM("key", "delete")
	if code != 2 || !strings.Contains(errOut, "--key HANDLE") || strings.Contains(errOut, "--masked FILE") {
		t.Errorf("ihsm key delete: exit %d, %q", code, errOut)
	}
}
