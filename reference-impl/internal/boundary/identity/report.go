package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// Report types (payload key 1).
const (
	ReportTypeKey    = 1
	ReportTypeDevice = 2
)

// Key report flags (payload key 5).
const (
	FlagGenerated   = 1
	FlagImported    = 2
	FlagSessionOnly = 4
	FlagPersistent  = 8
)

// ContentType is the COSE content type of every report payload.
const ContentType = "application/cbor"

// MaxReportData is max_report_data of the spec's limits.
const MaxReportData = 64

// ErrReportData reports report_data longer than MaxReportData.
var ErrReportData = errors.New("identity: report_data longer than 64 bytes")

// KeyReport is the payload of a key attestation.
type KeyReport struct {
	Type                uint64 `cbor:"1,keyasint"`
	PublicKey           []byte `cbor:"2,keyasint,omitempty"`
	Kind                uint32 `cbor:"3,keyasint"`
	Usage               uint32 `cbor:"4,keyasint"`
	Flags               uint32 `cbor:"5,keyasint"`
	ReportData          []byte `cbor:"6,keyasint"`
	PartitionID         []byte `cbor:"7,keyasint"`
	FirmwareMeasurement []byte `cbor:"8,keyasint"`
}

// DeviceReport is the payload of a device attestation.
type DeviceReport struct {
	Type                uint64 `cbor:"1,keyasint"`
	FirmwareMeasurement []byte `cbor:"2,keyasint"`
	FirmwareVersion     string `cbor:"3,keyasint"`
	DeviceState         uint32 `cbor:"4,keyasint"`
	ReportData          []byte `cbor:"5,keyasint"`
	Serial              string `cbor:"6,keyasint"`
}

func encMode() (cbor.EncMode, error) { return cbor.CoreDetEncOptions().EncMode() }

func decMode() (cbor.DecMode, error) {
	return cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF, ExtraReturnErrors: cbor.ExtraDecErrorUnknownField}.DecMode()
}

func (id *Identity) sign(payload any) ([]byte, error) {
	em, err := encMode()
	if err != nil {
		return nil, err
	}
	p, err := em.Marshal(payload)
	if err != nil {
		return nil, err
	}
	signer, err := cose.NewSigner(cose.AlgorithmES384, id.attest)
	if err != nil {
		return nil, err
	}
	h := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm:   cose.AlgorithmES384,
		cose.HeaderLabelContentType: ContentType,
	}}
	return cose.Sign1(rand.Reader, signer, h, p, nil)
}

// AttestKey signs a key attestation report. The identity fills in the type
// and the firmware measurement.
func (id *Identity) AttestKey(r KeyReport) ([]byte, error) {
	if len(r.ReportData) > MaxReportData {
		return nil, ErrReportData
	}
	if r.ReportData == nil {
		r.ReportData = []byte{}
	}
	r.Type, r.FirmwareMeasurement = ReportTypeKey, id.measurement[:]
	return id.sign(r)
}

// AttestDevice signs a device attestation report.
func (id *Identity) AttestDevice(state uint32, reportData []byte) ([]byte, error) {
	if len(reportData) > MaxReportData {
		return nil, ErrReportData
	}
	if reportData == nil {
		reportData = []byte{}
	}
	return id.sign(DeviceReport{Type: ReportTypeDevice, FirmwareMeasurement: id.measurement[:],
		FirmwareVersion: id.version, DeviceState: state, ReportData: reportData, Serial: id.serial})
}

// Chain is a parsed, verified certificate chain.
type Chain struct {
	Root, Device, Attestation *x509.Certificate
	FirmwareVersion           string
	FirmwareMeasurement       []byte
}

