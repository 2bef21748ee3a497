package sfr

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Severity grades a lint finding.
type Severity int

// Severities: an error breaks the published format or what a consumer
// relies on; a warning is legal but weakens the report.
const (
	SeverityWarning Severity = iota + 1
	SeverityError
)

func (s Severity) String() string {
	if s == SeverityError {
		return "error"
	}
	return "warning"
}

// Code identifies a kind of lint finding; tests and tools match codes,
// never message text.
type Code string

// Lint codes. The inconsistencies they name are those found in the
// reports published under Reports/ in the OCP SAFE repository.
const (
	CodeFieldMissing     Code = "field-missing"     // a required field is absent or empty
	CodeFieldType        Code = "field-type"        // a field has the wrong JSON/CBOR type
	CodeScopeType        Code = "scope-type"        // scope number as a float or a string
	CodeScopeRange       Code = "scope-range"       // scope number other than 1, 2 or 3
	CodeScopeLegacyKey   Code = "scope-legacy-key"  // "scope" instead of "scope_number"
	CodeRepoTagMissing   Code = "repo-tag-missing"  // no repo_tag: the source cannot be identified
	CodeHashMissing      Code = "hash-missing"      // neither SHA-384 nor SHA-512 recorded
	CodeHashEmpty        Code = "hash-empty"        // one of the two digests is empty
	CodeHashPrefix       Code = "hash-0x-prefix"    // 0x-prefixed hex
	CodeHashCase         Code = "hash-uppercase"    // uppercase hex
	CodeHashFormat       Code = "hash-format"       // not hex, or not a digest structure
	CodeHashLength       Code = "hash-length"       // wrong length for the algorithm
	CodeHashAlgorithm    Code = "hash-algorithm"    // a CoRIM digest under another algorithm
	CodeManifestDigest   Code = "manifest-digest"   // digest differs from the manifest's
	CodeDateFormat       Code = "date-format"       // completion date not ISO 8601 YYYY-MM-DD
	CodeCVSSScore        Code = "cvss-score"        // score not a number in 0.0..10.0
	CodeCVSSVector       Code = "cvss-vector"       // vector unparseable for its version
	CodeCVSSVersion      Code = "cvss-version"      // vector version differs from cvss_version
	CodeCVSSMismatch     Code = "cvss-score-vector" // score differs from the vector's base score
	CodeCWE              Code = "cwe-format"        // cwe not CWE-<n>
	CodeCVE              Code = "cve-format"        // cve not CVE-<year>-<n>
	CodeProfileMissing   Code = "corim-profile-missing"
	CodeProfileWrong     Code = "corim-profile-wrong"
	CodeClassMismatch    Code = "corim-class-mismatch"
	CodeMultipleFirmware Code = "corim-multiple-fw-identifiers"
)

// Problem is one lint finding.
type Problem struct {
	Code     Code
	Severity Severity
	// Field is a dotted path in the JSON vocabulary, e.g. "device.fw_hash_sha2_384".
	Field   string
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s [%s]", p.Severity, p.Field, p.Message, p.Code)
}

// HasErrors reports whether any problem is an error.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Lint checks a report for the inconsistencies seen in published reports.
// It reads the report as decoded, before typing, so it sees a scope number
// sent as 1.0 or "1"; for a report built in Go it lints the JSON encoding.
func Lint(r *Report) []Problem {
	raw := r.raw
	if raw == nil {
		b, err := EncodeJSON(r)
		if err == nil {
			if p, err := ParseJSON(b); err == nil {
				raw = p.raw
			}
		}
	}
	l := &linter{}
	l.problems = append(l.problems, r.problems...)
	dev, _ := object(raw["device"])
	aud, _ := object(raw["audit"])
	corim := r.encoding == EncodingCoRIM

	l.str(raw, "review_framework_version", "", SeverityError)
	l.str(dev, "vendor", "device.", SeverityError)
	l.str(dev, "product", "device.", SeverityError)
	l.str(dev, "fw_version", "device.", SeverityError)
	if l.str(dev, "repo_tag", "device.", 0) == "" {
		l.add(CodeRepoTagMissing, SeverityWarning, "device.repo_tag", "no repo_tag: the audited source is not identified")
	}
	l.str(aud, "srp", "audit.", SeverityError)
	l.str(aud, "report_version", "audit.", SeverityError)
	if !corim {
		// The CoRIM profile has no key for the methodology.
		l.str(aud, "methodology", "audit.", SeverityWarning)
	}
	l.hashes(dev)
	l.scope(aud)
	l.date(aud)
	l.manifest(r, dev)
	l.issues(aud)
	return l.problems
}

