package sbom

import (
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Module is one Go module linked into a binary: the standard library or a
// dependency as linked (a replacement in place of the module it replaces).
type Module struct {
	// Purl is its package URL (see [Purl]).
	Purl string
	// DirHash is its go.sum h1 directory hash in lowercase hex, the in-toto
	// DigestSet "dirHash" form; empty for the standard library and for a
	// module replaced by a local directory, which have none.
	DirHash string
}

// Modules returns the modules a binary's build information records, sorted
// by purl: what its SBOM lists and its provenance resolves.
func Modules(bi *debug.BuildInfo) ([]Module, error) {
	v := strings.Fields(bi.GoVersion)
	if len(v) == 0 {
		return nil, fmt.Errorf("sbom: build information names no Go version")
	}
	mods := []Module{{Purl: Purl("stdlib", strings.TrimPrefix(v[0], "go"), "")}}
	for _, m := range bi.Deps {
		if m == nil || m.Path == "" {
			return nil, fmt.Errorf("sbom: build information lists a module without a path")
		}
		linked := m
		if m.Replace != nil {
			linked = m.Replace
		}
		h, err := DirHash(linked.Sum)
		if err != nil {
			return nil, fmt.Errorf("sbom: module %s: %w", linked.Path, err)
		}
		purl := Purl(linked.Path, linked.Version, "")
		if linked.Version == "" {
			// A local directory: named by the module path it stands in for,
			// as its SBOM package is.
			purl = Purl(m.Path, "", "")
		}
		mods = append(mods, Module{Purl: purl, DirHash: h})
	}
	sortModules(mods)
	return mods, nil
}

// ModulesOfFile is [Modules] of the binary at path.
func ModulesOfFile(path string) ([]Module, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sbom: read build info of %s: %w", path, err)
	}
	return Modules(bi)
}

// DocumentModules returns the modules an SBOM of ours lists: every package
// but the binary itself and the toolchain, by its purl and its h1
// annotation, sorted by purl.
func DocumentModules(doc *v2_3.Document) ([]Module, error) {
	var mods []Module
	for _, p := range doc.Packages {
		if p.PackageSPDXIdentifier == MainID || p.PackageSPDXIdentifier == ToolchainID {
			continue
		}
		var m Module
		for _, r := range p.PackageExternalReferences {
			if r.Category == common.CategoryPackageManager && r.RefType == "purl" {
				m.Purl = r.Locator
			}
		}
		if m.Purl == "" {
			// A module replaced by a local directory has no version, so no
			// purl of its own; it is named by its module path.
			m.Purl = Purl(p.PackageName, "", "")
		}
		for _, a := range p.Annotations {
			if s, ok := strings.CutPrefix(a.AnnotationComment, H1Annotation); ok {
				h, err := DirHash(s)
				if err != nil {
					return nil, fmt.Errorf("sbom: package %s: %w", p.PackageName, err)
				}
				m.DirHash = h
			}
		}
		mods = append(mods, m)
	}
	sortModules(mods)
	return mods, nil
}

// DirHash converts a go.sum "h1:" hash (base64 of a SHA-256 directory hash)
// to lowercase hex, as the in-toto DigestSet "dirHash" algorithm writes it.
// An empty sum gives an empty hash.
func DirHash(sum string) (string, error) {
	if sum == "" {
		return "", nil
	}
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return "", fmt.Errorf("sum %q is not an h1: hash", sum)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return "", fmt.Errorf("sum %q is not an h1: hash of 32 bytes", sum)
	}
	return hex.EncodeToString(raw), nil
}

// DiffModules describes how got differs from want (both sorted by purl),
// or returns "" when they are the same.
func DiffModules(want, got []Module) string {
	var missing, extra []string
	w := map[Module]bool{}
	for _, m := range want {
		w[m] = true
	}
	g := map[Module]bool{}
	for _, m := range got {
		g[m] = true
		if !w[m] {
			extra = append(extra, m.String())
		}
	}
	for _, m := range want {
		if !g[m] {
			missing = append(missing, m.String())
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "not linked "+strings.Join(extra, ", "))
	}
	if len(parts) == 0 && len(want) != len(got) {
		parts = append(parts, fmt.Sprintf("%d modules listed, %d linked", len(got), len(want)))
	}
	return strings.Join(parts, "; ")
}

func (m Module) String() string {
	if m.DirHash == "" {
		return m.Purl
	}
	return m.Purl + " (dirHash " + m.DirHash + ")"
}

func sortModules(mods []Module) {
	slices.SortFunc(mods, func(a, b Module) int { return strings.Compare(a.Purl, b.Purl) })
}
