package device_test

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/reference-impl/server"
	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

var pin = []byte("correct horse battery")

func newDevice(t testing.TB, cfg device.Config) *device.Device {
	t.Helper()
	if cfg.PINIterations == 0 {
		cfg.PINIterations = 1000
	}
	if cfg.SelfTestInterval == 0 {
		cfg.SelfTestInterval = -1
	}
	d, err := device.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func clientFor(t testing.TB, d *device.Device, i int) *client.Client {
	t.Helper()
	ep, err := d.Partition(i)
	if err != nil {
		t.Fatal(err)
	}
	return client.New(server.NewInProcess(ep))
}

func provisioned(t testing.TB, d *device.Device, i int) (*client.Client, *client.Session) {
	t.Helper()
	ctx := context.Background()
	c := clientFor(t, d, i)
	if _, err := c.EstablishCredential(ctx, pin); err != nil {
		t.Fatal(err)
	}
	s, err := c.OpenSession(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func u16(v uint16) *uint16 { return &v }

// TestEndToEnd runs the life of a partition through the Go client.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t, device.Config{Partitions: 2})
	c, s := provisioned(t, d, 0)

	info, err := c.GetDeviceInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.DeviceState != wire.DeviceStateOperational || info.PartitionState != wire.PartitionStateProvisioned || len(info.PartitionID) != 16 {
		t.Fatalf("device info %+v", info)
	}
	caps, err := c.GetCapabilities(ctx)
	if err != nil || caps.MaxSessions != 8 || caps.Partitions != 2 || len(caps.KeyKinds) != 18 {
		t.Fatalf("capabilities %+v %v", caps, err)
	}

	g, err := s.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign | wire.KeyUsageVerify, Tag: u16(7), Label: "tls"})
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("hello"))
	sig, err := s.Sign(ctx, &wire.SignRequest{KeyHandle: g.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:]})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(g.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig.Signature) {
		t.Fatal("signature does not verify with crypto/ecdsa")
	}
	if err := s.Verify(ctx, &wire.VerifyRequest{KeyHandle: g.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:], Signature: sig.Signature}); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), sig.Signature...)
	bad[len(bad)-1] ^= 1
	if err := s.Verify(ctx, &wire.VerifyRequest{KeyHandle: g.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:], Signature: bad}); !errors.Is(err, rc.SignatureInvalid) {
		t.Fatalf("bad signature: %v", err)
	}
	// crypto.Signer through the client.
	signer, err := s.Signer(g.KeyHandle)
	if err != nil {
		t.Fatal(err)
	}
	sig2, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig2) {
		t.Fatalf("crypto.Signer: %v", err)
	}

	ok, err := s.OpenKey(ctx, &wire.OpenKeyRequest{Tag: 7})
	if err != nil || ok.KeyHandle != g.KeyHandle || ok.Label != "tls" {
		t.Fatalf("open key %+v %v", ok, err)
	}
	// AES-GCM: the device's IV is approved, a caller's is not.
	aes, err := s.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt | wire.KeyUsageDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := s.Encrypt(ctx, &wire.EncryptRequest{KeyHandle: aes.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Plaintext: []byte("secret")})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := s.Decrypt(ctx, &wire.DecryptRequest{KeyHandle: aes.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Ciphertext: enc.Ciphertext, IV: enc.IV})
	if err != nil || string(dec.Plaintext) != "secret" {
		t.Fatalf("decrypt %q %v", dec, err)
	}
	// ECDH → HKDF → HMAC.
	peer, _ := ecdh.P256().GenerateKey(rand.Reader)
	ek, err := s.GenerateKey(ctx, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageDerive})
	if err != nil {
		t.Fatal(err)
	}
	sec, err := s.EcdhDerive(ctx, &wire.EcdhDeriveRequest{KeyHandle: ek.KeyHandle, PeerPublicKey: peer.PublicKey().Bytes(), Usage: wire.KeyUsageDerive})
	if err != nil {
		t.Fatal(err)
	}
	hk, err := s.HkdfDerive(ctx, &wire.HkdfDeriveRequest{KeyHandle: sec.KeyHandle, Hash: wire.HashAlgorithmSha256, TargetKind: wire.KeyKindHmacSha256, Usage: wire.KeyUsageSign})
	if err != nil {
		t.Fatal(err)
	}
	mac, err := s.Hmac(ctx, &wire.HmacRequest{KeyHandle: hk.KeyHandle, Message: []byte("m")})
	if err != nil || len(mac.MAC) != 32 {
		t.Fatalf("hmac %v %v", mac, err)
	}
	// Masked keys come back after a power cycle.
	if err := d.PowerCycle(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListKeys(ctx, &wire.ListKeysRequest{}); !errors.Is(err, rc.SessionNotFound) {
		t.Fatalf("session after power cycle: %v", err)
	}
	s, err = c.OpenSession(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	um, err := s.UnmaskKey(ctx, &wire.UnmaskKeyRequest{MaskedKey: g.MaskedKey})
	if err != nil {
		t.Fatal(err)
	}
	sig, err = s.Sign(ctx, &wire.SignRequest{KeyHandle: um.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:]})
	if err != nil || !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig.Signature) {
		t.Fatalf("sign with unmasked key: %v", err)
	}
	// Key attestation verifies against the chain.
	rep, err := s.AttestKey(ctx, &wire.AttestKeyRequest{KeyHandle: um.KeyHandle, ReportData: []byte("nonce")})
	if err != nil {
		t.Fatal(err)
	}
	chain, err := c.GetCertificateChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.VerifyKeyReport(rep.Report, chain, client.WithReportData([]byte("nonce"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Partition 1 is untouched and isolated.
	c1 := clientFor(t, d, 1)
	info1, err := c1.GetDeviceInfo(ctx)
	if err != nil || info1.PartitionState != wire.PartitionStateUnprovisioned || info1.PartitionIndex != 1 {
		t.Fatalf("partition 1 %+v %v", info1, err)
	}
	if _, err := c1.OpenSession(ctx, pin); !errors.Is(err, rc.PartitionNotProvisioned) {
		t.Fatalf("open session on unprovisioned partition: %v", err)
	}
	_, s1 := provisioned(t, d, 1)
	if _, err := s1.UnmaskKey(ctx, &wire.UnmaskKeyRequest{MaskedKey: g.MaskedKey}); !errors.Is(err, rc.MaskedKeyWrongPartition) {
		t.Fatalf("masked key of partition 0 on partition 1: %v", err)
	}
}
