//go:build !ihsmfirmware

package main

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/evidence/release"
	"github.com/openihsm/openihsm/reference-impl/refhsm"
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
		"--out", out, "--key", prefix+".key", "--source-date-epoch", "1700000000", "--fresh-cache=false", "--allow-dirty")
	if code != 0 {
		t.Fatalf("build: %d %s %s", code, stdout, stderr)
	}
	trust := filepath.Join(dir, "trust.yaml")
	// The test runs in whatever state the work tree is in.
	os.WriteFile(trust, []byte("producers:\n  keys: [demo.pub]\nallow_modified_source: true\n"), 0o644)
	if code, stdout, stderr := ihsm(t, "evidence", "verify", out, "--trust", trust); code != 0 || !strings.Contains(stdout, "result: PASSED") {
		t.Fatalf("verify: %d %s %s", code, stdout, stderr)
	}
	for _, f := range []string{"verification/report.txt", "verification/vsa.intoto.json", "verification/checks.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("verify did not write %s", f)
		}
	}
	checks := readChecks(t, out)
	if checks.Result != "PASSED" || checks.Subject == nil || checks.Subject.Path != "bin/hello" || checks.Failure != nil || len(checks.Checks) < 8 {
		t.Fatalf("checks.json of a passing verification: %+v", checks)
	}
	for _, c := range checks.Checks {
		if c.Chain == "" {
			t.Errorf("check %q names no chain link", c.Link)
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
	if c := readChecks(t, out); c.Result != "FAILED" || c.Failure == nil || c.Failure.Link != "file sbom.spdx.json" || c.Failure.Chain != release.ChainSubject {
		t.Fatalf("checks.json of a failed verification: %+v", c)
	}
	if code, _, _ := ihsm(t, "evidence", "verify", out); code != 2 {
		t.Fatalf("verify without --trust: exit %d, want 2", code)
	}
	if code, _, _ := ihsm(t, "sbom"); code != 2 {
		t.Fatalf("sbom without arguments: exit %d, want 2", code)
	}
}

// TestEvidenceVerifyDevice checks the firmware a running reference HSM
// attests against the evidence: the device that measures the built binary
// passes, one that measures other firmware fails naming the device link,
// and a pinned device root must be the device's own.
func TestEvidenceVerifyDevice(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "")
	dir := t.TempDir()
	root, _ := filepath.Abs("../..")
	prefix := filepath.Join(dir, "producer")
	if code, _, stderr := ihsm(t, "evidence", "keygen", "--out", prefix); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	out := filepath.Join(dir, "ev")
	if code, stdout, stderr := ihsm(t, "evidence", "build", "--source", root, "--package", "./evidence/build/testdata/hello",
		"--out", out, "--key", prefix+".key", "--source-date-epoch", "1700000000", "--fresh-cache=false", "--allow-dirty"); code != 0 {
		t.Fatalf("build: %d %s %s", code, stdout, stderr)
	}
	bin, err := os.ReadFile(filepath.Join(out, "bin", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	start := func(measurement [48]byte) *refhsm.HSM {
		h, err := refhsm.Start(refhsm.Options{Partitions: 1, FirmwareVersion: "evidence-test", FirmwareMeasurement: measurement, PINIterations: 1000})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		return h
	}
	good := start(sha512.Sum384(bin))
	other := start(sha512.Sum384([]byte("other firmware")))

	trust := func(name, extra string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("producers:\n  keys: [producer.pub]\nallow_modified_source: true\n"+extra), 0o644)
		return p
	}
	plain := trust("trust.yaml", "")
	code, stdout, stderr := ihsm(t, "evidence", "verify", out, "--trust", plain, "--device", good.Targets()[0])
	if code != 0 || !strings.Contains(stdout, "ok    device "+good.Targets()[0]) || !strings.Contains(stdout, "root not pinned") {
		t.Fatalf("verify --device of the device running the binary: %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"device-attestation.cose", "device-chain.pem"} {
		if _, err := os.Stat(filepath.Join(out, "verification", f)); err != nil {
			t.Errorf("verify --device did not keep %s", f)
		}
	}
	if c := readChecks(t, out); c.Device == nil || c.Device.Measurement != fmt.Sprintf("sha384:%x", sha512.Sum384(bin)) || c.Checks[len(c.Checks)-1].Chain != release.ChainDevice {
		t.Fatalf("checks.json after verify --device: %+v", c)
	}

	code, stdout, stderr = ihsm(t, "evidence", "verify", out, "--trust", plain, "--device", other.Targets()[0])
	if code != 1 || !strings.Contains(stderr, "device "+other.Targets()[0]) || !strings.Contains(stdout, "result: FAILED") {
		t.Fatalf("verify --device of a device running other firmware: %d\n%s%s", code, stdout, stderr)
	}

	for i, h := range []*refhsm.HSM{good, other} {
		if code, _, stderr := ihsm(t, "device", "certs", "--target", h.Targets()[0], "--out", filepath.Join(dir, fmt.Sprintf("chain%d", i))); code != 0 {
			t.Fatalf("device certs: %s", stderr)
		}
	}
	pinned := trust("pinned.yaml", "device_roots: [chain0/root.pem]\n")
	if code, stdout, stderr := ihsm(t, "evidence", "verify", out, "--trust", pinned, "--device", good.Targets()[0]); code != 0 || !strings.Contains(stdout, "pinned root") {
		t.Fatalf("verify --device with the device's root pinned: %d\n%s%s", code, stdout, stderr)
	}
	wrongRoot := trust("wrong-root.yaml", "device_roots: [chain1/root.pem]\n")
	if code, stdout, stderr := ihsm(t, "evidence", "verify", out, "--trust", wrongRoot, "--device", good.Targets()[0]); code != 1 || !strings.Contains(stderr, "device "+good.Targets()[0]) {
		t.Fatalf("verify --device with another device's root pinned: %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := ihsm(t, "evidence", "verify", out, "--trust", plain, "--device", "unix://"+filepath.Join(dir, "absent.sock")); code != 1 || !strings.Contains(stderr, "device unix://") {
		t.Fatalf("verify --device of an absent device: %d %s", code, stderr)
	}
}

func readChecks(t *testing.T, dir string) release.Checks {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "verification", "checks.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c release.Checks
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
