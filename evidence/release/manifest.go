package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/openihsm/openihsm/evidence/intoto"
)

// Names of the files every evidence directory has.
const (
	ManifestFile     = "evidence.json"
	ManifestEnvelope = "evidence.dsse.json"
	// ManifestPayloadType is the DSSE payloadType of the signed manifest.
	ManifestPayloadType = "application/vnd.openihsm.evidence-manifest+json"
	// ManifestVersion is the manifest format this package writes and reads.
	ManifestVersion = 1
)

// File roles in a manifest.
const (
	RoleBinary      = "binary"
	RoleSBOM        = "sbom"
	RoleAttestation = "attestation"
	RoleLink        = "link"
	RoleInput       = "input"
	RoleSFR         = "sfr"
	RolePublicKey   = "public-key"
)

// Test suites attested as test results.
const (
	SuiteReproducibleBuild = "reproducible-build"
	SuiteConformance       = "conformance"
	SuiteUnitTests         = "unit-tests"
	// SuiteURIPrefix starts the uri of the configuration entry that names a
	// test-result's suite (the test-result v0.1 predicate has no suite field;
	// its configuration is what defines the run).
	SuiteURIPrefix = "https://openihsm.org/evidence/test-suites/"
)

// Predicate and builder identifiers of this project.
const (
	BuildType  = "https://openihsm.org/evidence/buildtypes/go-reproducible/v1"
	BuilderID  = "https://openihsm.org/evidence/builders/ihsm-evidence-build/v1"
	VerifierID = "https://openihsm.org/evidence/verifiers/ihsm-evidence-verify/v1"
)

// Manifest lists the files of an evidence directory.
type Manifest struct {
	Version      int    `json:"version"`
	Subject      File   `json:"subject"`
	SourceCommit string `json:"source_commit,omitempty"`
	// SourceModified records a build from a work tree with uncommitted
	// changes (the binary's vcs.modified): the commit alone does not
	// rebuild it.
	SourceModified bool   `json:"source_modified"`
	Files          []File `json:"files"`
}

// File is one file of the directory with its digests.
type File struct {
	Path          string            `json:"path"` // slash-separated, relative to the directory
	Role          string            `json:"role"`
	PredicateType string            `json:"predicate_type,omitempty"`
	Suite         string            `json:"suite,omitempty"`
	Digest        map[string]string `json:"digest"`
}

// checkPath refuses paths that would leave the evidence directory.
func checkPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("manifest path %q is not a clean relative path", p)
	}
	return nil
}

func marshalManifest(m *Manifest) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseManifest(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the manifest")
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("manifest version %d, want %d", m.Version, ManifestVersion)
	}
	seen := map[string]bool{}
	for _, f := range append([]File{m.Subject}, m.Files...) {
		if err := checkPath(f.Path); err != nil {
			return nil, err
		}
		if len(f.Digest) == 0 {
			return nil, fmt.Errorf("%s: no digest", f.Path)
		}
		if seen[f.Path] && f.Path != m.Subject.Path {
			return nil, fmt.Errorf("%s listed twice", f.Path)
		}
		seen[f.Path] = true
	}
	return &m, nil
}

// digestFile hashes dir/p.
func digestFile(dir, p string) (map[string]string, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return intoto.Digests(f)
}

// sameDigests reports whether every algorithm in want has the same value in
// got, and want is not empty.
func sameDigests(want, got map[string]string) bool {
	if len(want) == 0 {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
