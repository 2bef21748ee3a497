package release

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/keys"
)

type fixture struct {
	dir, other string // evidence of the hello command and of another command
	key        *ecdsa.PrivateKey
	sha384     string // of the hello binary
	trust      string
	err        error
}

var shared struct {
	once sync.Once
	f    fixture
}

func moduleRoot() string {
	root, _ := filepath.Abs("../..")
	return root
}

// helloSHA384 builds the test command once, as Produce will build it
// (reproducibly), and returns its SHA-384: a conformance run of this
// binary must have attested it.
func helloSHA384() (string, error) {
	res, err := build.Build(context.Background(), build.Options{Dir: moduleRoot(), Package: helloPackage, SourceDateEpoch: 1700000000, AllowModified: true})
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(filepath.Dir(res.Binary))
	return res.Digests["sha384"], nil
}

const helloPackage = "./evidence/build/testdata/hello"

// conformanceReport writes a schema-valid report of a run against the
// firmware with the given SHA-384 and a real hash-chained transcript of
// two frames, as `ihsm conform` writes them.
func conformanceReport(dir string, passed bool, sha384 string) (string, string, error) {
	tp := filepath.Join(dir, "transcript.jsonl")
	tf, err := os.Create(tp)
	if err != nil {
		return "", "", err
	}
	rec := transcript.New(tf)
	rec.Record(transcript.Request, "open a session", []byte{0xa2, 0x01, 0xa0, 0x02, 0xa0})
	rec.Record(transcript.Response, "open a session", []byte{0xa2, 0x01, 0xa1, 0x01, 0x00, 0x02, 0xa0})
	if err := rec.Flush(); err != nil {
		return "", "", err
	}
	if err := tf.Close(); err != nil {
		return "", "", err
	}
	digest, frames := rec.Digest()
	r := report.Report{
		ReportVersion: "1.0.0", Suite: report.Suite{Name: "openihsm-conformance", Version: "0.1.0", SpecVersion: "0.1.0", APIRevision: "1.0", SpecDigest: "sha256:" + strings.Repeat("1", 64), FeaturesDigest: "sha256:" + strings.Repeat("2", 64)},
		Implementation: report.Implementation{Vendor: "OpenIHSM", Product: "reference", FirmwareVersion: "0.1.0", Profiles: []string{"baseline"}, Features: []string{}, FirmwareMeasurement: "sha384:" + sha384},
		Target:         "unix:///tmp/ihsm.sock", Started: time.Unix(0, 0).UTC(), Finished: time.Unix(1, 0).UTC(),
		Result: report.Passed, Profiles: []report.ProfileResult{}, Requirements: []report.Requirement{}, Vectors: []report.VectorTally{},
		Scenarios:  []report.Scenario{{ID: "features/a.feature:3", Name: "open a session", Feature: "features/a.feature", Tags: []string{}, Requirements: []string{}, Status: report.Passed}},
		Transcript: report.Transcript{File: "transcript.jsonl", Digest: digest, Frames: frames},
	}
	if !passed {
		r.Result = report.Failed
		r.Scenarios[0].Status = report.Failed
	}
	data, err := json.Marshal(r)
	if err != nil {
		return "", "", err
	}
	if err := report.Validate(data); err != nil {
		return "", "", fmt.Errorf("fixture report does not match the conformance schema: %w", err)
	}
	rp := filepath.Join(dir, "conformance-report.json")
	return rp, tp, os.WriteFile(rp, data, 0o644)
}

// unitTestsJSON is `go test -json` output that covers the test command's
// one package.
const unitTestsJSON = `{"Action":"start","Package":"github.com/openihsm/openihsm/evidence/build/testdata/hello"}
{"Action":"output","Package":"github.com/openihsm/openihsm/evidence/build/testdata/hello","Output":"?   \tgithub.com/openihsm/openihsm/evidence/build/testdata/hello\t[no test files]\n"}
{"Action":"skip","Package":"github.com/openihsm/openihsm/evidence/build/testdata/hello","Elapsed":0}
{"Action":"run","Package":"github.com/openihsm/openihsm/evidence/build","Test":"TestA"}
{"Action":"pass","Package":"github.com/openihsm/openihsm/evidence/build","Test":"TestA"}
{"Action":"pass","Package":"github.com/openihsm/openihsm/evidence/build"}
`

