package sfr

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CBOR tags and keys of the framework 2.0 encoding: a CoRIM
// (draft-ietf-rats-corim) carrying the OCP SAFE SFR profile
// (Documentation/corim_profile/ocp-safe-sfr-profile.cddl).
const (
	tagCoRIM       = 501 // tagged-unsigned-corim-map
	tagCoMID       = 506 // tagged-concise-mid-tag
	tagOID         = 111 // RFC 9090 object identifier
	tagEpochTime   = 1   // RFC 8949 §3.4.2 epoch-based date/time
	tagTaggedBytes = 560 // CoMID tagged-bytes (class-id choice)

	corimID       = 0
	corimTags     = 1
	corimProfile  = 3
	corimEntities = 5

	entityName          = 0
	entityRoles         = 2
	roleManifestCreator = 1

	comidTagIdentity = 1
	comidTriples     = 4
	tagIdentityID    = 0
	// conditional-endorsement-triples in the CoMID triples-map.
	triplesConditionalEndorsement = 10

	envClass     = 0
	classID      = 0
	classVendor  = 1
	classModel   = 2
	mmMval       = 1
	mvalDigests  = 2
	mvalSFR      = -1 // ocp-safe-sfr, the profile's private extension
	versionValue = 0
	versionKind  = 1

	sfrFramework     = 0
	sfrReportVersion = 1
	sfrCompletion    = 2
	sfrScope         = 3
	sfrFWIdentifiers = 4
	sfrIssues        = 5
	sfrSOLID         = 6

	fwVersion  = 0
	fwDigests  = 1
	fwRepoTag  = 2
	fwManifest = 3

	manifestDigest  = 0
	manifestEntries = 1
	entryFileName   = 0
	entryFileHash   = 1

	issueTitle       = 0
	issueDescription = 1
	issueAssessment  = 2
	issueCWE         = 3
	issueCVE         = 4
	cvssScore        = 0
	cvssVector       = 1
	cvssVersion      = 2

	// COSE algorithm identifiers of hash functions (RFC 9054 §2).
	hashSHA384 = -43
	hashSHA512 = -44
)

// ProfileOID is the OCP SAFE SFR CoRIM profile, 1.3.6.1.4.1.42623.1.1.
const ProfileOID = "1.3.6.1.4.1.42623.1.1"

// profileBytes is the profile exactly as the OCP SAFE profile
// specification ("Profile Identification") and every published report
// write it inside tag 111: a whole DER TLV (06 0A ...), not the bare
// content RFC 9090 asks for, and with the arc written 82 F4 17, which
// decodes to 47639, not 42623. Reports are matched to these bytes so that
// ours are read by the same tools as theirs.
var profileBytes = []byte{0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0xF4, 0x17, 0x01, 0x01}

// profileRFC9090 is 1.3.6.1.4.1.42623.1.1 as RFC 9090 encodes it (content
// octets only), accepted too.
var profileRFC9090 = []byte{0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0xCC, 0x7F, 0x01, 0x01}

// encMode writes RFC 8949 §4.2.1 core deterministic encoding, so equal
// reports give equal bytes. Both modes are fixed configurations, built once.
var encMode = func() cbor.EncMode {
	m, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err) // the options are constant; this cannot fail at run time
	}
	return m
}()

// decMode bounds nesting and sizes of untrusted input and rejects
// duplicate map keys (RFC 8949 §5.6).
var decMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  32,
		MaxArrayElements: 65536,
		MaxMapPairs:      65536,
		IndefLength:      cbor.IndefLengthAllowed,
		IntDec:           cbor.IntDecConvertNone,
		BigIntDec:        cbor.BigIntDecodeValue,
		ByteStringToTime: cbor.ByteStringToTimeForbidden,
	}.DecMode()
	if err != nil {
		panic(err) // the options are constant; this cannot fail at run time
	}
	return m
}()

// CoRIMOptions chooses what a CoRIM encoding carries beyond the report.
type CoRIMOptions struct {
	// ID is the corim-id; empty derives one from the CoMID's SHA-384 so
	// that the encoding is deterministic.
	ID string
}

