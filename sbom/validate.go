package sbom

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/spdxlib"
)

// Classes of validation failure; every error from Validate and ValidateJSON
// wraps exactly one of them.
var (
	ErrVersion       = errors.New("spdx version or data license")
	ErrMissingField  = errors.New("required field missing")
	ErrFormat        = errors.New("field format")
	ErrDuplicateID   = errors.New("duplicate SPDX identifier")
	ErrChecksum      = errors.New("checksum")
	ErrH1AsChecksum  = errors.New("go h1 directory hash used as a checksum")
	ErrPurl          = errors.New("package URL")
	ErrRelationship  = errors.New("relationship")
	ErrNotDescribed  = errors.New("document describes no package")
	ErrSchema        = errors.New("SPDX 2.3 JSON schema")
	ErrLibraryChecks = errors.New("tools-golang document checks")
)

//go:embed schema/spdx-2.3-schema.json
var schemaJSON []byte

var (
	// SPDX 2.3 §3.2: "SPDXRef-" followed by letters, numbers, '.' and '-'.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	// SPDX 2.3 §6.9: YYYY-MM-DDThh:mm:ssZ, UTC.
	timePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	// purl-spec: scheme, type, then a namespace/name path, optional
	// @version, ?qualifiers and #subpath; only unreserved characters and
	// percent-escapes inside components.
	purlPattern = regexp.MustCompile(`^pkg:[a-z][a-z0-9.+-]*/([A-Za-z0-9._~-]|%[0-9A-F]{2})+(/([A-Za-z0-9._~-]|%[0-9A-F]{2})+)*(@([A-Za-z0-9._~:+-]|%[0-9A-F]{2})+)?(\?[^#]+)?(#[^#]+)?$`)
	hexPattern  = regexp.MustCompile(`^[0-9a-f]+$`)
)

// checksumHexLen is the hex length of each SPDX 2.3 §7.10 checksum
// algorithm's digest.
var checksumHexLen = map[common.ChecksumAlgorithm]int{
	common.SHA1: 40, common.SHA224: 56, common.SHA256: 64, common.SHA384: 96, common.SHA512: 128,
	common.MD2: 32, common.MD4: 32, common.MD5: 32,
	common.SHA3_256: 64, common.SHA3_384: 96, common.SHA3_512: 128,
	common.BLAKE2b_256: 64, common.BLAKE2b_384: 96, common.BLAKE2b_512: 128, common.BLAKE3: 64,
	common.ADLER32: 8,
}

// relationshipTypes are the SPDX 2.3 §11.1 relationship types.
var relationshipTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(`DESCRIBES DESCRIBED_BY CONTAINS CONTAINED_BY DEPENDS_ON DEPENDENCY_OF
		DEPENDENCY_MANIFEST_OF BUILD_DEPENDENCY_OF DEV_DEPENDENCY_OF OPTIONAL_DEPENDENCY_OF
		PROVIDED_DEPENDENCY_OF TEST_DEPENDENCY_OF RUNTIME_DEPENDENCY_OF EXAMPLE_OF GENERATES
		GENERATED_FROM ANCESTOR_OF DESCENDANT_OF VARIANT_OF DISTRIBUTION_ARTIFACT PATCH_FOR
		PATCH_APPLIED COPY_OF FILE_ADDED FILE_DELETED FILE_MODIFIED EXPANDED_FROM_ARCHIVE
		DYNAMIC_LINK STATIC_LINK DATA_FILE_OF TEST_CASE_OF BUILD_TOOL_OF DEV_TOOL_OF TEST_OF
		TEST_TOOL_OF DOCUMENTATION_OF OPTIONAL_COMPONENT_OF METAFILE_OF PACKAGE_OF AMENDS
		PREREQUISITE_FOR HAS_PREREQUISITE REQUIREMENT_DESCRIPTION_FOR SPECIFICATION_FOR OTHER`) {
		m[t] = true
	}
	return m
}()

