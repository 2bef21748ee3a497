package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

// Evidence is a release's evidence directory (ihsm evidence build --out
// DIR) as the site shows it. The reader is generic on purpose: it
// recognises each JSON document by its content (an SPDX document by
// spdxVersion, an in-toto statement by _type, a DSSE envelope by
// payloadType, a short-form report by review_framework_version, the
// verifier's summary by its name) rather than by a fixed schema, so the
// page keeps working as the evidence formats evolve.
type Evidence struct {
	Files        []EvidenceFile
	Manifest     *Doc
	Subjects     []Subject
	SBOMs        []SBOM
	Statements   []Statement
	TestSuites   []TestSuite
	SFRs         []Doc
	Verification *Verification
	Reports      []Doc // conformance reports bundled as evidence
	Others       []Doc
	Chain        []ChainLink
}

// EvidenceFile is one file of the directory with its digest.
type EvidenceFile struct {
	Path   string
	Size   int64
	SHA256 string
	Kind   string
}

// Doc is a JSON document rendered as a nested list.
type Doc struct {
	File string
	Kind string
	Tree template.HTML
}

// Subject is a named artifact and its digests.
type Subject struct {
	Name    string
	Digests []Digest
	// Match says whether a file of the directory by the same name has the
	// same SHA-256: "matches", "differs", or "" when there is no such file.
	Match string
}

// Digest is one algorithm:value pair.
type Digest struct{ Alg, Value string }

// SBOM is an SPDX document.
type SBOM struct {
	File, Name, SPDXVersion, Created, Namespace string
	Packages                                    []SBOMPackage
}

// SBOMPackage is one package of an SPDX document.
type SBOMPackage struct {
	Name, Version, Supplier, License, PURL, Checksum string
}

// Statement is an in-toto statement, signed in a DSSE envelope or not.
type Statement struct {
	File          string
	Kind          string // provenance, test results, verification summary, attestation
	Type          string
	PredicateType string
	Subjects      []Subject
	Signed        bool
	KeyIDs        []string
	Predicate     template.HTML
}

// TestSuite is one JUnit test suite.
type TestSuite struct {
	File                             string
	Name                             string
	Tests, Failures, Errors, Skipped int
	Time                             string
}

// Verification is the verifier's summary.
type Verification struct {
	File    string
	Verdict string
	OK      bool
	Known   bool // the summary states an overall verdict
	Checks  []Check
	Tree    template.HTML
}

// Check is one check the verifier reports.
type Check struct {
	Name, Detail string
	OK           bool
}

// ChainLink is one link of the evidence chain and whether the verifier
// vouched for it.
type ChainLink struct {
	Name    string
	Present bool
	State   string // verified, failed, not-checked, missing
	Detail  string
}

// LoadEvidence reads every file under dir.
func LoadEvidence(dir string) (*Evidence, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("site: evidence: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("site: evidence: %s is not a directory", dir)
	}
	return ReadEvidence(os.DirFS(dir))
}