type linter struct{ problems []Problem }

func (l *linter) add(c Code, s Severity, field, format string, args ...any) {
	l.problems = append(l.problems, Problem{Code: c, Severity: s, Field: field, Message: fmt.Sprintf(format, args...)})
}

// str checks that m[key] is a string and, when missingSev is set, that it
// is not empty; it returns the string.
func (l *linter) str(m map[string]any, key, prefix string, missingSev Severity) string {
	v, present := m[key]
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" && missingSev != 0 {
			l.add(CodeFieldMissing, missingSev, prefix+key, "empty")
		}
		return x
	case nil:
		if missingSev != 0 {
			l.add(CodeFieldMissing, missingSev, prefix+key, "missing")
		}
		_ = present
		return ""
	default:
		l.add(CodeFieldType, SeverityError, prefix+key, "is %s, want a string", kind(v))
		return text(v)
	}
}

func kind(v any) string {
	switch x := v.(type) {
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "a float"
		}
		return "an integer"
	case float64, float32:
		return "a float"
	case uint64, int64:
		return "an integer"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "an object"
	case []byte:
		return "a byte string"
	}
	return fmt.Sprintf("%T", v)
}

func (l *linter) hashes(dev map[string]any) {
	h384 := l.str(dev, "fw_hash_sha2_384", "device.", 0)
	h512 := l.str(dev, "fw_hash_sha2_512", "device.", 0)
	if h384 == "" && h512 == "" {
		l.add(CodeHashMissing, SeverityError, "device", "neither fw_hash_sha2_384 nor fw_hash_sha2_512 is set: the report binds no firmware")
		return
	}
	for _, c := range []struct {
		field, v string
		n        int
	}{{"device.fw_hash_sha2_384", h384, 48}, {"device.fw_hash_sha2_512", h512, 64}} {
		if c.v == "" {
			l.add(CodeHashEmpty, SeverityWarning, c.field, "empty; the README requires both SHA2-384 and SHA2-512")
			continue
		}
		l.hexDigest(c.field, c.v, c.n)
	}
}

// hexDigest checks one hex digest of n bytes.
func (l *linter) hexDigest(field, v string, n int) {
	if strings.HasPrefix(v, "0x") || strings.HasPrefix(v, "0X") {
		// The README's example has 0x; verify_json_report_contents' length
		// check then rejects it.
		l.add(CodeHashPrefix, SeverityError, field, "0x prefix")
		v = v[2:]
	}
	if _, err := hex.DecodeString(v); err != nil {
		l.add(CodeHashFormat, SeverityError, field, "not hex")
		return
	}
	if len(v) != 2*n {
		l.add(CodeHashLength, SeverityError, field, "%d hex digits, want %d", len(v), 2*n)
	}
	if v != strings.ToLower(v) {
		l.add(CodeHashCase, SeverityWarning, field, "uppercase hex; lowercase is what hex digests are compared as")
	}
}

func (l *linter) scope(aud map[string]any) {
	v, ok := aud["scope_number"]
	field := "audit.scope_number"
	if !ok {
		if v, ok = aud["scope"]; ok {
			field = "audit.scope"
			l.add(CodeScopeLegacyKey, SeverityWarning, field, `named "scope", the format names it "scope_number"`)
		}
	}
	if !ok || v == nil {
		l.add(CodeFieldMissing, SeverityError, "audit.scope_number", "missing")
		return
	}
	switch x := v.(type) {
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			l.add(CodeScopeType, SeverityError, field, "%s is a float, want an integer", x)
		}
	case uint64, int64:
	default:
		l.add(CodeScopeType, SeverityError, field, "is %s (%v), want an integer", kind(v), v)
	}
	if n, ok := integer(v); !ok || n < 1 || n > 3 {
		l.add(CodeScopeRange, SeverityError, field, "%v is not a review scope (1, 2 or 3)", v)
	}
}

func (l *linter) date(aud map[string]any) {
	v, ok := aud["completion_date"].(string)
	if !ok {
		if aud["completion_date"] == nil {
			l.add(CodeFieldMissing, SeverityError, "audit.completion_date", "missing")
		} else {
			l.add(CodeDateFormat, SeverityError, "audit.completion_date", "is %s, want YYYY-MM-DD", kind(aud["completion_date"]))
		}
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		l.add(CodeDateFormat, SeverityError, "audit.completion_date", "%q is not an ISO 8601 date YYYY-MM-DD", v)
	}
}

