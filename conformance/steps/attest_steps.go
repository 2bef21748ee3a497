package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
)

// registerAttestation installs the steps of the attestation feature:
// the device certificate chain, the TCG DICE TcbInfo of the attestation
// key certificate, and the COSE_Sign1 reports of AttestKey and
// GetDeviceAttestation with their payload fields by the names of the
// commands' descriptions.
//
//	Then the response holds the certificate chain root first, each certificate signed by the one before
//	Then the attestation key certificate carries the firmware version <value> and a SHA-384 measurement
//	When I save the firmware measurement of the attestation key certificate as @<v>
//	Then the attestation report verifies against the certificate chain
//	    a tagged COSE_Sign1, ES384, content type application/cbor, signed by the attestation key of
//	    GetCertificateChain, whose payload is one deterministic CBOR map of exactly the command's keys
//	    and carries the measurement of the attestation key certificate (spec/client verifies)
//	Then the report field <f> is <value>
func registerAttestation(st func(string, any)) {
	st(`^the response holds the certificate chain root first, each certificate signed by the one before$`,
		with(func(ctx context.Context, s *Scenario) error { return s.chainInResponse() }))
	st(`^the attestation key certificate carries the firmware version (\S+) and a SHA-384 measurement$`,
		with1(func(ctx context.Context, s *Scenario, v string) error { return s.firmwareInCertificate(ctx, v) }))
	st(`^I save the firmware measurement of the attestation key certificate as @(\w+)$`,
		with1(func(ctx context.Context, s *Scenario, name string) error {
			ch, err := s.verifiedChain(ctx)
			if err != nil {
				return err
			}
			s.saved[name] = ch.FirmwareMeasurement
			return nil
		}))
	st(`^the attestation report verifies against the certificate chain$`, with(func(ctx context.Context, s *Scenario) error { return s.verifyReport(ctx) }))
	st(`^the report field (\w+) is (.+)$`, with2(func(ctx context.Context, s *Scenario, f, v string) error { return s.reportFieldIs(f, v) }))
}

// chainDER returns the certificates of a successful GetCertificateChain
// exchange.
func (s *Scenario) chainDER(x *exchange) ([][]byte, error) {
	if x == nil || x.cmd == nil || x.cmd.Name != "GetCertificateChain" || x.status != rc.Success {
		return nil, errors.New("the last request was not a successful GetCertificateChain")
	}
	v, err := s.responseValue(x, "certificates")
	if err != nil {
		return nil, err
	}
	list, _ := v.([]any)
	out := make([][]byte, 0, len(list))
	for _, c := range list {
		b, _ := c.([]byte)
		out = append(out, b)
	}
	return out, nil
}

// verifiedChain fetches the certificate chain and verifies it with
// spec/client (root, device identity, attestation key).
func (s *Scenario) verifiedChain(ctx context.Context) (*client.Chain, error) {
	var der [][]byte
	err := s.aside(func() error {
		if err := s.must(ctx, "GetCertificateChain", nil, sendMode{}, rc.Success); err != nil {
			return err
		}
		var err error
		der, err = s.chainDER(s.last)
		return err
	})
	if err != nil {
		return nil, err
	}
	ch, err := client.VerifyChain(der, nil)
	if err != nil {
		return nil, err
	}
	s.saved[chainKey] = der
	return ch, nil
}

const chainKey = "\x00chain"

// chainInResponse checks the last GetCertificateChain response (spec:
// IHSM-ATT-001): root CA, device identity and attestation key, root
// first; the root signs itself and each other certificate is signed by
// the one before it; the root and the identity are CAs; the attestation
// key is ECDSA P-384.
func (s *Scenario) chainInResponse() error {
	der, err := s.chainDER(s.last)
	if err != nil {
		return err
	}
	if len(der) != 3 {
		return fmt.Errorf("%d certificates, want root CA, device identity and attestation key", len(der))
	}
	certs := make([]*x509.Certificate, len(der))
	for i, d := range der {
		if certs[i], err = x509.ParseCertificate(d); err != nil {
			return fmt.Errorf("certificate %d: %w", i, err)
		}
	}
	for i, c := range certs {
		parent := c
		if i > 0 {
			parent = certs[i-1]
		}
		if err := c.CheckSignatureFrom(parent); err != nil {
			return fmt.Errorf("certificate %d (%s) is not signed by %s: %w", i, c.Subject, parent.Subject, err)
		}
		if i < 2 && (!c.BasicConstraintsValid || !c.IsCA) {
			return fmt.Errorf("certificate %d (%s) is not a CA certificate", i, c.Subject)
		}
	}
	if pub, ok := certs[2].PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P384() {
		return errors.New("the attestation key certificate does not hold an ECDSA P-384 key")
	}
	if _, err := client.VerifyChain(der, nil); err != nil {
		return err
	}
	return nil
}