// ReadEvidence reads every file of fsys.
func ReadEvidence(fsys fs.FS) (*Evidence, error) {
	e := &Evidence{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		f := EvidenceFile{Path: p, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
		f.Kind = e.classify(p, b)
		e.Files = append(e.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("site: evidence: %w", err)
	}
	sort.Slice(e.Files, func(i, j int) bool { return e.Files[i].Path < e.Files[j].Path })
	digests := map[string]string{}
	for _, f := range e.Files {
		digests[f.Path] = f.SHA256
		digests[path.Base(f.Path)] = f.SHA256
	}
	for i := range e.Subjects {
		e.Subjects[i].Match = matchDigest(e.Subjects[i], digests)
	}
	for i := range e.Statements {
		for j := range e.Statements[i].Subjects {
			e.Statements[i].Subjects[j].Match = matchDigest(e.Statements[i].Subjects[j], digests)
		}
	}
	e.Chain = e.chain()
	return e, nil
}

func matchDigest(s Subject, files map[string]string) string {
	have, ok := files[s.Name]
	if !ok {
		have, ok = files[path.Base(s.Name)]
	}
	if !ok {
		return ""
	}
	for _, d := range s.Digests {
		if strings.EqualFold(d.Alg, "sha256") || strings.EqualFold(d.Alg, "sha-256") {
			if strings.EqualFold(d.Value, have) {
				return "matches"
			}
			return "differs"
		}
	}
	return ""
}

// classify records what the file is and returns its kind.
func (e *Evidence) classify(p string, b []byte) string {
	lower := strings.ToLower(path.Base(p))
	switch {
	case strings.HasSuffix(lower, ".jsonl"):
		kind := "JSON lines"
		for i, line := range bytes.Split(b, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			var v any
			if json.Unmarshal(line, &v) != nil {
				return "unreadable JSON lines"
			}
			kind = e.document(fmt.Sprintf("%s line %d", p, i+1), lower, v)
		}
		return kind
	case strings.HasSuffix(lower, ".json"):
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return "unreadable JSON"
		}
		return e.document(p, lower, v)
	case strings.HasSuffix(lower, ".xml"):
		if ts := junit(p, b); len(ts) > 0 {
			e.TestSuites = append(e.TestSuites, ts...)
			return "test results (JUnit)"
		}
		return "XML"
	case strings.HasSuffix(lower, ".jws"):
		if v, ok := jwsPayload(b); ok {
			kind := e.document(p, lower, v)
			return kind + " (JWS)"
		}
		return "JWS"
	}
	return "file"
}

// document files a decoded JSON document by its content.
func (e *Evidence) document(file, base string, v any) string {
	m, _ := v.(map[string]any)
	switch {
	case m == nil:
		e.Others = append(e.Others, Doc{File: file, Kind: "JSON", Tree: tree(v)})
		return "JSON"
	case str(m, "payloadType") != "" && m["payload"] != nil:
		payload, err := decodeB64(str(m, "payload"))
		var inner any
		if err != nil || json.Unmarshal(payload, &inner) != nil {
			e.Others = append(e.Others, Doc{File: file, Kind: "DSSE envelope", Tree: tree(v)})
			return "DSSE envelope"
		}
		var keyIDs []string
		for _, s := range list(m["signatures"]) {
			if sm, ok := s.(map[string]any); ok {
				keyIDs = append(keyIDs, str(sm, "keyid"))
			}
		}
		im, _ := inner.(map[string]any)
		if im != nil && strings.HasPrefix(str(im, "_type"), "https://in-toto.io/Statement") {
			st := e.statement(file, im)
			st.Signed, st.KeyIDs = len(keyIDs) > 0, keyIDs
			e.Statements = append(e.Statements, st)
			return "signed " + st.Kind
		}
		e.Others = append(e.Others, Doc{File: file, Kind: "DSSE envelope", Tree: tree(inner)})
		return "DSSE envelope"
	case strings.HasPrefix(str(m, "_type"), "https://in-toto.io/Statement"):
		st := e.statement(file, m)
		e.Statements = append(e.Statements, st)
		return st.Kind
	case str(m, "spdxVersion") != "":
		e.SBOMs = append(e.SBOMs, sbom(file, m))
		return "SBOM (" + str(m, "spdxVersion") + ")"
	case m["review_framework_version"] != nil:
		e.SFRs = append(e.SFRs, Doc{File: file, Kind: "short-form report", Tree: tree(m)})
		return "OCP SAFE short-form report"
	case m["report_version"] != nil && m["suite"] != nil:
		e.Reports = append(e.Reports, Doc{File: file, Kind: "conformance report", Tree: tree(map[string]any{"result": m["result"], "suite": m["suite"], "implementation": m["implementation"]})})
		return "conformance report"
	case strings.Contains(base, "verif"):
		e.Verification = verification(file, m)
		return "verification summary"
	case base == "evidence.json":
		e.Manifest = &Doc{File: file, Kind: "manifest", Tree: tree(m)}
		for _, k := range []string{"subjects", "subject", "artifacts", "files"} {
			e.Subjects = append(e.Subjects, subjects(m[k])...)
		}
		return "evidence manifest"
	}
	e.Others = append(e.Others, Doc{File: file, Kind: "JSON", Tree: tree(m)})
	return "JSON"
}

func (e *Evidence) statement(file string, m map[string]any) Statement {
	pt := str(m, "predicateType")
	st := Statement{File: file, Type: str(m, "_type"), PredicateType: pt, Subjects: subjects(m["subject"]), Predicate: tree(m["predicate"])}
	lp := strings.ToLower(pt)
	switch {
	case strings.Contains(lp, "provenance"):
		st.Kind = "provenance"
	case strings.Contains(lp, "verification_summary"):
		st.Kind = "verification summary"
		if p, ok := m["predicate"].(map[string]any); ok && e.Verification == nil {
			res := str(p, "verificationResult")
			e.Verification = &Verification{File: file, Verdict: res, Known: res != "", OK: strings.EqualFold(res, "PASSED"), Tree: tree(p)}
		}
	case strings.Contains(lp, "test"):
		st.Kind = "test results"
	case strings.Contains(lp, "spdx"):
		st.Kind = "SBOM attestation"
	default:
		st.Kind = "attestation"
	}
	return st
}

func sbom(file string, m map[string]any) SBOM {
	s := SBOM{File: file, Name: str(m, "name"), SPDXVersion: str(m, "spdxVersion"), Namespace: str(m, "documentNamespace")}
	if ci, ok := m["creationInfo"].(map[string]any); ok {
		s.Created = str(ci, "created")
	}
	for _, p := range list(m["packages"]) {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		pk := SBOMPackage{Name: str(pm, "name"), Version: str(pm, "versionInfo"), Supplier: str(pm, "supplier"), License: str(pm, "licenseConcluded")}
		if pk.License == "" || pk.License == "NOASSERTION" {
			if d := str(pm, "licenseDeclared"); d != "" {
				pk.License = d
			}
		}
		for _, r := range list(pm["externalRefs"]) {
			if rm, ok := r.(map[string]any); ok && str(rm, "referenceType") == "purl" {
				pk.PURL = str(rm, "referenceLocator")
			}
		}
		for _, c := range list(pm["checksums"]) {
			if cm, ok := c.(map[string]any); ok && pk.Checksum == "" {
				pk.Checksum = str(cm, "algorithm") + ":" + str(cm, "checksumValue")
			}
		}
		s.Packages = append(s.Packages, pk)
	}
	sort.SliceStable(s.Packages, func(i, j int) bool { return s.Packages[i].Name < s.Packages[j].Name })
	return s
}

// subjects reads a list of {name|path|file|uri, digest: {alg: hex} | "alg:hex", sha256: hex}.
func subjects(v any) []Subject {
	var out []Subject
	for _, it := range list(v) {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		s := Subject{}
		for _, k := range []string{"name", "path", "file", "uri"} {
			if s.Name = str(m, k); s.Name != "" {
				break
			}
		}
		switch d := m["digest"].(type) {
		case map[string]any:
			for _, alg := range sortedKeys(d) {
				s.Digests = append(s.Digests, Digest{Alg: alg, Value: fmt.Sprint(d[alg])})
			}
		case string:
			alg, val, ok := strings.Cut(d, ":")
			if !ok {
				alg, val = "digest", d
			}
			s.Digests = append(s.Digests, Digest{Alg: alg, Value: val})
		}
		for _, alg := range []string{"sha256", "sha384", "sha512"} {
			if x := str(m, alg); x != "" {
				s.Digests = append(s.Digests, Digest{Alg: alg, Value: x})
			}
		}
		if s.Name != "" || len(s.Digests) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func verification(file string, m map[string]any) *Verification {
	v := &Verification{File: file, Tree: tree(m)}
	for _, k := range []string{"verified", "ok", "passed", "valid"} {
		if b, ok := m[k].(bool); ok {
			v.Known, v.OK = true, b
			v.Verdict = map[bool]string{true: "verified", false: "not verified"}[b]
			break
		}
	}
	if !v.Known {
		for _, k := range []string{"verdict", "result", "status", "verificationResult"} {
			if s := str(m, k); s != "" {
				v.Known, v.OK, v.Verdict = true, okWord(s), s
				break
			}
		}
	}
	for _, k := range []string{"checks", "steps", "results", "links", "chain"} {
		items := list(m[k])
		if len(items) == 0 {
			continue
		}
		for _, it := range items {
			cm, ok := it.(map[string]any)
			if !ok {
				continue
			}
			c := Check{}
			for _, nk := range []string{"name", "check", "step", "link", "subject", "file", "id"} {
				if c.Name = str(cm, nk); c.Name != "" {
					break
				}
			}
			for _, ok := range []string{"ok", "verified", "passed", "valid"} {
				if b, isBool := cm[ok].(bool); isBool {
					c.OK = b
					break
				}
				if s := str(cm, ok); s != "" {
					c.OK = okWord(s)
					break
				}
			}
			for _, sk := range []string{"status", "result"} {
				if s := str(cm, sk); s != "" {
					c.OK = okWord(s)
				}
			}
			for _, dk := range []string{"detail", "message", "reason", "error"} {
				if c.Detail = str(cm, dk); c.Detail != "" {
					break
				}
			}
			v.Checks = append(v.Checks, c)
		}
		break
	}
	return v
}

func okWord(s string) bool {
	switch strings.ToLower(s) {
	case "ok", "pass", "passed", "verified", "valid", "success", "true":
		return true
	}
	return false
}

// chain lines up the links of the evidence chain, from the release's
// subjects to the verifier's verdict, with the verifier's checks that name
// each one.
func (e *Evidence) chain() []ChainLink {
	count := func(kind string) int {
		n := 0
		for _, s := range e.Statements {
			if s.Kind == kind {
				n++
			}
		}
		return n
	}
	links := []struct {
		name    string
		present bool
		words   []string
	}{
		{"Release subjects and digests", e.Manifest != nil || len(e.Subjects) > 0, []string{"subject", "digest", "manifest", "evidence", "artifact"}},
		{"SBOM (SPDX)", len(e.SBOMs) > 0 || count("SBOM attestation") > 0, []string{"sbom", "spdx"}},
		{"Provenance", count("provenance") > 0, []string{"provenance", "slsa", "build"}},
		{"Test results", len(e.TestSuites) > 0 || count("test results") > 0 || len(e.Reports) > 0, []string{"test", "conformance"}},
		{"Short-form report (SFR)", len(e.SFRs) > 0, []string{"sfr", "short-form", "safe"}},
	}
	var out []ChainLink
	for _, l := range links {
		cl := ChainLink{Name: l.name, Present: l.present, State: "missing"}
		if l.present {
			cl.State, cl.Detail = "not-checked", "present; no check of the verifier names it"
		}
		if v := e.Verification; v != nil {
			var matched []Check
			for _, c := range v.Checks {
				n := strings.ToLower(c.Name)
				for _, w := range l.words {
					if strings.Contains(n, w) {
						matched = append(matched, c)
						break
					}
				}
			}
			if len(matched) > 0 {
				cl.State = "verified"
				var names []string
				for _, c := range matched {
					names = append(names, c.Name)
					if !c.OK {
						cl.State = "failed"
					}
				}
				cl.Detail = strings.Join(names, ", ")
			}
		}
		out = append(out, cl)
	}
	verdict := ChainLink{Name: "Verifier's verdict", State: "missing"}
	if v := e.Verification; v != nil {
		verdict.Present, verdict.Detail = true, v.Verdict
		switch {
		case !v.Known:
			verdict.State = "not-checked"
		case v.OK:
			verdict.State = "verified"
		default:
			verdict.State = "failed"
		}
	}
	return append(out, verdict)
}

// junit reads JUnit XML: a <testsuites> of <testsuite>s or one <testsuite>.
func junit(file string, b []byte) []TestSuite {
	type suite struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
	}
	var root struct {
		XMLName xml.Name
		suite
		Suites []suite `xml:"testsuite"`
	}
	if xml.Unmarshal(b, &root) != nil {
		return nil
	}
	var suites []suite
	switch root.XMLName.Local {
	case "testsuites":
		suites = root.Suites
	case "testsuite":
		suites = []suite{root.suite}
	}
	var out []TestSuite
	for _, s := range suites {
		out = append(out, TestSuite{File: file, Name: s.Name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Time: s.Time})
	}
	return out
}

func jwsPayload(b []byte) (any, bool) {
	parts := strings.Split(strings.TrimSpace(string(b)), ".")
	if len(parts) != 3 {
		return nil, false
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var v any
	return v, json.Unmarshal(p, &v) == nil
}

func decodeB64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64")
}

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case float64, bool:
		return fmt.Sprint(v)
	}
	return ""
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tree renders a JSON value as nested definition lists, with keys sorted so
// the page is deterministic, long strings shortened and long lists cut.
func tree(v any) template.HTML {
	var b strings.Builder
	writeTree(&b, v, 0)
	return template.HTML(b.String())
}

const (
	treeDepth  = 6
	treeItems  = 40
	treeString = 160
)

func writeTree(b *strings.Builder, v any, depth int) {
	esc := template.HTMLEscapeString
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			b.WriteString("<code>{}</code>")
			return
		}
		if depth >= treeDepth {
			fmt.Fprintf(b, "<span class=\"muted\">object of %d fields</span>", len(v))
			return
		}
		b.WriteString("<dl class=\"tree\">")
		for _, k := range sortedKeys(v) {
			fmt.Fprintf(b, "<dt>%s</dt><dd>", esc(k))
			writeTree(b, v[k], depth+1)
			b.WriteString("</dd>")
		}
		b.WriteString("</dl>")
	case []any:
		if len(v) == 0 {
			b.WriteString("<code>[]</code>")
			return
		}
		if depth >= treeDepth {
			fmt.Fprintf(b, "<span class=\"muted\">list of %d items</span>", len(v))
			return
		}
		b.WriteString("<ol class=\"tree\">")
		for i, it := range v {
			if i == treeItems {
				fmt.Fprintf(b, "<li class=\"muted\">… %d more</li>", len(v)-treeItems)
				break
			}
			b.WriteString("<li>")
			writeTree(b, it, depth+1)
			b.WriteString("</li>")
		}
		b.WriteString("</ol>")
	case string:
		r := []rune(v)
		if len(r) > treeString {
			fmt.Fprintf(b, "<code class=\"wrap\">%s</code> <span class=\"muted\">(%d characters)</span>", esc(string(r[:treeString])+"…"), len(r))
			return
		}
		fmt.Fprintf(b, "<code class=\"wrap\">%s</code>", esc(v))
	case nil:
		b.WriteString("<code>null</code>")
	default:
		fmt.Fprintf(b, "<code>%s</code>", esc(fmt.Sprint(v)))
	}
}
