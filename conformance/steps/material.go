package steps

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/openihsm/openihsm/spec/client"
	"github.com/openihsm/openihsm/spec/rc"
)

// registerMaterial installs the steps that let a scenario check a
// device's cryptography against an independent implementation (the Go
// standard library; circl for ML-DSA-65): key material the suite makes
// and imports with UnwrapKey, values computed from it here, and outcomes
// that compare the device's answers with them. Secret material never
// leaves the device: a device-held secret is compared by deriving and
// using a key from it on both sides.
//
//	Given key material of kind <Kind>[ from <value>] as @<m>
//	    random, or from the raw secret: the key bytes (AES, HMAC, secrets), the seed (Ed25519 32 bytes,
//	    ML-DSA-65 32, ML-KEM-768 64), the private scalar (ECC) or PKCS #8 DER (RSA). Saves @<m>_pub
//	    (DER SubjectPublicKeyInfo) and, for ECC, @<m>_point (SEC 1 uncompressed).
//	Given the key material @<m> wrapped for the partition as @<w>    RSA-OAEP-SHA256 + AES-KWP under GetUnwrappingKey's key
//	Given the <Algorithm> signature of <value> by @<m> as @<sig>     ECDSA and RSA sign the value as a digest
//	Given the <AesGcm|AesCbc|RsaOaepSha256|RsaOaepSha384> encryption of <value> under @<m>[ with iv <value>][ and aad <value>] as @<c>
//	    RSA-OAEP encrypts to the public key @<m>_pub (a device key's or the material's); aad is the OAEP label
//	Given the <HKDF|KBKDF>-<Sha256|Sha384|Sha512> of @<m> with <salt|label> <value> and <info|context> <value> as <Kind> key material @<d>
//	Given the ECDH secret of @<m> and the public key of @<k> as key material @<z>
//	Given the ML-KEM-768 encapsulation to the public key of @<k> as @<c> and key material @<z>
//	Given the ML-KEM-768 decapsulation of <value> by @<m> as key material @<z>
//	Then the response field <f> matches the HMAC of <value> under @<m>
//	Then the response field <f> matches the <AesGcm|AesCbc> encryption of <value> under @<m> with iv <value>[ and aad <value>]
//	Then the response field <f> decrypts with <Algorithm> under @<m>[ with iv <value>][ and aad <value>] to <value>
//	Then the key @<k> holds|does not hold the key material @<m>
//	    HMAC keys are compared with Hmac (Sign usage), AES keys with AES-GCM Encrypt (Encrypt usage) and
//	    secrets through an HMAC key derived on the device with HkdfDerive (Derive usage)
func registerMaterial(st func(string, any)) {
	st(`^key material of kind (\w+)(?: from (\S+))? as @(\w+)$`, func(ctx context.Context, kind, from, name string) error {
		s := State(ctx)
		var raw []byte
		if from != "" {
			b, err := s.bytesValue(from)
			if err != nil {
				return err
			}
			raw = b
		}
		m, err := newMaterial(kind, raw)
		if err != nil {
			return err
		}
		s.putMaterial(name, m)
		return nil
	})
	st(`^the key material @(\w+) wrapped for the partition as @(\w+)$`, with2(func(ctx context.Context, s *Scenario, m, as string) error {
		return s.wrapMaterial(ctx, m, as)
	}))
	st(`^the (\w+) signature of (\S+) by @(\w+) as @(\w+)$`, func(ctx context.Context, alg, v, m, as string) error {
		return State(ctx).signLocally(alg, v, m, as)
	})
	st(`^the (AesGcm|AesCbc|RsaOaepSha256|RsaOaepSha384) encryption of (\S+) under @(\w+)(?: with iv (\S+))?(?: and aad (\S+))? as @(\w+)$`,
		func(ctx context.Context, alg, v, m, iv, aad, as string) error {
			s := State(ctx)
			out, err := s.encryptLocally(alg, v, m, iv, aad)
			if err != nil {
				return err
			}
			s.saved[as] = out
			return nil
		})
	st(`^the (HKDF|KBKDF)-(Sha256|Sha384|Sha512) of @(\w+) with (?:salt|label) (\S+) and (?:info|context) (\S+) as (\w+) key material @(\w+)$`,
		func(ctx context.Context, kdf, h, m, a, b, kind, as string) error {
			return State(ctx).deriveLocally(kdf, h, m, a, b, kind, as)
		})
	st(`^the ECDH secret of @(\w+) and the public key of @(\w+) as key material @(\w+)$`, func(ctx context.Context, m, k, as string) error {
		return State(ctx).ecdhLocally(m, k, as)
	})
	st(`^the ML-KEM-768 encapsulation to the public key of @(\w+) as @(\w+) and key material @(\w+)$`, func(ctx context.Context, k, ct, as string) error {
		return State(ctx).encapsulateLocally(k, ct, as)
	})
	st(`^the ML-KEM-768 decapsulation of (\S+) by @(\w+) as key material @(\w+)$`, func(ctx context.Context, v, m, as string) error {
		return State(ctx).decapsulateLocally(v, m, as)
	})
	st(`^the response field (\w+) matches the HMAC of (\S+) under @(\w+)$`, func(ctx context.Context, f, v, m string) error {
		return State(ctx).matchesHMAC(f, v, m)
	})
	st(`^the response field (\w+) matches the (AesGcm|AesCbc) encryption of (\S+) under @(\w+) with iv (\S+)(?: and aad (\S+))?$`,
		func(ctx context.Context, f, alg, v, m, iv, aad string) error {
			s := State(ctx)
			want, err := s.encryptLocally(alg, v, m, iv, aad)
			if err != nil {
				return err
			}
			got, err := s.fieldBytes(s.last, f)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, want) {
				return fmt.Errorf("%s.%s differs from the %s encryption computed here", s.last.name(), f, alg)
			}
			return nil
		})
	st(`^the response field (\w+) decrypts with (\w+) under @(\w+)(?: with iv (\S+))?(?: and aad (\S+))? to (\S+)$`,
		func(ctx context.Context, f, alg, m, iv, aad, want string) error {
			return State(ctx).decryptsTo(f, alg, m, iv, aad, want)
		})
	st(`^the key @(\w+) (holds|does not hold) the key material @(\w+)$`, func(ctx context.Context, k, how, m string) error {
		return State(ctx).holdsMaterial(ctx, k, m, how == "holds")
	})
}