func setup(t *testing.T) fixture {
	t.Helper()
	shared.once.Do(func() {
		f := &shared.f
		tmp, err := os.MkdirTemp("", "release-test-")
		if err != nil {
			f.err = err
			return
		}
		f.key, _ = keys.Generate(nil)
		if f.sha384, f.err = helloSHA384(); f.err != nil {
			return
		}
		rp, tp, err := conformanceReport(tmp, true, f.sha384)
		if err != nil {
			f.err = err
			return
		}
		unit := filepath.Join(tmp, "unit.json")
		os.WriteFile(unit, []byte(unitTestsJSON), 0o644)
		f.dir, f.other = filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
		ctx := context.Background()
		if _, f.err = Produce(ctx, ProduceOptions{Source: moduleRoot(), Package: helloPackage, Out: f.dir, Key: f.key,
			SourceDateEpoch: 1700000000, ConformanceReport: rp, Transcript: tp, UnitTestsJSON: unit, AllowModified: true}); f.err != nil {
			return
		}
		if _, f.err = Produce(ctx, ProduceOptions{Source: moduleRoot(), Package: "./sbom/testdata/probe", Out: f.other, Key: f.key, SourceDateEpoch: 1700000000, AllowModified: true}); f.err != nil {
			return
		}
		pub, _ := keys.MarshalPublic(f.key.Public())
		os.WriteFile(filepath.Join(tmp, "producer.pub"), pub, 0o644)
		f.trust = filepath.Join(tmp, "trust.yaml")
		// The tests build this module in whatever state its work tree is.
		os.WriteFile(f.trust, []byte("producers:\n  keys: [producer.pub]\n  threshold: 1\nrequired_tests: [reproducible-build, conformance, unit-tests]\nallow_modified_source: true\n"), 0o644)
	})
	if shared.f.err != nil {
		t.Fatal(shared.f.err)
	}
	return shared.f
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.f.dir != "" {
		os.RemoveAll(filepath.Dir(shared.f.dir))
	}
	os.Exit(code)
}

