package clienttest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

var bg = context.Background()

func TestDeviceCommands(t *testing.T) {
	h := startHSM(t)
	c := dial(t, h.target)
	rev, err := c.GetApiRevision(bg)
	if err != nil {
		t.Fatal(err)
	}
	if rev.MinRevision > wire.Revision || rev.MaxRevision < wire.Revision {
		t.Errorf("revisions 0x%04x..0x%04x do not include 0x%04x", rev.MinRevision, rev.MaxRevision, wire.Revision)
	}
	info, err := c.GetDeviceInfo(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.PartitionState != wire.PartitionStateUnprovisioned || info.DeviceState != wire.DeviceStateOperational {
		t.Errorf("fresh device: device state %v, partition state %v", info.DeviceState, info.PartitionState)
	}
	if _, err := c.GetCapabilities(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSelfTestStatus(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RunSelfTest(bg); err != nil {
		t.Fatal(err)
	}
	ch, err := c.Chain(bg)
	if err != nil {
		t.Fatal(err)
	}
	if ch.FirmwareVersion != "test" {
		t.Errorf("firmware version %q", ch.FirmwareVersion)
	}
	nonce := []byte("device attestation nonce")
	report, err := c.GetDeviceAttestation(bg, nonce)
	if err != nil {
		t.Fatal(err)
	}
	der, err := c.GetCertificateChain(bg)
	if err != nil {
		t.Fatal(err)
	}
	dr, _, err := client.VerifyDeviceAttestation(report, der, client.WithRoot(ch.Root), client.WithReportData(nonce))
	if err != nil {
		t.Fatal(err)
	}
	want := sha512.Sum384([]byte("clienttest firmware"))
	if !bytes.Equal(dr.FirmwareMeasurement, want[:]) || dr.FirmwareVersion != "test" {
		t.Errorf("device report %+v", dr)
	}
	if _, _, err := client.VerifyDeviceAttestation(report, der, client.WithReportData([]byte("other"))); !errors.Is(err, client.ErrReportInvalid) {
		t.Errorf("report with other report_data: %v", err)
	}
	if _, _, err := client.VerifyKeyReport(report, der); !errors.Is(err, client.ErrReportInvalid) {
		t.Errorf("device report accepted as key report: %v", err)
	}
	// No session exists, so an in-session command cannot be sent, and a
	// session needs a provisioned partition.
	if _, err := c.OpenSession(bg, testPIN); !errors.Is(err, rc.PartitionNotProvisioned) {
		t.Errorf("OpenSession before provisioning: %v", err)
	}
}

func TestProvisionAndPIN(t *testing.T) {
	h, c := provisioned(t)
	if _, err := c.EstablishCredential(bg, testPIN); !errors.Is(err, rc.PartitionAlreadyProvisioned) {
		t.Errorf("second EstablishCredential: %v", err)
	}
	if _, err := c.OpenSession(bg, []byte("wrong pin 123")); !errors.Is(err, rc.PinIncorrect) {
		t.Errorf("wrong PIN: %v", err)
	}
	if _, err := c.OpenSession(bg, []byte("short")); !errors.Is(err, rc.PinPolicyViolation) {
		t.Errorf("short PIN: %v", err)
	}
	s := session(t, c)
	newPIN := []byte("a brand new pin")
	if err := s.ChangePin(bg, testPIN, newPIN); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenSession(bg, testPIN); !errors.Is(err, rc.PinIncorrect) {
		t.Errorf("old PIN after ChangePin: %v", err)
	}
	s2, err := c.OpenSession(bg, newPIN)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.ListKeys(bg, &wire.ListKeysRequest{}); !errors.Is(err, client.ErrSessionClosed) {
		t.Errorf("closed session: %v", err)
	}
	// Partition 1 is its own endpoint, unprovisioned and isolated.
	c1 := dial(t, h.targetOf(1))
	info, err := c1.GetDeviceInfo(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.PartitionState != wire.PartitionStateUnprovisioned {
		t.Errorf("partition 1 state %v", info.PartitionState)
	}
}

func TestPinnedRoot(t *testing.T) {
	h, _ := provisioned(t)
	other := startHSM(t)
	otherRoot, err := dial(t, other.target).Chain(bg)
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, h.target, client.WithRootCertificate(otherRoot.Root))
	if _, err := c.OpenSession(bg, testPIN); !errors.Is(err, client.ErrUntrustedChain) {
		t.Fatalf("OpenSession with another device's root pinned: %v", err)
	}
	good, err := dial(t, h.target).Chain(bg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := dial(t, h.target, client.WithRootCertificate(good.Root)).OpenSession(bg, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	s.Close(bg)
}

func generate(t *testing.T, s *client.Session, kind wire.KeyKind, usage wire.KeyUsage) *wire.GenerateKeyResponse {
	t.Helper()
	r, err := s.GenerateKey(bg, &wire.GenerateKeyRequest{Kind: kind, Usage: usage})
	if err != nil {
		t.Fatalf("GenerateKey %v: %v", kind, err)
	}
	return r
}

func TestSignVerify(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	sv := wire.KeyUsageSign | wire.KeyUsageVerify
	msg := []byte("the message the device signs")
	d256 := sha256.Sum256(msg)
	d384 := sha512.Sum384(msg)
	for _, tc := range []struct {
		kind wire.KeyKind
		alg  wire.Algorithm
		data []byte
	}{
		{wire.KeyKindEccP256, wire.AlgorithmEcdsaSha256, d256[:]},
		{wire.KeyKindEccP384, wire.AlgorithmEcdsaSha384, d384[:]},
		{wire.KeyKindRsa2048, wire.AlgorithmRsaPssSha256, d256[:]},
		{wire.KeyKindRsa2048, wire.AlgorithmRsaPkcs1Sha256, d256[:]},
		{wire.KeyKindEd25519, wire.AlgorithmEd25519, msg},
		{wire.KeyKindMlDsa65, wire.AlgorithmMlDsa65, msg},
	} {
		t.Run(tc.alg.String(), func(t *testing.T) {
			k := generate(t, s, tc.kind, sv)
			sig, err := s.Sign(bg, &wire.SignRequest{KeyHandle: k.KeyHandle, Algorithm: tc.alg, Data: tc.data})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(bg, &wire.VerifyRequest{KeyHandle: k.KeyHandle, Algorithm: tc.alg, Data: tc.data, Signature: sig.Signature}); err != nil {
				t.Fatalf("device rejects its own signature: %v", err)
			}
			bad := bytes.Clone(sig.Signature)
			bad[len(bad)/2] ^= 1
			if err := s.Verify(bg, &wire.VerifyRequest{KeyHandle: k.KeyHandle, Algorithm: tc.alg, Data: tc.data, Signature: bad}); !errors.Is(err, rc.SignatureInvalid) {
				t.Fatalf("altered signature: %v, want SignatureInvalid", err)
			}
			if tc.kind == wire.KeyKindMlDsa65 {
				return
			}
			// The signature must also verify with the standard library
			// against the exported public key.
			pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if err := stdVerify(pub, tc.alg, tc.data, sig.Signature); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func stdVerify(pub crypto.PublicKey, alg wire.Algorithm, data, sig []byte) error {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(p, data, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case *rsa.PublicKey:
		if alg == wire.AlgorithmRsaPssSha256 {
			return rsa.VerifyPSS(p, crypto.SHA256, data, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		return rsa.VerifyPKCS1v15(p, crypto.SHA256, data, sig)
	case ed25519.PublicKey:
		if !ed25519.Verify(p, data, sig) {
			return errors.New("Ed25519 signature does not verify")
		}
		return nil
	}
	return errors.New("unknown key type")
}

func TestEncryptDecrypt(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	ed := wire.KeyUsageEncrypt | wire.KeyUsageDecrypt
	aesKey := generate(t, s, wire.KeyKindAes256, ed)
	pt := bytes.Repeat([]byte("plaintext "), 100)
	aad := []byte("header")
	for _, alg := range []wire.Algorithm{wire.AlgorithmAesGcm, wire.AlgorithmAesCbc} {
		var a []byte
		if alg == wire.AlgorithmAesGcm {
			a = aad
		}
		ct, err := s.Encrypt(bg, &wire.EncryptRequest{KeyHandle: aesKey.KeyHandle, Algorithm: alg, Plaintext: pt, AAD: a})
		if err != nil {
			t.Fatalf("%v: %v", alg, err)
		}
		back, err := s.Decrypt(bg, &wire.DecryptRequest{KeyHandle: aesKey.KeyHandle, Algorithm: alg, Ciphertext: ct.Ciphertext, IV: ct.IV, AAD: a})
		if err != nil || !bytes.Equal(back.Plaintext, pt) {
			t.Fatalf("%v round trip: %v", alg, err)
		}
		bad := bytes.Clone(ct.Ciphertext)
		bad[0] ^= 1
		if alg == wire.AlgorithmAesGcm {
			if _, err := s.Decrypt(bg, &wire.DecryptRequest{KeyHandle: aesKey.KeyHandle, Algorithm: alg, Ciphertext: bad, IV: ct.IV, AAD: a}); !errors.Is(err, rc.DecryptFailed) {
				t.Fatalf("tampered GCM ciphertext: %v", err)
			}
		}
	}
	// RSA-OAEP through crypto.Decrypter: encrypt locally to the device's
	// public key, decrypt on the device.
	rk := generate(t, s, wire.KeyKindRsa2048, ed)
	dec, err := s.Decrypter(rk.KeyHandle)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("thirty-two bytes of secret data!")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, dec.Public().(*rsa.PublicKey), secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dec.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: crypto.SHA256})
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("OAEP decrypt: %x, %v", got, err)
	}
	// A usage the key lacks is refused.
	sk := generate(t, s, wire.KeyKindAes256, wire.KeyUsageEncrypt)
	ct2, err := s.Encrypt(bg, &wire.EncryptRequest{KeyHandle: sk.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Plaintext: pt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Decrypt(bg, &wire.DecryptRequest{KeyHandle: sk.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Ciphertext: ct2.Ciphertext, IV: ct2.IV}); !errors.Is(err, rc.UsageNotPermitted) {
		t.Fatalf("decrypt with an encrypt-only key: %v", err)
	}
}

func TestKeyLifecycle(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	tag := uint16(7)
	k, err := s.GenerateKey(bg, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign, Tag: &tag, Label: "tls"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GenerateKey(bg, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign, Tag: &tag}); !errors.Is(err, rc.KeyTagExists) {
		t.Errorf("duplicate tag: %v", err)
	}
	o, err := s.OpenKey(bg, &wire.OpenKeyRequest{Tag: tag})
	if err != nil || o.KeyHandle != k.KeyHandle || !bytes.Equal(o.PublicKey, k.PublicKey) {
		t.Fatalf("OpenKey: %+v, %v", o, err)
	}
	pk, err := s.GetPublicKey(bg, &wire.GetPublicKeyRequest{KeyHandle: k.KeyHandle})
	if err != nil || pk.Kind != wire.KeyKindEccP256 || !bytes.Equal(pk.PublicKey, k.PublicKey) {
		t.Fatalf("GetPublicKey: %+v, %v", pk, err)
	}
	l, err := s.ListKeys(bg, &wire.ListKeysRequest{})
	if err != nil || len(l.KeyHandles) != 1 || l.KeyHandles[0] != k.KeyHandle {
		t.Fatalf("ListKeys: %+v, %v", l, err)
	}
	if _, err := s.DeleteKey(bg, &wire.DeleteKeyRequest{KeyHandle: k.KeyHandle}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPublicKey(bg, &wire.GetPublicKeyRequest{KeyHandle: k.KeyHandle}); !errors.Is(err, rc.KeyNotFound) {
		t.Errorf("deleted key: %v", err)
	}
	if _, err := s.OpenKey(bg, &wire.OpenKeyRequest{Tag: tag}); !errors.Is(err, rc.KeyTagNotFound) {
		t.Errorf("deleted tag: %v", err)
	}
	// The masked blob brings the key back, with the same public key.
	u, err := s.UnmaskKey(bg, &wire.UnmaskKeyRequest{MaskedKey: k.MaskedKey})
	if err != nil || !bytes.Equal(u.PublicKey, k.PublicKey) {
		t.Fatalf("UnmaskKey: %+v, %v", u, err)
	}
	bad := bytes.Clone(k.MaskedKey)
	bad[len(bad)-1] ^= 1
	if _, err := s.UnmaskKey(bg, &wire.UnmaskKeyRequest{MaskedKey: bad}); !errors.Is(err, rc.MaskedKeyTampered) {
		t.Errorf("tampered blob: %v", err)
	}
	if _, err := s.UnmaskKey(bg, &wire.UnmaskKeyRequest{MaskedKey: bad[:20]}); !errors.Is(err, rc.MaskedKeyMalformed) {
		t.Errorf("truncated blob: %v", err)
	}
}

func TestUnwrapImport(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	uk, err := s.GetUnwrappingKey(bg, &wire.GetUnwrappingKeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(uk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok || rsaPub.Size() != 384 {
		t.Fatalf("unwrapping key %T is not RSA-3072", pub)
	}
	local, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(local)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := client.WrapKey(rsaPub, p8)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.UnwrapKey(bg, &wire.UnwrapKeyRequest{Wrapped: wrapped, Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign | wire.KeyUsageVerify})
	if err != nil {
		t.Fatal(err)
	}
	wantPub, _ := x509.MarshalPKIXPublicKey(&local.PublicKey)
	if !bytes.Equal(r.PublicKey, wantPub) {
		t.Fatal("imported key has another public key")
	}
	// The device signs with the imported key; the local public key verifies.
	d := sha256.Sum256([]byte("imported"))
	sig, err := s.Sign(bg, &wire.SignRequest{KeyHandle: r.KeyHandle, Algorithm: wire.AlgorithmEcdsaSha256, Data: d[:]})
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(&local.PublicKey, d[:], sig.Signature) {
		t.Fatal("signature by the imported key does not verify")
	}
	bad := bytes.Clone(wrapped)
	bad[len(bad)-1] ^= 1
	if _, err := s.UnwrapKey(bg, &wire.UnwrapKeyRequest{Wrapped: bad, Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign}); !errors.Is(err, rc.UnwrapFailed) {
		t.Fatalf("tampered wrapped key: %v", err)
	}
	// A raw AES key imports too, and encrypts like the local copy.
	raw := make([]byte, 32)
	rand.Read(raw)
	w2, err := client.WrapKey(rsaPub, raw)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.UnwrapKey(bg, &wire.UnwrapKeyRequest{Wrapped: w2, Kind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt | wire.KeyUsageDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := s.Encrypt(bg, &wire.EncryptRequest{KeyHandle: a.KeyHandle, Algorithm: wire.AlgorithmAesGcm, Plaintext: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := aes.NewCipher(raw)
	g, _ := cipher.NewGCM(blk)
	if pt, err := g.Open(nil, ct.IV, ct.Ciphertext, nil); err != nil || string(pt) != "hi" {
		t.Fatalf("local decrypt of the device's ciphertext: %q, %v", pt, err)
	}
}

func TestDerivation(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	// ML-KEM-768: encapsulate to the device's own key, decapsulate, and
	// derive an AES key from both secrets: equal secrets give equal keys.
	kem := generate(t, s, wire.KeyKindMlKem768, wire.KeyUsageDerive)
	enc, err := s.Encapsulate(bg, &wire.EncapsulateRequest{KeyHandle: kem.KeyHandle, Usage: wire.KeyUsageDerive})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := s.Decapsulate(bg, &wire.DecapsulateRequest{KeyHandle: kem.KeyHandle, Ciphertext: enc.Ciphertext, Usage: wire.KeyUsageDerive})
	if err != nil {
		t.Fatal(err)
	}
	derive := func(secret uint32) uint32 {
		r, err := s.HkdfDerive(bg, &wire.HkdfDeriveRequest{KeyHandle: secret, Hash: wire.HashAlgorithmSha256, Info: []byte("ctx"),
			TargetKind: wire.KeyKindHmacSha256, Usage: wire.KeyUsageSign | wire.KeyUsageVerify})
		if err != nil {
			t.Fatal(err)
		}
		return r.KeyHandle
	}
	mac := func(h uint32) []byte {
		r, err := s.Hmac(bg, &wire.HmacRequest{KeyHandle: h, Message: []byte("m")})
		if err != nil {
			t.Fatal(err)
		}
		return r.MAC
	}
	if !bytes.Equal(mac(derive(enc.KeyHandle)), mac(derive(dec.KeyHandle))) {
		t.Fatal("encapsulated and decapsulated secrets differ")
	}
	// ECDH with a local peer: the device's secret, run through KBKDF, is
	// usable; derived keys come with masked blobs.
	ek := generate(t, s, wire.KeyKindEccP256, wire.KeyUsageDerive)
	peer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	peerPub, _ := peer.PublicKey.ECDH()
	sec, err := s.EcdhDerive(bg, &wire.EcdhDeriveRequest{KeyHandle: ek.KeyHandle, PeerPublicKey: peerPub.Bytes(), Usage: wire.KeyUsageDerive})
	if err != nil {
		t.Fatal(err)
	}
	kb, err := s.KbkdfDerive(bg, &wire.KbkdfDeriveRequest{KeyHandle: sec.KeyHandle, Hash: wire.HashAlgorithmSha256, KDFLabel: []byte("l"),
		TargetKind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt | wire.KeyUsageDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.MaskedKey) == 0 {
		t.Fatal("derived key has no masked blob")
	}
	if _, err := s.EcdhDerive(bg, &wire.EcdhDeriveRequest{KeyHandle: ek.KeyHandle, PeerPublicKey: append([]byte{4}, bytes.Repeat([]byte{0xff}, 64)...), Usage: wire.KeyUsageDerive}); !errors.Is(err, rc.InvalidPublicKey) {
		t.Fatalf("bad peer key: %v", err)
	}
}

func TestAttestKey(t *testing.T) {
	h, c := provisioned(t)
	s := session(t, c)
	k := generate(t, s, wire.KeyKindEccP384, wire.KeyUsageSign)
	nonce := []byte("verifier nonce")
	r, err := s.AttestKey(bg, &wire.AttestKeyRequest{KeyHandle: k.KeyHandle, ReportData: nonce})
	if err != nil {
		t.Fatal(err)
	}
	chain, err := c.GetCertificateChain(bg)
	if err != nil {
		t.Fatal(err)
	}
	kr, _, err := client.VerifyKeyReport(r.Report, chain, client.WithReportData(nonce))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kr.PublicKey, k.PublicKey) || kr.Kind != wire.KeyKindEccP384 || kr.Flags&wire.KeyFlagsGenerated == 0 {
		t.Fatalf("key report %+v", kr)
	}
	bad := bytes.Clone(r.Report)
	bad[len(bad)-5] ^= 1
	if _, _, err := client.VerifyKeyReport(bad, chain); !errors.Is(err, client.ErrReportInvalid) {
		t.Fatalf("tampered report: %v", err)
	}
	// Another device's chain does not verify this device's report.
	other, err := dial(t, startHSM(t).target).GetCertificateChain(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.VerifyKeyReport(r.Report, other); !errors.Is(err, client.ErrReportInvalid) {
		t.Fatalf("report against another chain: %v", err)
	}
	_ = h
}

func TestReopenAfterMigration(t *testing.T) {
	h, c := provisioned(t)
	s := session(t, c)
	k := generate(t, s, wire.KeyKindEccP256, wire.KeyUsageSign)
	h.dev.Migrate()
	if _, err := s.GetPublicKey(bg, &wire.GetPublicKeyRequest{KeyHandle: k.KeyHandle}); !errors.Is(err, rc.SessionNeedsRenegotiation) {
		t.Fatalf("after migration: %v", err)
	}
	if err := s.Reopen(bg, testPIN); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListKeys(bg, &wire.ListKeysRequest{}); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

func TestZeroize(t *testing.T) {
	_, c := provisioned(t)
	s := session(t, c)
	k := generate(t, s, wire.KeyKindEccP256, wire.KeyUsageSign)
	if err := c.Zeroize(bg); err != nil {
		t.Fatal(err)
	}
	info, err := c.GetDeviceInfo(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.PartitionState != wire.PartitionStateUnprovisioned {
		t.Fatalf("after zeroize: partition %v", info.PartitionState)
	}
	if _, err := s.ListKeys(bg, &wire.ListKeysRequest{}); err == nil {
		t.Fatal("session survived zeroize")
	}
	if _, err := c.EstablishCredential(bg, testPIN); err != nil {
		t.Fatal(err)
	}
	s2 := session(t, c)
	if _, err := s2.UnmaskKey(bg, &wire.UnmaskKeyRequest{MaskedKey: k.MaskedKey}); err == nil {
		t.Fatal("a masked key of the zeroized partition opened")
	}
}