// material is key material the suite made, in every form the steps need.
type material struct {
	kind  string // KeyKind spec name
	raw   []byte // AES, HMAC and secret key bytes
	wrap  []byte // the form UnwrapKey takes (spec: CMD-KEY-UNWRAP)
	priv  any    // *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey, *mldsa65.PrivateKey, *mlkem.DecapsulationKey768
	pub   []byte // DER SubjectPublicKeyInfo
	point []byte // ECC: SEC 1 uncompressed public point
}

func materialKey(name string) string { return "\x00material:" + name }

func (s *Scenario) putMaterial(name string, m *material) {
	s.saved[materialKey(name)] = m
	if m.pub != nil {
		s.saved[name+"_pub"] = m.pub
	}
	if m.point != nil {
		s.saved[name+"_point"] = m.point
	}
}

func (s *Scenario) material(name string) (*material, error) {
	m, ok := s.saved[materialKey(name)].(*material)
	if !ok {
		return nil, fmt.Errorf("no key material saved as @%s", name)
	}
	return m, nil
}

// symmetricSizes are the key lengths of the symmetric and secret kinds
// (spec: types.yaml KeyKind; a Secret521 is the 66-byte P-521 x-coordinate).
var symmetricSizes = map[string]int{
	"Aes128": 16, "Aes192": 24, "Aes256": 32,
	"HmacSha256": 32, "HmacSha384": 48, "HmacSha512": 64,
	"Secret256": 32, "Secret384": 48, "Secret521": 66,
}

var eccCurves = map[string]elliptic.Curve{"EccP256": elliptic.P256(), "EccP384": elliptic.P384(), "EccP521": elliptic.P521()}

