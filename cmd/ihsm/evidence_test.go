package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvidenceCLI runs keygen, build and verify end to end on a small
// command of this module, then tampers with the output.
func TestEvidenceCLI(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "")
	dir := t.TempDir()
	root, _ := filepath.Abs("../..")
	prefix := filepath.Join(dir, "demo")
	if code, _, stderr := ihsm(t, "evidence", "keygen", "--out", prefix); code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	out := filepath.Join(dir, "ev")
	code, stdout, stderr := ihsm(t, "evidence", "build", "--source", root, "--package", "./evidence/build/testdata/hello",
		"--out", out, "--key", prefix+".key", "--source-date-epoch", "1700000000", "--fresh-cache=false")
	if code != 0 {
		t.Fatalf("build: %d %s %s", code, stdout, stderr)
	}
	trust := filepath.Join(dir, "trust.yaml")
	os.WriteFile(trust, []byte("producers:\n  keys: [demo.pub]\n"), 0o644)
	if code, stdout, stderr := ihsm(t, "evidence", "verify", out, "--trust", trust); code != 0 || !strings.Contains(stdout, "result: PASSED") {
		t.Fatalf("verify: %d %s %s", code, stdout, stderr)
	}
	for _, f := range []string{"verification/report.txt", "verification/vsa.intoto.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("verify did not write %s", f)
		}
	}
	sbomPath := filepath.Join(out, "sbom.spdx.json")
	if code, stdout, _ := ihsm(t, "sbom", "--validate", sbomPath); code != 0 || !strings.Contains(stdout, "valid SPDX 2.3") {
		t.Fatalf("sbom --validate: %d %s", code, stdout)
	}
	regen := filepath.Join(dir, "regen.spdx.json")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if code, _, stderr := ihsm(t, "sbom", filepath.Join(out, "bin", "hello"), "--out", regen); code != 0 {
		t.Fatalf("sbom: %s", stderr)
	}
	a, _ := os.ReadFile(sbomPath)
	b, _ := os.ReadFile(regen)
	if string(a) != string(b) {
		t.Fatal("ihsm sbom of the released binary differs from the released SBOM")
	}

	data, _ := os.ReadFile(sbomPath)
	data[len(data)/2] ^= 1
	os.WriteFile(sbomPath, data, 0o644)
	code, stdout, stderr = ihsm(t, "evidence", "verify", out, "--trust", trust)
	if code != 1 || !strings.Contains(stderr, "file sbom.spdx.json") || !strings.Contains(stdout, "result: FAILED") {
		t.Fatalf("tampered verify: %d %q %q", code, stdout, stderr)
	}
	if code, _, _ := ihsm(t, "evidence", "verify", out); code != 2 {
		t.Fatalf("verify without --trust: exit %d, want 2", code)
	}
	if code, _, _ := ihsm(t, "sbom"); code != 2 {
		t.Fatalf("sbom without arguments: exit %d, want 2", code)
	}
}