// firmwareInCertificate checks the TcbInfo extension of the attestation
// key certificate (spec: IHSM-ATT-002).
func (s *Scenario) firmwareInCertificate(ctx context.Context, v string) error {
	want, err := s.parseValue(&model.Field{Name: "firmware_version", Type: model.TypeText}, v)
	if err != nil {
		return err
	}
	ch, err := s.verifiedChain(ctx)
	if err != nil {
		return err
	}
	if ch.FirmwareVersion != want {
		return fmt.Errorf("the attestation key certificate names firmware version %q, want %q", ch.FirmwareVersion, want)
	}
	if len(ch.FirmwareMeasurement) != 48 {
		return fmt.Errorf("the firmware measurement is %d bytes, not a SHA-384 digest", len(ch.FirmwareMeasurement))
	}
	return nil
}

// reportKeys are the payload keys of the reports, from the commands'
// descriptions (spec: CMD-ATTEST-KEY, CMD-DEVICE-ATTESTATION), with the
// spec type of each field; public_key is absent for symmetric keys.
var reportKeys = map[string][]model.Field{
	"AttestKey": {
		{Key: 1, Name: "type", Type: model.TypeU64},
		{Key: 2, Name: "public_key", Type: model.TypeBytes, Optional: true},
		{Key: 3, Name: "kind", Type: model.TypeEnum, Enum: "KeyKind"},
		{Key: 4, Name: "usage", Type: model.TypeFlags, Flags: "KeyUsage"},
		{Key: 5, Name: "flags", Type: model.TypeFlags, Flags: "KeyFlags"},
		{Key: 6, Name: "report_data", Type: model.TypeBytes},
		{Key: 7, Name: "partition_id", Type: model.TypeBytes},
		{Key: 8, Name: "firmware_measurement", Type: model.TypeBytes},
	},
	"GetDeviceAttestation": {
		{Key: 1, Name: "type", Type: model.TypeU64},
		{Key: 2, Name: "firmware_measurement", Type: model.TypeBytes},
		{Key: 3, Name: "firmware_version", Type: model.TypeText},
		{Key: 4, Name: "device_state", Type: model.TypeEnum, Enum: "DeviceState"},
		{Key: 5, Name: "report_data", Type: model.TypeBytes},
		{Key: 6, Name: "serial", Type: model.TypeText},
	},
}

// reportKey keeps the payload of the last verified report, by field name.
const reportKey = "\x00report"

// verifyReport verifies the report of the last AttestKey or
// GetDeviceAttestation response against the device's certificate chain
// with spec/client and keeps its payload for "the report field" steps.
func (s *Scenario) verifyReport(ctx context.Context) error {
	x := s.last
	if x == nil || x.status != rc.Success || x.cmd == nil || reportKeys[x.cmd.Name] == nil {
		return errors.New("the last request was not a successful AttestKey or GetDeviceAttestation")
	}
	rep, err := s.fieldBytes(x, "report")
	if err != nil {
		return err
	}
	if _, err := s.verifiedChain(ctx); err != nil {
		return err
	}
	der := s.saved[chainKey].([][]byte)
	fields := map[string]any{}
	if x.cmd.Name == "AttestKey" {
		r, _, err := client.VerifyKeyReport(rep, der)
		if err != nil {
			return err
		}
		fields["type"], fields["kind"], fields["usage"], fields["flags"] = r.Type, uint64(r.Kind), uint64(r.Usage), uint64(r.Flags)
		fields["report_data"], fields["partition_id"], fields["firmware_measurement"] = r.ReportData, r.PartitionID, r.FirmwareMeasurement
		if r.PublicKey != nil {
			fields["public_key"] = r.PublicKey
		}
	} else {
		r, _, err := client.VerifyDeviceAttestation(rep, der)
		if err != nil {
			return err
		}
		fields["type"], fields["firmware_measurement"], fields["firmware_version"] = r.Type, r.FirmwareMeasurement, r.FirmwareVersion
		fields["device_state"], fields["report_data"], fields["serial"] = uint64(r.DeviceState), r.ReportData, r.Serial
	}
	// The payload holds exactly the keys of the description: spec/client
	// refuses unknown keys; a missing one is caught here.
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(rep); err != nil {
		return err
	}
	var keys map[uint64]cbor.RawMessage
	if err := cbor.Unmarshal(msg.Payload, &keys); err != nil {
		return fmt.Errorf("report payload: %w", err)
	}
	for _, f := range reportKeys[x.cmd.Name] {
		if _, ok := keys[uint64(f.Key)]; !ok && !f.Optional {
			return fmt.Errorf("the report payload has no key %d (%s)", f.Key, f.Name)
		}
	}
	s.saved[reportKey] = &verifiedReport{command: x.cmd.Name, fields: fields}
	return nil
}

type verifiedReport struct {
	command string
	fields  map[string]any
}

func (s *Scenario) reportFieldIs(name, v string) error {
	r, ok := s.saved[reportKey].(*verifiedReport)
	if !ok {
		return errors.New("no attestation report was verified")
	}
	i := slices.IndexFunc(reportKeys[r.command], func(f model.Field) bool { return f.Name == name })
	if i < 0 {
		return fmt.Errorf("a %s report has no field %q", r.command, name)
	}
	f := reportKeys[r.command][i]
	want, err := s.parseValue(&f, v)
	if err != nil {
		return err
	}
	got, ok := r.fields[name]
	if !ok {
		got = absent
	}
	if !equalValues(got, want) {
		return fmt.Errorf("the %s report's %s is %s, want %s", r.command, name, showValue(got), showValue(want))
	}
	return nil
}
