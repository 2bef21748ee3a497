package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/evidence/build"
	"github.com/openihsm/openihsm/evidence/dsse"
	"github.com/openihsm/openihsm/sbom"
)

// resignStatement rewrites an attestation's Statement as a producer holding
// the key could, re-signs it and the manifest: the chain checks must still
// catch what changed.
func resignStatement(t *testing.T, f fixture, dir, rel string, mutate func(st map[string]any)) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	env, err := dsse.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := env.DecodeB64Payload()
	var st map[string]any
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	mutate(st)
	payload, _ = json.Marshal(st)
	re, err := dsse.Sign(context.Background(), dsse.PayloadTypeInToto, payload, f.key)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := dsse.Marshal(re)
	os.WriteFile(p, out, 0o644)
	resign(t, dir, f.key)
}

// replaceInput writes new contents for an input file and makes the test
// result that names it carry the new digests.
func replaceInput(t *testing.T, f fixture, dir, attestation, input string, data []byte) {
	t.Helper()
	os.WriteFile(filepath.Join(dir, filepath.FromSlash(input)), data, 0o644)
	d, err := digestFile(dir, input)
	if err != nil {
		t.Fatal(err)
	}
	resignStatement(t, f, dir, attestation, func(st map[string]any) {
		for _, c := range st["predicate"].(map[string]any)["configuration"].([]any) {
			if cm := c.(map[string]any); cm["name"] == input {
				cm["digest"] = jsonDigest(d)
			}
		}
	})
}

// jsonDigest is a digest set as a decoded JSON statement holds it.
func jsonDigest(d map[string]string) map[string]any {
	m := map[string]any{}
	for k, v := range d {
		m[k] = v
	}
	return m
}

// TestChainHoles covers the links that bind the test results and the build
// link to the binary, each broken by a producer who re-signs what changed.
func TestChainHoles(t *testing.T) {
	f := setup(t)
	tmp := t.TempDir()
	otherReport, _, err := conformanceReport(tmp, true, strings.Repeat("ab", 48))
	if err != nil {
		t.Fatal(err)
	}
	otherReportData, _ := os.ReadFile(otherReport)
	sameTmp := t.TempDir()
	_, _, err = conformanceReport(sameTmp, true, f.sha384)
	if err != nil {
		t.Fatal(err)
	}
	otherTranscript := otherTranscript(t)

	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		link   string
		cause  error
	}{
		{"conformance report of another binary", func(t *testing.T, dir string) {
			replaceInput(t, f, dir, "attestations/test-conformance.dsse.json", ConformanceReportFile, otherReportData)
		}, "test result attestations/test-conformance.dsse.json", ErrSubject},
		{"transcript of another run", func(t *testing.T, dir string) {
			replaceInput(t, f, dir, "attestations/test-conformance.dsse.json", ConformanceTranscriptFile, otherTranscript)
		}, "test result attestations/test-conformance.dsse.json", ErrDigest},
		{"conformance result not the report's", func(t *testing.T, dir string) {
			resignStatement(t, f, dir, "attestations/test-conformance.dsse.json", func(st map[string]any) {
				st["predicate"].(map[string]any)["result"] = "WARNED"
			})
		}, "test result attestations/test-conformance.dsse.json", ErrCrossCheck},
		{"unit tests that miss the binary's package", func(t *testing.T, dir string) {
			data := strings.ReplaceAll(unitTestsJSON, "testdata/hello", "testdata/other")
			replaceInput(t, f, dir, "attestations/test-unit-tests.dsse.json", UnitTestsFile, []byte(data))
		}, "test result attestations/test-unit-tests.dsse.json", ErrCrossCheck},
		{"unit-test results not the input's", func(t *testing.T, dir string) {
			resignStatement(t, f, dir, "attestations/test-unit-tests.dsse.json", func(st map[string]any) {
				st["predicate"].(map[string]any)["passedTests"] = []any{"github.com/openihsm/openihsm/evidence/release"}
			})
		}, "test result attestations/test-unit-tests.dsse.json", ErrCrossCheck},
		{"build link removed, manifest re-signed", func(t *testing.T, dir string) {
			links, _ := filepath.Glob(filepath.Join(dir, "links", "*.link"))
			for _, l := range links {
				os.Remove(l)
			}
			resign(t, dir, f.key)
		}, "link build", ErrMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := clone(t, f.dir)
			tc.mutate(t, dir)
			_, err := verifyDir(t, dir, f.trust)
			var le *LinkError
			if !errors.As(err, &le) || le.Link != tc.link || !errors.Is(err, tc.cause) {
				t.Fatalf("err = %v, want %q with %v", err, tc.link, tc.cause)
			}
		})
	}
}

