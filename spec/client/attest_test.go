package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/wire"
	"github.com/veraison/go-cose"
)

// testIdentity is a device identity made the way the spec describes it:
// root CA, device identity CA, attestation key leaf with a TcbInfo
// extension naming the firmware.
type testIdentity struct {
	chain  [][]byte
	attest *ecdsa.PrivateKey
	meas   []byte
}

func newTestIdentity(t testing.TB, version string, withTcb bool) *testIdentity {
	t.Helper()
	keys := make([]*ecdsa.PrivateKey, 3)
	for i := range keys {
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	meas := make([]byte, 48)
	rand.Read(meas)
	tcb, err := asn1.Marshal(tcbInfo{Vendor: "OpenIHSM", Model: "test", Version: version,
		FWIDs: []fwid{{HashAlg: oidSHA384, Digest: meas}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := func(n int64, cn string, ca bool) *x509.Certificate {
		c := &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), BasicConstraintsValid: true, IsCA: ca}
		if ca {
			c.KeyUsage = x509.KeyUsageCertSign
		} else {
			c.KeyUsage = x509.KeyUsageDigitalSignature
		}
		return c
	}
	rootT := tmpl(1, "root", true)
	devT := tmpl(2, "device", true)
	devT.MaxPathLenZero = true
	attT := tmpl(3, "attestation", false)
	if withTcb {
		attT.ExtraExtensions = []pkix.Extension{{Id: oidTcbInfo, Value: tcb}}
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootT, rootT, &keys[0].PublicKey, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	rootC, _ := x509.ParseCertificate(rootDER)
	devDER, err := x509.CreateCertificate(rand.Reader, devT, rootC, &keys[1].PublicKey, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	devC, _ := x509.ParseCertificate(devDER)
	attDER, err := x509.CreateCertificate(rand.Reader, attT, devC, &keys[2].PublicKey, keys[1])
	if err != nil {
		t.Fatal(err)
	}
	return &testIdentity{chain: [][]byte{rootDER, devDER, attDER}, attest: keys[2], meas: meas}
}

func (id *testIdentity) sign(t *testing.T, payload []byte, alg cose.Algorithm, ct any) []byte {
	t.Helper()
	signer, err := cose.NewSigner(cose.AlgorithmES384, id.attest)
	if err != nil {
		t.Fatal(err)
	}
	h := cose.Headers{Protected: cose.ProtectedHeader{cose.HeaderLabelAlgorithm: alg, cose.HeaderLabelContentType: ct}}
	msg, err := cose.Sign1(rand.Reader, signer, h, payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func detCBOR(t *testing.T, v any) []byte {
	t.Helper()
	em, _ := cbor.CoreDetEncOptions().EncMode()
	b, err := em.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyReports(t *testing.T) {
	id := newTestIdentity(t, "1.2.3", true)
	other := newTestIdentity(t, "1.2.3", true)
	root, _ := x509.ParseCertificate(id.chain[0])
	otherRoot, _ := x509.ParseCertificate(other.chain[0])
	key := KeyReport{Type: ReportTypeKey, PublicKey: []byte{1, 2}, Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign,
		Flags: wire.KeyFlagsGenerated | wire.KeyFlagsPersistent, ReportData: []byte("nonce"), PartitionID: make([]byte, 16), FirmwareMeasurement: id.meas}
	dev := DeviceReport{Type: ReportTypeDevice, FirmwareMeasurement: id.meas, FirmwareVersion: "1.2.3",
		DeviceState: wire.DeviceStateOperational, ReportData: []byte{}, Serial: "X"}
	good := id.sign(t, detCBOR(t, key), cose.AlgorithmES384, reportContentType)
	devGood := id.sign(t, detCBOR(t, dev), cose.AlgorithmES384, reportContentType)

	if r, ch, err := VerifyKeyReport(good, id.chain, WithRoot(root), WithReportData([]byte("nonce"))); err != nil || r.Kind != wire.KeyKindEccP256 || ch.FirmwareVersion != "1.2.3" {
		t.Fatalf("valid key report: %+v, %v", r, err)
	}
	if r, _, err := VerifyDeviceAttestation(devGood, id.chain, WithRoot(root)); err != nil || r.Serial != "X" {
		t.Fatalf("valid device report: %+v, %v", r, err)
	}

	wrongMeas := key
	wrongMeas.FirmwareMeasurement = make([]byte, 48)
	wrongVersion := dev
	wrongVersion.FirmwareVersion = "9.9.9"
	nonDet, _ := cbor.Marshal(map[string]any{"1": 1}) // text keys: not this payload
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name   string
		report []byte
		chain  [][]byte
		device bool
		opts   []VerifyOption
		want   error
	}{
		{"tampered signature", tampered, id.chain, false, nil, ErrReportInvalid},
		{"other device's chain", good, other.chain, false, nil, ErrReportInvalid},
		{"other root pinned", good, id.chain, false, []VerifyOption{WithRoot(otherRoot)}, ErrUntrustedChain},
		{"wrong report_data", good, id.chain, false, []VerifyOption{WithReportData([]byte("x"))}, ErrReportInvalid},
		{"device report as key report", devGood, id.chain, false, nil, ErrReportInvalid},
		{"key report as device report", good, id.chain, true, nil, ErrReportInvalid},
		{"measurement differs from certificate", id.sign(t, detCBOR(t, wrongMeas), cose.AlgorithmES384, reportContentType), id.chain, false, nil, ErrReportInvalid},
		{"version differs from certificate", id.sign(t, detCBOR(t, wrongVersion), cose.AlgorithmES384, reportContentType), id.chain, true, nil, ErrReportInvalid},
		{"wrong content type", id.sign(t, detCBOR(t, key), cose.AlgorithmES384, "application/json"), id.chain, false, nil, ErrReportInvalid},
		{"unknown payload keys", id.sign(t, nonDet, cose.AlgorithmES384, reportContentType), id.chain, false, nil, ErrReportInvalid},
		{"truncated chain", good, id.chain[:2], false, nil, ErrUntrustedChain},
		{"chain out of order", good, [][]byte{id.chain[1], id.chain[0], id.chain[2]}, false, nil, ErrUntrustedChain},
		{"not COSE", []byte{0xa0}, id.chain, false, nil, ErrReportInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.device {
				_, _, err = VerifyDeviceAttestation(tc.report, tc.chain, tc.opts...)
			} else {
				_, _, err = VerifyKeyReport(tc.report, tc.chain, tc.opts...)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyChainNeedsMeasurement(t *testing.T) {
	id := newTestIdentity(t, "1", true)
	if _, err := VerifyChain(id.chain, nil); err != nil {
		t.Fatalf("valid chain: %v", err)
	}
	bad := [][]byte{id.chain[0], id.chain[1], id.chain[1]}
	if _, err := VerifyChain(bad, nil); !errors.Is(err, ErrUntrustedChain) {
		t.Fatalf("identity certificate as attestation key: %v", err)
	}
	noTcb := newTestIdentity(t, "1", false)
	if _, err := VerifyChain(noTcb.chain, nil); !errors.Is(err, ErrUntrustedChain) {
		t.Fatalf("attestation certificate without TcbInfo: %v", err)
	}
}

func FuzzVerifyKeyReport(f *testing.F) {
	id := newTestIdentity(f, "1", true)
	em, _ := cbor.CoreDetEncOptions().EncMode()
	payload, _ := em.Marshal(KeyReport{Type: ReportTypeKey, ReportData: []byte{}, PartitionID: make([]byte, 16), FirmwareMeasurement: id.meas})
	signer, _ := cose.NewSigner(cose.AlgorithmES384, id.attest)
	good, _ := cose.Sign1(rand.Reader, signer, cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm: cose.AlgorithmES384, cose.HeaderLabelContentType: reportContentType}}, payload, nil)
	f.Add(good)
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, report []byte) {
		r, _, err := VerifyKeyReport(report, id.chain)
		if (err == nil) != (r != nil) {
			t.Fatalf("report %v with error %v", r, err)
		}
	})
}