// EncodeCoRIM returns the CoRIM encoding of r with the shape of the
// published reports: a CoRIM (tag 501) with the OCP SAFE profile (key 3),
// the SRP as manifest-creator entity (key 5), and one CoMID (tag 506)
// holding one conditional-endorsement triple (triples key 10) whose
// condition is the device class with the firmware digests and whose
// endorsement is a measurement-values-map with the SFR at key -1.
func EncodeCoRIM(r *Report, opts CoRIMOptions) ([]byte, error) {
	digests, err := digestList(r.Device.FWHashSHA384, r.Device.FWHashSHA512, "fw_hash")
	if err != nil {
		return nil, err
	}
	date, err := time.Parse(time.DateOnly, r.Audit.CompletionDate)
	if err != nil {
		return nil, fmt.Errorf("%w: completion_date %q is not YYYY-MM-DD", ErrMalformed, r.Audit.CompletionDate)
	}
	fw := map[int]any{}
	if r.Device.FWVersion != "" {
		// OcpReportLib.py writes the scheme as the text "semver".
		fw[fwVersion] = map[int]any{versionValue: r.Device.FWVersion, versionKind: "semver"}
	}
	if len(digests) > 0 {
		fw[fwDigests] = digests
	}
	if r.Device.RepoTag != "" {
		fw[fwRepoTag] = r.Device.RepoTag
	}
	if len(r.Device.Manifest) > 0 {
		m, err := encodeManifest(&r.Device)
		if err != nil {
			return nil, err
		}
		fw[fwManifest] = m
	}
	sfr := map[int]any{
		sfrFramework:     r.ReviewFrameworkVersion,
		sfrReportVersion: r.Audit.ReportVersion,
		sfrCompletion:    cbor.Tag{Number: tagEpochTime, Content: date.Unix()},
		sfrScope:         r.Audit.ScopeNumber,
	}
	if len(fw) > 0 {
		sfr[sfrFWIdentifiers] = []any{fw}
	}
	if len(r.Audit.Issues) > 0 {
		var issues []any
		for _, is := range r.Audit.Issues {
			cv := map[int]any{cvssScore: is.CVSSScore, cvssVector: is.CVSSVector}
			if r.Audit.CVSSVersion != "" {
				cv[cvssVersion] = r.Audit.CVSSVersion
			}
			e := map[int]any{issueTitle: is.Title, issueDescription: is.Description, issueAssessment: cv}
			if is.CWE != "" {
				e[issueCWE] = is.CWE
			}
			if is.CVE != nil && *is.CVE != "" {
				e[issueCVE] = *is.CVE
			}
			issues = append(issues, e)
		}
		sfr[sfrIssues] = issues
	}
	if r.Audit.SOLIDVersion != "" {
		sfr[sfrSOLID] = r.Audit.SOLIDVersion
	}
	class := map[int]any{}
	if r.Device.ClassID != "" {
		class[classID] = []byte(r.Device.ClassID)
	}
	if r.Device.Vendor != "" {
		class[classVendor] = r.Device.Vendor
	}
	if r.Device.Product != "" {
		class[classModel] = r.Device.Product
	}
	env := map[int]any{envClass: class}
	condition := []any{env, []any{map[int]any{mmMval: map[int]any{mvalDigests: digests}}}}
	endorsement := []any{env, []any{map[int]any{mmMval: map[int]any{mvalSFR: sfr}}}}
	comid := map[int]any{
		comidTagIdentity: map[int]any{tagIdentityID: strings.ReplaceAll(strings.ToLower(r.Device.Vendor), " ", "-") + "-review-comid-001"},
		comidTriples: map[int]any{
			triplesConditionalEndorsement: []any{[]any{[]any{condition}, []any{endorsement}}},
		},
	}
	comidBytes, err := encMode.Marshal(comid)
	if err != nil {
		return nil, fmt.Errorf("encode CoMID: %w", err)
	}
	id := opts.ID
	if id == "" {
		h := hashSum(hashSHA384, comidBytes)
		id = "sfr-corim-" + hex.EncodeToString(h[:16])
	}
	corim := map[int]any{
		corimID:      id,
		corimTags:    []any{cbor.Tag{Number: tagCoMID, Content: comidBytes}},
		corimProfile: cbor.Tag{Number: tagOID, Content: profileBytes},
		corimEntities: []any{map[int]any{
			entityName:  r.Audit.SRP,
			entityRoles: []any{roleManifestCreator},
		}},
	}
	out, err := encMode.Marshal(cbor.Tag{Number: tagCoRIM, Content: corim})
	if err != nil {
		return nil, fmt.Errorf("encode CoRIM: %w", err)
	}
	return out, nil
}