// VerifyChain checks a root-first chain of three DER certificates: the root
// is self-signed, each certificate is signed by the one before it, and the
// attestation certificate carries a TcbInfo extension. Whether the root is
// trusted is the caller's policy: compare Chain.Root with a pinned root.
func VerifyChain(der [][]byte) (*Chain, error) {
	if len(der) != 3 {
		return nil, errors.New("identity: chain must have 3 certificates")
	}
	var cs [3]*x509.Certificate
	for i, d := range der {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("identity: certificate %d: %w", i, err)
		}
		cs[i] = c
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(cs[0])
	inter.AddCert(cs[1])
	if _, err := cs[2].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: cs[2].NotBefore}); err != nil {
		return nil, fmt.Errorf("identity: chain: %w", err)
	}
	ch := &Chain{Root: cs[0], Device: cs[1], Attestation: cs[2]}
	for _, e := range cs[2].Extensions {
		if !e.Id.Equal(OIDTcbInfo) {
			continue
		}
		var t tcbInfo
		if rest, err := asn1.Unmarshal(e.Value, &t); err != nil || len(rest) != 0 {
			return nil, errors.New("identity: malformed TcbInfo")
		}
		for _, f := range t.FWIDs {
			if f.HashAlg.Equal(oidSHA384) && len(f.Digest) == 48 {
				ch.FirmwareMeasurement = f.Digest
			}
		}
		ch.FirmwareVersion = t.Version
	}
	if ch.FirmwareMeasurement == nil {
		return nil, errors.New("identity: attestation certificate has no SHA-384 firmware measurement")
	}
	return ch, nil
}

func verifySign1(report []byte, ch *Chain, payload any) error {
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(report); err != nil {
		return fmt.Errorf("identity: COSE_Sign1: %w", err)
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmES384 {
		return errors.New("identity: report algorithm is not ES384")
	}
	if ct, ok := msg.Headers.Protected[cose.HeaderLabelContentType]; !ok || ct != ContentType {
		return errors.New("identity: report content type is not application/cbor")
	}
	pub, ok := ch.Attestation.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("identity: attestation key is not ECDSA")
	}
	v, err := cose.NewVerifier(cose.AlgorithmES384, pub)
	if err != nil {
		return err
	}
	if err := msg.Verify(nil, v); err != nil {
		return fmt.Errorf("identity: report signature: %w", err)
	}
	dm, err := decMode()
	if err != nil {
		return err
	}
	if err := dm.Unmarshal(msg.Payload, payload); err != nil {
		return fmt.Errorf("identity: report payload: %w", err)
	}
	em, _ := encMode()
	if again, err := em.Marshal(payload); err != nil || !bytes.Equal(again, msg.Payload) {
		return errors.New("identity: report payload is not deterministic CBOR")
	}
	return nil
}

// VerifyKeyReport verifies a key attestation report against a chain and
// returns its payload. The report's measurement must equal the chain's.
func VerifyKeyReport(report []byte, chain [][]byte) (*KeyReport, error) {
	ch, err := VerifyChain(chain)
	if err != nil {
		return nil, err
	}
	var r KeyReport
	if err := verifySign1(report, ch, &r); err != nil {
		return nil, err
	}
	if r.Type != ReportTypeKey || !bytes.Equal(r.FirmwareMeasurement, ch.FirmwareMeasurement) {
		return nil, errors.New("identity: not a key report for this firmware")
	}
	return &r, nil
}

// VerifyDeviceReport verifies a device attestation report against a chain.
func VerifyDeviceReport(report []byte, chain [][]byte) (*DeviceReport, error) {
	ch, err := VerifyChain(chain)
	if err != nil {
		return nil, err
	}
	var r DeviceReport
	if err := verifySign1(report, ch, &r); err != nil {
		return nil, err
	}
	if r.Type != ReportTypeDevice || !bytes.Equal(r.FirmwareMeasurement, ch.FirmwareMeasurement) || r.FirmwareVersion != ch.FirmwareVersion {
		return nil, errors.New("identity: not a device report for this firmware")
	}
	return &r, nil
}

// VerifyCredentialKey checks a GetCredentialKey signature with the
// attestation certificate (DER).
func VerifyCredentialKey(attestationCert, publicKey, nonce, signature []byte) error {
	c, err := x509.ParseCertificate(attestationCert)
	if err != nil {
		return err
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("identity: attestation key is not ECDSA")
	}
	d := credentialDigest(publicKey, nonce)
	if !ecdsa.VerifyASN1(pub, d[:], signature) {
		return errors.New("identity: credential key signature invalid")
	}
	return nil
}
