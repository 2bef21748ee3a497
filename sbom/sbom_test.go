package sbom

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

var fixed = Options{Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

var probe = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "sbom-probe-")
	if err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "probe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", exe, "./testdata/probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build probe: %v\n%s", err, out)
	}
	return exe, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if exe, err := probe(); err == nil {
		os.RemoveAll(filepath.Dir(exe))
	}
	os.Exit(code)
}

// selfDoc derives the document of testdata/probe, a real Go binary that
// links real modules.
func selfDoc(t *testing.T) (*v2_3.Document, []byte, string) {
	t.Helper()
	exe, err := probe()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := FromFile(exe, fixed)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, data, exe
}

func TestFromBinaryIsValidAndDeterministic(t *testing.T) {
	doc, data, exe := selfDoc(t)
	if errs := Validate(doc); len(errs) > 0 {
		t.Fatalf("Validate: %v", errs)
	}
	if err := ValidateJSON(data); err != nil {
		t.Fatalf("ValidateJSON: %v", err)
	}
	doc2, err := FromFile(exe, fixed)
	if err != nil {
		t.Fatal(err)
	}
	data2, err := Marshal(doc2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, data2) {
		t.Fatal("two derivations of the same binary differ")
	}
	raw, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got := DigestOf(doc, common.SHA256); got != hexString(sum[:]) {
		t.Fatalf("described package SHA256 = %s, want the binary's", got)
	}
	if !strings.HasSuffix(doc.DocumentNamespace, hexString(sum[:])) {
		t.Fatalf("namespace %s not derived from the binary digest", doc.DocumentNamespace)
	}
	if doc.CreationInfo.Created != "2026-01-02T03:04:05Z" {
		t.Fatalf("created = %s", doc.CreationInfo.Created)
	}
}

func TestEveryLinkedModuleRecorded(t *testing.T) {
	doc, data, _ := selfDoc(t)
	exe, _ := probe()
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*v2_3.Package{}
	for _, p := range doc.Packages {
		byName[p.PackageName] = p
	}
	depends := map[common.ElementID]bool{}
	for _, r := range doc.Relationships {
		if r.Relationship == common.TypeRelationshipDependsOn && r.RefA.ElementRefID == MainID {
			depends[r.RefB.ElementRefID] = true
		}
	}
	for _, m := range bi.Deps {
		p := byName[m.Path]
		if p == nil {
			t.Errorf("module %s missing", m.Path)
			continue
		}
		linked := m
		if m.Replace != nil {
			linked = m.Replace
		}
		if p.PackageVersion != linked.Version {
			t.Errorf("%s: version %q, want %q", m.Path, p.PackageVersion, linked.Version)
		}
		if want := Purl(linked.Path, linked.Version, ""); len(p.PackageExternalReferences) != 1 || p.PackageExternalReferences[0].Locator != want {
			t.Errorf("%s: purl refs %v, want %s", m.Path, p.PackageExternalReferences, want)
		}
		if linked.Sum != "" {
			found := false
			for _, a := range p.Annotations {
				found = found || a.AnnotationComment == H1Annotation+linked.Sum
			}
			if !found {
				t.Errorf("%s: h1 sum %s not recorded as a directory-hash annotation", m.Path, linked.Sum)
			}
		}
		if len(p.PackageChecksums) != 0 {
			t.Errorf("%s: module package has checksums %v", m.Path, p.PackageChecksums)
		}
		if !depends[p.PackageSPDXIdentifier] {
			t.Errorf("%s: no DEPENDS_ON from the main package", m.Path)
		}
	}
	if len(bi.Deps) < 2 {
		t.Fatalf("probe links %d modules; the test needs at least two", len(bi.Deps))
	}
	if len(doc.Packages) != len(bi.Deps)+3 {
		t.Errorf("%d packages, want %d modules + main, toolchain, stdlib", len(doc.Packages), len(bi.Deps))
	}
	if bytes.Contains(data, []byte(`"checksumValue": "h1:`)) {
		t.Error("an h1 hash appears as a checksum value")
	}
	settings := 0
	for _, a := range byName[bi.Path].Annotations {
		if strings.HasPrefix(a.AnnotationComment, SettingAnnotation) {
			settings++
		}
	}
	if settings != len(bi.Settings) {
		t.Errorf("%d build settings recorded, binary has %d", settings, len(bi.Settings))
	}
	var tool, stdlib bool
	for _, r := range doc.Relationships {
		tool = tool || (r.RefA.ElementRefID == ToolchainID && r.Relationship == common.TypeRelationshipBuildToolOf && r.RefB.ElementRefID == MainID)
		stdlib = stdlib || (r.RefA.ElementRefID == MainID && r.Relationship == common.TypeRelationshipDependsOn && r.RefB.ElementRefID == StdlibID)
	}
	if !tool || !stdlib {
		t.Errorf("toolchain BUILD_TOOL_OF %v, stdlib DEPENDS_ON %v", tool, stdlib)
	}
}