// encodeManifest builds the src-manifest: per file its SHA-512, and the
// SHA-512 of the manifest's compact JSON (as OcpReportLib.py computes it)
// as manifest-digest.
func encodeManifest(d *Device) (map[int]any, error) {
	var entries []any
	for i, e := range d.Manifest {
		h, err := hexDigest(e.FileHash, 64, fmt.Sprintf("manifest[%d].file_hash", i))
		if err != nil {
			return nil, err
		}
		entries = append(entries, map[int]any{entryFileName: e.FileName, entryFileHash: []any{[]any{hashSHA512, h}}})
	}
	md := d.ManifestSHA512
	if md == "" {
		sum := hashSum(hashSHA512, ManifestJSON(d.Manifest))
		md = hex.EncodeToString(sum)
	}
	mh, err := hexDigest(md, 64, "manifest digest")
	if err != nil {
		return nil, err
	}
	return map[int]any{manifestDigest: []any{[]any{hashSHA512, mh}}, manifestEntries: entries}, nil
}

// digestList returns the CoRIM digests-type for the hashes that are set.
func digestList(h384, h512, field string) ([]any, error) {
	var out []any
	if h384 != "" {
		b, err := hexDigest(h384, 48, field+"_sha2_384")
		if err != nil {
			return nil, err
		}
		out = append(out, []any{hashSHA384, b})
	}
	if h512 != "" {
		b, err := hexDigest(h512, 64, field+"_sha2_512")
		if err != nil {
			return nil, err
		}
		out = append(out, []any{hashSHA512, b})
	}
	return out, nil
}

// hexDigest decodes a hex digest of n bytes, tolerating the 0x prefix and
// upper case seen in published reports.
func hexDigest(s string, n int, field string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil || len(b) != n {
		return nil, fmt.Errorf("%w: %s is not %d bytes of hex", ErrMalformed, field, n)
	}
	return b, nil
}

// ParseCoRIM decodes a CoRIM carrying an OCP SAFE SFR, tagged (501) or
// not. Profile and consistency findings that do not stop decoding are kept
// for Lint.
func ParseCoRIM(data []byte) (*Report, error) {
	if len(data) > MaxReportSize {
		return nil, fmt.Errorf("%w: CoRIM larger than %d bytes", ErrMalformed, MaxReportSize)
	}
	var top any
	if err := decMode.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%w: CoRIM: %v", ErrMalformed, err)
	}
	if t, ok := top.(cbor.Tag); ok {
		if t.Number != tagCoRIM {
			return nil, fmt.Errorf("%w: CBOR tag %d, want CoRIM %d", ErrMalformed, t.Number, tagCoRIM)
		}
		top = t.Content
	}
	corim, ok := top.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("%w: CoRIM is not a map", ErrMalformed)
	}
	var problems []Problem
	switch p, ok := lookup(corim, corimProfile).(cbor.Tag); {
	case lookup(corim, corimProfile) == nil:
		problems = append(problems, Problem{Code: CodeProfileMissing, Field: "corim.profile", Severity: SeverityError,
			Message: "CoRIM names no profile; want the OCP SAFE SFR profile " + ProfileOID})
	case !ok || p.Number != tagOID || !(bytesEqual(p.Content, profileBytes) || bytesEqual(p.Content, profileRFC9090)):
		problems = append(problems, Problem{Code: CodeProfileWrong, Field: "corim.profile", Severity: SeverityError,
			Message: "CoRIM profile is not the OCP SAFE SFR profile " + ProfileOID})
	}
	srp := ""
	entities, _ := lookup(corim, corimEntities).([]any)
	for _, e := range entities {
		em, _ := e.(map[any]any)
		roles, _ := lookup(em, entityRoles).([]any)
		for _, role := range roles {
			if n, ok := role.(uint64); ok && n == roleManifestCreator {
				if s, ok := lookup(em, entityName).(string); ok && srp == "" {
					srp = s
				}
			}
		}
	}
	tags, ok := lookup(corim, corimTags).([]any)
	if !ok {
		return nil, fmt.Errorf("%w: CoRIM has no tags list", ErrMalformed)
	}
	var found []sfrFound
	for _, t := range tags {
		tt, ok := t.(cbor.Tag)
		if !ok || tt.Number != tagCoMID {
			continue
		}
		b, ok := tt.Content.([]byte)
		if !ok {
			return nil, fmt.Errorf("%w: CoMID tag does not hold a byte string", ErrMalformed)
		}
		var comid any
		if err := decMode.Unmarshal(b, &comid); err != nil {
			return nil, fmt.Errorf("%w: CoMID: %v", ErrMalformed, err)
		}
		f, err := findSFR(comid)
		if err != nil {
			return nil, err
		}
		found = append(found, f...)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: CoRIM holds no OCP SAFE SFR (measurement-values key -1)", ErrMalformed)
	case 1:
	default:
		return nil, fmt.Errorf("%w: CoRIM holds %d SFRs, want one", ErrMalformed, len(found))
	}
	raw, more, err := sfrToRaw(found[0], srp)
	if err != nil {
		return nil, err
	}
	r, err := fromRaw(raw)
	if err != nil {
		return nil, err
	}
	r.encoding = EncodingCoRIM
	r.problems = append(problems, more...)
	return r, nil
}