// clone copies an evidence directory so a test can tamper with it.
func clone(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// resign rewrites and re-signs the manifest after a change, as a careless
// producer holding the key would: the chain checks must still catch it.
func resign(t *testing.T, dir string, key *ecdsa.PrivateKey) {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	m, err := parseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, f := range m.Files {
		d, err := digestFile(dir, f.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Digest = d
		files = append(files, f)
	}
	m.Files = files
	out, _ := marshalManifest(m)
	os.WriteFile(filepath.Join(dir, ManifestFile), out, 0o644)
	env, err := dsse.Sign(context.Background(), ManifestPayloadType, out, key)
	if err != nil {
		t.Fatal(err)
	}
	envData, _ := dsse.Marshal(env)
	os.WriteFile(filepath.Join(dir, ManifestEnvelope), envData, 0o644)
}

func verifyDir(t *testing.T, dir, trustPath string) (*Summary, error) {
	t.Helper()
	tr, err := LoadTrust(trustPath)
	if err != nil {
		t.Fatal(err)
	}
	return Verify(context.Background(), dir, tr)
}

func TestProduceAndVerify(t *testing.T) {
	f := setup(t)
	s, err := verifyDir(t, f.dir, f.trust)
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, c := range s.Checks {
		links = append(links, c.Link)
	}
	all := strings.Join(links, "\n")
	for _, want := range []string{"manifest", "files", "attestations", "required predicates", "provenance attestations/provenance.dsse.json", "sbom sbom.spdx.json", "tests", "reproducible build", "link links/build."} {
		if !strings.Contains(all, want) {
			t.Errorf("no check %q in\n%s", want, all)
		}
	}
	if len(s.Attestations) != 5 {
		t.Errorf("%d attestations, want provenance, sbom and three test results", len(s.Attestations))
	}
	tr, _ := LoadTrust(f.trust)
	st, err := VSA(s, tr, nil, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := intoto.Marshal(st); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, s, nil); err != nil || !strings.Contains(buf.String(), "result: PASSED") {
		t.Fatalf("report %q %v", buf.String(), err)
	}
	// The other build verifies on its own too (with its own suites).
	other := filepath.Join(t.TempDir(), "trust.yaml")
	os.WriteFile(other, []byte("producers:\n  keys: ["+filepath.Join(filepath.Dir(f.trust), "producer.pub")+"]\nallow_modified_source: true\n"), 0o644)
	if _, err := verifyDir(t, f.other, other); err != nil {
		t.Fatal(err)
	}
}

func TestFlippedByteInAnyFile(t *testing.T) {
	f := setup(t)
	var paths []string
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(f.dir, p)
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(paths) < 12 {
		t.Fatalf("only %d files produced", len(paths))
	}
	for _, rel := range paths {
		t.Run(rel, func(t *testing.T) {
			dir := clone(t, f.dir)
			p := filepath.Join(dir, filepath.FromSlash(rel))
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 0x01
			os.WriteFile(p, data, 0o644)
			_, err := verifyDir(t, dir, f.trust)
			var le *LinkError
			if !errors.As(err, &le) {
				if rel == "keys/producer.pub" && err == nil {
					t.Fatal("a flipped byte in the informational public key copy went unnoticed")
				}
				t.Fatalf("err = %v, want a LinkError", err)
			}
			// A listed file fails its digest; the manifest and its
			// envelope fail the manifest's signature check.
			want, cause := "file "+rel, ErrDigest
			switch rel {
			case ManifestFile, ManifestEnvelope:
				want, cause = "manifest ", nil
			}
			if !strings.HasPrefix(le.Link, want) || (cause != nil && !errors.Is(err, cause)) {
				t.Fatalf("failure %q (%v) does not name %s", le.Link, err, rel)
			}
		})
	}
}

func TestTamperCases(t *testing.T) {
	f := setup(t)
	otherKey, _ := keys.Generate(nil)
	swapped := filepath.Join(t.TempDir(), "trust.yaml")
	pub, _ := keys.MarshalPublic(otherKey.Public())
	os.WriteFile(filepath.Join(filepath.Dir(swapped), "producer.pub"), pub, 0o644)
	os.WriteFile(swapped, []byte("producers:\n  keys: [producer.pub]\n"), 0o644)

	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		trust  string
		link   string
		cause  error
	}{
		{"swapped producer key", func(t *testing.T, dir string) {}, swapped, "manifest", ErrSignature},
		{"attestation re-signed by another key", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "attestations/sbom.dsse.json")
			data, _ := os.ReadFile(p)
			env, _ := dsse.Parse(data)
			payload, _ := env.DecodeB64Payload()
			re, _ := dsse.Sign(context.Background(), env.PayloadType, payload, otherKey)
			out, _ := dsse.Marshal(re)
			os.WriteFile(p, out, 0o644)
			resign(t, dir, f.key)
		}, f.trust, "attestation attestations/sbom.dsse.json", ErrSignature},
		{"deleted attestation", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "attestations/provenance.dsse.json"))
		}, f.trust, "file attestations/provenance.dsse.json", ErrMissing},
		{"deleted attestation, manifest re-signed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "attestations/provenance.dsse.json"))
			resign(t, dir, f.key)
		}, f.trust, "required predicate https://slsa.dev/provenance/v1", ErrMissing},
		{"deleted test result, manifest re-signed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "attestations/test-conformance.dsse.json"))
			resign(t, dir, f.key)
		}, f.trust, "test conformance", ErrMissing},
		{"replayed attestation from another build", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(f.other, "attestations/provenance.dsse.json"), filepath.Join(dir, "attestations/provenance.dsse.json"))
		}, f.trust, "file attestations/provenance.dsse.json", ErrDigest},
		{"replayed attestation from another build, manifest re-signed", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(f.other, "attestations/test-reproducible-build.dsse.json"), filepath.Join(dir, "attestations/test-reproducible-build.dsse.json"))
			resign(t, dir, f.key)
		}, f.trust, "attestation attestations/test-reproducible-build.dsse.json", ErrSubject},
		{"SBOM of another build", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(f.other, "sbom.spdx.json"), filepath.Join(dir, "sbom.spdx.json"))
		}, f.trust, "file sbom.spdx.json", ErrDigest},
		{"SBOM of another build, manifest re-signed", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(f.other, "sbom.spdx.json"), filepath.Join(dir, "sbom.spdx.json"))
			resign(t, dir, f.key)
		}, f.trust, "provenance attestations/provenance.dsse.json", ErrCrossCheck},
		{"binary of another build, manifest re-signed", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(f.other, "bin/probe"), filepath.Join(dir, "bin/hello"))
			data, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
			m, _ := parseManifest(data)
			m.Subject.Digest, _ = digestFile(dir, "bin/hello")
			out, _ := marshalManifest(m)
			os.WriteFile(filepath.Join(dir, ManifestFile), out, 0o644)
			resign(t, dir, f.key)
		}, f.trust, "attestation attestations/", ErrSubject},
		{"deleted manifest signature", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ManifestEnvelope))
		}, f.trust, "manifest", ErrMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := clone(t, f.dir)
			tc.mutate(t, dir)
			_, err := verifyDir(t, dir, tc.trust)
			var le *LinkError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a LinkError", err)
			}
			if !strings.HasPrefix(le.Link, tc.link) || !errors.Is(err, tc.cause) {
				t.Fatalf("failed at %q (%v), want %q with %v", le.Link, err, tc.link, tc.cause)
			}
		})
	}
}