func (l *linter) manifest(r *Report, dev map[string]any) {
	if _, ok := dev["manifest"]; !ok {
		return
	}
	list, ok := dev["manifest"].([]any)
	if !ok {
		l.add(CodeFieldType, SeverityError, "device.manifest", "is %s, want a list", kind(dev["manifest"]))
		return
	}
	for i, e := range list {
		m, ok := object(e)
		if !ok {
			l.add(CodeFieldType, SeverityError, fmt.Sprintf("device.manifest[%d]", i), "is %s, want an object", kind(e))
			continue
		}
		l.str(m, "file_name", fmt.Sprintf("device.manifest[%d].", i), SeverityError)
		if h := l.str(m, "file_hash", fmt.Sprintf("device.manifest[%d].", i), SeverityError); h != "" {
			l.hexDigest(fmt.Sprintf("device.manifest[%d].file_hash", i), h, 64)
		}
	}
	mj := ManifestJSON(r.Device.Manifest)
	s384, s512 := sha512.Sum384(mj), sha512.Sum512(mj)
	// A CoRIM carries the manifest digest apart from the firmware digests;
	// a report that records it is read that way.
	if r.encoding == EncodingCoRIM || r.Device.ManifestSHA512 != "" {
		if r.Device.ManifestSHA512 != "" && r.Device.ManifestSHA512 != hex.EncodeToString(s512[:]) {
			l.add(CodeManifestDigest, SeverityError, "device.manifest", "src-manifest digest is not the SHA-512 of the manifest")
		}
		return
	}
	// README: with a manifest, the fw hashes are hashes of its compact JSON.
	for _, c := range []struct {
		field, v string
		sum      []byte
	}{{"device.fw_hash_sha2_384", r.Device.FWHashSHA384, s384[:]}, {"device.fw_hash_sha2_512", r.Device.FWHashSHA512, s512[:]}} {
		if c.v != "" && !strings.EqualFold(strings.TrimPrefix(c.v, "0x"), hex.EncodeToString(c.sum)) {
			l.add(CodeManifestDigest, SeverityError, c.field, "is not the digest of the manifest's compact JSON")
		}
	}
}

var (
	cweRE = regexp.MustCompile(`^CWE-[1-9][0-9]*$`)
	cveRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	// A CVSS score is a decimal with one digit after the point (CVSS v3.1
	// §7.4 and v4.0 both round to one decimal).
	scoreRE = regexp.MustCompile(`^(10|[0-9])\.[0-9]$`)
)

func (l *linter) issues(aud map[string]any) {
	v, ok := aud["issues"]
	if !ok {
		l.add(CodeFieldMissing, SeverityError, "audit.issues", "missing; an empty list states that no issue remains")
		return
	}
	list, ok := v.([]any)
	if !ok {
		l.add(CodeFieldType, SeverityError, "audit.issues", "is %s, want a list", kind(v))
		return
	}
	version := ""
	if len(list) > 0 {
		version = l.str(aud, "cvss_version", "audit.", SeverityError)
	}
	for i, e := range list {
		p := fmt.Sprintf("audit.issues[%d].", i)
		m, ok := object(e)
		if !ok {
			l.add(CodeFieldType, SeverityError, p[:len(p)-1], "is %s, want an object", kind(e))
			continue
		}
		l.str(m, "title", p, SeverityError)
		l.str(m, "description", p, SeverityError)
		if cwe := l.str(m, "cwe", p, SeverityWarning); cwe != "" && !cweRE.MatchString(cwe) {
			l.add(CodeCWE, SeverityWarning, p+"cwe", "%q is not CWE-<number>", cwe)
		}
		if cve, ok := m["cve"].(string); ok && cve != "" && !cveRE.MatchString(cve) {
			l.add(CodeCVE, SeverityWarning, p+"cve", "%q is not CVE-<year>-<number>", cve)
		}
		score := l.str(m, "cvss_score", p, SeverityError)
		vector := l.str(m, "cvss_vector", p, SeverityError)
		l.cvss(p, version, score, vector)
	}
}