func testBinary() Binary {
	return Binary{Name: "app", SHA256: make([]byte, 32), SHA384: make([]byte, 48), SHA512: make([]byte, 64)}
}

func TestReplacementsAndVersions(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8 X:nodwarf5",
		Path:      "example.com/app/cmd/app",
		Main:      debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "example.com/old", Version: "v1.0.0", Sum: "h1:AAAA", Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1", Sum: "h1:BBBB"}},
			{Path: "example.com/local", Version: "v0.1.0", Replace: &debug.Module{Path: "../local"}},
			{Path: "github.com/Up/per", Version: "v2.0.0+incompatible", Sum: "h1:CCCC"},
		},
		Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs.time", Value: "2025-05-06T07:08:09Z"}},
	}
	doc, err := FromBuildInfo(bi, testBinary(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.CreationInfo.Created != "2025-05-06T07:08:09Z" {
		t.Errorf("created %s, want vcs.time", doc.CreationInfo.Created)
	}
	get := func(name string) *v2_3.Package {
		for _, p := range doc.Packages {
			if p.PackageName == name {
				return p
			}
		}
		t.Fatalf("no package %s", name)
		return nil
	}
	if p := get("example.com/old"); p.PackageVersion != "v1.0.1" || p.PackageExternalReferences[0].Locator != "pkg:golang/example.com/fork@v1.0.1" || !strings.Contains(p.PackageSourceInfo, "example.com/old@v1.0.0 => example.com/fork@v1.0.1") {
		t.Errorf("module replacement recorded as %+v", p)
	}
	if p := get("example.com/local"); len(p.PackageExternalReferences) != 0 || p.PackageDownloadLocation != "NOASSERTION" || !strings.Contains(p.PackageSourceInfo, "local directory") {
		t.Errorf("directory replacement recorded as %+v", p)
	}
	if p := get("github.com/Up/per"); p.PackageExternalReferences[0].Locator != "pkg:golang/github.com/Up/per@v2.0.0%2Bincompatible" || p.PackageDownloadLocation != "https://proxy.golang.org/github.com/!up/per/@v/v2.0.0+incompatible.zip" {
		t.Errorf("purl %s, download %s", p.PackageExternalReferences[0].Locator, p.PackageDownloadLocation)
	}
	if p := get("example.com/app/cmd/app"); p.PackageExternalReferences[0].Locator != "pkg:golang/example.com/app#cmd/app" {
		t.Errorf("main purl %s", p.PackageExternalReferences[0].Locator)
	}
	if p := get("stdlib"); p.PackageExternalReferences[0].Locator != "pkg:golang/stdlib@1.26.8" {
		t.Errorf("stdlib purl %s", p.PackageExternalReferences[0].Locator)
	}
	data, err := Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateJSON(data); err != nil {
		t.Fatal(err)
	}
}

func TestCreationTime(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Path: "x/cmd", Main: debug.Module{Path: "x"}}
	doc, err := FromBuildInfo(bi, testBinary(), Options{SourceDateEpoch: "1700000000"})
	if err != nil {
		t.Fatal(err)
	}
	if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created %s", doc.CreationInfo.Created)
	}
	for _, bad := range []string{"-1", "soon", "1.5"} {
		if _, err := FromBuildInfo(bi, testBinary(), Options{SourceDateEpoch: bad}); err == nil {
			t.Errorf("SOURCE_DATE_EPOCH %q accepted", bad)
		}
	}
	doc, err = FromBuildInfo(bi, testBinary(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.CreationInfo.Created != "1970-01-01T00:00:00Z" || doc.CreationInfo.CreatorComment == "" {
		t.Errorf("fallback creation time %s without a note", doc.CreationInfo.Created)
	}
	if _, err := FromBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8"}, testBinary(), Options{}); err == nil {
		t.Error("build info without a main module accepted")
	}
	if _, err := FromBuildInfo(bi, Binary{Name: "x"}, Options{}); err == nil {
		t.Error("binary without digests accepted")
	}
}