// sfrFound is one SFR with the environment and condition digests of the
// conditional-endorsement triple that carries it.
type sfrFound struct {
	sfr       map[any]any
	class     map[any]any
	condClass map[any]any
	condDigs  []any
}

// findSFR walks triples key 10: [ [conditions, endorsements] ... ] where
// conditions are [environment-map, [measurement-map...]] records and
// endorsements are [environment-map, [measurement-map...]].
func findSFR(comid any) ([]sfrFound, error) {
	cm, ok := comid.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("%w: CoMID is not a map", ErrMalformed)
	}
	triples, _ := lookup(cm, comidTriples).(map[any]any)
	ces, _ := lookup(triples, triplesConditionalEndorsement).([]any)
	var out []sfrFound
	for _, ce := range ces {
		rec, ok := ce.([]any)
		if !ok || len(rec) != 2 {
			return nil, fmt.Errorf("%w: conditional-endorsement triple is not [conditions, endorsements]", ErrMalformed)
		}
		conds, _ := rec[0].([]any)
		ends, _ := rec[1].([]any)
		var f sfrFound
		for _, c := range conds {
			env, mms, err := envRecord(c)
			if err != nil {
				return nil, err
			}
			f.condClass = env
			for _, mm := range mms {
				mv, _ := lookup(asMap(mm), mmMval).(map[any]any)
				if d, ok := lookup(mv, mvalDigests).([]any); ok {
					f.condDigs = append(f.condDigs, d...)
				}
			}
		}
		for _, e := range ends {
			env, mms, err := envRecord(e)
			if err != nil {
				return nil, err
			}
			for _, mm := range mms {
				mv, _ := lookup(asMap(mm), mmMval).(map[any]any)
				if s, ok := lookup(mv, mvalSFR).(map[any]any); ok {
					g := f
					g.sfr, g.class = s, env
					out = append(out, g)
				}
			}
		}
	}
	return out, nil
}

// envRecord splits [environment-map, [measurement-map...]] and returns the
// class-map of the environment.
func envRecord(v any) (map[any]any, []any, error) {
	rec, ok := v.([]any)
	if !ok || len(rec) != 2 {
		return nil, nil, fmt.Errorf("%w: environment record is not [environment, measurements]", ErrMalformed)
	}
	env, _ := rec[0].(map[any]any)
	class, _ := lookup(env, envClass).(map[any]any)
	mms, ok := rec[1].([]any)
	if !ok {
		return nil, nil, fmt.Errorf("%w: environment record measurements are not a list", ErrMalformed)
	}
	return class, mms, nil
}

