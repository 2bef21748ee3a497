package sbom

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Fixed names used in every document this package emits.
const (
	// Creator is the SPDX creator (SPDX 2.3 §6.8) of the documents.
	Creator = "openihsm-sbom"
	// NamespacePrefix starts every document namespace (SPDX 2.3 §6.5); the
	// rest is derived from the binary's SHA-256 so that the namespace is
	// unique per binary and stable across runs.
	NamespacePrefix = "https://openihsm.org/spdx/"
	// H1Annotation starts the annotation that carries a module's go.sum
	// "h1:" hash. It is a directory hash (dirhash Hash1), not a file checksum.
	H1Annotation = "go module h1 directory hash: "
	// SettingAnnotation starts the annotations that carry build settings.
	SettingAnnotation = "go build setting: "
	// MainID is the SPDX id of the described package (the binary).
	MainID = "Package-main"
	// ToolchainID is the SPDX id of the Go toolchain that built the binary.
	ToolchainID = "Package-go-toolchain"
	// StdlibID is the SPDX id of the Go standard library linked into it.
	StdlibID = "Package-go-stdlib"
)

// Options controls what FromFile cannot learn from the binary alone.
type Options struct {
	// Created is the document creation time (SPDX 2.3 §6.9). The zero value
	// means: SOURCE_DATE_EPOCH from SourceDateEpoch, else the binary's
	// vcs.time build setting, else the Unix epoch (noted in the document).
	Created time.Time
	// SourceDateEpoch is the value of the SOURCE_DATE_EPOCH variable
	// (reproducible-builds.org), "" when unset.
	SourceDateEpoch string
}

// Binary identifies the file the build information was read from.
type Binary struct {
	Name   string // file name, without directories
	SHA256 []byte
	SHA384 []byte
	SHA512 []byte
}

// FromBinary reads the Go build information of the binary at path and
// derives its SPDX 2.3 document. SOURCE_DATE_EPOCH is taken from the
// environment, as reproducible-builds.org specifies.
func FromBinary(path string) (*v2_3.Document, error) {
	return FromFile(path, Options{SourceDateEpoch: os.Getenv("SOURCE_DATE_EPOCH")})
}

// FromFile is FromBinary with explicit options.
func FromFile(path string, o Options) (*v2_3.Document, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sbom: read build info of %s: %w", path, err)
	}
	bin, err := HashFile(path)
	if err != nil {
		return nil, err
	}
	return FromBuildInfo(bi, bin, o)
}

// HashFile returns the name and SHA-256/384/512 digests of a file.
func HashFile(path string) (Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Binary{}, fmt.Errorf("sbom: %w", err)
	}
	defer f.Close()
	h256, h384, h512 := sha256.New(), sha512.New384(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h256, h384, h512), f); err != nil {
		return Binary{}, fmt.Errorf("sbom: hash %s: %w", path, err)
	}
	return Binary{Name: filepath.Base(path), SHA256: h256.Sum(nil), SHA384: h384.Sum(nil), SHA512: h512.Sum(nil)}, nil
}

