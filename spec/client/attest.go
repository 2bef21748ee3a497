package client

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/wire"
	"github.com/veraison/go-cose"
)

// ErrReportInvalid is returned when an attestation report does not verify:
// bad COSE_Sign1, wrong algorithm, bad signature, a payload that is not
// deterministic CBOR of the right type, or a firmware measurement that does
// not match the attestation key certificate.
var ErrReportInvalid = errors.New("client: attestation report invalid")

// Report types (payload key 1), so a key report can never be replayed as a
// device report or the reverse.
const (
	ReportTypeKey    = 1
	ReportTypeDevice = 2
)

// reportContentType is the protected content type of every report.
const reportContentType = "application/cbor"

// KeyReport is the payload of a key attestation report (spec:
// CMD-ATTEST-KEY): a tagged COSE_Sign1 (RFC 9052 §4.2), ES384 by the
// attestation key, whose payload is this deterministic CBOR map.
type KeyReport struct {
	Type                uint64        `cbor:"1,keyasint"`
	PublicKey           []byte        `cbor:"2,keyasint,omitempty"` // DER SPKI; absent for symmetric keys
	Kind                wire.KeyKind  `cbor:"3,keyasint"`
	Usage               wire.KeyUsage `cbor:"4,keyasint"`
	Flags               wire.KeyFlags `cbor:"5,keyasint"` // exactly one of Generated/Imported and one of SessionScoped/Persistent
	ReportData          []byte        `cbor:"6,keyasint"`
	PartitionID         []byte        `cbor:"7,keyasint"`
	FirmwareMeasurement []byte        `cbor:"8,keyasint"` // SHA-384
}

// DeviceReport is the payload of a device attestation (spec:
// CMD-DEVICE-ATTESTATION).
type DeviceReport struct {
	Type                uint64           `cbor:"1,keyasint"`
	FirmwareMeasurement []byte           `cbor:"2,keyasint"`
	FirmwareVersion     string           `cbor:"3,keyasint"`
	DeviceState         wire.DeviceState `cbor:"4,keyasint"`
	ReportData          []byte           `cbor:"5,keyasint"`
	Serial              string           `cbor:"6,keyasint"`
}

// VerifyOption adjusts report verification.
type VerifyOption func(*verifyConfig)

type verifyConfig struct {
	root       *x509.Certificate
	reportData []byte
	wantData   bool
}

// WithRoot pins the root certificate the chain must end in. Without it the
// chain's own root is accepted and the caller must decide whether to trust
// Chain.Root (the reference HSM makes its own root; see the package
// documentation on trust).
func WithRoot(root *x509.Certificate) VerifyOption {
	return func(c *verifyConfig) { c.root = root }
}

// WithReportData requires the report to carry exactly this report_data
// (the verifier's freshness nonce).
func WithReportData(d []byte) VerifyOption {
	return func(c *verifyConfig) { c.reportData, c.wantData = d, true }
}

// VerifyKeyReport verifies a key attestation report against a device
// certificate chain (DER, root first) and returns its payload and the
// verified chain.
func VerifyKeyReport(report []byte, chain [][]byte, opts ...VerifyOption) (*KeyReport, *Chain, error) {
	var r KeyReport
	ch, err := verifyReport(report, chain, opts, &r)
	if err != nil {
		return nil, nil, err
	}
	if r.Type != ReportTypeKey {
		return nil, nil, fmt.Errorf("%w: report type %d is not a key report", ErrReportInvalid, r.Type)
	}
	if err := checkReport(ch, r.FirmwareMeasurement, r.ReportData, opts); err != nil {
		return nil, nil, err
	}
	return &r, ch, nil
}

// VerifyDeviceAttestation verifies a device attestation report against a
// device certificate chain (DER, root first): its measurement and firmware
// version must be those the attestation key certificate names.
func VerifyDeviceAttestation(report []byte, chain [][]byte, opts ...VerifyOption) (*DeviceReport, *Chain, error) {
	var r DeviceReport
	ch, err := verifyReport(report, chain, opts, &r)
	if err != nil {
		return nil, nil, err
	}
	if r.Type != ReportTypeDevice {
		return nil, nil, fmt.Errorf("%w: report type %d is not a device report", ErrReportInvalid, r.Type)
	}
	if r.FirmwareVersion != ch.FirmwareVersion {
		return nil, nil, fmt.Errorf("%w: firmware version %q, certificate names %q", ErrReportInvalid, r.FirmwareVersion, ch.FirmwareVersion)
	}
	if err := checkReport(ch, r.FirmwareMeasurement, r.ReportData, opts); err != nil {
		return nil, nil, err
	}
	return &r, ch, nil
}

