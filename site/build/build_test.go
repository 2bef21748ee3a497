package build

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/site/linkcheck"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
)

// testSpecs are the specs the generator is checked against: the spec of
// the repository and the minimal complete spec the loader's tests keep
// stable.
var testSpecs = []string{"../../spec", "../../spec/model/testdata/minimal"}

func loadSpec(t testing.TB, dir string) *model.Spec {
	t.Helper()
	sc, err := model.CompileSchemas(os.DirFS("../../spec/schema"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sc.Load(os.DirFS(dir))
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return s
}

// fixtureReport runs no device: it gives every requirement of s one
// scenario whose outcome cycles through passed, failed and skipped, so the
// dashboard shows each kind, and leaves the last requirement untested.
func fixtureReport(t testing.TB, s *model.Spec) *Conformance {
	t.Helper()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := report.Report{
		ReportVersion:  report.Version,
		Suite:          report.Suite{Name: "openihsm-conformance", Version: "0.1.0", SpecVersion: s.Meta.Version, APIRevision: fmt.Sprintf("%d.%d", s.Meta.APIRevision.Major, s.Meta.APIRevision.Minor), SpecDigest: "sha256:" + strings.Repeat("ab", 32), FeaturesDigest: "sha256:" + strings.Repeat("cd", 32)},
		Implementation: report.Implementation{Vendor: "OpenIHSM", Product: "reference HSM", FirmwareVersion: "0.1.0", Profiles: []string{"baseline"}},
		Target:         "embedded",
		Control:        true,
		Seed:           1,
		Started:        start,
		Finished:       start.Add(3 * time.Second),
		Vectors:        []report.VectorTally{{Source: "wycheproof/ecdsa_secp256r1_sha256_test.json", Total: 10, Passed: 9, Skipped: 1}},
		Transcript:     report.Transcript{File: "transcript.jsonl", Digest: "sha256:" + strings.Repeat("ef", 32), Frames: 42},
	}
	statuses := []string{report.Passed, report.Failed, report.Skipped}
	var reqs []report.Requirement
	for i, q := range s.Requirements {
		reqs = append(reqs, report.Requirement{ID: q.ID, Level: q.Level, Profile: q.Profile, Tested: q.Tested})
		if i == len(s.Requirements)-1 && i > 0 {
			continue
		}
		sc := report.Scenario{
			ID: fmt.Sprintf("features/%s.feature:%d", strings.ToLower(q.Area), 10+i), Name: "checks " + q.ID,
			Feature: strings.ToLower(q.Area), Tags: []string{"@" + q.ID}, Requirements: []string{q.ID},
			Profile: q.Profile, Status: statuses[i%len(statuses)], DurationMS: float64(10 + i),
		}
		if sc.Status == report.Failed {
			sc.Message = "device answered InternalError"
		}
		r.Scenarios = append(r.Scenarios, sc)
	}
	r.Finalize(reqs, map[string]report.ProfileClaim{"baseline": {Claimed: true, Selected: true}})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConformance(b)
	if err != nil {
		t.Fatalf("fixture report: %v", err)
	}
	return c
}

func fullInput(t testing.TB, dir string) Input {
	t.Helper()
	s := loadSpec(t, dir)
	vs, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := LoadEvidence("testdata/evidence")
	if err != nil {
		t.Fatal(err)
	}
	return Input{Spec: s, Vectors: vs, Schemas: wire.SchemaFS, Conformance: fixtureReport(t, s), Evidence: ev}
}

func pageOf(t *testing.T, files map[string][]byte, name string) string {
	t.Helper()
	b, ok := files[name]
	if !ok {
		t.Fatalf("no page %s", name)
	}
	return string(b)
}

func TestEveryElementHasItsPage(t *testing.T) {
	for _, dir := range testSpecs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			in := fullInput(t, dir)
			files, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			s := in.Spec
			for _, c := range s.Commands {
				p := pageOf(t, files, "protocol/commands/"+c.Name+".html")
				if !strings.Contains(p, fmt.Sprintf("0x%04X", c.Opcode)) {
					t.Errorf("%s page lacks its opcode", c.Name)
				}
				for _, f := range append(append([]model.Field{}, c.Request...), c.Response...) {
					if !strings.Contains(p, "<code>"+f.Name+"</code>") {
						t.Errorf("%s page lacks field %s", c.Name, f.Name)
					}
				}
				for _, e := range s.EffectiveErrors(&c) {
					if !strings.Contains(p, `href="../../protocol/status.html#`+e.Status+`"`) {
						t.Errorf("%s page lacks error row %s", c.Name, e.Status)
					}
				}
				if !strings.Contains(pageOf(t, files, "protocol/index.html"), `href="../protocol/commands/`+c.Name+`.html"`) {
					t.Errorf("protocol index does not link %s", c.Name)
				}
			}
			status := pageOf(t, files, "protocol/status.html")
			for _, st := range s.Status {
				if !strings.Contains(status, fmt.Sprintf(`<tr id="%s"><td class="num"><code>0x%08X</code>`, st.Name, st.Code)) {
					t.Errorf("status registry lacks %s", st.Name)
				}
			}
			reqs := pageOf(t, files, "requirements/index.html")
			for _, q := range s.Requirements {
				if !strings.Contains(reqs, `<tr id="`+q.ID+`" data-area="`+q.Area+`"`) {
					t.Errorf("requirements index lacks %s", q.ID)
				}
			}
			states := pageOf(t, files, "protocol/states.html")
			for _, m := range s.States {
				if !strings.Contains(states, `<h2 id="`+anchor(m.ID)+`">`) || !strings.Contains(states, `<title id="`+anchor(m.ID)+`-title">`) {
					t.Errorf("states page lacks machine %s or its diagram", m.ID)
				}
				for _, st := range m.States {
					if !strings.Contains(states, `<tr id="`+m.ID+"-"+anchor(st.Name)+`">`) {
						t.Errorf("machine %s lacks state %s", m.ID, st.Name)
					}
				}
			}
			types := pageOf(t, files, "protocol/types.html")
			for _, e := range s.Types.Enums {
				if !strings.Contains(types, `id="`+e.Name+`"`) {
					t.Errorf("types page lacks %s", e.Name)
				}
			}
			arch := pageOf(t, files, "architecture/index.html")
			for _, a := range s.Architecture.Algorithms {
				if !strings.Contains(arch, htmltemplate.HTMLEscapeString(a.Name)) {
					t.Errorf("architecture lacks algorithm %s", a.Name)
				}
			}
			for _, l := range s.Architecture.Limits {
				if !strings.Contains(arch, `id="limit-`+l.Name+`"`) {
					t.Errorf("architecture lacks limit %s", l.Name)
				}
			}
			checkLinks(t, files)
		})
	}
}