// newMaterial makes key material of kind, random or from raw.
func newMaterial(kind string, raw []byte) (*material, error) {
	m := &material{kind: kind}
	var err error
	switch {
	case symmetricSizes[kind] > 0:
		n := symmetricSizes[kind]
		if raw == nil {
			raw = make([]byte, n)
			rand.Read(raw)
		}
		// An HMAC key may have any length (FIPS 198-1); which lengths a
		// device takes is for the device to answer (types.yaml KeyKind).
		if len(raw) != n && !strings.HasPrefix(kind, "Hmac") {
			return nil, fmt.Errorf("%s key material is %d bytes, not %d", kind, n, len(raw))
		}
		m.raw, m.wrap = raw, raw
		return m, nil
	case eccCurves[kind] != nil:
		var k *ecdsa.PrivateKey
		if raw == nil {
			k, err = ecdsa.GenerateKey(eccCurves[kind], rand.Reader)
		} else {
			k, err = ecdsa.ParseRawPrivateKey(eccCurves[kind], raw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s key material: %w", kind, err)
		}
		m.priv = k
		if m.point, err = k.PublicKey.Bytes(); err != nil {
			return nil, err
		}
	case strings.HasPrefix(kind, "Rsa"):
		bits := map[string]int{"Rsa2048": 2048, "Rsa3072": 3072, "Rsa4096": 4096}[kind]
		if bits == 0 {
			return nil, fmt.Errorf("no RSA kind %s", kind)
		}
		var k *rsa.PrivateKey
		if raw == nil {
			k, err = rsa.GenerateKey(rand.Reader, bits)
		} else {
			var p any
			p, err = x509.ParsePKCS8PrivateKey(raw)
			k, _ = p.(*rsa.PrivateKey)
			if err == nil && (k == nil || k.N.BitLen() != bits) {
				err = fmt.Errorf("not an RSA-%d PKCS #8 key", bits)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s key material: %w", kind, err)
		}
		m.priv = k
	case kind == "Ed25519":
		if raw == nil {
			raw = make([]byte, ed25519.SeedSize)
			rand.Read(raw)
		}
		if len(raw) != ed25519.SeedSize {
			return nil, errors.New("an Ed25519 seed is 32 bytes")
		}
		m.priv = ed25519.NewKeyFromSeed(raw)
	case kind == "MlDsa65":
		var seed [mldsa65.SeedSize]byte
		if raw == nil {
			rand.Read(seed[:])
		} else if copy(seed[:], raw) != len(raw) || len(raw) != mldsa65.SeedSize {
			return nil, errors.New("an ML-DSA-65 seed is 32 bytes")
		}
		pk, sk := mldsa65.NewKeyFromSeed(&seed)
		m.priv = sk
		m.wrap = pqPKCS8(oidMLDSA65, seed[:])
		m.pub, err = pqSPKI(oidMLDSA65, pk.Bytes())
		return m, err
	case kind == "MlKem768":
		if raw == nil {
			raw = make([]byte, mlkem.SeedSize)
			rand.Read(raw)
		}
		dk, err := mlkem.NewDecapsulationKey768(raw)
		if err != nil {
			return nil, fmt.Errorf("ML-KEM-768 key material: %w", err)
		}
		m.priv = dk
		m.wrap = pqPKCS8(oidMLKEM768, raw)
		m.pub, err = pqSPKI(oidMLKEM768, dk.EncapsulationKey().Bytes())
		return m, err
	default:
		return nil, fmt.Errorf("no key material of kind %q", kind)
	}
	if m.wrap, err = x509.MarshalPKCS8PrivateKey(m.priv); err != nil {
		return nil, err
	}
	pub := m.priv.(crypto.Signer).Public()
	m.pub, err = x509.MarshalPKIXPublicKey(pub)
	return m, err
}

// pqPKCS8 is the PKCS #8 seed form of the IETF LAMPS ML-DSA and ML-KEM
// private key formats: privateKey holds "[0] IMPLICIT OCTET STRING".
func pqPKCS8(oid asn1.ObjectIdentifier, seed []byte) []byte {
	inner, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: seed})
	out, _ := asn1.Marshal(struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, pkix.AlgorithmIdentifier{Algorithm: oid}, inner})
	return out
}

