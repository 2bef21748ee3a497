package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
)

// OIDTcbInfo is tcg-dice-TcbInfo (TCG DICE Attestation Architecture §6.1.1).
var OIDTcbInfo = asn1.ObjectIdentifier{2, 23, 133, 5, 4, 1}

// oidSHA384 is id-sha384 (RFC 5754 §2.3 / NIST CSOR).
var oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}

// Vendor and Model are the TcbInfo vendor and model strings.
const (
	Vendor = "OpenIHSM"
	Model  = "reference-hsm"
)

// Params describe the device a new or loaded identity belongs to.
type Params struct {
	Serial              string
	FirmwareMeasurement [48]byte // SHA-384 of the running firmware
	FirmwareVersion     string
	Now                 time.Time
	// Tests runs the pairwise consistency test of every new identity key
	// (default: a registry of its own).
	Tests *selftest.Registry
}

// Identity is the device's identity keys and certificate chain.
type Identity struct {
	_ [0]func()

	root, device, attest *ecdsa.PrivateKey
	chain                [3][]byte
	serial               string
	measurement          [48]byte
	version              string
}

// String, GoString and Format print "[REDACTED]": the identity holds the
// device's private keys.
func (Identity) String() string             { return "[REDACTED]" }
func (Identity) GoString() string           { return "[REDACTED]" }
func (Identity) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[REDACTED]")) }

type fwid struct {
	HashAlg asn1.ObjectIdentifier
	Digest  []byte
}

type tcbInfo struct {
	Vendor  string `asn1:"optional,tag:0,utf8"`
	Model   string `asn1:"optional,tag:1,utf8"`
	Version string `asn1:"optional,tag:2,utf8"`
	FWIDs   []fwid `asn1:"optional,tag:6"`
}

// Create makes new identity keys and certificates.
func Create(p Params) (*Identity, error) {
	if p.Serial == "" {
		return nil, errors.New("identity: empty serial")
	}
	if p.Tests == nil {
		p.Tests = selftest.New(selftest.Options{})
	}
	id := &Identity{serial: p.Serial}
	var err error
	for _, k := range []**ecdsa.PrivateKey{&id.root, &id.device, &id.attest} {
		if *k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
			return nil, err
		}
		key := *k
		if err := p.Tests.PCT(selftest.PCTECDSA, func() error { return selftest.ECDSAPair(key) }); err != nil {
			return nil, err
		}
	}
	now := p.Now.UTC().Add(-time.Hour)
	root := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "OpenIHSM reference root CA", SerialNumber: p.Serial, Organization: []string{Vendor}},
		NotBefore:             now,
		NotAfter:              noExpiry,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}
	if id.chain[0], err = issue(root, root, &id.root.PublicKey, id.root); err != nil {
		return nil, err
	}
	rootCert, _ := x509.ParseCertificate(id.chain[0])
	dev := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "OpenIHSM reference device", SerialNumber: p.Serial, Organization: []string{Vendor}},
		NotBefore:             now,
		NotAfter:              noExpiry,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	if id.chain[1], err = issue(dev, rootCert, &id.device.PublicKey, id.root); err != nil {
		return nil, err
	}
	if err := id.issueAttestation(p); err != nil {
		return nil, err
	}
	return id, nil
}

// noExpiry is RFC 5280 §4.1.2.5's "no well-defined expiration date".
var noExpiry = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

func issue(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) ([]byte, error) {
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn.Add(sn, big.NewInt(1))
	tmpl.SignatureAlgorithm = x509.ECDSAWithSHA384
	return x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
}

// issueAttestation (re)issues the attestation key certificate for p's
// firmware measurement and version.
func (id *Identity) issueAttestation(p Params) error {
	ext, err := asn1.Marshal(tcbInfo{Vendor: Vendor, Model: Model, Version: p.FirmwareVersion,
		FWIDs: []fwid{{HashAlg: oidSHA384, Digest: p.FirmwareMeasurement[:]}}})
	if err != nil {
		return err
	}
	devCert, err := x509.ParseCertificate(id.chain[1])
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{
		Subject:         pkix.Name{CommonName: "OpenIHSM attestation key", SerialNumber: id.serial, Organization: []string{Vendor}},
		NotBefore:       p.Now.UTC().Add(-time.Hour),
		NotAfter:        noExpiry,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: OIDTcbInfo, Value: ext}},
	}
	c, err := issue(leaf, devCert, &id.attest.PublicKey, id.device)
	if err != nil {
		return err
	}
	id.chain[2] = c
	id.measurement, id.version = p.FirmwareMeasurement, p.FirmwareVersion
	return nil
}