func checkLinks(t *testing.T, files map[string][]byte) {
	t.Helper()
	m := fstest.MapFS{}
	for n, b := range files {
		m[n] = &fstest.MapFile{Data: b}
	}
	res, err := linkcheck.Check(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	if res.Links < 50 {
		t.Errorf("only %d links checked", res.Links)
	}
}

func TestDeterministic(t *testing.T) {
	in := fullInput(t, testSpecs[1])
	a, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b, err := Render(fullInput(t, testSpecs[1]))
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("render %d: %d files, first render %d", i, len(b), len(a))
		}
		for n := range a {
			if !bytes.Equal(a[n], b[n]) {
				t.Fatalf("render %d: %s differs", i, n)
			}
		}
	}
}

func TestWithoutRunsSaysSo(t *testing.T) {
	s := loadSpec(t, testSpecs[1])
	files, err := Render(Input{Spec: s})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"conformance/index.html":  "No conformance run included",
		"evidence/index.html":     "No evidence included",
		"changelog.html":          "This is the first version of the spec: <strong>" + s.Meta.Version + "</strong>",
		"requirements/index.html": "No conformance run is included in this build",
	} {
		if p := pageOf(t, files, name); !strings.Contains(p, want) {
			t.Errorf("%s does not say %q", name, want)
		}
	}
	checkLinks(t, files)
}

