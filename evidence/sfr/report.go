package sfr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxReportSize bounds every input this package parses. Published reports
// are a few kilobytes; the bound keeps a hostile input from exhausting memory.
const MaxReportSize = 4 << 20

// Report is the content of an OCP SAFE short-form report. The JSON field
// names are those of the published legacy format (OCP-Security-SAFE
// shortform_report-main/README.md, "Format of the Short-Form Report"); the
// CoRIM encoding carries the same content under the keys of
// ocp-safe-sfr-profile.cddl (see corim.go).
type Report struct {
	ReviewFrameworkVersion string `json:"review_framework_version"`
	Device                 Device `json:"device"`
	Audit                  Audit  `json:"audit"`

	// raw is the report as decoded, before typing, in the JSON vocabulary;
	// Lint reads it to see what typing hides (a scope number sent as 1.0 or
	// "1", an issue list that is not a list). Nil for a report built in Go.
	raw map[string]any
	// encoding records which encoding the report was decoded from.
	encoding Encoding
	// problems are findings of the decoder that typing cannot show (a
	// CoRIM profile, digests under unknown algorithms); Lint returns them.
	problems []Problem
}

// Device describes the audited device and firmware.
type Device struct {
	Vendor  string `json:"vendor"`
	Product string `json:"product"`
	// Category is marked legacy by OcpReportLib.py and has no CoRIM key.
	Category string `json:"category,omitempty"`
	// RepoTag names the audited source (a commit or tag).
	RepoTag   string `json:"repo_tag"`
	FWVersion string `json:"fw_version"`
	// FWHashSHA384 and FWHashSHA512 are lowercase hex. In the JSON encoding,
	// when Manifest is present they are digests of the manifest's compact
	// JSON (README "device fields"); in the CoRIM encoding they are always
	// the firmware file digests and ManifestSHA512 covers the manifest.
	FWHashSHA384 string          `json:"fw_hash_sha2_384"`
	FWHashSHA512 string          `json:"fw_hash_sha2_512"`
	Manifest     []ManifestEntry `json:"manifest,omitempty"`
	// ClassID is the optional CoRIM class-id (class-map key 0).
	ClassID string `json:"class_id,omitempty"`
	// ManifestSHA512 is the CoRIM src-manifest manifest-digest (lowercase
	// hex); the JSON encoding has no such field.
	ManifestSHA512 string `json:"-"`
}

// ManifestEntry is one file of a source manifest. FileHash is the
// lowercase hex SHA-512 of the file (OcpReportLib.py encodes it as a -44
// digest in CoRIM).
type ManifestEntry struct {
	FileName string `json:"file_name"`
	FileHash string `json:"file_hash"`
}

// Audit describes the review.
type Audit struct {
	// SRP is the security review provider; in CoRIM it is the entity with
	// the manifest-creator role.
	SRP string `json:"srp"`
	// Methodology is e.g. "whitebox"; it has no CoRIM key.
	Methodology string `json:"methodology"`
	// CompletionDate is YYYY-MM-DD.
	CompletionDate string `json:"completion_date"`
	ReportVersion  string `json:"report_version"`
	// ScopeNumber is the review scope of Documentation/review_scope.md
	// (1, 2 or 3). Early reports name the field "scope".
	ScopeNumber  int     `json:"scope_number"`
	SOLIDVersion string  `json:"solid_ver,omitempty"`
	CVSSVersion  string  `json:"cvss_version"`
	Issues       []Issue `json:"issues"`
}

// Issue is one vulnerability not fixed in the audited firmware.
type Issue struct {
	Title       string `json:"title"`
	CVSSScore   string `json:"cvss_score"`
	CVSSVector  string `json:"cvss_vector"`
	CWE         string `json:"cwe"`
	Description string `json:"description"`
	// CVE is null in JSON when no CVE was assigned.
	CVE *string `json:"cve"`
}

// Encoding names an encoding of a short-form report.
type Encoding int

// The encodings of a short-form report and its signed forms.
const (
	EncodingUnknown Encoding = iota
	EncodingJSON             // legacy JSON payload
	EncodingCoRIM            // CoRIM, CBOR tag 501 (framework 2.0)
)

func (e Encoding) String() string {
	switch e {
	case EncodingJSON:
		return "json"
	case EncodingCoRIM:
		return "corim"
	}
	return "unknown"
}

// Encoding reports which encoding r was decoded from (EncodingUnknown for a
// report built in Go).
func (r *Report) Encoding() Encoding { return r.encoding }

