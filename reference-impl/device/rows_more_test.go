package device

import (
	"crypto/aes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keywrap"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// keyCommand describes a command that uses one key, for the rows every
// such command shares: KeyNotFound, UsageNotPermitted, and for those that
// create a key KeyTagExists and KeyLimitReached.
type keyCommand struct {
	kind    wire.KeyKind
	usage   wire.KeyUsage // what the command needs
	without wire.KeyUsage // a usage lacking it
	req     func(h *harness, handle uint32, tag *uint16) wire.Message
	creates bool
}

func keyCommands() map[string]keyCommand {
	digest := sha256.Sum256([]byte("x"))
	peer, _ := ecdh.P256().GenerateKey(rand.Reader)
	return map[string]keyCommand{
		"Verify": {wire.KeyKindEccP256, wire.KeyUsageVerify, wire.KeyUsageSign, func(h *harness, k uint32, _ *uint16) wire.Message {
			return &wire.VerifyRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: digest[:], Signature: make([]byte, 70)}
		}, false},
		"Encrypt": {wire.KeyKindAes256, wire.KeyUsageEncrypt, wire.KeyUsageDecrypt, func(h *harness, k uint32, _ *uint16) wire.Message {
			return &wire.EncryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmAesGcm, Plaintext: []byte("p")}
		}, false},
		"Decrypt": {wire.KeyKindAes256, wire.KeyUsageDecrypt, wire.KeyUsageEncrypt, func(h *harness, k uint32, _ *uint16) wire.Message {
			return &wire.DecryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmAesGcm, Ciphertext: make([]byte, 32), IV: make([]byte, 12)}
		}, false},
		"Hmac": {wire.KeyKindHmacSha256, wire.KeyUsageSign, wire.KeyUsageVerify, func(h *harness, k uint32, _ *uint16) wire.Message {
			return &wire.HmacRequest{KeyHandle: k, Message: []byte("m")}
		}, false},
		"Encapsulate": {wire.KeyKindMlKem768, wire.KeyUsageDerive, wire.KeyUsageSessionOnly, func(h *harness, k uint32, tag *uint16) wire.Message {
			return &wire.EncapsulateRequest{KeyHandle: k, Usage: wire.KeyUsageDerive, Tag: tag}
		}, true},
		"Decapsulate": {wire.KeyKindMlKem768, wire.KeyUsageDerive, wire.KeyUsageSessionOnly, func(h *harness, k uint32, tag *uint16) wire.Message {
			return &wire.DecapsulateRequest{KeyHandle: k, Ciphertext: make([]byte, 1088), Usage: wire.KeyUsageDerive, Tag: tag}
		}, true},
		"EcdhDerive": {wire.KeyKindEccP256, wire.KeyUsageDerive, wire.KeyUsageSign, func(h *harness, k uint32, tag *uint16) wire.Message {
			return &wire.EcdhDeriveRequest{KeyHandle: k, PeerPublicKey: peer.PublicKey().Bytes(), Usage: wire.KeyUsageDerive, Tag: tag}
		}, true},
		"HkdfDerive": {wire.KeyKindHmacSha256, wire.KeyUsageDerive, wire.KeyUsageSign, func(h *harness, k uint32, tag *uint16) wire.Message {
			return &wire.HkdfDeriveRequest{KeyHandle: k, Hash: wire.HashAlgorithmSha256, TargetKind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt, Tag: tag}
		}, true},
		"KbkdfDerive": {wire.KeyKindHmacSha256, wire.KeyUsageDerive, wire.KeyUsageSign, func(h *harness, k uint32, tag *uint16) wire.Message {
			return &wire.KbkdfDeriveRequest{KeyHandle: k, Hash: wire.HashAlgorithmSha256, TargetKind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt, Tag: tag}
		}, true},
	}
}

