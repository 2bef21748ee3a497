package keys

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"sync"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keywrap"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	return NewStore(selftest.New(selftest.Options{}), 0)
}

// fixture holds one key of each kind with every permitted usage, generated
// once because RSA-4096 generation is slow under the race detector.
type fixture struct {
	s    *Store
	keys map[Kind]Info
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

func getFixture(t testing.TB) fixture {
	t.Helper()
	fixOnce.Do(func() {
		fix = fixture{s: NewStore(selftest.New(selftest.Options{}), 0), keys: map[Kind]Info{}}
		for _, k := range Kinds() {
			info, err := fix.s.Generate(k, Attributes{Usage: k.Permitted() &^ UsageSessionOnly})
			if err != nil {
				fixErr = err
				return
			}
			fix.keys[k] = info
		}
	})
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func TestGenerateEveryKind(t *testing.T) {
	f := getFixture(t)
	seen := map[uint32]bool{}
	for _, k := range Kinds() {
		info := f.keys[k]
		if info.Handle == 0 || seen[info.Handle] || info.Kind != k || info.Origin != OriginGenerated {
			t.Errorf("%v: bad info %+v", k, info)
		}
		seen[info.Handle] = true
		if k.Symmetric() != (info.PublicKey == nil) {
			t.Errorf("%v: public key presence wrong", k)
		}
		switch {
		case k.IsECC() || k.IsRSA() || k == Ed25519:
			if _, err := x509.ParsePKIXPublicKey(info.PublicKey); err != nil {
				t.Errorf("%v: SPKI does not parse: %v", k, err)
			}
		case k == MlDsa65 || k == MlKem768:
			var sp spki
			if rest, err := asn1.Unmarshal(info.PublicKey, &sp); err != nil || len(rest) != 0 {
				t.Errorf("%v: SPKI: %v", k, err)
			}
		}
		// Material → Restore yields the same key (same public key, and for
		// symmetric kinds the same behaviour, checked in the crypto tests).
		mat, _, err := f.s.Material(0, info.Handle)
		if err != nil {
			t.Fatalf("%v: Material: %v", k, err)
		}
		if mat.Expose()[0] != byte(OriginGenerated) {
			t.Errorf("%v: origin byte %d", k, mat.Expose()[0])
		}
		s2 := newStore(t)
		got, err := s2.Restore(k, Attributes{Usage: info.Usage}, mat)
		if err != nil {
			t.Fatalf("%v: Restore: %v", k, err)
		}
		if !bytes.Equal(got.PublicKey, info.PublicKey) || got.Origin != OriginGenerated {
			t.Errorf("%v: restored key differs", k)
		}
		mat.Clear()
	}
}

func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// TestSignVerify signs with every signature kind and algorithm, checks the
// signature with the standard library from the exported SPKI (what OpenSSL
// or any verifier sees), and checks the store's own Verify.
func TestSignVerify(t *testing.T) {
	f := getFixture(t)
	msg := []byte("OpenIHSM message")
	cases := []struct {
		kind Kind
		alg  Algorithm
	}{
		{EccP256, EcdsaSha256}, {EccP256, EcdsaSha384}, {EccP384, EcdsaSha384}, {EccP521, EcdsaSha512},
		{Rsa2048, RsaPssSha256}, {Rsa2048, RsaPkcs1Sha256}, {Rsa3072, RsaPssSha384}, {Rsa3072, RsaPkcs1Sha384},
		{Rsa4096, RsaPssSha512}, {Rsa4096, RsaPkcs1Sha512}, {Ed25519, AlgEd25519}, {MlDsa65, AlgMlDsa65},
	}
	for _, c := range cases {
		t.Run(c.kind.String()+"/"+hex.EncodeToString([]byte{byte(c.alg)}), func(t *testing.T) {
			info := f.keys[c.kind]
			data := msg
			if h := c.alg.hash(); h != 0 {
				data = digest(h, msg)
			}
			sig, err := f.s.Sign(0, info.Handle, c.alg, data)
			if err != nil {
				t.Fatal(err)
			}
			var ok bool
			if c.kind == MlDsa65 {
				var sp spki
				asn1.Unmarshal(info.PublicKey, &sp)
				var pk mldsa65.PublicKey
				ok = pk.UnmarshalBinary(sp.PublicKey.Bytes) == nil && mldsa65.Verify(&pk, data, nil, sig)
			} else {
				pub, err := x509.ParsePKIXPublicKey(info.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				switch p := pub.(type) {
				case *ecdsa.PublicKey:
					ok = ecdsa.VerifyASN1(p, data, sig)
				case *rsa.PublicKey:
					if c.alg <= RsaPssSha512 {
						ok = rsa.VerifyPSS(p, c.alg.hash(), data, sig, &rsa.PSSOptions{SaltLength: c.alg.hash().Size()}) == nil
					} else {
						ok = rsa.VerifyPKCS1v15(p, c.alg.hash(), data, sig) == nil
					}
				case ed25519.PublicKey:
					ok = ed25519.Verify(p, data, sig)
				}
			}
			if !ok {
				t.Fatal("signature does not verify outside the store")
			}
			if err := f.s.Verify(0, info.Handle, c.alg, data, sig); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			bad := bytes.Clone(sig)
			bad[len(bad)/2] ^= 1
			if err := f.s.Verify(0, info.Handle, c.alg, data, bad); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("tampered signature: %v", err)
			}
			if h := c.alg.hash(); h != 0 {
				if _, err := f.s.Sign(0, info.Handle, c.alg, data[1:]); !errors.Is(err, ErrDigestMismatch) {
					t.Fatalf("short digest: %v", err)
				}
			} else if _, err := f.s.Sign(0, info.Handle, c.alg, make([]byte, MaxMessage+1)); !errors.Is(err, ErrInvalidLength) {
				t.Fatalf("long message: %v", err)
			}
		})
	}
}

// TestPolicy covers every policy error of the package documentation.
func TestPolicy(t *testing.T) {
	f := getFixture(t)
	s := newStore(t)
	signOnly, err := s.Generate(EccP256, Attributes{Usage: UsageSign})
	if err != nil {
		t.Fatal(err)
	}
	encOnly, err := s.Generate(Aes256, Attributes{Usage: UsageEncrypt})
	if err != nil {
		t.Fatal(err)
	}
	verifyOnlyHMAC, _ := s.Generate(HmacSha256, Attributes{Usage: UsageVerify})
	d := make([]byte, 32)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"generate kind 0", first(s.Generate(0, Attributes{Usage: UsageSign})), ErrUnsupportedKeyKind},
		{"generate kind 19", first(s.Generate(19, Attributes{Usage: UsageSign})), ErrUnsupportedKeyKind},
		{"generate AES with Sign", first(s.Generate(Aes128, Attributes{Usage: UsageSign})), ErrUsageNotPermitted},
		{"generate EC with Encrypt", first(s.Generate(EccP256, Attributes{Usage: UsageEncrypt})), ErrUsageNotPermitted},
		{"generate MlKem with Sign", first(s.Generate(MlKem768, Attributes{Usage: UsageSign})), ErrUsageNotPermitted},
		{"generate no usage", first(s.Generate(Aes128, Attributes{})), ErrUsageNotPermitted},
		{"generate only SessionOnly", first(s.Generate(Aes128, Attributes{Usage: UsageSessionOnly, Session: 1})), ErrUsageNotPermitted},
		{"generate undefined usage bit", first(s.Generate(Aes128, Attributes{Usage: 1 << 7})), ErrInvalidArgument},
		{"generate long label", first(s.Generate(Aes128, Attributes{Usage: UsageEncrypt, Label: string(make([]byte, 65))})), ErrInvalidArgument},
		{"session-only without session", first(s.Generate(Aes128, Attributes{Usage: UsageEncrypt | UsageSessionOnly})), ErrInvalidArgument},
		{"sign without Sign usage", first(f.s.Sign(0, f.keys[MlKem768].Handle, AlgMlDsa65, nil)), ErrAlgorithmMismatch},
		{"verify without Verify usage", s.Verify(0, signOnly.Handle, EcdsaSha256, d, []byte{1}), ErrUsageNotPermitted},
		{"decrypt without Decrypt usage", first(s.Decrypt(0, encOnly.Handle, AesGcm, make([]byte, 32), make([]byte, 12), nil)), ErrUsageNotPermitted},
		{"kwp without Wrap usage", first2(s.Encrypt(0, encOnly.Handle, AesKwp, d, nil, nil)), ErrUsageNotPermitted},
		{"hmac without Sign usage", first(s.HMAC(0, verifyOnlyHMAC.Handle, d)), ErrUsageNotPermitted},
		{"ecdsa on RSA", first(f.s.Sign(0, f.keys[Rsa2048].Handle, EcdsaSha256, d)), ErrAlgorithmMismatch},
		{"pss on EC", first(f.s.Sign(0, f.keys[EccP256].Handle, RsaPssSha256, d)), ErrAlgorithmMismatch},
		{"ed25519 on mldsa", first(f.s.Sign(0, f.keys[MlDsa65].Handle, AlgEd25519, d)), ErrAlgorithmMismatch},
		{"sign with a cipher algorithm", first(f.s.Sign(0, f.keys[Aes256].Handle, AesGcm, d)), ErrAlgorithmMismatch},
		{"gcm on RSA", first2(f.s.Encrypt(0, f.keys[Rsa2048].Handle, AesGcm, d, nil, nil)), ErrAlgorithmMismatch},
		{"oaep on AES", first2(f.s.Encrypt(0, f.keys[Aes128].Handle, RsaOaepSha256, d, nil, nil)), ErrAlgorithmMismatch},
		{"unknown algorithm", first(f.s.Sign(0, f.keys[EccP256].Handle, 99, d)), ErrUnsupportedAlgorithm},
		{"unknown algorithm encrypt", first2(f.s.Encrypt(0, f.keys[Aes128].Handle, 12, d, nil, nil)), ErrUnsupportedAlgorithm},
		{"hmac on AES", first(f.s.HMAC(0, f.keys[Aes128].Handle, d)), ErrAlgorithmMismatch},
		{"encapsulate on EC", first3(f.s.Encapsulate(0, f.keys[EccP256].Handle, Attributes{Usage: UsageDerive})), ErrAlgorithmMismatch},
		{"ecdh on ML-KEM", first(f.s.ECDHDerive(0, f.keys[MlKem768].Handle, nil, Attributes{Usage: UsageDerive})), ErrAlgorithmMismatch},
		{"ecdh bad peer", first(f.s.ECDHDerive(0, f.keys[EccP256].Handle, []byte{4, 1, 2}, Attributes{Usage: UsageDerive})), ErrInvalidPublicKey},
		{"ecdh peer on other curve", first(f.s.ECDHDerive(0, f.keys[EccP256].Handle, pubPoint(t, f.s, f.keys[EccP384]), Attributes{Usage: UsageDerive})), ErrInvalidPublicKey},
		{"hkdf from AES", first(f.s.HKDFDerive(0, f.keys[Aes128].Handle, Sha256, nil, nil, Aes128, Attributes{Usage: UsageEncrypt})), ErrAlgorithmMismatch},
		{"hkdf bad hash", first(f.s.HKDFDerive(0, f.keys[Secret256].Handle, 9, nil, nil, Aes128, Attributes{Usage: UsageEncrypt})), ErrUnsupportedAlgorithm},
		{"hkdf to EC", first(f.s.HKDFDerive(0, f.keys[Secret256].Handle, Sha256, nil, nil, EccP256, Attributes{Usage: UsageSign})), ErrUnsupportedKeyKind},
		{"kbkdf target usage", first(f.s.KBKDFDerive(0, f.keys[Secret256].Handle, Sha256, nil, nil, Aes128, Attributes{Usage: UsageSign})), ErrUsageNotPermitted},
		{"gcm short iv", first2(f.s.Encrypt(0, f.keys[Aes128].Handle, AesGcm, d, []byte{1}, nil)), ErrInvalidLength},
		{"cbc short iv", first2(f.s.Encrypt(0, f.keys[Aes128].Handle, AesCbc, d, []byte{1}, nil)), ErrInvalidLength},
		{"cbc partial block", first(f.s.Decrypt(0, f.keys[Aes128].Handle, AesCbc, make([]byte, 17), make([]byte, 16), nil)), ErrInvalidLength},
		{"gcm missing iv", first(f.s.Decrypt(0, f.keys[Aes128].Handle, AesGcm, make([]byte, 17), nil, nil)), ErrInvalidLength},
		{"gcm tampered", first(f.s.Decrypt(0, f.keys[Aes128].Handle, AesGcm, make([]byte, 17), make([]byte, 12), nil)), ErrDecryptFailed},
		{"encrypt too long", first2(f.s.Encrypt(0, f.keys[Aes128].Handle, AesGcm, make([]byte, MaxMessage+1), nil, nil)), ErrInvalidLength},
		{"oaep too long", first2(f.s.Encrypt(0, f.keys[Rsa2048].Handle, RsaOaepSha256, make([]byte, 300), nil, nil)), ErrInvalidLength},
		{"oaep garbage", first(f.s.Decrypt(0, f.keys[Rsa2048].Handle, RsaOaepSha256, make([]byte, 256), nil, nil)), ErrDecryptFailed},
		{"kwp garbage", first(f.s.Decrypt(0, f.keys[Aes128].Handle, AesKwp, make([]byte, 24), nil, nil)), ErrDecryptFailed},
		{"decapsulate short", first(f.s.Decapsulate(0, f.keys[MlKem768].Handle, make([]byte, 10), Attributes{Usage: UsageDerive})), ErrInvalidLength},
		{"missing handle", first(f.s.Sign(0, 12345, EcdsaSha256, d)), ErrKeyNotFound},
		{"tag 0 lookup", first(s.ByTag(0, 0)), ErrKeyTagNotFound},
		{"tag lookup absent", first(s.ByTag(0, 77)), ErrKeyTagNotFound},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
}

func first[T any](_ T, err error) error          { return err }
func first2[T, U any](_ T, _ U, err error) error { return err }
func first3[T, U any](_ T, _ U, err error) error { return err }

func pubPoint(t testing.TB, s *Store, info Info) []byte {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(info.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pub.(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTagsSessionsLimitsHandles(t *testing.T) {
	s := NewStore(selftest.New(selftest.Options{}), 4)
	a, err := s.Generate(Aes128, Attributes{Usage: UsageEncrypt, Tag: 7, Label: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Generate(Aes128, Attributes{Usage: UsageEncrypt, Tag: 7}); !errors.Is(err, ErrKeyTagExists) {
		t.Fatalf("duplicate tag: %v", err)
	}
	if got, err := s.ByTag(0, 7); err != nil || got.Handle != a.Handle || got.Label != "a" {
		t.Fatalf("ByTag: %+v %v", got, err)
	}
	sess, err := s.Generate(HmacSha256, Attributes{Usage: UsageSign | UsageSessionOnly, Session: 5, Tag: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HMAC(6, sess.Handle, nil); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("other session sees session key: %v", err)
	}
	if _, err := s.ByTag(6, 8); !errors.Is(err, ErrKeyTagNotFound) {
		t.Fatalf("other session finds session key by tag: %v", err)
	}
	if len(s.List(6)) != 1 || len(s.List(5)) != 2 {
		t.Fatalf("List: %d %d", len(s.List(6)), len(s.List(5)))
	}
	if _, err := s.HMAC(5, sess.Handle, nil); err != nil {
		t.Fatal(err)
	}
	s.Generate(Aes128, Attributes{Usage: UsageEncrypt})
	s.Generate(Aes128, Attributes{Usage: UsageEncrypt})
	if _, err := s.Generate(Aes128, Attributes{Usage: UsageEncrypt}); !errors.Is(err, ErrKeyLimitReached) {
		t.Fatalf("limit: %v", err)
	}
	s.DestroySession(5)
	if _, err := s.HMAC(5, sess.Handle, nil); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("session key survived its session: %v", err)
	}
	if err := s.Delete(0, a.Handle); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(0, a.Handle); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("double delete: %v", err)
	}
	// the tag is free again, and handles are never reissued
	b, err := s.Generate(Aes128, Attributes{Usage: UsageEncrypt, Tag: 7})
	if err != nil || b.Handle == a.Handle {
		t.Fatalf("regenerate: %+v %v", b, err)
	}
	for h := range s.issued {
		if h == 0 {
			t.Fatal("handle 0 issued")
		}
	}
	s.Clear()
	if s.Len() != 0 {
		t.Fatal("Clear")
	}
	if _, err := s.Generate(Aes128, Attributes{Usage: UsageEncrypt, Tag: 7}); err != nil {
		t.Fatal(err)
	}
}

func TestEncryptDecrypt(t *testing.T) {
	f := getFixture(t)
	pt := []byte("attack at dawn, bring snacks")
	for _, k := range []Kind{Aes128, Aes192, Aes256} {
		h := f.keys[k].Handle
		for _, alg := range []Algorithm{AesGcm, AesCbc} {
			var aad []byte
			if alg == AesGcm {
				aad = []byte("aad")
			}
			ct, iv, err := f.s.Encrypt(0, h, alg, pt, nil, aad)
			if err != nil {
				t.Fatal(k, alg, err)
			}
			got, err := f.s.Decrypt(0, h, alg, ct, iv, aad)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%v %v: round trip %v", k, alg, err)
			}
			ct[0] ^= 1
			if got, err := f.s.Decrypt(0, h, alg, ct, iv, aad); alg == AesGcm && !errors.Is(err, ErrDecryptFailed) {
				t.Fatalf("%v: tampered GCM: %v", k, err)
			} else if alg == AesCbc && bytes.Equal(got, pt) {
				t.Fatal("tampered CBC gave the plaintext")
			}
		}
		// caller IV for GCM
		iv := make([]byte, 12)
		ct, iv2, err := f.s.Encrypt(0, h, AesGcm, pt, iv, nil)
		if err != nil || !bytes.Equal(iv, iv2) || len(ct) != len(pt)+16 {
			t.Fatal("caller IV", err)
		}
		w, _, err := f.s.Encrypt(0, h, AesKwp, pt, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.s.Decrypt(0, h, AesKwp, w, nil, nil)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatal("KWP round trip", err)
		}
	}
	// CBC with a bad padding byte
	h := f.keys[Aes256].Handle
	ct, iv, _ := f.s.Encrypt(0, h, AesCbc, make([]byte, 16), nil, nil)
	iv[15] ^= 0x20 // flips the plaintext of block 1 only; pad block intact
	if _, err := f.s.Decrypt(0, h, AesCbc, ct, iv, nil); err != nil {
		t.Fatalf("CBC IV flip in data block should decrypt: %v", err)
	}
	ct[15] ^= 0x01 // corrupts the padding block
	if _, err := f.s.Decrypt(0, h, AesCbc, ct, iv, nil); !errors.Is(err, ErrDecryptFailed) {
		t.Fatalf("bad padding: %v", err)
	}
	for _, alg := range []Algorithm{RsaOaepSha256, RsaOaepSha384} {
		h := f.keys[Rsa3072].Handle
		ct, _, err := f.s.Encrypt(0, h, alg, pt, nil, []byte("label"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := f.s.Decrypt(0, h, alg, ct, nil, []byte("label")); err != nil || !bytes.Equal(got, pt) {
			t.Fatal("OAEP round trip", err)
		}
		if _, err := f.s.Decrypt(0, h, alg, ct, nil, []byte("other")); !errors.Is(err, ErrDecryptFailed) {
			t.Fatal("OAEP wrong label", err)
		}
	}
	if !Approved(AesGcm, false) || Approved(AesGcm, true) || !Approved(EcdsaSha256, true) {
		t.Fatal("Approved")
	}
}

func TestUnpad(t *testing.T) {
	for p := 0; p <= 17; p++ {
		b := make([]byte, 32)
		for i := 0; i < 16 && i < p; i++ {
			b[31-i] = byte(p)
		}
		b[31] = byte(p)
		n, ok := unpad(b)
		if want := p >= 1 && p <= 16; ok != want || (ok && n != 32-p) {
			t.Errorf("pad %d: %d %v", p, n, ok)
		}
	}
	b := bytes.Repeat([]byte{4}, 16)
	b[13] = 3
	if _, ok := unpad(b); ok {
		t.Fatal("inconsistent padding accepted")
	}
}

// TestKeyAgreementAndDerivation shows that both ends of ML-KEM and ECDH
// reach the same secret, observed only through keys derived from it.
func TestKeyAgreementAndDerivation(t *testing.T) {
	s := newStore(t)
	derive := Attributes{Usage: UsageDerive}
	kem, _ := s.Generate(MlKem768, derive)
	ct, ss1, err := s.Encapsulate(0, kem.Handle, derive)
	if err != nil {
		t.Fatal(err)
	}
	ss2, err := s.Decapsulate(0, kem.Handle, ct, derive)
	if err != nil || ss1.Kind != Secret256 || ss2.Kind != Secret256 {
		t.Fatal(err)
	}
	sameSecret(t, s, ss1.Handle, ss2.Handle, true)

	for _, k := range []Kind{EccP256, EccP384, EccP521} {
		a, _ := s.Generate(k, Attributes{Usage: UsageDerive})
		b, _ := s.Generate(k, Attributes{Usage: UsageDerive})
		za, err := s.ECDHDerive(0, a.Handle, pubPoint(t, s, b), derive)
		if err != nil {
			t.Fatal(err)
		}
		zb, err := s.ECDHDerive(0, b.Handle, pubPoint(t, s, a), derive)
		if err != nil {
			t.Fatal(err)
		}
		if za.Kind != Secret256+(k-EccP256) {
			t.Fatalf("%v: secret kind %v", k, za.Kind)
		}
		sameSecret(t, s, za.Handle, zb.Handle, true)
		sameSecret(t, s, za.Handle, ss1.Handle, false)
	}
}

// sameSecret derives HMAC keys from two secrets with HKDF and KBKDF and
// compares their MACs.
func sameSecret(t *testing.T, s *Store, h1, h2 uint32, want bool) {
	t.Helper()
	mac := Attributes{Usage: UsageSign}
	for _, hash := range []Hash{Sha256, Sha384, Sha512} {
		d1, err := s.HKDFDerive(0, h1, hash, []byte("salt"), []byte("info"), HmacSha256, mac)
		if err != nil {
			t.Fatal(err)
		}
		d2, _ := s.HKDFDerive(0, h2, hash, []byte("salt"), []byte("info"), HmacSha256, mac)
		k1, err := s.KBKDFDerive(0, h1, hash, []byte("l"), []byte("c"), HmacSha512, mac)
		if err != nil {
			t.Fatal(err)
		}
		k2, _ := s.KBKDFDerive(0, h2, hash, []byte("l"), []byte("c"), HmacSha512, mac)
		m1, _ := s.HMAC(0, d1.Handle, []byte("x"))
		m2, _ := s.HMAC(0, d2.Handle, []byte("x"))
		n1, _ := s.HMAC(0, k1.Handle, []byte("x"))
		n2, _ := s.HMAC(0, k2.Handle, []byte("x"))
		if bytes.Equal(m1, m2) != want || bytes.Equal(n1, n2) != want || len(n1) != 64 {
			t.Fatalf("secrets equal = %v, want %v", bytes.Equal(m1, m2), want)
		}
		for _, h := range []uint32{d1.Handle, d2.Handle, k1.Handle, k2.Handle} {
			s.Delete(0, h)
		}
	}
}

func TestHMACKnownAnswer(t *testing.T) {
	s := newStore(t)
	// RFC 4231 test case 1 key is 20 bytes of 0x0b.
	info, err := s.Import(HmacSha256, Attributes{Usage: UsageSign}, secret.New(bytes.Repeat([]byte{0x0b}, 20)))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // pooled state must be reset between uses
		mac, err := s.HMAC(0, info.Handle, []byte("Hi There"))
		if err != nil || hex.EncodeToString(mac) != "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" {
			t.Fatalf("HMAC = %x %v", mac, err)
		}
	}
}

// wrapBlob builds a CKM_RSA_AES_KEY_WRAP blob as a client would.
func wrapBlob(t testing.TB, pub *rsa.PublicKey, material []byte) []byte {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	head, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, kek, nil)
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

func TestUnwrapImport(t *testing.T) {
	unwrapping, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p8, _ := x509.MarshalPKCS8PrivateKey(ec)
	mat, err := UnwrapMaterial(unwrapping, wrapBlob(t, &unwrapping.PublicKey, p8))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(EccP256, Attributes{Usage: UsageSign}, mat); !errors.Is(err, ErrUnwrapFailed) {
		t.Fatalf("wrong curve accepted: %v", err)
	}
	info, err := s.Import(EccP384, Attributes{Usage: UsageSign}, mat)
	if err != nil {
		t.Fatal(err)
	}
	if info.Origin != OriginImported {
		t.Fatal("origin")
	}
	d := digest(crypto.SHA384, []byte("m"))
	sig, err := s.Sign(0, info.Handle, EcdsaSha384, d)
	if err != nil || !ecdsa.VerifyASN1(&ec.PublicKey, d, sig) {
		t.Fatal("imported key signs wrongly", err)
	}
	m2, _, _ := s.Material(0, info.Handle)
	if m2.Expose()[0] != byte(OriginImported) {
		t.Fatal("origin not kept in material")
	}

	// ML-DSA-65 in the PKCS#8 seed form, from Wycheproof
	// mldsa_65_sign_seed_test.json (seed 0x2a × 32).
	seed := bytes.Repeat([]byte{0x2a}, 32)
	p8q, err := marshalPQSeed(oidMLDSA65, seed)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(p8q)[:40] != "3034020100300b06096086480165030403120422" {
		t.Fatalf("PKCS#8 seed form: %x", p8q)
	}
	mat, err = UnwrapMaterial(unwrapping, wrapBlob(t, &unwrapping.PublicKey, p8q))
	if err != nil {
		t.Fatal(err)
	}
	ml, err := s.Import(MlDsa65, Attributes{Usage: UsageSign}, mat)
	if err != nil {
		t.Fatal(err)
	}
	var sd [32]byte
	copy(sd[:], seed)
	pk, _ := mldsa65.NewKeyFromSeed(&sd)
	sig, err = s.Sign(0, ml.Handle, AlgMlDsa65, []byte("m"))
	if err != nil || !mldsa65.Verify(pk, []byte("m"), nil, sig) {
		t.Fatal("ML-DSA import", err)
	}
	// ML-KEM-768 seed form
	p8k, _ := marshalPQSeed(oidMLKEM768, bytes.Repeat([]byte{7}, 64))
	mat, _ = UnwrapMaterial(unwrapping, wrapBlob(t, &unwrapping.PublicKey, p8k))
	if _, err := s.Import(MlKem768, Attributes{Usage: UsageDerive}, mat); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(MlDsa65, Attributes{Usage: UsageSign}, mat); !errors.Is(err, ErrUnwrapFailed) {
		t.Fatalf("ML-KEM key imported as ML-DSA: %v", err)
	}
	// raw AES
	mat, _ = UnwrapMaterial(unwrapping, wrapBlob(t, &unwrapping.PublicKey, make([]byte, 32)))
	if _, err := s.Import(Aes256, Attributes{Usage: UsageEncrypt}, mat); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(Aes128, Attributes{Usage: UsageEncrypt}, mat); !errors.Is(err, ErrUnwrapFailed) {
		t.Fatalf("wrong AES length: %v", err)
	}
	// tampered or short blobs
	blob := wrapBlob(t, &unwrapping.PublicKey, p8)
	for _, bad := range [][]byte{nil, blob[:256], blob[:len(blob)-1], flip(blob, 3), flip(blob, 300)} {
		if _, err := UnwrapMaterial(unwrapping, bad); !errors.Is(err, ErrUnwrapFailed) {
			t.Fatalf("bad blob: %v", err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func TestPCTFailure(t *testing.T) {
	for kind, name := range map[Kind]string{EccP256: selftest.PCTECDSA, Ed25519: selftest.PCTEd25519, MlDsa65: selftest.PCTMLDSA65, MlKem768: selftest.PCTMLKEM, EccP384: selftest.PCTECDH} {
		s := NewStore(selftest.New(selftest.Options{ForceFail: name}), 0)
		u := kind.Permitted() &^ UsageSessionOnly
		if _, err := s.Generate(kind, Attributes{Usage: u}); !errors.Is(err, selftest.ErrSelfTestFailed) {
			t.Errorf("%v with %s forced: %v", kind, name, err)
		}
		if s.Len() != 0 {
			t.Errorf("%v: key stored after PCT failure", kind)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newStore(t)
	ec, _ := s.Generate(EccP256, Attributes{Usage: UsageSign | UsageVerify})
	aes, _ := s.Generate(Aes256, Attributes{Usage: UsageEncrypt | UsageDecrypt})
	mac, _ := s.Generate(HmacSha384, Attributes{Usage: UsageSign})
	d := make([]byte, 32)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				sig, err := s.Sign(0, ec.Handle, EcdsaSha256, d)
				if err == nil {
					err = s.Verify(0, ec.Handle, EcdsaSha256, d, sig)
				}
				if err != nil {
					errs <- err
					return
				}
				ct, iv, _ := s.Encrypt(0, aes.Handle, AesGcm, d, nil, nil)
				if _, err := s.Decrypt(0, aes.Handle, AesGcm, ct, iv, nil); err != nil {
					errs <- err
					return
				}
				if _, err := s.HMAC(0, mac.Handle, d); err != nil {
					errs <- err
					return
				}
				// churn: create and destroy keys, and race a delete against use
				a := Attributes{Usage: UsageEncrypt}
				if g%2 == 1 {
					a = Attributes{Usage: UsageEncrypt | UsageSessionOnly, Session: uint32(g)}
				}
				k, err := s.Generate(Aes128, a)
				if err == nil {
					go s.Delete(a.Session, k.Handle)
					_, _, err = s.Encrypt(a.Session, k.Handle, AesGcm, d, nil, nil)
					if err != nil && !errors.Is(err, ErrKeyNotFound) {
						errs <- err
						return
					}
				} else if !errors.Is(err, ErrKeyLimitReached) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkECDSAP256Sign(b *testing.B) {
	d := sha256.Sum256([]byte("bench"))
	b.Run("store", func(b *testing.B) {
		s := newStore(b)
		k, _ := s.Generate(EccP256, Attributes{Usage: UsageSign})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Sign(0, k.Handle, EcdsaSha256, d[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("raw", func(b *testing.B) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ecdsa.SignASN1(rand.Reader, k, d[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkAESGCM1KiB(b *testing.B) {
	s := newStore(b)
	k, _ := s.Generate(Aes256, Attributes{Usage: UsageEncrypt})
	pt := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		if _, _, err := s.Encrypt(0, k.Handle, AesGcm, pt, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