// Validate applies the project's strict checks to a document and returns
// every violation found (nil when there is none). It runs the library's own
// spdxlib.ValidateDocument too, which on its own checks little more than
// relationship endpoints.
func Validate(doc *v2_3.Document) []error {
	if doc == nil {
		return []error{fmt.Errorf("%w: no document", ErrMissingField)}
	}
	var errs []error
	add := func(class error, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{class}, a...)...))
	}
	if doc.SPDXVersion != v2_3.Version {
		add(ErrVersion, "spdxVersion %q, want %q", doc.SPDXVersion, v2_3.Version)
	}
	if doc.DataLicense != v2_3.DataLicense {
		add(ErrVersion, "dataLicense %q, want %q (SPDX 2.3 §6.2)", doc.DataLicense, v2_3.DataLicense)
	}
	if doc.SPDXIdentifier != "DOCUMENT" {
		add(ErrFormat, "document SPDXID %q, want SPDXRef-DOCUMENT (SPDX 2.3 §6.3)", doc.SPDXIdentifier)
	}
	if strings.TrimSpace(doc.DocumentName) == "" {
		add(ErrMissingField, "document name (SPDX 2.3 §6.4)")
	}
	// SPDX 2.3 §6.5: an absolute URI without a '#' part.
	if u, err := url.Parse(doc.DocumentNamespace); doc.DocumentNamespace == "" || err != nil || u.Scheme == "" || u.Host == "" || strings.Contains(doc.DocumentNamespace, "#") {
		add(ErrFormat, "documentNamespace %q is not an absolute URI without '#' (SPDX 2.3 §6.5)", doc.DocumentNamespace)
	}
	if doc.CreationInfo == nil {
		add(ErrMissingField, "creationInfo (SPDX 2.3 §6.8, §6.9)")
	} else {
		if len(doc.CreationInfo.Creators) == 0 {
			add(ErrMissingField, "creationInfo.creators (SPDX 2.3 §6.8)")
		}
		for _, c := range doc.CreationInfo.Creators {
			if !validActorType(c.CreatorType) || strings.TrimSpace(c.Creator) == "" {
				add(ErrFormat, "creator %q: %q (SPDX 2.3 §6.8: Person, Organization or Tool)", c.CreatorType, c.Creator)
			}
		}
		if !timePattern.MatchString(doc.CreationInfo.Created) {
			add(ErrFormat, "created %q is not YYYY-MM-DDThh:mm:ssZ (SPDX 2.3 §6.9)", doc.CreationInfo.Created)
		}
	}
	checkAnnotations := func(owner string, as []v2_3.Annotation) {
		for _, a := range as {
			if !validActorType(a.Annotator.AnnotatorType) || strings.TrimSpace(a.Annotator.Annotator) == "" {
				add(ErrFormat, "%s: annotator %q (SPDX 2.3 §12.1)", owner, a.Annotator.Annotator)
			}
			if !timePattern.MatchString(a.AnnotationDate) {
				add(ErrFormat, "%s: annotationDate %q (SPDX 2.3 §12.2)", owner, a.AnnotationDate)
			}
			if a.AnnotationType != "REVIEW" && a.AnnotationType != "OTHER" {
				add(ErrFormat, "%s: annotationType %q (SPDX 2.3 §12.3)", owner, a.AnnotationType)
			}
			if a.AnnotationComment == "" {
				add(ErrMissingField, "%s: annotation comment (SPDX 2.3 §12.5)", owner)
			}
		}
	}
	for _, a := range doc.Annotations {
		if a != nil {
			checkAnnotations("document", []v2_3.Annotation{*a})
		}
	}

	ids := map[common.ElementID]string{"DOCUMENT": "document"}
	claim := func(id common.ElementID, owner string) {
		if !idPattern.MatchString(string(id)) {
			add(ErrFormat, "%s: SPDXID %q (SPDX 2.3 §3.2: SPDXRef-[A-Za-z0-9.-]+)", owner, "SPDXRef-"+string(id))
		}
		if prev, ok := ids[id]; ok {
			add(ErrDuplicateID, "SPDXRef-%s used by %s and %s", id, prev, owner)
			return
		}
		ids[id] = owner
	}
	checkChecksums := func(owner string, cs []common.Checksum) {
		for _, c := range cs {
			if strings.HasPrefix(c.Value, "h1:") {
				add(ErrH1AsChecksum, "%s: %s checksum %q is a Go module directory hash", owner, c.Algorithm, c.Value)
				continue
			}
			n, ok := checksumHexLen[c.Algorithm]
			if !ok {
				add(ErrChecksum, "%s: unknown checksum algorithm %q (SPDX 2.3 §7.10)", owner, c.Algorithm)
				continue
			}
			if len(c.Value) != n || !hexPattern.MatchString(c.Value) {
				add(ErrChecksum, "%s: %s value %q is not %d lower-case hex digits", owner, c.Algorithm, c.Value, n)
			}
		}
	}
	packages := map[common.ElementID]bool{}
	for i, p := range doc.Packages {
		if p == nil {
			add(ErrMissingField, "packages[%d] is null", i)
			continue
		}
		owner := fmt.Sprintf("package %q", p.PackageName)
		if p.PackageName == "" {
			owner = fmt.Sprintf("packages[%d]", i)
			add(ErrMissingField, "%s: name (SPDX 2.3 §7.1)", owner)
		}
		claim(p.PackageSPDXIdentifier, owner)
		packages[p.PackageSPDXIdentifier] = true
		if p.PackageDownloadLocation == "" {
			add(ErrMissingField, "%s: downloadLocation (SPDX 2.3 §7.7)", owner)
		}
		if !p.FilesAnalyzed && (p.PackageVerificationCode != nil || len(p.Files) > 0) {
			add(ErrFormat, "%s: files or verification code although filesAnalyzed is false (SPDX 2.3 §7.8)", owner)
		}
		checkChecksums(owner, p.PackageChecksums)
		for _, r := range p.PackageExternalReferences {
			if r == nil {
				add(ErrMissingField, "%s: null external reference", owner)
				continue
			}
			if r.RefType == "purl" {
				if r.Category != "PACKAGE-MANAGER" && r.Category != "PACKAGE_MANAGER" {
					add(ErrPurl, "%s: purl reference category %q, want PACKAGE-MANAGER (SPDX 2.3 Annex F)", owner, r.Category)
				}
				if !purlPattern.MatchString(r.Locator) {
					add(ErrPurl, "%s: %q is not a package URL (purl-spec)", owner, r.Locator)
				}
			}
			if strings.Contains(r.Locator, "h1:") {
				add(ErrH1AsChecksum, "%s: external reference %q carries a Go h1 hash", owner, r.Locator)
			}
		}
		checkAnnotations(owner, p.Annotations)
		for _, f := range p.Files {
			if f != nil {
				claim(f.FileSPDXIdentifier, fmt.Sprintf("file %q", f.FileName))
				checkChecksums(fmt.Sprintf("file %q", f.FileName), f.Checksums)
			}
		}
	}
	for i, f := range doc.Files {
		if f == nil {
			add(ErrMissingField, "files[%d] is null", i)
			continue
		}
		owner := fmt.Sprintf("file %q", f.FileName)
		if f.FileName == "" {
			add(ErrMissingField, "files[%d]: fileName (SPDX 2.3 §8.1)", i)
		}
		claim(f.FileSPDXIdentifier, owner)
		if len(f.Checksums) == 0 {
			add(ErrMissingField, "%s: checksums (SPDX 2.3 §8.4)", owner)
		}
		checkChecksums(owner, f.Checksums)
		checkAnnotations(owner, f.Annotations)
	}

	describes := 0
	for i, r := range doc.Relationships {
		if r == nil {
			add(ErrRelationship, "relationships[%d] is null", i)
			continue
		}
		if !relationshipTypes[r.Relationship] {
			add(ErrRelationship, "relationships[%d]: unknown type %q (SPDX 2.3 §11.1)", i, r.Relationship)
		}
		for _, end := range []common.DocElementID{r.RefA, r.RefB} {
			if end.DocumentRefID != "" || end.SpecialID == "NONE" || end.SpecialID == "NOASSERTION" {
				continue
			}
			if _, ok := ids[end.ElementRefID]; !ok {
				add(ErrRelationship, "relationships[%d]: %s %s SPDXRef-%s: no such element", i, r.RefA.ElementRefID, r.Relationship, end.ElementRefID)
			}
		}
		if r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == "DOCUMENT" && r.RefA.DocumentRefID == "" {
			if !packages[r.RefB.ElementRefID] {
				add(ErrNotDescribed, "DOCUMENT DESCRIBES SPDXRef-%s, which is not a package of the document", r.RefB.ElementRefID)
				continue
			}
			describes++
		}
	}
	if describes == 0 {
		add(ErrNotDescribed, "no SPDXRef-DOCUMENT DESCRIBES relationship to a package (SPDX 2.3 §6.1)")
	}
	if len(errs) == 0 {
		if err := spdxlib.ValidateDocument(doc); err != nil {
			add(ErrLibraryChecks, "%v", err)
		}
	}
	return errs
}

