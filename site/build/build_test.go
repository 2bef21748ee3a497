package build

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/openihsm/openihsm/conformance/report"
	"github.com/openihsm/openihsm/evidence/release"
	"github.com/openihsm/openihsm/internal/evidencetest"
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
	return Input{Spec: s, Vectors: vs, Schemas: wire.SchemaFS, Conformance: fixtureReport(t, s), Evidence: realEvidence(t)}
}

var evidenceOnce struct {
	sync.Once
	e   *Evidence
	err error
}

// realEvidence is the evidence ihsm evidence build and verify write for a
// small command of this module, read once for all tests.
func realEvidence(t testing.TB) *Evidence {
	t.Helper()
	evidenceOnce.Do(func() {
		root, _ := filepath.Abs("../..")
		evidenceOnce.e, evidenceOnce.err = LoadEvidence(evidencetest.Make(t, root).Dir)
	})
	if evidenceOnce.err != nil || evidenceOnce.e == nil {
		t.Fatalf("evidence: %v", evidenceOnce.err)
	}
	return evidenceOnce.e
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
				row := fmt.Sprintf(`<tr id="%s"><td class="num"><code>0x%08X</code>`, st.Name, st.Code)
				if st.Withdrawn {
					row = fmt.Sprintf(`<tr id="%s" class="withdrawn"><td class="num"><code>0x%08X</code>`, st.Name, st.Code)
				}
				if !strings.Contains(status, row) {
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
			for _, m := range s.Types.Maps {
				if !strings.Contains(types, `id="`+m.Name+`"`) || !strings.Contains(types, "<code>"+m.Fields[0].Name+"</code>") {
					t.Errorf("types page lacks map %s or its fields", m.Name)
				}
			}
			if kp := s.Types.KeyPolicy; kp != nil {
				for _, k := range kp.Kinds {
					if !strings.Contains(types, `<tr id="policy-`+k.Kind+`">`) {
						t.Errorf("types page lacks the key policy of %s", k.Kind)
					}
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
		"conformance/index.html":     "No conformance run included",
		"evidence/index.html":        "No evidence included",
		"changelog.html":             "Spec <strong>" + s.Meta.Version + "</strong>, API revision 1.0: the first version, as far as this build knows: no earlier version was given to compare with",
		"requirements/index.html":    "No conformance run is included in this build",
		"conformance/scenarios.html": "No feature bundle is included in this build",
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
	if len(e.SBOMs) != 1 || len(e.SBOMs[0].Packages) == 0 {
		t.Fatalf("SBOMs = %+v", e.SBOMs)
	}
	kinds := map[string]int{}
	for _, s := range e.Statements {
		kinds[s.Kind]++
		if s.Kind != "verification summary" && !s.Signed {
			t.Errorf("%s is not shown as signed", s.File)
		}
	}
	if kinds["provenance"] != 1 || kinds["SBOM attestation"] != 1 || kinds["test results"] != 3 || kinds["verification summary"] != 1 {
		t.Fatalf("statement kinds = %v", kinds)
	}
	if v := e.Verification; v == nil || !v.Known || !v.OK || len(v.Checks) < 10 || !strings.Contains(v.Report, "result: PASSED") {
		t.Fatalf("verification = %+v", e.Verification)
	}
	if len(e.Subjects) != 1 || e.Subjects[0].Name != "bin/hello" || e.Subjects[0].Match != "matches" || len(e.Subjects[0].Digests) != 3 {
		t.Errorf("subjects = %+v", e.Subjects)
	}
	if len(e.SFRs) != 1 || e.SFRs[0].File != "sfr/sfr.cose" || len(e.Links) != 1 {
		t.Errorf("SFRs %+v, links %d", e.SFRs, len(e.Links))
	}
	for _, l := range e.Chain {
		want := "verified"
		if l.Name == "Running device" {
			want = "not-checked"
		}
		if l.State != want {
			t.Errorf("chain %q = %q (%s), want %q", l.Name, l.State, l.Detail, want)
		}
	}
	files, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	p := pageOf(t, files, "evidence/index.html")
	for _, w := range []string{"bin/hello", "https://slsa.dev/provenance/v1", "✓ verified", "sfr/sfr.cose", "OpenIHSM reference HSM", "links/build.", "digest matches"} {
		if !strings.Contains(p, w) {
			t.Errorf("evidence page lacks %q", w)
		}
	}
}

// TestEvidencePageFailure shows a verification that failed: the link the
// verifier named fails, the ones after it were not checked.
func TestEvidencePageFailure(t *testing.T) {
	root, _ := filepath.Abs("../..")
	ev := evidencetest.Make(t, root)
	bin := filepath.Join(ev.Dir, "bin", "hello")
	data, _ := os.ReadFile(bin)
	data[len(data)/2] ^= 1
	os.WriteFile(bin, data, 0o644)
	trust, err := release.LoadTrust(ev.TrustFile)
	if err != nil {
		t.Fatal(err)
	}
	sum, verr := release.Verify(context.Background(), ev.Dir, trust)
	if verr == nil {
		t.Fatal("tampered evidence verified")
	}
	if err := release.WriteVerification(context.Background(), filepath.Join(ev.Dir, release.VerificationDir), sum, trust, verr, nil, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	e, err := LoadEvidence(ev.Dir)
	if err != nil {
		t.Fatal(err)
	}
	chain := map[string]string{}
	for _, l := range e.Chain {
		chain[l.Name] = l.State
	}
	for name, want := range map[string]string{
		"Release subject and digests": "failed",
		"SBOM (SPDX)":                 "not-checked",
		"Short-form report (SFR)":     "not-checked",
		"Verifier's verdict":          "failed",
	} {
		if chain[name] != want {
			t.Errorf("chain %q = %q, want %q", name, chain[name], want)
		}
	}
	files, err := Render(Input{Spec: loadSpec(t, testSpecs[1]), Evidence: e})
	if err != nil {
		t.Fatal(err)
	}
	if p := pageOf(t, files, "evidence/index.html"); !strings.Contains(p, "✗ failed") || !strings.Contains(p, "file bin/hello") || !strings.Contains(p, "digest differs") {
		t.Error("the evidence page does not show the failed link")
	}
}

func TestEvidenceBadInputIsNotFatal(t *testing.T) {
	fsys := fstest.MapFS{
		"evidence.json":            {Data: []byte(`{"subjects": "not a list"}`)},
		"broken.json":              {Data: []byte(`{`)},
		"x.intoto.jsonl":           {Data: []byte("{\"payloadType\":\"a\",\"payload\":\"!!!\"}\n[1,2]\n")},
		"verification.json":        {Data: []byte(`{"checks":[1,{"name":7}]}`)},
		"verification/checks.json": {Data: []byte(`{"version":1,"result":7,"checks":[1,{"link":7}]}`)},
		"sfr/x.cose":               {Data: []byte{0xd2, 0x84, 0x40}},
		"links/build.x.link":       {Data: []byte(`{"signed":{"_type":"link","materials":7}}`)},
		"links/broken.link":        {Data: []byte(`{`)},
		"results.xml":              {Data: []byte(`<testsuite`)},
		"sfr.jws":                  {Data: []byte(`a.b`)},
		"nested/deep/x.json":       {Data: []byte(strings.Repeat("[", 20) + strings.Repeat("]", 20))},
		"nested/long-str.json":     {Data: []byte(`"` + strings.Repeat("x", 5000) + `"`)},
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

// TestScenariosFromTheBundle: the feature bundle's tags link each
// requirement to its scenarios without a conformance run, and with one the
// scenarios carry the run's results.
func TestScenariosFromTheBundle(t *testing.T) {
	s := loadSpec(t, "../../spec")
	q := s.Requirements[0]
	scen := []Scenario{
		{ID: "wire.feature:7", Name: "a first scenario", Feature: "wire.feature", Tags: []string{"@" + q.ID, "@baseline"}},
		{ID: "wire.feature:19", Name: "a second scenario", Feature: "wire.feature", Tags: []string{"@baseline"}},
	}
	for _, withRun := range []bool{false, true} {
		in := Input{Spec: s, Scenarios: scen}
		if withRun {
			c := fixtureReport(t, s)
			c.Report.Scenarios[0].ID, c.Report.Scenarios[0].Status = scen[0].ID, report.Failed
			in.Conformance = c
		}
		files, err := Render(in)
		if err != nil {
			t.Fatal(err)
		}
		reqs := pageOf(t, files, "requirements/index.html")
		link := `<a href="../conformance/scenarios.html#` + "sc-" + anchor(scen[0].ID) + `">a first scenario</a>`
		if !strings.Contains(reqs, link) {
			t.Errorf("run %v: the requirements index does not link %s to its scenario", withRun, q.ID)
		}
		page := pageOf(t, files, "conformance/scenarios.html")
		for _, sc := range scen {
			if !strings.Contains(page, `<tr id="sc-`+anchor(sc.ID)+`">`) {
				t.Errorf("run %v: the scenarios page lacks %s", withRun, sc.ID)
			}
		}
		if got := strings.Contains(reqs, link+` <span class="badge failed">failed</span>`); got != withRun {
			t.Errorf("run %v: the requirements index shows the run's result: %v", withRun, got)
		}
		checkLinks(t, files)
	}
}