// FromBuildInfo derives the document from already-read build information.
func FromBuildInfo(bi *debug.BuildInfo, bin Binary, o Options) (*v2_3.Document, error) {
	if bi == nil {
		return nil, errors.New("sbom: no build information")
	}
	if bi.Main.Path == "" {
		return nil, errors.New("sbom: build information names no main module (not built in module mode)")
	}
	if len(bin.SHA256) != sha256.Size || len(bin.SHA384) != sha512.Size384 || len(bin.SHA512) != sha512.Size {
		return nil, errors.New("sbom: binary digests missing or of the wrong length")
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	created, createdNote, err := creationTime(o, settings)
	if err != nil {
		return nil, err
	}
	stamp := created.UTC().Format(time.RFC3339)
	annotate := func(comment string) v2_3.Annotation {
		return v2_3.Annotation{
			Annotator:         common.Annotator{AnnotatorType: "Tool", Annotator: Creator},
			AnnotationDate:    stamp,
			AnnotationType:    "OTHER",
			AnnotationComment: comment,
		}
	}

	name := bi.Path
	if name == "" {
		name = bi.Main.Path
	}
	mainPkg := &v2_3.Package{
		PackageName:               name,
		PackageSPDXIdentifier:     MainID,
		PackageVersion:            bi.Main.Version,
		PackageFileName:           bin.Name,
		PackageDownloadLocation:   "NOASSERTION",
		FilesAnalyzed:             false,
		IsFilesAnalyzedTagPresent: true,
		PackageChecksums: []common.Checksum{
			{Algorithm: common.SHA256, Value: hex.EncodeToString(bin.SHA256)},
			{Algorithm: common.SHA384, Value: hex.EncodeToString(bin.SHA384)},
			{Algorithm: common.SHA512, Value: hex.EncodeToString(bin.SHA512)},
		},
		PackageComment:        "Go binary; checksums are of the binary file itself. Module list, toolchain and build settings from its embedded build information.",
		PrimaryPackagePurpose: "APPLICATION",
		PackageExternalReferences: []*v2_3.PackageExternalReference{
			purlRef(bi.Main.Path, bi.Main.Version, strings.TrimPrefix(strings.TrimPrefix(bi.Path, bi.Main.Path), "/")),
		},
	}
	if bi.Main.Sum != "" {
		mainPkg.Annotations = append(mainPkg.Annotations, annotate(H1Annotation+bi.Main.Sum))
	}
	for _, s := range bi.Settings {
		mainPkg.Annotations = append(mainPkg.Annotations, annotate(SettingAnnotation+s.Key+"="+s.Value))
	}

	goVersion := strings.Fields(bi.GoVersion)
	if len(goVersion) == 0 {
		return nil, errors.New("sbom: build information names no Go version")
	}
	toolchain := &v2_3.Package{
		PackageName:               "go",
		PackageSPDXIdentifier:     ToolchainID,
		PackageVersion:            bi.GoVersion,
		PackageDownloadLocation:   "https://go.dev/dl/",
		IsFilesAnalyzedTagPresent: true,
		PackageComment:            "The Go toolchain that compiled and linked the binary.",
		PrimaryPackagePurpose:     "APPLICATION",
	}
	stdlib := &v2_3.Package{
		PackageName:               "stdlib",
		PackageSPDXIdentifier:     StdlibID,
		PackageVersion:            bi.GoVersion,
		PackageDownloadLocation:   "https://go.dev/dl/",
		IsFilesAnalyzedTagPresent: true,
		PackageComment:            "The Go standard library linked into the binary.",
		PrimaryPackagePurpose:     "LIBRARY",
		PackageExternalReferences: []*v2_3.PackageExternalReference{
			// pkg:golang/stdlib is the name vulnerability databases (OSV,
			// the Go vulnerability database) use for the standard library.
			purlRef("stdlib", strings.TrimPrefix(goVersion[0], "go"), ""),
		},
	}

	deps := make([]*v2_3.Package, 0, len(bi.Deps))
	for _, m := range bi.Deps {
		if m == nil || m.Path == "" {
			return nil, errors.New("sbom: build information lists a module without a path")
		}
		deps = append(deps, modulePackage(m, annotate))
	}
	sort.Slice(deps, func(i, j int) bool {
		if deps[i].PackageName != deps[j].PackageName {
			return deps[i].PackageName < deps[j].PackageName
		}
		return deps[i].PackageVersion < deps[j].PackageVersion
	})

	doc := &v2_3.Document{
		SPDXVersion:       v2_3.Version,
		DataLicense:       v2_3.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: NamespacePrefix + idPart(bin.Name) + "-sha256-" + hex.EncodeToString(bin.SHA256),
		CreationInfo: &v2_3.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: Creator}},
			Created:  stamp,
		},
		DocumentComment: "Derived from the Go build information embedded in " + bin.Name + ". Go h1: sums are module directory hashes and appear only as annotations, never as checksums.",
	}
	if createdNote != "" {
		doc.CreationInfo.CreatorComment = createdNote
	}
	doc.Packages = append([]*v2_3.Package{mainPkg, toolchain, stdlib}, deps...)

	rel := func(a, typ, b string) *v2_3.Relationship {
		return &v2_3.Relationship{
			RefA:         common.MakeDocElementID("", a),
			RefB:         common.MakeDocElementID("", b),
			Relationship: typ,
		}
	}
	doc.Relationships = []*v2_3.Relationship{
		rel("DOCUMENT", common.TypeRelationshipDescribe, MainID),
		rel(ToolchainID, common.TypeRelationshipBuildToolOf, MainID),
		rel(MainID, common.TypeRelationshipDependsOn, StdlibID),
	}
	for _, d := range deps {
		doc.Relationships = append(doc.Relationships, rel(MainID, common.TypeRelationshipDependsOn, string(d.PackageSPDXIdentifier)))
	}
	if errs := Validate(doc); len(errs) > 0 {
		return nil, fmt.Errorf("sbom: derived document is invalid: %w", errors.Join(errs...))
	}
	return doc, nil
}