// otherTranscript is a valid transcript of another run.
func otherTranscript(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	rec := transcript.New(&b)
	rec.Record(transcript.Request, "another run", []byte{0xa0})
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestProduceRefuses: Produce binds its inputs to the binary it builds, and
// writes no evidence for inputs of another binary or run.
func TestProduceRefuses(t *testing.T) {
	f := setup(t)
	tmp := t.TempDir()
	otherRP, otherTP, err := conformanceReport(filepath.Join(tmp), true, strings.Repeat("ab", 48))
	if err != nil {
		t.Fatal(err)
	}
	goodDir := t.TempDir()
	rp, tp, err := conformanceReport(goodDir, true, f.sha384)
	if err != nil {
		t.Fatal(err)
	}
	noMeasure := filepath.Join(t.TempDir(), "report.json")
	data, _ := os.ReadFile(rp)
	var r map[string]any
	json.Unmarshal(data, &r)
	delete(r["implementation"].(map[string]any), "firmware_measurement")
	data, _ = json.Marshal(r)
	os.WriteFile(noMeasure, data, 0o644)
	otherTP2 := filepath.Join(t.TempDir(), "transcript.jsonl")
	os.WriteFile(otherTP2, otherTranscript(t), 0o644)
	unitMissing := filepath.Join(t.TempDir(), "unit.json")
	os.WriteFile(unitMissing, []byte(strings.ReplaceAll(unitTestsJSON, "testdata/hello", "testdata/other")), 0o644)
	for _, tc := range []struct {
		name string
		o    ProduceOptions
		want error
	}{
		{"conformance report of another binary", ProduceOptions{ConformanceReport: otherRP, Transcript: otherTP}, ErrSubject},
		{"a transcript without its report", ProduceOptions{Transcript: tp}, nil},
		{"conformance report without a measurement", ProduceOptions{ConformanceReport: noMeasure, Transcript: tp}, ErrSubject},
		{"transcript of another run", ProduceOptions{ConformanceReport: rp, Transcript: otherTP2}, ErrDigest},
		{"report without its transcript", ProduceOptions{ConformanceReport: rp}, nil},
		{"unit tests that miss the binary's package", ProduceOptions{UnitTestsJSON: unitMissing}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.Source, o.Package, o.Key, o.SourceDateEpoch, o.AllowModified = moduleRoot(), helloPackage, f.key, 1700000000, true
			o.Out = filepath.Join(t.TempDir(), "ev")
			_, err := Produce(context.Background(), o)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(o.Out, ManifestEnvelope)); err == nil {
				t.Fatal("a refused release still wrote a signed manifest")
			}
		})
	}
}

func TestNotReproducedIsAnError(t *testing.T) {
	res := build.Result{Binary: "bin/x", Reproduced: false,
		Digests:       map[string]string{"sha256": "aa", "sha384": "bb", "sha512": "cc"},
		SecondDigests: map[string]string{"sha256": "ab", "sha384": "bb", "sha512": "cc"}}
	if err := checkReproduced(res); !errors.Is(err, ErrNotReproduced) {
		t.Fatalf("differing builds: %v", err)
	}
	res.Reproduced = true
	if err := checkReproduced(res); err != nil {
		t.Fatal(err)
	}
}

// TestModulesCrossChecked: the provenance's resolved dependencies and the
// SBOM's packages are the modules the binary's build information records;
// a producer who re-signs a list that adds, drops or changes one is caught.
func TestModulesCrossChecked(t *testing.T) {
	f := setup(t)
	deps := func(st map[string]any) []any {
		return st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["resolvedDependencies"].([]any)
	}
	setDeps := func(st map[string]any, d []any) {
		st["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["resolvedDependencies"] = d
	}
	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		link   string
		want   string
	}{
		{"provenance resolving a module the binary does not link", func(t *testing.T, dir string) {
			resignStatement(t, f, dir, "attestations/provenance.dsse.json", func(st map[string]any) {
				setDeps(st, append(deps(st), map[string]any{"uri": "pkg:golang/example.com/extra@v1.0.0", "digest": map[string]any{"dirHash": strings.Repeat("00", 32)}}))
			})
		}, "provenance attestations/provenance.dsse.json", "not linked pkg:golang/example.com/extra@v1.0.0"},
		{"provenance without the standard library", func(t *testing.T, dir string) {
			resignStatement(t, f, dir, "attestations/provenance.dsse.json", func(st map[string]any) {
				var kept []any
				for _, d := range deps(st) {
					if uri, _ := d.(map[string]any)["uri"].(string); !strings.HasPrefix(uri, "pkg:golang/stdlib@") {
						kept = append(kept, d)
					}
				}
				setDeps(st, kept)
			})
		}, "provenance attestations/provenance.dsse.json", "missing pkg:golang/stdlib@"},
		{"SBOM naming another standard library", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "sbom.spdx.json")
			data, _ := os.ReadFile(p)
			var doc map[string]any
			json.Unmarshal(data, &doc)
			for _, pkg := range doc["packages"].([]any) {
				pm := pkg.(map[string]any)
				if pm["SPDXID"] == "SPDXRef-"+sbom.StdlibID {
					pm["versionInfo"] = "go1.20.1"
					pm["externalRefs"].([]any)[0].(map[string]any)["referenceLocator"] = "pkg:golang/stdlib@1.20.1"
				}
			}
			data, _ = json.MarshalIndent(doc, "", "  ")
			os.WriteFile(p, data, 0o644)
			d, _ := digestFile(dir, "sbom.spdx.json")
			resignStatement(t, f, dir, "attestations/provenance.dsse.json", func(st map[string]any) {
				st["predicate"].(map[string]any)["runDetails"].(map[string]any)["byproducts"].([]any)[0].(map[string]any)["digest"] = jsonDigest(d)
			})
			resignStatement(t, f, dir, "attestations/sbom.dsse.json", func(st map[string]any) { st["predicate"] = doc })
		}, "sbom sbom.spdx.json", "not linked pkg:golang/stdlib@1.20.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := clone(t, f.dir)
			tc.mutate(t, dir)
			_, err := verifyDir(t, dir, f.trust)
			var le *LinkError
			if !errors.As(err, &le) || le.Link != tc.link || !errors.Is(err, ErrCrossCheck) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q with %v naming %q", err, tc.link, ErrCrossCheck, tc.want)
			}
		})
	}
}