func TestFailedTestsAreNotAccepted(t *testing.T) {
	f := setup(t)
	tmp := t.TempDir()
	rp, tp, err := conformanceReport(tmp, false, f.sha384)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "ev")
	if _, err := Produce(context.Background(), ProduceOptions{Source: moduleRoot(), Package: helloPackage, Out: out, Key: f.key, SourceDateEpoch: 1700000000, ConformanceReport: rp, Transcript: tp, AllowModified: true}); err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(tmp, "trust.yaml")
	copyFile(t, filepath.Join(filepath.Dir(f.trust), "producer.pub"), filepath.Join(tmp, "producer.pub"))
	os.WriteFile(trust, []byte("producers:\n  keys: [producer.pub]\nrequired_tests: [reproducible-build, conformance]\nallow_modified_source: true\n"), 0o644)
	_, err = verifyDir(t, out, trust)
	var le *LinkError
	if !errors.As(err, &le) || le.Link != "test conformance" || !errors.Is(err, ErrTestNotPassed) {
		t.Fatalf("err = %v", err)
	}
}

func TestTrustFile(t *testing.T) {
	dir := t.TempDir()
	k, _ := keys.Generate(nil)
	pub, _ := keys.MarshalPublic(k.Public())
	os.WriteFile(filepath.Join(dir, "p.pub"), pub, 0o644)
	for name, body := range map[string]string{
		"unknown field":                 "producers:\n  keys: [p.pub]\nextra: 1\n",
		"no producer keys":              "producers:\n  keys: []\n",
		"threshold too high":            "producers:\n  keys: [p.pub]\n  threshold: 2\n",
		"missing key file":              "producers:\n  keys: [nope.pub]\n",
		"sfr required no key":           "producers:\n  keys: [p.pub]\nrequire_sfr: true\n",
		"missing device root":           "producers:\n  keys: [p.pub]\ndevice_roots: [nope.pem]\n",
		"device root not a certificate": "producers:\n  keys: [p.pub]\ndevice_roots: [p.pub]\n",
		"key mapping, unknown field":    "producers:\n  keys: [{key: p.pub, id: x}]\n",
		"key mapping without key":       "producers:\n  keys: [{kid: x}]\n",
		"key as a list":                 "producers:\n  keys: [[p.pub]]\n",
		"one key twice, threshold 2":    "producers:\n  keys: [p.pub, p.pub]\n  threshold: 2\n",
	} {
		if _, err := ParseTrust([]byte(body), dir, "t.yaml"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	inline := "producers:\n  keys:\n    - |\n" + indent(string(pub), "      ") + "\n"
	if _, err := ParseTrust([]byte(inline), dir, "t.yaml"); err != nil {
		t.Fatalf("inline PEM: %v", err)
	}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pre + lines[i]
	}
	return strings.Join(lines, "\n")
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