// modulePackage records one linked module. For a replaced module the package
// is what was linked (the replacement), named after the module it stands in
// for; the replacement is stated in an annotation.
func modulePackage(m *debug.Module, annotate func(string) v2_3.Annotation) *v2_3.Package {
	linked := m
	if m.Replace != nil {
		linked = m.Replace
	}
	p := &v2_3.Package{
		PackageName:               m.Path,
		PackageSPDXIdentifier:     common.ElementID("Package-gomod-" + idPart(m.Path) + "-" + shortHash(m.Path+"@"+m.Version)),
		PackageVersion:            linked.Version,
		PackageDownloadLocation:   "NOASSERTION",
		IsFilesAnalyzedTagPresent: true,
		PrimaryPackagePurpose:     "LIBRARY",
	}
	if linked.Version != "" {
		// The Go module proxy protocol names a module version's zip at
		// <proxy>/<escaped path>/@v/<version>.zip; proxy.golang.org is the
		// default GOPROXY.
		p.PackageDownloadLocation = "https://proxy.golang.org/" + escapeModulePath(linked.Path) + "/@v/" + escapeModulePath(linked.Version) + ".zip"
		p.PackageExternalReferences = []*v2_3.PackageExternalReference{purlRef(linked.Path, linked.Version, "")}
	}
	if m.Replace != nil {
		from := m.Path
		if m.Version != "" {
			from += "@" + m.Version
		}
		to := m.Replace.Path
		if m.Replace.Version != "" {
			to += "@" + m.Replace.Version
		} else {
			to += " (local directory)"
		}
		p.PackageSourceInfo = "replaced: " + from + " => " + to
		p.Annotations = append(p.Annotations, annotate("go module replaced: "+from+" => "+to))
	}
	if linked.Sum != "" {
		p.Annotations = append(p.Annotations, annotate(H1Annotation+linked.Sum))
	}
	return p
}

// creationTime picks the document's creation time and, when it had to fall
// back to the Unix epoch, a note saying so.
func creationTime(o Options, settings map[string]string) (time.Time, string, error) {
	switch {
	case !o.Created.IsZero():
		return o.Created.UTC().Truncate(time.Second), "", nil
	case o.SourceDateEpoch != "":
		sec, err := strconv.ParseInt(o.SourceDateEpoch, 10, 64)
		if err != nil || sec < 0 {
			return time.Time{}, "", fmt.Errorf("sbom: SOURCE_DATE_EPOCH %q is not a non-negative integer", o.SourceDateEpoch)
		}
		return time.Unix(sec, 0).UTC(), "", nil
	case settings["vcs.time"] != "":
		t, err := time.Parse(time.RFC3339, settings["vcs.time"])
		if err != nil {
			return time.Time{}, "", fmt.Errorf("sbom: vcs.time %q: %w", settings["vcs.time"], err)
		}
		return t.UTC(), "", nil
	}
	return time.Unix(0, 0).UTC(), "Creation time unknown: neither SOURCE_DATE_EPOCH nor vcs.time was available; the Unix epoch stands in so that the output stays deterministic.", nil
}

// Marshal encodes the document as SPDX 2.3 JSON with the library's writer.
func Marshal(doc *v2_3.Document) ([]byte, error) {
	var buf bytes.Buffer
	if err := spdxjson.Write(doc, &buf, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, fmt.Errorf("sbom: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes SPDX 2.3 JSON with the library's reader.
func Unmarshal(data []byte) (*v2_3.Document, error) {
	var doc v2_3.Document
	if err := spdxjson.ReadInto(bytes.NewReader(data), &doc); err != nil {
		return nil, fmt.Errorf("sbom: decode: %w", err)
	}
	return &doc, nil
}

func purlRef(path, version, subpath string) *v2_3.PackageExternalReference {
	return &v2_3.PackageExternalReference{
		Category: "PACKAGE-MANAGER",
		RefType:  "purl",
		Locator:  Purl(path, version, subpath),
	}
}

// Purl returns the package URL of a Go module (purl-spec, type golang): the
// module path split into namespace and name, each segment percent-encoded,
// then @version when the version is a real one ("(devel)" is not), then
// #subpath for a package inside the module.
func Purl(path, version, subpath string) string {
	var b strings.Builder
	b.WriteString("pkg:golang/")
	for i, seg := range strings.Split(path, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(pctEncode(seg))
	}
	if version != "" && version != "(devel)" {
		b.WriteByte('@')
		b.WriteString(pctEncode(version))
	}
	if subpath != "" {
		b.WriteByte('#')
		for i, seg := range strings.Split(subpath, "/") {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(pctEncode(seg))
		}
	}
	return b.String()
}

// pctEncode percent-encodes everything outside the purl-spec unreserved set.
func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// escapeModulePath applies the module proxy's case escaping (golang.org/ref/mod
// "Case-encoding"): an upper-case letter becomes '!' and its lower case.
func escapeModulePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// idPart maps a string onto the characters SPDX 2.3 §3.2 allows in an
// SPDX identifier ([A-Za-z0-9.-]).
func idPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b.WriteByte(c)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// shortHash disambiguates ids whose readable parts collide after idPart.
func shortHash(s string) string {
	var h hash.Hash = sha256.New()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)[:6])
}