func (l *linter) cvss(p, version, score, vector string) {
	var sc float64
	scoreOK := scoreRE.MatchString(score)
	if scoreOK {
		fmt.Sscanf(score, "%g", &sc)
		scoreOK = sc >= 0 && sc <= 10
	}
	if !scoreOK && score != "" {
		l.add(CodeCVSSScore, SeverityError, p+"cvss_score", "%q is not a score 0.0 to 10.0", score)
	}
	if vector == "" {
		return
	}
	if strings.HasPrefix(vector, "/") {
		l.add(CodeCVSSVector, SeverityWarning, p+"cvss_vector", "leading slash")
		vector = vector[1:]
	}
	vv, metrics, err := parseVector(vector)
	if err != nil {
		l.add(CodeCVSSVector, SeverityError, p+"cvss_vector", "%v", err)
		return
	}
	if vv == "" {
		// An unprefixed vector takes the report's version.
		vv = version
	}
	if version != "" && vv != version {
		l.add(CodeCVSSVersion, SeverityError, p+"cvss_vector", "is CVSS %s, the report says cvss_version %s", vv, version)
	}
	switch vv {
	case "3.0", "3.1", "":
		base, err := cvss3Base(metrics)
		if err != nil {
			l.add(CodeCVSSVector, SeverityError, p+"cvss_vector", "%v", err)
			return
		}
		if scoreOK && fmt.Sprintf("%.1f", base) != fmt.Sprintf("%.1f", sc) {
			l.add(CodeCVSSMismatch, SeverityError, p+"cvss_score", "%s, but the vector's CVSS %s base score is %.1f", score, vv, base)
		}
	case "4.0":
		if err := cvss4Check(metrics); err != nil {
			l.add(CodeCVSSVector, SeverityError, p+"cvss_vector", "%v", err)
		}
	default:
		l.add(CodeCVSSVersion, SeverityError, p+"cvss_vector", "CVSS version %q is not 3.0, 3.1 or 4.0", vv)
	}
}

// parseVector splits "CVSS:3.1/AV:N/..." into its version ("" when the
// prefix is absent) and metrics; a metric given twice is an error.
func parseVector(v string) (string, map[string]string, error) {
	version := ""
	parts := strings.Split(v, "/")
	if strings.HasPrefix(parts[0], "CVSS:") {
		version = strings.TrimPrefix(parts[0], "CVSS:")
		parts = parts[1:]
	}
	metrics := map[string]string{}
	for _, p := range parts {
		k, val, ok := strings.Cut(p, ":")
		if !ok || k == "" || val == "" {
			return "", nil, fmt.Errorf("%q is not a CVSS vector", v)
		}
		if _, dup := metrics[k]; dup {
			return "", nil, fmt.Errorf("metric %s given twice", k)
		}
		metrics[k] = val
	}
	return version, metrics, nil
}

// cvss3Base computes the CVSS v3.1 base score (CVSS v3.1 specification
// §7.1, weights §7.4, Roundup Appendix A).
func cvss3Base(m map[string]string) (float64, error) {
	w := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"PR": {"N": 0.85, "L": 0.62, "H": 0.27},
		"UI": {"N": 0.85, "R": 0.62},
		"S":  {"U": 0, "C": 1},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	val := map[string]float64{}
	for k, table := range w {
		x, ok := table[m[k]]
		if !ok {
			return 0, fmt.Errorf("CVSS 3 base metric %s is %q", k, m[k])
		}
		val[k] = x
	}
	changed := val["S"] == 1
	if changed {
		switch m["PR"] {
		case "L":
			val["PR"] = 0.68
		case "H":
			val["PR"] = 0.5
		}
	}
	iss := 1 - (1-val["C"])*(1-val["I"])*(1-val["A"])
	var impact float64
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*pow15(iss-0.02)
	} else {
		impact = 6.42 * iss
	}
	if impact <= 0 {
		return 0, nil
	}
	exploit := 8.22 * val["AV"] * val["AC"] * val["PR"] * val["UI"]
	if changed {
		return roundup(min(1.08*(impact+exploit), 10)), nil
	}
	return roundup(min(impact+exploit, 10)), nil
}

func pow15(x float64) float64 {
	r := 1.0
	for range 15 {
		r *= x
	}
	return r
}

// roundup is CVSS v3.1 Appendix A's Roundup, exact on floating point.
func roundup(x float64) float64 {
	i := int64(x*100000 + 0.5)
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// cvss4Check checks the base metrics of a CVSS v4.0 vector (CVSS v4.0
// specification §2); scoring v4.0 needs its MacroVector tables and is not
// attempted.
func cvss4Check(m map[string]string) error {
	allowed := map[string]string{
		"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA",
		"VC": "HLN", "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN", "SA": "HLN",
	}
	for k, vals := range allowed {
		v := m[k]
		if len(v) != 1 || !strings.Contains(vals, v) {
			return fmt.Errorf("CVSS 4.0 base metric %s is %q", k, v)
		}
	}
	return nil
}