func TestConformanceDashboard(t *testing.T) {
	in := fullInput(t, testSpecs[1])
	files, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	p := pageOf(t, files, "conformance/index.html")
	rep := in.Conformance.Report
	for _, sc := range rep.Scenarios {
		if !strings.Contains(p, `<tr id="sc-`+anchor(sc.ID)+`">`) {
			t.Errorf("dashboard lacks scenario %s", sc.ID)
		}
	}
	for _, want := range []string{rep.Transcript.Digest, "wycheproof/ecdsa_secp256r1_sha256_test.json", `<span class="badge failed">failed</span>`, "device answered InternalError"} {
		if !strings.Contains(p, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	reqs := pageOf(t, files, "requirements/index.html")
	for _, q := range rep.Requirements {
		for _, id := range q.Scenarios {
			if !strings.Contains(reqs, `href="../conformance/index.html#sc-`+anchor(id)+`"`) {
				t.Errorf("requirement %s does not link scenario %s", q.ID, id)
			}
		}
	}
}

func TestEvidencePage(t *testing.T) {
	in := fullInput(t, testSpecs[1])
	e := in.Evidence
	if len(e.SBOMs) != 1 || len(e.SBOMs[0].Packages) != 2 {
		t.Fatalf("SBOMs = %+v", e.SBOMs)
	}
	if len(e.Statements) != 1 || e.Statements[0].Kind != "provenance" || !e.Statements[0].Signed {
		t.Fatalf("statements = %+v", e.Statements)
	}
	if e.Verification == nil || !e.Verification.Known || e.Verification.OK || len(e.Verification.Checks) != 3 {
		t.Fatalf("verification = %+v", e.Verification)
	}
	match := map[string]string{}
	for _, s := range e.Subjects {
		match[s.Name] = s.Match
	}
	if match["ihsm-linux-amd64"] != "matches" || match["sbom.spdx.json"] != "differs" {
		t.Errorf("subject digest checks = %v", match)
	}
	chain := map[string]string{}
	for _, l := range e.Chain {
		chain[l.Name] = l.State
	}
	want := map[string]string{
		"Release subjects and digests": "failed",
		"SBOM (SPDX)":                  "verified",
		"Provenance":                   "verified",
		"Test results":                 "not-checked",
		"Short-form report (SFR)":      "not-checked",
		"Verifier's verdict":           "failed",
	}
	for k, v := range want {
		if chain[k] != v {
			t.Errorf("chain %q = %q, want %q", k, chain[k], v)
		}
	}
	if len(e.TestSuites) != 1 || e.TestSuites[0].Failures != 1 || len(e.SFRs) != 1 {
		t.Errorf("tests %+v, SFRs %d", e.TestSuites, len(e.SFRs))
	}
	files, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	p := pageOf(t, files, "evidence/index.html")
	for _, w := range []string{"pkg:golang/github.com/openihsm/openihsm@0.1.0", "https://slsa.dev/provenance/v1", "release-2026", "digest differs", "✗ failed"} {
		if !strings.Contains(p, w) {
			t.Errorf("evidence page lacks %q", w)
		}
	}
}

func TestEvidenceBadInputIsNotFatal(t *testing.T) {
	fsys := fstest.MapFS{
		"evidence.json":        {Data: []byte(`{"subjects": "not a list"}`)},
		"broken.json":          {Data: []byte(`{`)},
		"x.intoto.jsonl":       {Data: []byte("{\"payloadType\":\"a\",\"payload\":\"!!!\"}\n[1,2]\n")},
		"verification.json":    {Data: []byte(`{"checks":[1,{"name":7}]}`)},
		"results.xml":          {Data: []byte(`<testsuite`)},
		"sfr.jws":              {Data: []byte(`a.b`)},
		"nested/deep/x.json":   {Data: []byte(strings.Repeat("[", 20) + strings.Repeat("]", 20))},
		"nested/long-str.json": {Data: []byte(`"` + strings.Repeat("x", 5000) + `"`)},
	}
	e, err := ReadEvidence(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Files) != len(fsys) {
		t.Errorf("%d files listed, want %d", len(e.Files), len(fsys))
	}
	if _, err := Render(Input{Spec: loadSpec(t, testSpecs[1]), Evidence: e}); err != nil {
		t.Fatal(err)
	}
}

func TestChangelog(t *testing.T) {
	prev := loadSpec(t, testSpecs[1])
	cur := loadSpec(t, testSpecs[1])
	cur.Meta.Version = "0.2.0"
	cur.Status = cur.Status[:len(cur.Status)-1]
	files, err := Render(Input{Spec: cur, Previous: prev})
	if err != nil {
		t.Fatal(err)
	}
	p := pageOf(t, files, "changelog.html")
	if !strings.Contains(p, `<span class="badge breaking">breaking</span>`) || !strings.Contains(p, prev.Meta.Version+" → 0.2.0") {
		t.Errorf("changelog does not show the breaking change:\n%s", p)
	}
}

func TestDiagramsAreWellFormed(t *testing.T) {
	for _, dir := range testSpecs {
		s := loadSpec(t, dir)
		svgs := map[string]string{"masked key": string(byteRuler(s.Architecture.MaskedKey))}
		for _, m := range s.States {
			svgs[m.ID] = string(stateDiagram(m))
		}
		for name, svg := range svgs {
			if svg == "" {
				continue
			}
			d := xml.NewDecoder(strings.NewReader(svg))
			for {
				_, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %s diagram: %v", dir, name, err)
				}
			}
			if !strings.Contains(svg, "<title") || !strings.Contains(svg, `role="img"`) {
				t.Errorf("%s: %s diagram has no accessible name", dir, name)
			}
			if regexp.MustCompile(`NaN|Inf`).MatchString(svg) {
				t.Errorf("%s: %s diagram has a non-finite coordinate", dir, name)
			}
		}
	}
}

func TestBuildRefusesForeignDirectory(t *testing.T) {
	s := loadSpec(t, testSpecs[1])
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Build(dir, Input{Spec: s}); err == nil {
		t.Fatal("Build overwrote a directory it did not write")
	}
	if _, err := os.Stat(filepath.Join(dir, "precious.txt")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "site")
	if err := Build(out, Input{Spec: s}); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "stale.html")
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Build(out, Input{Spec: s}); err != nil {
		t.Fatalf("rebuild over an earlier site: %v", err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("rebuild kept a stale file")
	}
	res, err := linkcheck.Check(os.DirFS(out))
	if err != nil || len(res.Problems) > 0 {
		t.Errorf("built site: %v %v", err, res.Problems)
	}
}
