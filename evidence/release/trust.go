package release

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openihsm/openihsm/evidence/intoto"
	"github.com/openihsm/openihsm/evidence/keys"
	"github.com/openihsm/openihsm/evidence/sfr"
)

// Trust is the verifier's policy, read from a YAML trust file:
//
//	producers:            # keys that sign attestations, links and the manifest
//	  keys: [producer.pub]  # PEM files relative to the trust file, or inline PEM
//	  threshold: 1
//	sfr_signers:          # OCP SAFE short-form report signers (SRP keys)
//	  keys:
//	    - srp.pub           # pinned kid: the file name without extension
//	    - {key: other.pub, kid: "Other SRP 2026"}
//	  threshold: 1
//	require_sfr: false
//	required_predicates:  # defaults: provenance, SPDX, test-result
//	  - https://slsa.dev/provenance/v1
//	required_tests:       # test-result suites that must be PASSED
//	  - reproducible-build
//	  - conformance
//	device_roots:         # roots a device's chain must end in (verify --device)
//	  - root.pem          # PEM certificate files or inline PEM
//	allow_modified_source: false  # accept a build from uncommitted changes
type Trust struct {
	Producers          KeySet   `yaml:"producers"`
	SFRSigners         KeySet   `yaml:"sfr_signers"`
	RequireSFR         bool     `yaml:"require_sfr"`
	RequiredPredicates []string `yaml:"required_predicates"`
	RequiredTests      []string `yaml:"required_tests"`
	DeviceRoots        []string `yaml:"device_roots"`
	// AllowModifiedSource accepts evidence built from a work tree with
	// uncommitted changes, which its commit does not rebuild.
	AllowModifiedSource bool `yaml:"allow_modified_source"`

	producerKeys []crypto.PublicKey
	sfrKeys      []pinnedKey
	deviceRoots  []*x509.Certificate
	digest       map[string]string
	source       string
}

// KeySet is a list of pinned public keys and how many must sign. A key
// listed twice counts once.
type KeySet struct {
	Keys      []KeyRef `yaml:"keys"`
	Threshold int      `yaml:"threshold"`
}

// KeyRef is one pinned key: a PEM file name relative to the trust file, or
// inline PEM, written as a plain string or as {key: ..., kid: ...}. KeyID
// is the kid an unprotected COSE header of a short-form report may carry
// for this key; it defaults to the file's name without extension, and an
// inline key has none unless it is given.
type KeyRef struct {
	Key   string `yaml:"key"`
	KeyID string `yaml:"kid"`
}

// UnmarshalYAML reads a key as a string or a {key, kid} mapping.
func (k *KeyRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&k.Key)
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a key is a file name, inline PEM or {key, kid}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, val := n.Content[i], n.Content[i+1]
		var dst *string
		switch name.Value {
		case "key":
			dst = &k.Key
		case "kid":
			dst = &k.KeyID
		default:
			return fmt.Errorf("line %d: field %s not found in a key (key, kid)", name.Line, name.Value)
		}
		if err := val.Decode(dst); err != nil {
			return err
		}
	}
	if k.Key == "" {
		return fmt.Errorf("line %d: a key mapping needs key", n.Line)
	}
	return nil
}

// pinnedKey is a loaded KeyRef.
type pinnedKey struct {
	pub crypto.PublicKey
	kid string
}

// DefaultRequiredPredicates are required when a trust file names none.
var DefaultRequiredPredicates = []string{intoto.PredicateSLSAProvenance, intoto.PredicateSPDX, intoto.PredicateTestResult}

// DefaultRequiredTests are required when a trust file names none.
var DefaultRequiredTests = []string{SuiteReproducibleBuild}

// LoadTrust reads and checks a trust file.
func LoadTrust(path string) (*Trust, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	return ParseTrust(data, filepath.Dir(path), path)
}