// sfrToRaw restates the SFR in the JSON vocabulary so that one model and
// one Lint serve both encodings. Values keep their CBOR type where Lint
// cares (scope number); digests become lowercase hex.
func sfrToRaw(f sfrFound, srp string) (map[string]any, []Problem, error) {
	var problems []Problem
	s := f.sfr
	dev := map[string]any{
		"vendor":  lookup(f.class, classVendor),
		"product": lookup(f.class, classModel),
	}
	switch id := lookup(f.class, classID).(type) {
	case []byte:
		dev["class_id"] = string(id)
	case cbor.Tag:
		if b, ok := id.Content.([]byte); ok && id.Number == tagTaggedBytes {
			dev["class_id"] = string(b)
		}
	}
	if !sameClass(f.class, f.condClass) {
		problems = append(problems, Problem{Code: CodeClassMismatch, Field: "device", Severity: SeverityError,
			Message: "the condition's class differs from the endorsed class"})
	}
	aud := map[string]any{
		"srp":            srp,
		"report_version": lookup(s, sfrReportVersion),
		"scope_number":   lookup(s, sfrScope),
		"issues":         []any{},
	}
	switch t := lookup(s, sfrCompletion).(type) {
	case time.Time:
		// The decoder turns tags 0 and 1 into time.Time.
		aud["completion_date"] = nearestDay(t)
	case cbor.Tag:
		if d, ok := epochDate(t); ok {
			aud["completion_date"] = d
		} else {
			aud["completion_date"] = t.Content
			problems = append(problems, Problem{Code: CodeDateFormat, Field: "audit.completion_date", Severity: SeverityError,
				Message: fmt.Sprintf("completion-date is tag %d, not an epoch time (tag 1)", t.Number)})
		}
	default:
		aud["completion_date"] = t
		problems = append(problems, Problem{Code: CodeDateFormat, Field: "audit.completion_date", Severity: SeverityError,
			Message: "completion-date is not an epoch time (tag 1)"})
	}
	if v := lookup(s, sfrSOLID); v != nil {
		aud["solid_ver"] = v
	}
	raw := map[string]any{"review_framework_version": lookup(s, sfrFramework), "device": dev, "audit": aud}

	ids, _ := lookup(s, sfrFWIdentifiers).([]any)
	if len(ids) > 1 {
		problems = append(problems, Problem{Code: CodeMultipleFirmware, Field: "fw-identifiers", Severity: SeverityWarning,
			Message: fmt.Sprintf("%d fw-identifiers; the report model reads the first", len(ids))})
	}
	var fwDigs []any
	if len(ids) > 0 {
		id := asMap(ids[0])
		if vm, ok := lookup(id, fwVersion).(map[any]any); ok {
			dev["fw_version"] = lookup(vm, versionValue)
		}
		fwDigs, _ = lookup(id, fwDigests).([]any)
		if v := lookup(id, fwRepoTag); v != nil {
			dev["repo_tag"] = v
		}
		if m, ok := lookup(id, fwManifest).(map[any]any); ok {
			md, _ := lookup(m, manifestDigest).([]any)
			_, mh, ps := splitDigests(md, "manifest digest")
			problems = append(problems, ps...)
			dev["manifest_sha2_512"] = mh
			var entries []any
			list, _ := lookup(m, manifestEntries).([]any)
			for _, e := range list {
				em := asMap(e)
				d, _ := lookup(em, entryFileHash).([]any)
				_, fh, ps := splitDigests(d, "manifest file_hash")
				problems = append(problems, ps...)
				entries = append(entries, map[string]any{"file_name": lookup(em, entryFileName), "file_hash": fh})
			}
			dev["manifest"] = entries
		}
	}
	h384, h512, ps := splitDigests(fwDigs, "fw-file-digests")
	problems = append(problems, ps...)
	c384, c512, ps := splitDigests(f.condDigs, "condition digests")
	problems = append(problems, ps...)
	if len(fwDigs) == 0 {
		h384, h512 = c384, c512
	} else if len(f.condDigs) > 0 && (h384 != c384 || h512 != c512) {
		// The condition is what an appraiser matches firmware against; an
		// SFR naming other digests would endorse something it did not review.
		return nil, nil, fmt.Errorf("%w: fw-file-digests differ from the condition's digests", ErrMalformed)
	}
	dev["fw_hash_sha2_384"], dev["fw_hash_sha2_512"] = h384, h512

	list, _ := lookup(s, sfrIssues).([]any)
	var issues []any
	for _, e := range list {
		em := asMap(e)
		cv := asMap(lookup(em, issueAssessment))
		is := map[string]any{
			"title":       lookup(em, issueTitle),
			"description": lookup(em, issueDescription),
			"cvss_score":  lookup(cv, cvssScore),
			"cvss_vector": lookup(cv, cvssVector),
			"cwe":         lookup(em, issueCWE),
			"cve":         lookup(em, issueCVE),
		}
		if v, ok := lookup(cv, cvssVersion).(string); ok {
			if _, set := aud["cvss_version"]; !set {
				aud["cvss_version"] = v
			} else if aud["cvss_version"] != v {
				problems = append(problems, Problem{Code: CodeCVSSVersion, Field: "issues", Severity: SeverityWarning,
					Message: "issues use different CVSS versions"})
			}
		}
		issues = append(issues, is)
	}
	if issues != nil {
		aud["issues"] = issues
	}
	return raw, problems, nil
}

