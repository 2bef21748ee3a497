//go:build !ihsmfirmware

package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ihsm runs the command in-process and returns its exit status and output.
func ihsm(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeKeyPair(t *testing.T, dir, name string, c elliptic.Curve) (priv, pub string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(k)
	spki, _ := x509.MarshalPKIXPublicKey(k.Public())
	priv, pub = filepath.Join(dir, name+".key"), filepath.Join(dir, name+".pub")
	if err := os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o644); err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func TestSFRCommandEndToEnd(t *testing.T) {
	dir := t.TempDir()
	key384, pub384 := writeKeyPair(t, dir, "srp-p384", elliptic.P384())
	key521, pub521 := writeKeyPair(t, dir, "srp-p521", elliptic.P521())
	fw := filepath.Join(dir, "firmware.bin")
	os.WriteFile(fw, []byte("firmware image"), 0o644)
	other := filepath.Join(dir, "other.bin")
	os.WriteFile(other, []byte("another image"), 0o644)
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "lib"), 0o755)
	os.WriteFile(filepath.Join(src, "main.c"), []byte("int main(void){return 0;}\n"), 0o644)
	os.WriteFile(filepath.Join(src, "lib", "x.h"), []byte("#define X 1\n"), 0o644)
	issues := filepath.Join(dir, "issues.yaml")
	os.WriteFile(issues, []byte(`- title: Memory corruption when reading record from SPI flash
  cvss_score: 7.9
  cvss_vector: AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:H/A:L
  cwe: CWE-111
  description: Insufficient input validation.
  cve: null
`), 0o644)
	common := []string{"--vendor", "OpenIHSM", "--product", "Reference HSM", "--fw-version", "0.1.0",
		"--repo-tag", "0123456789abcdef0123456789abcdef01234567", "--srp", "Example SRP",
		"--issues", issues, "--completion-date", "2026-11-20"}

	for _, tc := range []struct {
		format, signFormat, key, pub string
		extra                        []string
	}{
		{"corim", "corim", key384, pub384, []string{"--fw-file", fw, "--manifest", src}},
		{"corim", "corim", key521, pub521, []string{"--fw-file", fw}},
		{"json", "jws", key521, pub521, []string{"--fw-file", fw}},
		{"json", "corim", key384, pub384, []string{"--fw-file", fw}},
		{"corim", "jws", key384, pub384, []string{"--fw-file", fw}},
	} {
		name := tc.format + "-" + tc.signFormat + "-" + filepath.Base(tc.key)
		t.Run(name, func(t *testing.T) {
			unsigned := filepath.Join(dir, name+".unsigned")
			signed := filepath.Join(dir, name+".signed")
			args := append(append([]string{"sfr", "create"}, common...), tc.extra...)
			args = append(args, "--format", tc.format, "--out", unsigned)
			if code, _, e := ihsm(t, args...); code != 0 {
				t.Fatalf("create: %d %s", code, e)
			}
			if code, o, _ := ihsm(t, "sfr", "lint", unsigned); code != 0 {
				t.Fatalf("lint: %d %s", code, o)
			}
			if code, _, e := ihsm(t, "sfr", "sign", "--key", tc.key, "--in", unsigned, "--format", tc.signFormat, "--out", signed); code != 0 {
				t.Fatalf("sign: %d %s", code, e)
			}
			code, o, e := ihsm(t, "sfr", "verify", "--key", tc.pub, signed, "--fw", fw)
			if code != 0 || !strings.Contains(o, "matches the report") {
				t.Fatalf("verify: %d %s %s", code, o, e)
			}
			if code, o, e := ihsm(t, "sfr", "verify", "--key", tc.pub, "--fw", other, signed); code != 1 || !strings.Contains(e, "fw_hash_sha2_384") || o != "" {
				t.Errorf("verify with other firmware: %d %q %s", code, o, e)
			}
			wrong := pub384
			if tc.pub == pub384 {
				wrong = pub521
			}
			if code, _, _ := ihsm(t, "sfr", "verify", "--key", wrong, signed); code != 1 {
				t.Errorf("verify with the other key: exit %d", code)
			}
			data, _ := os.ReadFile(signed)
			for _, pos := range []int{len(data) / 3, len(data) / 2, len(data) - 3} {
				mut := bytes.Clone(data)
				mut[pos] ^= 0x04
				p := filepath.Join(dir, name+".tampered")
				os.WriteFile(p, mut, 0o644)
				if code, _, _ := ihsm(t, "sfr", "verify", "--key", tc.pub, p); code != 1 {
					t.Errorf("verify after flipping byte %d: exit %d", pos, code)
				}
			}
		})
	}
}

func TestSFRCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "quirky.json")
	os.WriteFile(bad, []byte(`{"review_framework_version":"1.1","device":{"vendor":"V","product":"P","fw_version":"1",
"fw_hash_sha2_384":"0xABC","fw_hash_sha2_512":""},"audit":{"srp":"S","methodology":"whitebox",
"completion_date":"2024/01/01","report_version":"1","scope_number":"1","cvss_version":"3.1","issues":[]}}`), 0o644)
	code, o, _ := ihsm(t, "sfr", "lint", bad)
	if code != 1 {
		t.Errorf("lint of a quirky report: exit %d", code)
	}
	for _, c := range []string{"hash-0x-prefix", "scope-type", "date-format", "repo-tag-missing"} {
		if !strings.Contains(o, c) {
			t.Errorf("lint output lacks %s:\n%s", c, o)
		}
	}
	for _, args := range [][]string{
		{"sfr"}, {"sfr", "frobnicate"}, {"sfr", "verify", "x"}, {"sfr", "create", "--out", "x"},
		{"sfr", "sign", "--format", "pgp", "--key", "k", "--in", "i", "--out", "o"}, {"sfr", "lint", "--nope", "x"},
	} {
		if code, _, _ := ihsm(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	_, pub := writeKeyPair(t, dir, "k", elliptic.P384())
	if code, _, e := ihsm(t, "sfr", "verify", "--key", pub, bad); code != 1 || !strings.HasPrefix(e, "ihsm sfr: ") {
		t.Errorf("verify of an unsigned report: exit %d %q", code, e)
	}
}

// TestSFRCommandPublished verifies the reports published in the OCP SAFE
// repository with their reviewers' keys, and rejects each after a one-bit
// change of its kid, payload or signature, or with the other reviewer's key.
func TestSFRCommandPublished(t *testing.T) {
	fx := filepath.Join("..", "..", "evidence", "sfr", "testdata", "published")
	dir := t.TempDir()
	for _, tc := range []struct{ file, key, other, kid string }{
		{"microsoft-hsm-runtime-sfr_signed.cbor", "tetrel-ocp-sfr-signing-key.pub", "ncc-group-ocp-safe-ecdsa-p521.pub", "tetrel-ocp-sfr-signing-key"},
		{"amd-epyc9005-asp-rom-sfr.jws", "ncc-group-ocp-safe-ecdsa-p521.pub", "tetrel-ocp-sfr-signing-key.pub", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			key, report := filepath.Join(fx, tc.key), filepath.Join(fx, tc.file)
			if code, o, e := ihsm(t, "sfr", "verify", "--key", key, report); code != 0 || !strings.Contains(o, "ES512") {
				t.Fatalf("exit %d\n%s%s", code, o, e)
			}
			if code, _, _ := ihsm(t, "sfr", "verify", "--key", filepath.Join(fx, tc.other), report); code != 1 {
				t.Errorf("the other reviewer's key: exit %d", code)
			}
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			positions := []int{len(data) / 2, len(data) - 2}
			if tc.kid != "" {
				positions = append(positions, bytes.Index(data, []byte(tc.kid))+6)
				if code, _, e := ihsm(t, "sfr", "verify", "--key", key, "--kid", "another-kid", report); code != 1 || !strings.Contains(e, "kid") {
					t.Errorf("another pinned kid: exit %d %s", code, e)
				}
			}
			for _, pos := range positions {
				mut := bytes.Clone(data)
				mut[pos] ^= 0x01
				p := filepath.Join(dir, tc.file)
				os.WriteFile(p, mut, 0o644)
				if code, o, _ := ihsm(t, "sfr", "verify", "--key", key, p); code != 1 || o != "" {
					t.Errorf("one bit of byte %d changed: exit %d, output %q", pos, code, o)
				}
			}
		})
	}
}

