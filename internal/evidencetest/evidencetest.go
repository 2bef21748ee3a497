// Package evidencetest makes real evidence directories for the tests of
// the tools that read them, such as the documentation site: release.Produce
// over a small command of this module (two reproducible builds, SBOM,
// provenance, test results, the build link, the signed manifest), with a
// conformance report and hash-chained transcript of a run bound to that
// binary, unit-test results of its package and a short-form report signed
// COSE_Sign1, then release.Verify and release.WriteVerification as `ihsm
// evidence verify` runs them.
//
// Only the inputs a device run would give (the report and transcript) and
// the `go test -json` lines are made here; every file of the directory is
// the release package's own output.
package evidencetest

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/evidence/release"
	"github.com/openihsm/openihsm/evidence/sfr"
)

// Package is the command the evidence is of.
const Package = "./evidence/build/testdata/hello"

// Evidence is a verified evidence directory.
type Evidence struct {
	Dir       string // the evidence directory, with verification/ written
	TrustFile string
	Producer  *ecdsa.PrivateKey
	Summary   *release.Summary
}

// Make produces and verifies the evidence of Package, built from the
// module at root, in a new temporary directory. The work tree may have
// uncommitted changes: the build allows them and the trust file accepts
// them, and the verifier says so.
func Make(t testing.TB, root string) *Evidence {
	t.Helper()
	ctx := context.Background()
	tmp := t.TempDir()
	const epoch = 1700000000
	first, err := build.Build(ctx, build.Options{Dir: root, Package: Package, SourceDateEpoch: epoch, AllowModified: true})
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Dir(first.Binary))

	producer, err := keys.WriteKeyPair(filepath.Join(tmp, "producer"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	reviewer, err := keys.WriteKeyPair(filepath.Join(tmp, "reviewer"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rp, tp := conformanceRun(t, tmp, first.Digests["sha384"])
	unit := filepath.Join(tmp, "unit-tests.json")
	pkg := "github.com/openihsm/openihsm/" + strings.TrimPrefix(Package, "./")
	if err := os.WriteFile(unit, []byte(`{"Action":"start","Package":"`+pkg+`"}
{"Action":"skip","Package":"`+pkg+`","Elapsed":0}
{"Action":"run","Package":"github.com/openihsm/openihsm/evidence/build","Test":"TestBuildTwiceReproduces"}
{"Action":"pass","Package":"github.com/openihsm/openihsm/evidence/build","Test":"TestBuildTwiceReproduces","Elapsed":1.2}
{"Action":"pass","Package":"github.com/openihsm/openihsm/evidence/build","Elapsed":1.3}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sfrFile := shortFormReport(t, tmp, first, reviewer)

	dir := filepath.Join(tmp, "evidence")
	if _, err := release.Produce(ctx, release.ProduceOptions{Source: root, Package: Package, Out: dir, Key: producer,
		SourceDateEpoch: epoch, AllowModified: true, ConformanceReport: rp, Transcript: tp, UnitTestsJSON: unit, SFR: sfrFile}); err != nil {
		t.Fatal(err)
	}
	trustFile := filepath.Join(tmp, "trust.yaml")
	if err := os.WriteFile(trustFile, []byte(`producers:
  keys: [producer.pub]
sfr_signers:
  keys: [reviewer.pub]
require_sfr: true
required_tests: [reproducible-build, conformance, unit-tests]
allow_modified_source: true
`), 0o644); err != nil {
		t.Fatal(err)
	}
	trust, err := release.LoadTrust(trustFile)
	if err != nil {
		t.Fatal(err)
	}
	sum, verr := release.Verify(ctx, dir, trust)
	if verr != nil {
		t.Fatalf("the evidence does not verify: %v", verr)
	}
	if err := release.WriteVerification(ctx, filepath.Join(dir, release.VerificationDir), sum, trust, nil, nil, time.Unix(epoch, 0)); err != nil {
		t.Fatal(err)
	}
	return &Evidence{Dir: dir, TrustFile: trustFile, Producer: producer, Summary: sum}
}

// conformanceRun writes the report and transcript of a run against the
// firmware with this SHA-384, as `ihsm conform --out` writes them.
func conformanceRun(t testing.TB, dir, sha384 string) (string, string) {
	t.Helper()
	tp := filepath.Join(dir, "transcript.jsonl")
	f, err := os.Create(tp)
	if err != nil {
		t.Fatal(err)
	}
	rec := transcript.New(f)
	rec.Record(transcript.Request, "features/device.feature:5 device info", []byte{0xa2, 0x01, 0xa3, 0x01, 0x01, 0x02, 0x19, 0x01, 0x02, 0x03, 0x01, 0x02, 0xa0})
	rec.Record(transcript.Response, "features/device.feature:5 device info", []byte{0xa2, 0x01, 0xa2, 0x01, 0x01, 0x02, 0x00, 0x02, 0xa0})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	digest, frames := rec.Digest()
	r := report.Report{
		ReportVersion: report.Version,
		Suite:         report.Suite{Name: "openihsm-conformance", Version: "0.1.0", SpecVersion: "0.1.0", APIRevision: "1.0", SpecDigest: "sha256:" + strings.Repeat("1", 64), FeaturesDigest: "sha256:" + strings.Repeat("2", 64)},
		Implementation: report.Implementation{Vendor: "OpenIHSM", Product: "reference HSM", FirmwareVersion: "0.1.0", Profiles: []string{"baseline"}, Features: []string{},
			FirmwareMeasurement: "sha384:" + sha384},
		Target: "unix:///tmp/ihsm/partition-0.sock", Started: time.Unix(1700000000, 0).UTC(), Finished: time.Unix(1700000060, 0).UTC(),
		Result: report.Passed, Profiles: []report.ProfileResult{}, Requirements: []report.Requirement{}, Vectors: []report.VectorTally{},
		Scenarios:  []report.Scenario{{ID: "features/device.feature:5", Name: "device info", Feature: "features/device.feature", Tags: []string{}, Requirements: []string{}, Status: report.Passed}},
		Transcript: report.Transcript{File: "transcript.jsonl", Digest: digest, Frames: frames},
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	rp := filepath.Join(dir, "conformance-report.json")
	if err := os.WriteFile(rp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return rp, tp
}

// shortFormReport writes a CoRIM short-form report of the binary, signed
// COSE_Sign1 by the reviewer under the kid "reviewer".
func shortFormReport(t testing.TB, dir string, b build.Result, reviewer *ecdsa.PrivateKey) string {
	t.Helper()
	r := &sfr.Report{
		ReviewFrameworkVersion: "2.0",
		Device: sfr.Device{Vendor: "OpenIHSM", Product: "OpenIHSM reference HSM", FWVersion: "0.1.0", RepoTag: b.Commit,
			FWHashSHA384: b.Digests["sha384"], FWHashSHA512: b.Digests["sha512"]},
		Audit: sfr.Audit{SRP: "Example reviewer", Methodology: "whitebox", CompletionDate: "2026-11-20", ReportVersion: "1.0",
			ScopeNumber: 1, CVSSVersion: "3.1", Issues: []sfr.Issue{}},
	}
	if _, err := hex.DecodeString(b.Commit); err != nil || b.Commit == "" {
		t.Fatalf("the module is not a git work tree with a commit (%q)", b.Commit)
	}
	c, err := sfr.EncodeCoRIM(r, sfr.CoRIMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := sfr.SignCOSE(c, reviewer, "reviewer")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "sfr.cose")
	if err := os.WriteFile(p, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