func checkReport(ch *Chain, measurement, reportData []byte, opts []VerifyOption) error {
	if !bytes.Equal(measurement, ch.FirmwareMeasurement) {
		return fmt.Errorf("%w: firmware measurement differs from the attestation key certificate", ErrReportInvalid)
	}
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.wantData && !bytes.Equal(reportData, cfg.reportData) {
		return fmt.Errorf("%w: report_data does not match", ErrReportInvalid)
	}
	return nil
}

func verifyReport(report []byte, chain [][]byte, opts []VerifyOption, payload any) (*Chain, error) {
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	ch, err := VerifyChain(chain, cfg.root)
	if err != nil {
		return nil, err
	}
	var msg cose.Sign1Message // tagged (RFC 9052 §4.2, tag 18)
	if err := msg.UnmarshalCBOR(report); err != nil {
		return nil, fmt.Errorf("%w: COSE_Sign1: %v", ErrReportInvalid, err)
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmES384 {
		return nil, fmt.Errorf("%w: algorithm is not ES384", ErrReportInvalid)
	}
	if ct, ok := msg.Headers.Protected[cose.HeaderLabelContentType]; !ok || ct != reportContentType {
		return nil, fmt.Errorf("%w: content type is not %s", ErrReportInvalid, reportContentType)
	}
	pub, err := ch.AttestationPublicKey()
	if err != nil {
		return nil, err
	}
	v, err := cose.NewVerifier(cose.AlgorithmES384, pub)
	if err != nil {
		return nil, err
	}
	if err := msg.Verify(nil, v); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrReportInvalid, err)
	}
	dm, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		return nil, err
	}
	if err := dm.Unmarshal(msg.Payload, payload); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrReportInvalid, err)
	}
	// RFC 8949 §4.2.1: the payload is signed as deterministic CBOR, so it
	// must re-encode to the same bytes.
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	if again, err := em.Marshal(payload); err != nil || !bytes.Equal(again, msg.Payload) {
		return nil, fmt.Errorf("%w: payload is not deterministic CBOR", ErrReportInvalid)
	}
	return ch, nil
}

// oidTcbInfo is tcg-dice-TcbInfo (TCG DICE Attestation Architecture
// §6.1.1), the extension of the attestation key certificate that names the
// firmware version and its SHA-384 measurement.
var (
	oidTcbInfo = asn1.ObjectIdentifier{2, 23, 133, 5, 4, 1}
	oidSHA384  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
)

type tcbInfo struct {
	Vendor  string `asn1:"optional,tag:0,utf8"`
	Model   string `asn1:"optional,tag:1,utf8"`
	Version string `asn1:"optional,tag:2,utf8"`
	SVN     int    `asn1:"optional,tag:3"`
	Layer   int    `asn1:"optional,tag:4"`
	Index   int    `asn1:"optional,tag:5"`
	FWIDs   []fwid `asn1:"optional,tag:6"`
}

type fwid struct {
	HashAlg asn1.ObjectIdentifier
	Digest  []byte
}

// firmwareFromCert reads the TcbInfo extension of the attestation key
// certificate.
func firmwareFromCert(c *x509.Certificate) (version string, measurement []byte, err error) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidTcbInfo) {
			continue
		}
		var t tcbInfo
		if rest, err := asn1.Unmarshal(e.Value, &t); err != nil || len(rest) != 0 {
			return "", nil, fmt.Errorf("%w: malformed TcbInfo extension", ErrUntrustedChain)
		}
		for _, f := range t.FWIDs {
			if f.HashAlg.Equal(oidSHA384) && len(f.Digest) == 48 {
				return t.Version, f.Digest, nil
			}
		}
	}
	return "", nil, fmt.Errorf("%w: attestation key certificate names no SHA-384 firmware measurement", ErrUntrustedChain)
}