// ParseTrust decodes a trust file; key file names are relative to baseDir.
func ParseTrust(data []byte, baseDir, source string) (*Trust, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var t Trust
	if err := dec.Decode(&t); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("trust: %s is empty", source)
	} else if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	producers, err := loadKeySet("producers", t.Producers, baseDir, func(b []byte) (crypto.PublicKey, error) { return keys.ParsePublic(b) })
	if err != nil {
		return nil, err
	}
	for _, p := range producers {
		t.producerKeys = append(t.producerKeys, p.pub)
	}
	if len(t.producerKeys) == 0 {
		return nil, errors.New("trust: no producer keys")
	}
	if t.sfrKeys, err = loadKeySet("sfr_signers", t.SFRSigners, baseDir, parseAnyPublic); err != nil {
		return nil, err
	}
	if t.RequireSFR && len(t.sfrKeys) == 0 {
		return nil, errors.New("trust: require_sfr without sfr_signers keys")
	}
	for _, r := range t.DeviceRoots {
		data, err := readPEM(r, baseDir)
		if err != nil {
			return nil, fmt.Errorf("trust: device_roots: %w", err)
		}
		certs, err := parseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("trust: device_roots %q: %w", r, err)
		}
		t.deviceRoots = append(t.deviceRoots, certs...)
	}
	if len(t.RequiredPredicates) == 0 {
		t.RequiredPredicates = DefaultRequiredPredicates
	}
	if len(t.RequiredTests) == 0 {
		t.RequiredTests = DefaultRequiredTests
	}
	t.digest = intoto.BytesSubject("", data).Digest
	t.source = source
	return &t, nil
}

func loadKeySet(field string, ks KeySet, baseDir string, parse func([]byte) (crypto.PublicKey, error)) ([]pinnedKey, error) {
	var out []pinnedKey
	seen := map[string]bool{}
	for _, k := range ks.Keys {
		data, err := readPEM(k.Key, baseDir)
		if err != nil {
			return nil, fmt.Errorf("trust: %s: %w", field, err)
		}
		pub, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("trust: %s key %q: %w", field, k.Key, err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("trust: %s key %q: %w", field, k.Key, err)
		}
		if seen[string(der)] {
			continue // the same key pinned twice counts once
		}
		seen[string(der)] = true
		kid := k.KeyID
		if kid == "" && !isInlinePEM(k.Key) {
			kid = sfr.DefaultKeyID(k.Key)
		}
		out = append(out, pinnedKey{pub: pub, kid: kid})
	}
	threshold := ks.Threshold
	if threshold == 0 && len(out) > 0 {
		threshold = 1
	}
	if len(out) > 0 && (threshold < 1 || threshold > len(out)) {
		return nil, fmt.Errorf("trust: %s threshold %d with %d distinct keys", field, ks.Threshold, len(out))
	}
	return out, nil
}

func isInlinePEM(entry string) bool {
	return strings.HasPrefix(strings.TrimSpace(entry), "-----BEGIN")
}

// readPEM returns an inline PEM entry of the trust file as is, or reads the
// file it names (relative to baseDir).
func readPEM(entry, baseDir string) ([]byte, error) {
	if isInlinePEM(entry) {
		return []byte(entry), nil
	}
	p := entry
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	return os.ReadFile(p)
}

func (t *Trust) producerThreshold() int {
	if t.Producers.Threshold == 0 {
		return 1
	}
	return t.Producers.Threshold
}

func (t *Trust) sfrThreshold() int {
	if t.SFRSigners.Threshold == 0 {
		return 1
	}
	return t.SFRSigners.Threshold
}

// parseAnyPublic accepts any SPKI public key: OCP SAFE reviewers use ECDSA
// P-384/P-521 and RSA keys.
func parseAnyPublic(data []byte) (crypto.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != keys.PublicPEMType {
		return nil, errors.New("not a PEM PUBLIC KEY")
	}
	return x509.ParsePKIXPublicKey(b.Bytes)
}