// splitDigests reads a digests-type into SHA-384 and SHA-512 hex.
func splitDigests(ds []any, field string) (string, string, []Problem) {
	var h384, h512 string
	var problems []Problem
	for _, d := range ds {
		pair, ok := d.([]any)
		if !ok || len(pair) != 2 {
			problems = append(problems, Problem{Code: CodeHashFormat, Field: field, Severity: SeverityError, Message: "digest is not [alg, value]"})
			continue
		}
		v, ok := pair[1].([]byte)
		if !ok {
			problems = append(problems, Problem{Code: CodeHashFormat, Field: field, Severity: SeverityError, Message: "digest value is not a byte string"})
			continue
		}
		switch alg, _ := pair[0].(int64); alg {
		case hashSHA384:
			h384 = hex.EncodeToString(v)
		case hashSHA512:
			h512 = hex.EncodeToString(v)
		default:
			problems = append(problems, Problem{Code: CodeHashAlgorithm, Field: field, Severity: SeverityWarning,
				Message: fmt.Sprintf("digest algorithm %v is neither SHA-384 (-43) nor SHA-512 (-44)", pair[0])})
		}
	}
	return h384, h512, problems
}

// epochDate turns an epoch time into the UTC calendar day nearest to it.
// OcpReportLib.py converts YYYY-MM-DD at local midnight (the Microsoft HSM
// reports say 04:00 UTC), so rounding to the nearest midnight recovers the
// day for any generator within twelve hours of UTC.
func epochDate(t cbor.Tag) (string, bool) {
	if t.Number != tagEpochTime {
		return "", false
	}
	var secs float64
	switch v := t.Content.(type) {
	case uint64:
		secs = float64(v)
	case int64:
		secs = float64(v)
	case float64:
		secs = v
	default:
		return "", false
	}
	if math.IsNaN(secs) || math.Abs(secs) > 1e12 {
		return "", false
	}
	return nearestDay(time.Unix(int64(secs), 0)), true
}

// nearestDay returns the UTC calendar day whose midnight is nearest to t.
func nearestDay(t time.Time) string {
	return t.UTC().Add(12 * time.Hour).Format(time.DateOnly)
}

func sameClass(a, b map[any]any) bool {
	if b == nil {
		return true
	}
	return fmt.Sprint(lookup(a, classVendor), lookup(a, classModel)) == fmt.Sprint(lookup(b, classVendor), lookup(b, classModel))
}

// lookup reads an integer key of a CBOR map; the decoder gives
// non-negative keys as uint64 and negative keys as int64.
func lookup(m map[any]any, k int64) any {
	if m == nil {
		return nil
	}
	if k >= 0 {
		return m[uint64(k)]
	}
	return m[k]
}

func asMap(v any) map[any]any {
	m, _ := v.(map[any]any)
	return m
}

func bytesEqual(v any, b []byte) bool {
	x, ok := v.([]byte)
	return ok && bytes.Equal(x, b)
}