// EncodeJSON returns the compact legacy JSON encoding of r, the bytes a JWS
// signs. Go's HTML escaping is off so that the text matches what
// OcpReportLib.py produces for the same content.
func EncodeJSON(r *Report) ([]byte, error) {
	c := *r
	if c.Audit.Issues == nil {
		c.Audit.Issues = []Issue{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ParseJSON decodes a legacy JSON report. It is lenient about the
// inconsistencies seen in published reports (a scope number as 1.0, "1", or
// under the older key "scope"; uppercase or 0x-prefixed hashes) so that a
// signed report still verifies; Lint reports them.
func ParseJSON(data []byte) (*Report, error) {
	if len(data) > MaxReportSize {
		return nil, fmt.Errorf("%w: report larger than %d bytes", ErrMalformed, MaxReportSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: JSON: data after the report object", ErrMalformed)
	}
	r, err := fromRaw(raw)
	if err != nil {
		return nil, err
	}
	r.encoding = EncodingJSON
	return r, nil
}

// fromRaw types a report held in the JSON vocabulary. Only a structure that
// cannot be a report (device or audit not an object) is an error.
func fromRaw(raw map[string]any) (*Report, error) {
	if raw == nil {
		return nil, fmt.Errorf("%w: report is not an object", ErrMalformed)
	}
	r := &Report{raw: raw}
	r.ReviewFrameworkVersion = text(raw["review_framework_version"])
	dev, ok := object(raw["device"])
	if !ok {
		return nil, fmt.Errorf("%w: device is missing or not an object", ErrMalformed)
	}
	aud, ok := object(raw["audit"])
	if !ok {
		return nil, fmt.Errorf("%w: audit is missing or not an object", ErrMalformed)
	}
	r.Device = Device{
		Vendor:         text(dev["vendor"]),
		Product:        text(dev["product"]),
		Category:       text(dev["category"]),
		RepoTag:        text(dev["repo_tag"]),
		FWVersion:      text(dev["fw_version"]),
		FWHashSHA384:   text(dev["fw_hash_sha2_384"]),
		FWHashSHA512:   text(dev["fw_hash_sha2_512"]),
		ClassID:        text(dev["class_id"]),
		ManifestSHA512: text(dev["manifest_sha2_512"]),
	}
	if list, ok := dev["manifest"].([]any); ok {
		for _, e := range list {
			m, _ := object(e)
			r.Device.Manifest = append(r.Device.Manifest, ManifestEntry{
				FileName: text(m["file_name"]),
				FileHash: text(m["file_hash"]),
			})
		}
	}
	scope, present := aud["scope_number"]
	if !present {
		scope = aud["scope"]
	}
	n, _ := integer(scope)
	r.Audit = Audit{
		SRP:            text(aud["srp"]),
		Methodology:    text(aud["methodology"]),
		CompletionDate: text(aud["completion_date"]),
		ReportVersion:  text(aud["report_version"]),
		ScopeNumber:    n,
		SOLIDVersion:   text(aud["solid_ver"]),
		CVSSVersion:    text(aud["cvss_version"]),
	}
	if list, ok := aud["issues"].([]any); ok {
		r.Audit.Issues = []Issue{}
		for _, e := range list {
			m, _ := object(e)
			is := Issue{
				Title:       text(m["title"]),
				CVSSScore:   text(m["cvss_score"]),
				CVSSVector:  text(m["cvss_vector"]),
				CWE:         text(m["cwe"]),
				Description: text(m["description"]),
			}
			if c, ok := m["cve"].(string); ok {
				is.CVE = &c
			}
			r.Audit.Issues = append(r.Audit.Issues, is)
		}
	}
	return r, nil
}

func object(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// text renders a scalar as the string the report meant; non-scalars are "".
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case uint64:
		return strconv.FormatUint(x, 10)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// integer reads an integral value from a number or a numeric string.
func integer(v any) (int, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return clampInt(i)
		}
		g, err := x.Float64()
		if err != nil {
			return 0, false
		}
		f = g
	case uint64:
		if x > math.MaxInt32 {
			return 0, false
		}
		return int(x), true
	case int64:
		return clampInt(x)
	case float64:
		f = x
	case string:
		g, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = g
	default:
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

func clampInt(i int64) (int, bool) {
	if i > math.MaxInt32 || i < math.MinInt32 {
		return 0, false
	}
	return int(i), true
}
