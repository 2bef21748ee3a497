package identity

import (
	"bytes"
	"crypto/sha512"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func params(version string) Params {
	return Params{Serial: "IHSM-TEST-0001", FirmwareMeasurement: sha512.Sum384([]byte(version)), FirmwareVersion: version, Now: time.Now()}
}

func TestCreateChainAndReports(t *testing.T) {
	id, err := Create(params("1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := VerifyChain(id.Chain())
	if err != nil {
		t.Fatal(err)
	}
	m := sha512.Sum384([]byte("1.0.0"))
	if ch.FirmwareVersion != "1.0.0" || !bytes.Equal(ch.FirmwareMeasurement, m[:]) || ch.Attestation.Subject.SerialNumber != "IHSM-TEST-0001" {
		t.Fatalf("chain content: %+v", ch)
	}
	rep, err := id.AttestKey(KeyReport{PublicKey: []byte{0x30, 0}, Kind: 1, Usage: 3, Flags: FlagGenerated | FlagPersistent, ReportData: []byte("nonce"), PartitionID: make([]byte, 16)})
	if err != nil {
		t.Fatal(err)
	}
	kr, err := VerifyKeyReport(rep, id.Chain())
	if err != nil {
		t.Fatal(err)
	}
	if kr.Kind != 1 || kr.Usage != 3 || string(kr.ReportData) != "nonce" || kr.Flags != 9 {
		t.Fatalf("key report: %+v", kr)
	}
	bad := bytes.Clone(rep)
	bad[len(bad)-5] ^= 1
	if _, err := VerifyKeyReport(bad, id.Chain()); err == nil {
		t.Fatal("tampered report verified")
	}
	if _, err := id.AttestKey(KeyReport{ReportData: make([]byte, 65)}); err != ErrReportData {
		t.Fatal("long report data")
	}
	dr, err := id.AttestDevice(2, []byte("rd"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := VerifyDeviceReport(dr, id.Chain())
	if err != nil || d.DeviceState != 2 || d.Serial != "IHSM-TEST-0001" || d.FirmwareVersion != "1.0.0" {
		t.Fatalf("device report %+v %v", d, err)
	}
	if _, err := VerifyKeyReport(dr, id.Chain()); err == nil {
		t.Fatal("device report accepted as key report")
	}
	// another device's chain does not verify this device's report
	other, _ := Create(params("1.0.0"))
	if _, err := VerifyKeyReport(rep, other.Chain()); err == nil {
		t.Fatal("report verified under a foreign chain")
	}
	mixed := id.Chain()
	mixed[2] = other.Chain()[2]
	if _, err := VerifyChain(mixed); err == nil {
		t.Fatal("mixed chain verified")
	}
	pub, nonce := bytes.Repeat([]byte{4}, 97), make([]byte, 32)
	sig, err := id.SignCredentialKey(pub, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCredentialKey(id.Chain()[2], pub, nonce, sig); err != nil {
		t.Fatal(err)
	}
	if err := VerifyCredentialKey(id.Chain()[2], pub, make([]byte, 31), sig); err == nil {
		t.Fatal("credential signature over other nonce verified")
	}
}

func TestPersistAndReissue(t *testing.T) {
	id, err := Create(params("1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := id.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	same, re, err := Load(b, params("1.0.0"))
	if err != nil || re || !bytes.Equal(same.Chain()[2], id.Chain()[2]) {
		t.Fatalf("reload: %v %v", re, err)
	}
	upd, re, err := Load(b, params("1.1.0"))
	if err != nil || !re {
		t.Fatalf("update: %v %v", re, err)
	}
	ch, err := VerifyChain(upd.Chain())
	if err != nil || ch.FirmwareVersion != "1.1.0" || !bytes.Equal(upd.Chain()[0], id.Chain()[0]) {
		t.Fatalf("reissued chain: %v", err)
	}
	if !same.attest.PublicKey.Equal(ch.Attestation.PublicKey) {
		t.Fatal("attestation key changed on reissue")
	}
}

// TestIdentityIsSecret: the identity, which holds the device's private
// keys, prints as [REDACTED] and is not comparable with ==.
func TestIdentityIsSecret(t *testing.T) {
	id, err := Create(params("1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{id, *id} {
		if out := fmt.Sprintf("%v %+v %#v %x", v, v, v, v); out != "[REDACTED] [REDACTED] [REDACTED] [REDACTED]" {
			t.Errorf("identity formats as %q", out)
		}
	}
	if reflect.TypeFor[Identity]().Comparable() {
		t.Error("Identity is comparable with ==")
	}
}