func pqSPKI(oid asn1.ObjectIdentifier, pub []byte) ([]byte, error) {
	return asn1.Marshal(struct {
		Algo      pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{pkix.AlgorithmIdentifier{Algorithm: oid}, asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
}

// wrapMaterial wraps key material for the current partition: the
// unwrapping key comes from GetUnwrappingKey in the current session.
func (s *Scenario) wrapMaterial(ctx context.Context, name, as string) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	var der []byte
	err = s.aside(func() error {
		if err := s.must(ctx, "GetUnwrappingKey", nil, sendMode{}, rc.Success); err != nil {
			return err
		}
		der, err = s.fieldBytes(s.last, "public_key")
		return err
	})
	if err != nil {
		return err
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	rk, ok := pk.(*rsa.PublicKey)
	if err != nil || !ok {
		return errors.New("GetUnwrappingKey: the public key is not an RSA SubjectPublicKeyInfo")
	}
	w, err := client.WrapKey(rk, m.wrap)
	if err != nil {
		return err
	}
	s.saved[as] = w
	return nil
}

// algorithmHash is the hash an algorithm name ends in.
func algorithmHash(alg string) crypto.Hash {
	switch {
	case strings.HasSuffix(alg, "Sha256"):
		return crypto.SHA256
	case strings.HasSuffix(alg, "Sha384"):
		return crypto.SHA384
	case strings.HasSuffix(alg, "Sha512"):
		return crypto.SHA512
	}
	return 0
}

func (s *Scenario) signLocally(alg, v, name, as string) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	data, err := s.bytesValue(v)
	if err != nil {
		return err
	}
	var sig []byte
	switch k := m.priv.(type) {
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(rand.Reader, k, data)
	case *rsa.PrivateKey:
		h := algorithmHash(alg)
		switch {
		case h == 0:
			err = fmt.Errorf("algorithm %s: no hash", alg)
		case strings.HasPrefix(alg, "RsaPss"):
			sig, err = rsa.SignPSS(rand.Reader, k, h, data, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		default:
			sig, err = rsa.SignPKCS1v15(nil, k, h, data)
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, data)
	case *mldsa65.PrivateKey:
		sig = make([]byte, mldsa65.SignatureSize)
		err = mldsa65.SignTo(k, data, nil, true, sig)
	default:
		err = fmt.Errorf("@%s (%s) does not sign", name, m.kind)
	}
	if err != nil {
		return err
	}
	s.saved[as] = sig
	return nil
}

// verifyOffline checks a signature under a DER SubjectPublicKeyInfo with
// the algorithm of the spec's Algorithm enum named alg: ECDSA and RSA over
// data as a digest, Ed25519 and ML-DSA-65 (empty context) over data as
// the message.
func verifyOffline(der []byte, alg string, data, sig []byte) error {
	if oid, raw, err := parsePQPublicKey(der); err == nil && oid.Equal(oidMLDSA65) {
		var pk mldsa65.PublicKey
		if err := pk.UnmarshalBinary(raw); err != nil {
			return fmt.Errorf("ML-DSA-65 public key: %w", err)
		}
		if !mldsa65.Verify(&pk, data, nil, sig) {
			return errors.New("the ML-DSA-65 signature does not verify")
		}
		return nil
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("public key: %w", err)
	}
	good := false
	switch k := pk.(type) {
	case *ecdsa.PublicKey:
		good = ecdsa.VerifyASN1(k, data, sig)
	case ed25519.PublicKey:
		good = ed25519.Verify(k, data, sig)
	case *rsa.PublicKey:
		h := algorithmHash(alg)
		switch {
		case h == 0:
			return fmt.Errorf("algorithm %s: no hash", alg)
		case strings.HasPrefix(alg, "RsaPss"):
			good = rsa.VerifyPSS(k, h, data, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		default:
			good = rsa.VerifyPKCS1v15(k, h, data, sig) == nil
		}
	default:
		return fmt.Errorf("public key type %T is not verified offline", pk)
	}
	if !good {
		return fmt.Errorf("the %s signature does not verify", alg)
	}
	return nil
}

// aesBlock returns the block cipher of AES key material.
func aesBlock(m *material) (cipher.Block, error) {
	if !strings.HasPrefix(m.kind, "Aes") {
		return nil, fmt.Errorf("%s key material is not an AES key", m.kind)
	}
	return aes.NewCipher(m.raw)
}

func (s *Scenario) optBytes(v string) ([]byte, error) {
	if v == "" || v == "absent" {
		return nil, nil
	}
	return s.bytesValue(v)
}

// encryptLocally computes an encryption the device's must equal or
// decrypt: AES-GCM (ciphertext || 16-byte tag), AES-CBC with PKCS #7
// padding, or RSA-OAEP to the public key saved as @name_pub.
func (s *Scenario) encryptLocally(alg, v, name, ivV, aadV string) ([]byte, error) {
	pt, err := s.bytesValue(v)
	if err != nil {
		return nil, err
	}
	iv, err := s.optBytes(ivV)
	if err != nil {
		return nil, err
	}
	aad, err := s.optBytes(aadV)
	if err != nil {
		return nil, err
	}
	switch alg {
	case "AesGcm", "AesCbc":
		m, err := s.material(name)
		if err != nil {
			return nil, err
		}
		b, err := aesBlock(m)
		if err != nil {
			return nil, err
		}
		if alg == "AesGcm" {
			g, err := cipher.NewGCM(b)
			if err != nil {
				return nil, err
			}
			if len(iv) != g.NonceSize() {
				return nil, errors.New("AES-GCM takes a 12-byte iv")
			}
			return g.Seal(nil, iv, pt, aad), nil
		}
		if len(iv) != aes.BlockSize {
			return nil, errors.New("AES-CBC takes a 16-byte iv")
		}
		n := aes.BlockSize - len(pt)%aes.BlockSize // RFC 5652 §6.3
		padded := append(pt, bytes.Repeat([]byte{byte(n)}, n)...)
		out := make([]byte, len(padded))
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, padded)
		return out, nil
	}
	der, ok := s.saved[name+"_pub"].([]byte)
	if !ok {
		return nil, fmt.Errorf("no public key saved as @%s_pub", name)
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	rk, ok := pk.(*rsa.PublicKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("@%s_pub is not an RSA public key", name)
	}
	h := algorithmHash(alg)
	return rsa.EncryptOAEP(h.New(), rand.Reader, rk, pt, aad)
}

func (s *Scenario) decryptsTo(f, alg, name, ivV, aadV, wantV string) error {
	ct, err := s.fieldBytes(s.last, f)
	if err != nil {
		return err
	}
	m, err := s.material(name)
	if err != nil {
		return err
	}
	iv, err := s.optBytes(ivV)
	if err != nil {
		return err
	}
	aad, err := s.optBytes(aadV)
	if err != nil {
		return err
	}
	want, err := s.bytesValue(wantV)
	if err != nil {
		return err
	}
	var pt []byte
	switch alg {
	case "AesGcm", "AesCbc":
		b, err := aesBlock(m)
		if err != nil {
			return err
		}
		if alg == "AesGcm" {
			g, err := cipher.NewGCM(b)
			if err != nil {
				return err
			}
			if pt, err = g.Open(nil, iv, ct, aad); err != nil {
				return fmt.Errorf("%s.%s does not open as AES-GCM here: %w", s.last.name(), f, err)
			}
			break
		}
		if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
			return fmt.Errorf("%s.%s is no AES-CBC ciphertext of a 16-byte iv", s.last.name(), f)
		}
		pt = make([]byte, len(ct))
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(pt, ct)
		n := int(pt[len(pt)-1])
		if n == 0 || n > aes.BlockSize || !bytes.Equal(pt[len(pt)-n:], bytes.Repeat([]byte{byte(n)}, n)) {
			return fmt.Errorf("%s.%s has no PKCS #7 padding", s.last.name(), f)
		}
		pt = pt[:len(pt)-n]
	case "RsaOaepSha256", "RsaOaepSha384":
		k, ok := m.priv.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("@%s is not RSA key material", name)
		}
		if pt, err = rsa.DecryptOAEP(algorithmHash(alg).New(), nil, k, ct, aad); err != nil {
			return fmt.Errorf("%s.%s does not decrypt as %s here: %w", s.last.name(), f, alg, err)
		}
	default:
		return fmt.Errorf("algorithm %s is not decrypted here", alg)
	}
	if !bytes.Equal(pt, want) {
		return fmt.Errorf("%s.%s decrypts to hex:%x, want hex:%x", s.last.name(), f, pt, want)
	}
	return nil
}

func hmacHash(kind string) func() hash.Hash {
	switch kind {
	case "HmacSha256":
		return sha256.New
	case "HmacSha384":
		return sha512.New384
	case "HmacSha512":
		return sha512.New
	}
	return nil
}

func namedHash(name string) func() hash.Hash {
	return map[string]func() hash.Hash{"Sha256": sha256.New, "Sha384": sha512.New384, "Sha512": sha512.New}[name]
}

func (s *Scenario) matchesHMAC(f, v, name string) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	h := hmacHash(m.kind)
	if h == nil {
		return fmt.Errorf("@%s (%s) is not an HMAC key", name, m.kind)
	}
	msg, err := s.bytesValue(v)
	if err != nil {
		return err
	}
	got, err := s.fieldBytes(s.last, f)
	if err != nil {
		return err
	}
	mac := hmac.New(h, m.raw)
	mac.Write(msg)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%s.%s is not the HMAC computed here", s.last.name(), f)
	}
	return nil
}

