package release

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/transport"
)

// ErrDeviceFirmware is the cause of a device check whose attested firmware
// measurement is not the evidence's binary.
var ErrDeviceFirmware = errors.New("the device attests other firmware than the verified binary")

// DeviceResult is what a running device attested (spec: GetDeviceAttestation)
// during verification.
type DeviceResult struct {
	Target          string
	FirmwareVersion string
	Measurement     []byte // SHA-384 of the firmware, from the verified report
	DeviceState     string
	Serial          string
	// RootPinned says the device's certificate chain ended in a root of
	// the trust file's device_roots; otherwise the chain's own root was
	// accepted and only the report's consistency with it is proven.
	RootPinned  bool
	RootSubject string
	// Report and Chain are the raw COSE_Sign1 report and the DER chain
	// (root first), kept so the check can be repeated offline.
	Report []byte
	Chain  [][]byte
}

// VerifyDevice asks the device at target (a spec/transport target:
// unix:///path.sock, tcp://host:port) for a device attestation over a fresh
// nonce, verifies it against the device's certificate chain, and checks that
// the attested firmware measurement is the SHA-384 of the evidence's binary.
// Call it after Verify succeeded; it adds its check to s.
//
// With device_roots in the trust file the chain must end in one of them, and
// a pass proves that a device certified by a pinned root runs this binary.
// Without them the chain's own root is accepted (the reference HSM makes its
// root at first start): a pass then proves only that the endpoint answered
// with a chain and a fresh report that agree on this measurement, not that
// the endpoint is a genuine device.
func VerifyDevice(ctx context.Context, s *Summary, t *Trust, target string) error {
	link := "device " + target
	want, err := hex.DecodeString(s.Subject.Digest["sha384"])
	if err != nil || len(want) != 48 {
		return fail(link, ErrMissing, "the evidence has no verified sha384 of the binary")
	}
	tr, err := transport.Dial(ctx, target)
	if err != nil {
		return fail(link, ErrMissing, "%v", err)
	}
	defer tr.Close()
	c := client.New(tr)
	chain, err := c.GetCertificateChain(ctx)
	if err != nil {
		return fail(link, ErrMissing, "%v", err)
	}
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return fail(link, err, "")
	}
	report, err := c.GetDeviceAttestation(ctx, nonce)
	if err != nil {
		return fail(link, ErrMissing, "%v", err)
	}
	res := &DeviceResult{Target: target, Report: report, Chain: chain}
	var dr *client.DeviceReport
	var ch *client.Chain
	if len(t.deviceRoots) == 0 {
		dr, ch, err = client.VerifyDeviceAttestation(report, chain, client.WithReportData(nonce))
	} else {
		for _, root := range t.deviceRoots {
			if dr, ch, err = client.VerifyDeviceAttestation(report, chain, client.WithRoot(root), client.WithReportData(nonce)); err == nil {
				res.RootPinned = true
				break
			}
		}
	}
	if err != nil {
		return fail(link, ErrSignature, "device attestation: %v", err)
	}
	res.FirmwareVersion, res.Measurement = dr.FirmwareVersion, dr.FirmwareMeasurement
	res.DeviceState, res.Serial, res.RootSubject = dr.DeviceState.String(), dr.Serial, ch.Root.Subject.String()
	s.Device = res
	if !bytes.Equal(dr.FirmwareMeasurement, want) {
		return fail(link, ErrDeviceFirmware, "measurement sha384:%x, the binary %s is sha384:%x", dr.FirmwareMeasurement, s.Subject.Path, want)
	}
	root := "root not pinned (device_roots absent): the chain's own root " + res.RootSubject + " was accepted"
	if res.RootPinned {
		root = "chain ends in the pinned root " + res.RootSubject
	}
	s.Checks = append(s.Checks, Check{Link: link, Chain: ChainDevice, Detail: fmt.Sprintf(
		"fresh device attestation (state %s, firmware %s) measures sha384:%x = %s; %s",
		res.DeviceState, res.FirmwareVersion, dr.FirmwareMeasurement, s.Subject.Path, root)})
	return nil
}

// WriteDeviceEvidence writes what the device returned into dir:
// device-attestation.cose (the report) and device-chain.pem (root first).
func WriteDeviceEvidence(dir string, d *DeviceResult) error {
	if d == nil {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "device-attestation.cose"), d.Report, 0o644); err != nil {
		return err
	}
	var b bytes.Buffer
	for _, c := range d.Chain {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c})
	}
	return os.WriteFile(filepath.Join(dir, "device-chain.pem"), b.Bytes(), 0o644)
}

// parseCertificates reads one or more PEM certificates.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %q is not a CERTIFICATE", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(bytes.TrimSpace(data)) != 0 || len(out) == 0 {
		return nil, errors.New("not PEM certificates")
	}
	return out, nil
}