// TestSFRSignWithEvidenceKeys signs short-form reports with keys from
// `ihsm evidence keygen` (cosign's encrypted format, COSIGN_PASSWORD).
func TestSFRSignWithEvidenceKeys(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "reviewer password")
	fw := filepath.Join(dir, "firmware.bin")
	os.WriteFile(fw, []byte("firmware image"), 0o644)
	for _, curve := range []string{"P-384", "P-521"} {
		t.Run(curve, func(t *testing.T) {
			prefix := filepath.Join(dir, "reviewer-"+curve)
			if code, _, e := ihsm(t, "evidence", "keygen", "--curve", curve, "--out", prefix); code != 0 {
				t.Fatalf("keygen: %d %s", code, e)
			}
			for _, format := range []string{"corim", "jws"} {
				unsigned := filepath.Join(dir, curve+"."+format+".unsigned")
				createFormat := map[string]string{"corim": "corim", "jws": "json"}[format]
				if code, _, e := ihsm(t, "sfr", "create", "--vendor", "OpenIHSM", "--product", "Reference HSM", "--fw-version", "0.1.0",
					"--repo-tag", strings.Repeat("ab", 20), "--srp", "Example SRP", "--completion-date", "2026-11-20",
					"--fw-file", fw, "--format", createFormat, "--out", unsigned); code != 0 {
					t.Fatalf("create: %d %s", code, e)
				}
				signed := filepath.Join(dir, curve+"."+format)
				if code, _, e := ihsm(t, "sfr", "sign", "--key", prefix+".key", "--in", unsigned, "--format", format, "--out", signed); code != 0 {
					t.Fatalf("sign %s: %d %s", format, code, e)
				}
				if code, o, e := ihsm(t, "sfr", "verify", "--key", prefix+".pub", "--fw", fw, signed); code != 0 {
					t.Fatalf("verify %s: %d %s %s", format, code, o, e)
				}
			}
		})
	}
	unsigned := filepath.Join(dir, "P-384.corim.unsigned")
	t.Setenv("COSIGN_PASSWORD", "not the password")
	if code, _, e := ihsm(t, "sfr", "sign", "--key", filepath.Join(dir, "reviewer-P-384.key"), "--in", unsigned, "--out", filepath.Join(dir, "x")); code != 1 || !strings.Contains(e, "decrypt") {
		t.Errorf("sign with the wrong password: exit %d %q", code, e)
	}
	if code, _, e := ihsm(t, "evidence", "keygen", "--curve", "P-256", "--out", filepath.Join(dir, "p256")); code != 0 {
		t.Fatalf("keygen P-256: %s", e)
	}
	if code, _, e := ihsm(t, "sfr", "sign", "--key", filepath.Join(dir, "p256.key"), "--in", unsigned, "--out", filepath.Join(dir, "x")); code != 1 || !strings.Contains(e, "P-256") {
		t.Errorf("sign with a P-256 key (not allowed for SFRs): exit %d %q", code, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a refused sign wrote its output")
	}
}

// TestSFRCreateRepoTag: without --repo-tag, the report names the commit
// the Go firmware records, or the git HEAD of the source manifest.
func TestSFRCreateRepoTag(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/fw\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = src
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one")
	head := git("rev-parse", "HEAD")
	fw := filepath.Join(t.TempDir(), "fw")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", fw, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	common := []string{"sfr", "create", "--vendor", "V", "--product", "P", "--fw-version", "1", "--srp", "S", "--completion-date", "2026-11-20", "--format", "json"}
	for name, args := range map[string][]string{
		"firmware": {"--fw-file", fw},
		"manifest": {"--manifest", src},
	} {
		out := filepath.Join(dir, name+".json")
		code, o, e := ihsm(t, append(append(common, args...), "--out", out)...)
		if code != 0 || !strings.Contains(o, "repo_tag "+head) {
			t.Fatalf("%s: exit %d\n%s%s", name, code, o, e)
		}
		if code, o, _ := ihsm(t, "sfr", "lint", out); code != 0 || strings.Contains(o, "repo-tag-missing") {
			t.Errorf("%s: lint %d\n%s", name, code, o)
		}
	}
	out := filepath.Join(dir, "explicit.json")
	if code, o, _ := ihsm(t, append(append(common, "--fw-file", fw, "--repo-tag", "v1.0.0"), "--out", out)...); code != 0 || strings.Contains(o, "repo_tag "+head) {
		t.Fatalf("an explicit --repo-tag was replaced: %s", o)
	}
}