// moreRows adds the shared rows of the key commands and the rows that
// need more setup to errorRows.
func moreRows(rows map[string]func(t *testing.T, h *harness)) {
	digest := sha256.Sum256([]byte("x"))
	for name, kc := range keyCommands() {
		rows[name+"/KeyNotFound"] = func(t *testing.T, h *harness) {
			s := h.session()
			expect(t, "no key", h.in(s, kc.req(h, 4242, nil), nil), rc.KeyNotFound)
		}
		rows[name+"/UsageNotPermitted"] = func(t *testing.T, h *harness) {
			s := h.session()
			if kc.without == wire.KeyUsageSessionOnly {
				// An ML-KEM key can only have Derive, so the row is reached
				// through the usage asked for the shared secret (a Secret256
				// cannot sign).
				k := h.generate(s, kc.kind, kc.usage).KeyHandle
				req := kc.req(h, k, nil)
				switch r := req.(type) {
				case *wire.EncapsulateRequest:
					r.Usage = wire.KeyUsageSign
				case *wire.DecapsulateRequest:
					r.Usage = wire.KeyUsageSign
				}
				expect(t, "secret that signs", h.in(s, req, nil), rc.UsageNotPermitted)
				return
			}
			k := h.generate(s, kc.kind, kc.without).KeyHandle
			expect(t, "usage "+kc.without.String(), h.in(s, kc.req(h, k, nil), nil), rc.UsageNotPermitted)
		}
		if !kc.creates {
			continue
		}
		rows[name+"/KeyTagExists"] = func(t *testing.T, h *harness) {
			s := h.session()
			tag := uint16(11)
			k := h.generate(s, kc.kind, kc.usage).KeyHandle
			expect(t, "tagged", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes128, Usage: wire.KeyUsageEncrypt, Tag: &tag}, nil), rc.Success)
			expect(t, "same tag", h.in(s, kc.req(h, k, &tag), nil), rc.KeyTagExists)
		}
		rows[name+"/KeyLimitReached"] = func(t *testing.T, h *harness) {
			h2 := newHarness(t, Config{MaxKeys: 1})
			s := h2.session()
			k := h2.generate(s, kc.kind, kc.usage).KeyHandle
			expect(t, "full", h2.in(s, kc.req(h2, k, nil), nil), rc.KeyLimitReached)
		}
	}
	for _, name := range []string{"Encapsulate", "Decapsulate", "EcdhDerive", "HkdfDerive", "KbkdfDerive"} {
		kc := keyCommands()[name]
		rows[name+"/UnsupportedKeyKind"] = func(t *testing.T, h *harness) {
			s := h.session()
			kind, usage := wire.KeyKindEccP256, wire.KeyUsageDerive
			if name == "EcdhDerive" {
				kind, usage = wire.KeyKindHmacSha256, wire.KeyUsageDerive
			}
			k := h.generate(s, kind, usage).KeyHandle
			expect(t, kind.String(), h.in(s, kc.req(h, k, nil), nil), rc.UnsupportedKeyKind)
		}
	}
	// The reference HSM implements every algorithm and hash the spec
	// defines and declares every algorithm in GetCapabilities, so a
	// request can name no algorithm it lacks (an undefined value is
	// InvalidArgument). What reaches the row is the boundary's refusal of
	// an algorithm it does not implement: the command answers it as
	// UnsupportedAlgorithm.
	for _, name := range []string{"Sign", "Verify", "Encrypt", "Decrypt", "HkdfDerive", "KbkdfDerive"} {
		rows[name+"/UnsupportedAlgorithm"] = func(t *testing.T, h *harness) {
			var caps wire.GetCapabilitiesResponse
			if code := h.plain(&wire.GetCapabilitiesRequest{}, &caps); code != rc.Success {
				t.Fatal(code)
			}
			if !slices.Equal(caps.Algorithms, wire.AlgorithmValues()) {
				t.Errorf("GetCapabilities algorithms %v, the spec defines %v", caps.Algorithms, wire.AlgorithmValues())
			}
			ci, _ := wire.CommandByName(name)
			c := call{ci: ci}
			if got := c.status(fmt.Errorf("%s: %w", name, boundary.ErrUnsupportedAlgorithm)); got != rc.UnsupportedAlgorithm {
				t.Errorf("the boundary's unsupported algorithm is answered %v", got)
			}
		}
	}
	rows["Decapsulate/InvalidLength"] = func(t *testing.T, h *harness) {
		s := h.session()
		k := h.generate(s, wire.KeyKindMlKem768, wire.KeyUsageDerive).KeyHandle
		expect(t, "100-byte ciphertext", h.in(s, &wire.DecapsulateRequest{KeyHandle: k, Ciphertext: make([]byte, 100), Usage: wire.KeyUsageDerive}, nil), rc.InvalidLength)
	}
	rows["Verify/AlgorithmMismatch"] = func(t *testing.T, h *harness) {
		s := h.session()
		k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageVerify).KeyHandle
		expect(t, "Ed25519 on P-256", h.in(s, &wire.VerifyRequest{KeyHandle: k, Algorithm: wire.AlgorithmEd25519, Data: digest[:], Signature: make([]byte, 64)}, nil), rc.AlgorithmMismatch)
	}
	rows["Verify/DigestMismatch"] = func(t *testing.T, h *harness) {
		s := h.session()
		k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageVerify).KeyHandle
		expect(t, "SHA-384 length", h.in(s, &wire.VerifyRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: make([]byte, 48), Signature: make([]byte, 70)}, nil), rc.DigestMismatch)
	}
	rows["Encrypt/AlgorithmMismatch"] = func(t *testing.T, h *harness) {
		s := h.session()
		k := h.generate(s, wire.KeyKindAes256, wire.KeyUsageEncrypt).KeyHandle
		expect(t, "OAEP with AES", h.in(s, &wire.EncryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmRsaOaepSha256, Plaintext: []byte("p")}, nil), rc.AlgorithmMismatch)
	}
	rows["Decrypt/AlgorithmMismatch"] = func(t *testing.T, h *harness) {
		s := h.session()
		k := h.generate(s, wire.KeyKindAes256, wire.KeyUsageDecrypt).KeyHandle
		expect(t, "OAEP with AES", h.in(s, &wire.DecryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmRsaOaepSha256, Ciphertext: make([]byte, 32)}, nil), rc.AlgorithmMismatch)
	}
	rows["Decrypt/InvalidLength"] = func(t *testing.T, h *harness) {
		s := h.session()
		k := h.generate(s, wire.KeyKindAes256, wire.KeyUsageDecrypt).KeyHandle
		expect(t, "GCM without IV", h.in(s, &wire.DecryptRequest{KeyHandle: k, Algorithm: wire.AlgorithmAesGcm, Ciphertext: make([]byte, 32)}, nil), rc.InvalidLength)
	}
	rows["GenerateKey/SelfTestFailed"] = func(t *testing.T, h *harness) {
		if err := h.d.FailSelfTest("PCT-ECDSA"); err != nil {
			t.Fatal(err)
		}
		s := h.session()
		expect(t, "PCT fails", h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign}, nil), rc.SelfTestFailed)
		if h.d.State() != StateError {
			t.Fatalf("state %v after a PCT failure", h.d.State())
		}
	}
	// UnwrapKey rows use a real CKM_RSA_AES_KEY_WRAP blob of an AES key.
	wrap := func(t *testing.T, h *harness, s *rawSession, material []byte) []byte {
		var uk wire.GetUnwrappingKeyResponse
		if code := h.in(s, &wire.GetUnwrappingKeyRequest{}, &uk); code != rc.Success {
			t.Fatalf("GetUnwrappingKey: %v", code)
		}
		pub, err := x509.ParsePKIXPublicKey(uk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		kek := make([]byte, 32)
		rand.Read(kek)
		head, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), kek, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := aes.NewCipher(kek)
		tail, err := keywrap.Wrap(b, material)
		if err != nil {
			t.Fatal(err)
		}
		return append(head, tail...)
	}
	aesKey := make([]byte, 32)
	rows["UnwrapKey/UnwrapFailed"] = func(t *testing.T, h *harness) {
		s := h.session()
		w := wrap(t, h, s, aesKey)
		w[len(w)-1] ^= 1
		expect(t, "tampered KWP", h.in(s, &wire.UnwrapKeyRequest{Wrapped: w, Kind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt}, nil), rc.UnwrapFailed)
	}
	rows["UnwrapKey/UnsupportedKeyKind"] = func(t *testing.T, h *harness) {
		s := h.session()
		expect(t, "Secret256", h.in(s, &wire.UnwrapKeyRequest{Wrapped: make([]byte, 500), Kind: wire.KeyKindSecret256, Usage: wire.KeyUsageDerive}, nil), rc.UnsupportedKeyKind)
	}
	rows["UnwrapKey/UsageNotPermitted"] = func(t *testing.T, h *harness) {
		s := h.session()
		expect(t, "AES sign", h.in(s, &wire.UnwrapKeyRequest{Wrapped: wrap(t, h, s, aesKey), Kind: wire.KeyKindAes256, Usage: wire.KeyUsageSign}, nil), rc.UsageNotPermitted)
	}
	rows["UnwrapKey/KeyTagExists"] = func(t *testing.T, h *harness) {
		s := h.session()
		tag := uint16(5)
		h.in(s, &wire.GenerateKeyRequest{Kind: wire.KeyKindAes128, Usage: wire.KeyUsageEncrypt, Tag: &tag}, nil)
		expect(t, "same tag", h.in(s, &wire.UnwrapKeyRequest{Wrapped: wrap(t, h, s, aesKey), Kind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt, Tag: &tag}, nil), rc.KeyTagExists)
	}
	rows["UnwrapKey/KeyLimitReached"] = func(t *testing.T, h *harness) {
		h2 := newHarness(t, Config{MaxKeys: 1})
		s := h2.session()
		h2.generate(s, wire.KeyKindAes128, wire.KeyUsageEncrypt)
		expect(t, "full", h2.in(s, &wire.UnwrapKeyRequest{Wrapped: wrap(t, h2, s, aesKey), Kind: wire.KeyKindAes256, Usage: wire.KeyUsageEncrypt}, nil), rc.KeyLimitReached)
	}
	rows["UnwrapKey/SelfTestFailed"] = func(t *testing.T, h *harness) {
		if err := h.d.FailSelfTest("PCT-ECDSA"); err != nil {
			t.Fatal(err)
		}
		s := h.session()
		der, _ := x509.MarshalPKCS8PrivateKey(mustECDSA(t))
		expect(t, "imported pair fails its PCT", h.in(s, &wire.UnwrapKeyRequest{Wrapped: wrap(t, h, s, der), Kind: wire.KeyKindEccP256, Usage: wire.KeyUsageSign}, nil), rc.SelfTestFailed)
	}
}

func mustECDSA(t *testing.T) any {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