// kbkdf is SP 800-108r1 §4.1 counter mode with HMAC: K(i) = HMAC(key,
// [i]_32 || label || 0x00 || context || [L]_32), L the output length in
// bits.
func kbkdf(h func() hash.Hash, key, label, context []byte, n int) []byte {
	var out []byte
	for i := uint32(1); len(out) < n; i++ {
		mac := hmac.New(h, key)
		mac.Write(binary.BigEndian.AppendUint32(nil, i))
		mac.Write(label)
		mac.Write([]byte{0})
		mac.Write(context)
		mac.Write(binary.BigEndian.AppendUint32(nil, uint32(8*n)))
		out = mac.Sum(out)
	}
	return out[:n]
}

func (s *Scenario) deriveLocally(kdf, hashName, name, aV, bV, kind, as string) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	if m.raw == nil {
		return fmt.Errorf("@%s (%s) is not a secret or HMAC key", name, m.kind)
	}
	a, err := s.optBytes(aV)
	if err != nil {
		return err
	}
	b, err := s.optBytes(bV)
	if err != nil {
		return err
	}
	n := symmetricSizes[kind]
	if n == 0 {
		return fmt.Errorf("%s is not a symmetric kind", kind)
	}
	h := namedHash(hashName)
	var out []byte
	if kdf == "HKDF" {
		if out, err = hkdf.Key(h, m.raw, a, string(b), n); err != nil {
			return err
		}
	} else {
		out = kbkdf(h, m.raw, a, b, n)
	}
	d, err := newMaterial(kind, out)
	if err != nil {
		return err
	}
	s.putMaterial(as, d)
	return nil
}