func TestFromFileRejectsNonGoFile(t *testing.T) {
	p := t.TempDir() + "/not-a-binary"
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FromFile(p, fixed); err == nil {
		t.Fatal("a shell script was accepted as a Go binary")
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *v2_3.Document)
		want   error
	}{
		{"wrong version", func(d *v2_3.Document) { d.SPDXVersion = "SPDX-2.2" }, ErrVersion},
		{"no name", func(d *v2_3.Document) { d.DocumentName = "" }, ErrMissingField},
		{"relative namespace", func(d *v2_3.Document) { d.DocumentNamespace = "spdx/doc" }, ErrFormat},
		{"namespace with fragment", func(d *v2_3.Document) { d.DocumentNamespace += "#x" }, ErrFormat},
		{"created with offset", func(d *v2_3.Document) { d.CreationInfo.Created = "2026-01-02T03:04:05+01:00" }, ErrFormat},
		{"no creators", func(d *v2_3.Document) { d.CreationInfo.Creators = nil }, ErrMissingField},
		{"bad creator type", func(d *v2_3.Document) { d.CreationInfo.Creators[0].CreatorType = "Robot" }, ErrFormat},
		{"duplicate id", func(d *v2_3.Document) { d.Packages[2].PackageSPDXIdentifier = d.Packages[1].PackageSPDXIdentifier }, ErrDuplicateID},
		{"bad id chars", func(d *v2_3.Document) { d.Packages[1].PackageSPDXIdentifier = "Package_go" }, ErrFormat},
		{"short sha256", func(d *v2_3.Document) { d.Packages[0].PackageChecksums[0].Value = "abcd" }, ErrChecksum},
		{"upper-case hex", func(d *v2_3.Document) {
			d.Packages[0].PackageChecksums[0].Value = strings.ToUpper(d.Packages[0].PackageChecksums[0].Value)
		}, ErrChecksum},
		{"sha384 with sha256 length", func(d *v2_3.Document) {
			d.Packages[0].PackageChecksums[1].Value = d.Packages[0].PackageChecksums[0].Value
		}, ErrChecksum},
		{"h1 as checksum", func(d *v2_3.Document) {
			d.Packages[3].PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}
		}, ErrH1AsChecksum},
		{"bad purl", func(d *v2_3.Document) { d.Packages[3].PackageExternalReferences[0].Locator = "golang/x@v1" }, ErrPurl},
		{"purl with space", func(d *v2_3.Document) { d.Packages[3].PackageExternalReferences[0].Locator = "pkg:golang/a b@v1" }, ErrPurl},
		{"dangling relationship", func(d *v2_3.Document) {
			d.Relationships[2].RefB = common.MakeDocElementID("", "Package-nowhere")
		}, ErrRelationship},
		{"unknown relationship type", func(d *v2_3.Document) { d.Relationships[2].Relationship = "LIKES" }, ErrRelationship},
		{"describes nothing", func(d *v2_3.Document) { d.Relationships = d.Relationships[1:] }, ErrNotDescribed},
		{"bad annotation type", func(d *v2_3.Document) { d.Packages[0].Annotations[0].AnnotationType = "NOTE" }, ErrFormat},
		{"no download location", func(d *v2_3.Document) { d.Packages[1].PackageDownloadLocation = "" }, ErrMissingField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, _, _ := selfDoc(t)
			tc.mutate(doc)
			errs := Validate(doc)
			if len(errs) == 0 {
				t.Fatal("accepted")
			}
			if !errors.Is(errors.Join(errs...), tc.want) {
				t.Fatalf("errors %v, want %v", errs, tc.want)
			}
		})
	}
}

func TestValidateJSONRejects(t *testing.T) {
	_, data, _ := selfDoc(t)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	pkgs := m["packages"].([]any)
	delete(pkgs[0].(map[string]any), "name")
	noName, _ := json.Marshal(m)
	if err := ValidateJSON(noName); !errors.Is(err, ErrSchema) {
		t.Fatalf("package without name: %v, want ErrSchema", err)
	}
	m["spdxVersion"] = 23
	badType, _ := json.Marshal(m)
	if err := ValidateJSON(badType); !errors.Is(err, ErrSchema) {
		t.Fatalf("numeric spdxVersion: %v, want ErrSchema", err)
	}
	dup := bytes.Replace(data, []byte(`"dataLicense": "CC0-1.0",`), []byte(`"dataLicense": "CC0-1.0", "dataLicense": "MIT",`), 1)
	if err := ValidateJSON(dup); !errors.Is(err, ErrFormat) {
		t.Fatalf("duplicate member: %v, want ErrFormat", err)
	}
	if err := ValidateJSON([]byte("{")); !errors.Is(err, ErrSchema) {
		t.Fatalf("truncated JSON: %v", err)
	}
}

func FuzzValidateJSON(f *testing.F) {
	doc, err := FromBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8", Path: "x/cmd", Main: debug.Module{Path: "x", Version: "v1.0.0"},
		Deps: []*debug.Module{{Path: "y", Version: "v0.1.0", Sum: "h1:AAAA"}}}, testBinary(), fixed)
	if err != nil {
		f.Fatal(err)
	}
	data, err := Marshal(doc)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"spdxVersion":"SPDX-2.3"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ValidateJSON(b)
	})
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
