package release

import (
	"crypto/ecdsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/evidence/sfr"
)

// signedSFR writes a JWS short-form report for a firmware with the given
// digests and source commit, signed by the SRP key.
func signedSFR(t *testing.T, dir string, sha384, sha512, repoTag string, srp *ecdsa.PrivateKey) string {
	t.Helper()
	r := sfrReport(sha384, sha512, repoTag)
	jws, err := sfr.SignJWS(r, srp, "srp-key")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "report.jws")
	if err := os.WriteFile(p, jws, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sfrReport(sha384, sha512, repoTag string) *sfr.Report {
	return &sfr.Report{
		ReviewFrameworkVersion: "1.1",
		Device: sfr.Device{Vendor: "OpenIHSM", Product: "reference HSM", RepoTag: repoTag, FWVersion: "0.1.0",
			FWHashSHA384: sha384, FWHashSHA512: sha512},
		Audit: sfr.Audit{SRP: "Example SRP", Methodology: "whitebox", CompletionDate: "2026-11-01", ReportVersion: "1.0",
			ScopeNumber: 1, CVSSVersion: "3.1", Issues: []sfr.Issue{}},
	}
}

func TestShortFormReport(t *testing.T) {
	f := setup(t)
	srp, _ := keys.Generate(nil)
	otherSRP, _ := keys.Generate(nil)
	data, _ := os.ReadFile(filepath.Join(f.dir, ManifestFile))
	m, err := parseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	pub, _ := keys.MarshalPublic(srp.Public())
	os.WriteFile(filepath.Join(tmp, "srp.pub"), pub, 0o644)
	copyFile(t, filepath.Join(filepath.Dir(f.trust), "producer.pub"), filepath.Join(tmp, "producer.pub"))
	trust := filepath.Join(tmp, "trust.yaml")
	os.WriteFile(trust, []byte("producers:\n  keys: [producer.pub]\nsfr_signers:\n  keys: [srp.pub]\nrequire_sfr: true\nallow_modified_source: true\n"), 0o644)

	add := func(t *testing.T, report string) string {
		dir := clone(t, f.dir)
		os.MkdirAll(filepath.Join(dir, "sfr"), 0o755)
		name := "sfr/" + filepath.Base(report)
		copyFile(t, report, filepath.Join(dir, filepath.FromSlash(name)))
		raw, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
		mm, _ := parseManifest(raw)
		d, _ := digestFile(dir, name)
		mm.Files = append(mm.Files, File{Path: name, Role: RoleSFR, Digest: d})
		out, _ := marshalManifest(mm)
		os.WriteFile(filepath.Join(dir, ManifestFile), out, 0o644)
		resign(t, dir, f.key)
		return dir
	}

	sha384, sha512, commit := m.Subject.Digest["sha384"], m.Subject.Digest["sha512"], m.SourceCommit
	good := signedSFR(t, t.TempDir(), sha384, sha512, commit, srp)
	if s, err := verifyDir(t, add(t, good), trust); err != nil || s.SFR == nil {
		t.Fatalf("SFR of this binary: %v", err)
	}
	if _, err := verifyDir(t, f.dir, trust); !errors.Is(err, ErrMissing) {
		t.Fatalf("required SFR missing: %v", err)
	}
	o, _ := os.ReadFile(filepath.Join(f.other, ManifestFile))
	om, _ := parseManifest(o)
	wrongDigest := signedSFR(t, t.TempDir(), om.Subject.Digest["sha384"], om.Subject.Digest["sha512"], commit, srp)
	_, err = verifyDir(t, add(t, wrongDigest), trust)
	var le *LinkError
	if !errors.As(err, &le) || le.Link != "short-form report sfr/report.jws" || !errors.Is(err, ErrSubject) {
		t.Fatalf("SFR for another digest: %v", err)
	}
	wrongKey := signedSFR(t, t.TempDir(), sha384, sha512, commit, otherSRP)
	if _, err := verifyDir(t, add(t, wrongKey), trust); !errors.Is(err, ErrSignature) {
		t.Fatalf("SFR by an unpinned reviewer: %v", err)
	}
	for name, tag := range map[string]string{"another commit": strings.Repeat("0", 40), "no repo_tag": ""} {
		p := signedSFR(t, t.TempDir(), sha384, sha512, tag, srp)
		_, err := verifyDir(t, add(t, p), trust)
		if !errors.As(err, &le) || le.Link != "short-form report sfr/report.jws" || !errors.Is(err, ErrCrossCheck) {
			t.Fatalf("SFR whose repo_tag is %s: %v", name, err)
		}
	}

	// A CoRIM report signed COSE_Sign1 carries its kid unprotected: it must
	// be the kid the trust file pins for the key (by default the key
	// file's name, here "srp").
	corim, err := sfr.EncodeCoRIM(sfrReport(sha384, sha512, commit), sfr.CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for kid, want := range map[string]error{"srp": nil, "someone-else": ErrSignature} {
		signed, err := sfr.SignCOSE(corim, srp, kid)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "report.cose")
		os.WriteFile(p, signed, 0o644)
		_, err = verifyDir(t, add(t, p), trust)
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Fatalf("COSE SFR with kid %q: %v, want %v", kid, err, want)
		}
	}
	named := filepath.Join(tmp, "named.yaml")
	os.WriteFile(named, []byte("producers:\n  keys: [producer.pub]\nsfr_signers:\n  keys:\n    - {key: srp.pub, kid: someone-else}\nrequire_sfr: true\nallow_modified_source: true\n"), 0o644)
	signed, _ := sfr.SignCOSE(corim, srp, "someone-else")
	p := filepath.Join(t.TempDir(), "report.cose")
	os.WriteFile(p, signed, 0o644)
	if _, err := verifyDir(t, add(t, p), named); err != nil {
		t.Fatalf("COSE SFR with the kid the trust file names: %v", err)
	}

	// One reviewer pinned twice does not meet a threshold of two.
	twice := filepath.Join(tmp, "twice.yaml")
	os.WriteFile(twice, []byte("producers:\n  keys: [producer.pub]\nsfr_signers:\n  keys: [srp.pub, srp.pub]\n  threshold: 2\n"), 0o644)
	if _, err := LoadTrust(twice); err == nil {
		t.Fatal("a threshold of two met by one key pinned twice")
	}
}
