package intoto

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	slsav1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	trv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
)

func TestSubjectDigests(t *testing.T) {
	rd := BytesSubject("ihsm", []byte("abc"))
	want := sha256.Sum256([]byte("abc"))
	if rd.Digest["sha256"] != hex.EncodeToString(want[:]) {
		t.Fatalf("sha256 %s", rd.Digest["sha256"])
	}
	if len(rd.Digest["sha384"]) != 96 || len(rd.Digest["sha512"]) != 128 {
		t.Fatalf("digests %v", rd.Digest)
	}
	if err := rd.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestProvenanceRoundTrip(t *testing.T) {
	sbom := BytesSubject("ihsm.spdx.json", []byte("{}"))
	p, err := Provenance(ProvenanceOptions{
		BuildType: "https://openihsm.org/buildtypes/go-reproducible/v1", SourceRepo: "https://github.com/openihsm/openihsm",
		SourceCommit: strings.Repeat("ab", 20), Toolchain: "go1.26.4", Flags: []string{"-trimpath"},
		BuilderID: "https://openihsm.org/builders/local", InvocationID: "run-1",
		Started: time.Unix(1, 0), Finished: time.Unix(2, 0), Byproducts: []*ResourceDescriptor{sbom},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := New([]*ResourceDescriptor{BytesSubject("ihsm", []byte("bin"))}, PredicateSLSAProvenance, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	if generic["_type"] != "https://in-toto.io/Statement/v1" || generic["predicateType"] != PredicateSLSAProvenance {
		t.Fatalf("JSON field names: %s", b)
	}
	if _, ok := generic["predicate"].(map[string]any)["buildDefinition"]; !ok {
		t.Fatalf("predicate not in camelCase JSON: %s", b)
	}
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var got slsav1.Provenance
	if err := DecodePredicate(back, &got); err != nil {
		t.Fatal(err)
	}
	if got.GetRunDetails().GetByproducts()[0].GetDigest()["sha256"] != sbom.Digest["sha256"] {
		t.Fatal("byproduct digest lost")
	}
	if got.GetBuildDefinition().GetResolvedDependencies()[0].GetDigest()["gitCommit"] != strings.Repeat("ab", 20) {
		t.Fatal("source commit lost")
	}
	// Without a repository URL the commit is still a resolved dependency,
	// and the modified flag goes with it.
	local, err := Provenance(ProvenanceOptions{BuildType: "https://openihsm.org/buildtypes/go-reproducible/v1", SourceCommit: strings.Repeat("cd", 20),
		Modified: true, BuilderID: "https://openihsm.org/builders/local"})
	if err != nil {
		t.Fatal(err)
	}
	deps := local.GetBuildDefinition().GetResolvedDependencies()
	if len(deps) != 1 || deps[0].GetDigest()["gitCommit"] != strings.Repeat("cd", 20) ||
		!local.GetBuildDefinition().GetExternalParameters().GetFields()["source_modified"].GetBoolValue() {
		t.Fatalf("provenance without a repository: %v", local)
	}
	if _, err := Provenance(ProvenanceOptions{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty provenance: %v", err)
	}
}

func TestTestResult(t *testing.T) {
	cfg := []*ResourceDescriptor{BytesSubject("report.json", []byte("r"))}
	tr, err := TestResult(Passed, cfg, "", []string{"a"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := New([]*ResourceDescriptor{BytesSubject("ihsm", []byte("bin"))}, PredicateTestResult, tr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Marshal(st)
	back, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var got trv0.TestResult
	if err := DecodePredicate(back, &got); err != nil || got.GetResult() != Passed || len(got.GetConfiguration()) != 1 {
		t.Fatalf("%v %v", err, &got)
	}
	for name, f := range map[string]func() error{
		"bad result":  func() error { _, err := TestResult("OK", cfg, "", nil, nil, nil); return err },
		"no config":   func() error { _, err := TestResult(Passed, nil, "", nil, nil, nil); return err },
		"passed+fail": func() error { _, err := TestResult(Passed, cfg, "", nil, nil, []string{"x"}); return err },
		"bad digest": func() error {
			_, err := TestResult(Failed, []*ResourceDescriptor{{Name: "x", Digest: map[string]string{"sha256": "zz"}}}, "", nil, nil, nil)
			return err
		},
		"vsa result": func() error {
			_, err := VSA(VSAOptions{VerifierID: "v", ResourceURI: "r", PolicyURI: "p", Result: Warned})
			return err
		},
		"vsa no input": func() error {
			_, err := VSA(VSAOptions{VerifierID: "v", ResourceURI: "r", PolicyURI: "p", Result: Passed, InputAttestations: []*ResourceDescriptor{{Name: "x"}}})
			return err
		},
	} {
		if err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSPDXAndVSA(t *testing.T) {
	pred, err := SPDX(json.RawMessage(`{"spdxVersion":"SPDX-2.3"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New([]*ResourceDescriptor{BytesSubject("ihsm", []byte("b"))}, PredicateSPDX, pred); err != nil {
		t.Fatal(err)
	}
	if _, err := SPDX(json.RawMessage(`[1]`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("array SPDX: %v", err)
	}
	v, err := VSA(VSAOptions{VerifierID: "https://openihsm.org/ihsm", TimeVerified: time.Unix(0, 0), ResourceURI: "file:ihsm",
		PolicyURI: "file:trust.yaml", Result: Passed, VerifiedLevels: []string{"SLSA_BUILD_LEVEL_1"},
		InputAttestations: []*ResourceDescriptor{{Uri: "file:prov.dsse.json", Digest: map[string]string{"sha256": strings.Repeat("0", 64)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New([]*ResourceDescriptor{BytesSubject("ihsm", []byte("b"))}, PredicateVSA, v); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":    `{`,
		"legacy type": `{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"` + strings.Repeat("0", 64) + `"}}],"predicateType":"x","predicate":{}}`,
		"no subject":  `{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","predicate":{}}`,
		"no digest":   `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a"}],"predicateType":"x","predicate":{}}`,
		"short hex":   `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"x","predicate":{}}`,
		"no pred":     `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` + strings.Repeat("0", 64) + `"}}],"predicateType":"x"}`,
		"unknown key": `{"_type":"https://in-toto.io/Statement/v1","bogus":1}`,
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatal("partial value on error")
			}
			return
		}
		if _, err := Marshal(s); err != nil {
			t.Fatalf("parsed statement does not marshal: %v", err)
		}
	})
}