// Chain returns the DER certificates, root first.
func (id *Identity) Chain() [][]byte {
	return [][]byte{append([]byte(nil), id.chain[0]...), append([]byte(nil), id.chain[1]...), append([]byte(nil), id.chain[2]...)}
}

// Serial returns the device serial.
func (id *Identity) Serial() string { return id.serial }

// FirmwareMeasurement returns the measurement named by the attestation cert.
func (id *Identity) FirmwareMeasurement() [48]byte { return id.measurement }

// FirmwareVersion returns the version named by the attestation cert.
func (id *Identity) FirmwareVersion() string { return id.version }

// stored is the persistent encoding of an identity (inside the vault).
type stored struct {
	Root    []byte   `cbor:"1,keyasint"`
	Device  []byte   `cbor:"2,keyasint"`
	Attest  []byte   `cbor:"3,keyasint"`
	Chain   [][]byte `cbor:"4,keyasint"`
	Serial  string   `cbor:"5,keyasint"`
	Version string   `cbor:"6,keyasint"`
	Measure []byte   `cbor:"7,keyasint"`
}

// Marshal returns the identity's persistent encoding, which includes the
// private keys; it is meant only for the vault, which encrypts it.
func (id *Identity) Marshal() (*secret.Bytes, error) {
	var s stored
	var err error
	for _, p := range []struct {
		dst *[]byte
		k   *ecdsa.PrivateKey
	}{{&s.Root, id.root}, {&s.Device, id.device}, {&s.Attest, id.attest}} {
		if *p.dst, err = x509.MarshalPKCS8PrivateKey(p.k); err != nil {
			return nil, err
		}
	}
	s.Chain, s.Serial, s.Version, s.Measure = id.Chain(), id.serial, id.version, id.measurement[:]
	b, err := cbor.Marshal(s)
	clear(s.Root)
	clear(s.Device)
	clear(s.Attest)
	if err != nil {
		return nil, err
	}
	return secret.Adopt(b), nil
}

// Load decodes an identity written by Marshal, checks that its keys match
// its certificates, and re-issues the attestation certificate when p names a
// different firmware measurement or version. reissued reports whether it did
// (the caller then persists the identity again).
func Load(b *secret.Bytes, p Params) (id *Identity, reissued bool, err error) {
	var s stored
	if err := cbor.Unmarshal(b.Expose(), &s); err != nil {
		return nil, false, fmt.Errorf("identity: decode: %w", err)
	}
	if len(s.Chain) != 3 || len(s.Measure) != 48 {
		return nil, false, errors.New("identity: malformed record")
	}
	id = &Identity{serial: s.Serial, version: s.Version}
	copy(id.measurement[:], s.Measure)
	for i, p := range []struct {
		dst **ecdsa.PrivateKey
		der []byte
	}{{&id.root, s.Root}, {&id.device, s.Device}, {&id.attest, s.Attest}} {
		k, err := x509.ParsePKCS8PrivateKey(p.der)
		clear(p.der)
		if err != nil {
			return nil, false, fmt.Errorf("identity: key %d: %w", i, err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, false, errors.New("identity: not an ECDSA key")
		}
		cert, err := x509.ParseCertificate(s.Chain[i])
		if err != nil {
			return nil, false, fmt.Errorf("identity: certificate %d: %w", i, err)
		}
		if !ek.PublicKey.Equal(cert.PublicKey) {
			return nil, false, fmt.Errorf("identity: key %d does not match its certificate", i)
		}
		*p.dst = ek
		id.chain[i] = s.Chain[i]
	}
	if id.measurement != p.FirmwareMeasurement || id.version != p.FirmwareVersion {
		if err := id.issueAttestation(p); err != nil {
			return nil, false, err
		}
		return id, true, nil
	}
	return id, false, nil
}

// CredentialKeyContext prefixes the GetCredentialKey signature input.
const CredentialKeyContext = "OpenIHSM-v1 credential-key"

// SignCredentialKey signs CredentialKeyContext || publicKey || nonce with
// the attestation key (ECDSA P-384 / SHA-384, ASN.1 DER).
func (id *Identity) SignCredentialKey(publicKey, nonce []byte) ([]byte, error) {
	d := credentialDigest(publicKey, nonce)
	return ecdsa.SignASN1(rand.Reader, id.attest, d[:])
}

func credentialDigest(publicKey, nonce []byte) [48]byte {
	h := sha512.New384()
	h.Write([]byte(CredentialKeyContext))
	h.Write(publicKey)
	h.Write(nonce)
	var d [48]byte
	h.Sum(d[:0])
	return d
}