// ecdhLocally computes the SP 800-56A r3 §5.7.1.2 shared secret (the
// x-coordinate) of key material and a saved public key.
func (s *Scenario) ecdhLocally(name, k, as string) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	priv, ok := m.priv.(*ecdsa.PrivateKey)
	if !ok {
		return fmt.Errorf("@%s is not ECC key material", name)
	}
	der, ok := s.saved[k+"_pub"].([]byte)
	if !ok {
		return fmt.Errorf("no public key saved as @%s_pub", k)
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	pub, ok := pk.(*ecdsa.PublicKey)
	if err != nil || !ok {
		return fmt.Errorf("@%s_pub is not an ECC public key", k)
	}
	a, err := priv.ECDH()
	if err != nil {
		return err
	}
	b, err := pub.ECDH()
	if err != nil {
		return err
	}
	z, err := a.ECDH(b)
	if err != nil {
		return err
	}
	kind := map[ecdh.Curve]string{ecdh.P256(): "Secret256", ecdh.P384(): "Secret384", ecdh.P521(): "Secret521"}[a.Curve()]
	d, err := newMaterial(kind, z)
	if err != nil {
		return err
	}
	s.putMaterial(as, d)
	return nil
}

func (s *Scenario) encapsulateLocally(k, ctName, as string) error {
	der, ok := s.saved[k+"_pub"].([]byte)
	if !ok {
		return fmt.Errorf("no public key saved as @%s_pub", k)
	}
	oid, raw, err := parsePQPublicKey(der)
	if err != nil || !oid.Equal(oidMLKEM768) {
		return fmt.Errorf("@%s_pub is not an ML-KEM-768 public key", k)
	}
	ek, err := mlkem.NewEncapsulationKey768(raw)
	if err != nil {
		return fmt.Errorf("@%s_pub: %w", k, err)
	}
	secret, ct := ek.Encapsulate()
	d, err := newMaterial("Secret256", secret)
	if err != nil {
		return err
	}
	s.saved[ctName] = ct
	s.putMaterial(as, d)
	return nil
}