func validActorType(t string) bool {
	return t == "Person" || t == "Organization" || t == "Tool"
}

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft7
	const id = "http://spdx.org/rdf/terms/2.3"
	if err := c.AddResource(id, bytes.NewReader(schemaJSON)); err != nil {
		return nil, err
	}
	return c.Compile(id)
})

// ValidateSchema checks SPDX JSON against the official SPDX 2.3 JSON schema
// (spdx/spdx-spec v2.3 schemas/spdx-schema.json, embedded from schema/).
func ValidateSchema(data []byte) error {
	s, err := compiledSchema()
	if err != nil {
		return fmt.Errorf("%w: compile: %v", ErrSchema, err)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrSchema, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	return nil
}

// ValidateJSON checks SPDX 2.3 JSON completely: the official schema first,
// then, once decoded by the library, the strict checks of Validate. It
// returns all violations joined, nil when the document is valid.
func ValidateJSON(data []byte) error {
	if err := ValidateSchema(data); err != nil {
		return err
	}
	if err := rejectDuplicateKeys(data); err != nil {
		return err
	}
	doc, err := Unmarshal(data)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return errors.Join(Validate(doc)...)
}

// rejectDuplicateKeys refuses JSON objects with a repeated member name: RFC
// 8259 §4 leaves their meaning undefined, and two readers may pick different
// values.
func rejectDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		switch d {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if seen[key] {
					return fmt.Errorf("%w: duplicate JSON member %q", ErrFormat, key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token()
		return err
	}
	return walk()
}

// DigestOf returns the hex digest the document records for its described
// package under the given algorithm, or "" when it has none.
func DigestOf(doc *v2_3.Document, alg common.ChecksumAlgorithm) string {
	if doc == nil {
		return ""
	}
	var described common.ElementID
	for _, r := range doc.Relationships {
		if r != nil && r.Relationship == common.TypeRelationshipDescribe && r.RefA.ElementRefID == "DOCUMENT" {
			described = r.RefB.ElementRefID
			break
		}
	}
	for _, p := range doc.Packages {
		if p != nil && p.PackageSPDXIdentifier == described {
			for _, c := range p.PackageChecksums {
				if c.Algorithm == alg {
					return c.Value
				}
			}
		}
	}
	return ""
}