func (s *Scenario) decapsulateLocally(v, name, as string) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	dk, ok := m.priv.(*mlkem.DecapsulationKey768)
	if !ok {
		return fmt.Errorf("@%s is not ML-KEM-768 key material", name)
	}
	ct, err := s.bytesValue(v)
	if err != nil {
		return err
	}
	secret, err := dk.Decapsulate(ct)
	if err != nil {
		return err
	}
	d, err := newMaterial("Secret256", secret)
	if err != nil {
		return err
	}
	s.putMaterial(as, d)
	return nil
}

// Fixed public inputs of holdsMaterial: it compares values computed from
// a key, never the key.
var (
	checkSalt    = []byte("OpenIHSM-v1 conformance salt")
	checkInfo    = []byte("OpenIHSM-v1 conformance info")
	checkMessage = []byte("OpenIHSM-v1 conformance check message")
	checkIV      = []byte("OpenIHSM-v1 conformance")[:12]
)

// holdsMaterial checks whether the device key saved as @k is the key
// material @m, by a value both sides compute: an HMAC (HMAC keys), an
// AES-GCM encryption under a fixed IV (AES keys), or the HMAC of a key
// derived with HKDF-SHA-256 (secrets).
func (s *Scenario) holdsMaterial(ctx context.Context, k, name string, want bool) error {
	m, err := s.material(name)
	if err != nil {
		return err
	}
	if m.raw == nil {
		return fmt.Errorf("@%s (%s) is compared through its public key, not here", name, m.kind)
	}
	hexOf := func(b []byte) string { return "hex:" + hex.EncodeToString(b) }
	var got, local []byte
	err = s.aside(func() error {
		key := "@" + k
		switch {
		case strings.HasPrefix(m.kind, "Secret"):
			if err := s.must(ctx, "HkdfDerive", map[string]string{
				"key_handle": key, "hash": "Sha256", "salt": hexOf(checkSalt), "info": hexOf(checkInfo),
				"target_kind": "HmacSha256", "usage": "Sign|SessionOnly",
			}, sendMode{}, rc.Success); err != nil {
				return err
			}
			h, err := s.responseValue(s.last, "key_handle")
			if err != nil {
				return err
			}
			s.saved["\x00check"] = h
			key = "@\x00check"
			okm, err := hkdf.Key(sha256.New, m.raw, checkSalt, string(checkInfo), 32)
			if err != nil {
				return err
			}
			mac := hmac.New(sha256.New, okm)
			mac.Write(checkMessage)
			local = mac.Sum(nil)
			fallthrough
		case strings.HasPrefix(m.kind, "Hmac"):
			if local == nil {
				mac := hmac.New(hmacHash(m.kind), m.raw)
				mac.Write(checkMessage)
				local = mac.Sum(nil)
			}
			if err := s.must(ctx, "Hmac", map[string]string{"key_handle": key, "message": hexOf(checkMessage)}, sendMode{}, rc.Success); err != nil {
				return err
			}
			got, err = s.fieldBytes(s.last, "mac")
			return err
		case strings.HasPrefix(m.kind, "Aes"):
			b, err := aesBlock(m)
			if err != nil {
				return err
			}
			g, err := cipher.NewGCM(b)
			if err != nil {
				return err
			}
			local = g.Seal(nil, checkIV, checkMessage, nil)
			if err := s.must(ctx, "Encrypt", map[string]string{
				"key_handle": key, "algorithm": "AesGcm", "plaintext": hexOf(checkMessage), "iv": hexOf(checkIV),
			}, sendMode{}, rc.Success); err != nil {
				return err
			}
			got, err = s.fieldBytes(s.last, "ciphertext")
			return err
		}
		return fmt.Errorf("@%s (%s) cannot be compared", name, m.kind)
	})
	if err != nil {
		return err
	}
	if same := hmac.Equal(got, local); same != want {
		if want {
			return fmt.Errorf("the key @%s is not the key material @%s", k, name)
		}
		return fmt.Errorf("the key @%s is the key material @%s", k, name)
	}
	return nil
}
