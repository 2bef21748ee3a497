package keys

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
)

// OIDs of the NIST PQC algorithms (CSOR, "Computer Security Objects
// Register"): id-ml-dsa-65 and id-alg-ml-kem-768.
var (
	oidMLDSA65  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLKEM768 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 2}
)

// key is one application key. Its attributes and material never change
// after creation; mu is held for reading by operations and for writing by
// destroy, so destruction waits for operations in flight.
type key struct {
	_ [0]func()

	handle  uint32
	kind    Kind
	usage   Usage
	tag     uint16
	label   string
	session uint32
	origin  Origin
	pub     []byte // DER SPKI; nil for symmetric kinds

	mu        sync.RWMutex
	destroyed bool
	// release is mu.RUnlock, bound once so that an operation does not
	// allocate the method value.
	release func()

	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey
	ed    ed25519.PrivateKey
	mldsa *mldsa65.PrivateKey
	mlpub *mldsa65.PublicKey
	mlkem *mlkem.DecapsulationKey768
	sym   *secret.Bytes

	// cached expanded state (perf finding 6: never per operation)
	block   cipher.Block
	gcm     cipher.AEAD
	macPool *sync.Pool
}

// material is freshly created key material before it enters the store.
// Like secret.Bytes, it and key cannot be compared with ==, print as
// [REDACTED] and marshal to nothing.
type material struct {
	_ [0]func()

	ec    *ecdsa.PrivateKey
	rsa   *rsa.PrivateKey
	ed    ed25519.PrivateKey
	mldsa *mldsa65.PrivateKey
	mlkem *mlkem.DecapsulationKey768
	sym   *secret.Bytes
}

const redacted = "[REDACTED]"

func (material) String() string             { return redacted }
func (material) GoString() string           { return redacted }
func (material) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }
func (k *key) String() string               { return redacted }
func (k *key) GoString() string             { return redacted }
func (k *key) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }

// clear zeroes what of the material the package can reach (the Ed25519
// private key bytes and symmetric key bytes) and drops every reference.
// The private values of the standard library's ECDSA, RSA and ML-KEM keys
// and of circl's ML-DSA keys live in their internal state, which has no
// clear method: dropping the references is all Go allows (see the package
// documentation).
func (m *material) clear() {
	clear(m.ed)
	m.sym.Clear()
	*m = material{}
}

func curveOf(k Kind) elliptic.Curve {
	switch k {
	case EccP256:
		return elliptic.P256()
	case EccP384:
		return elliptic.P384()
	case EccP521:
		return elliptic.P521()
	}
	return nil
}

// generate creates fresh material of kind k with the module's DRBG.
func generate(k Kind) (*material, error) {
	switch {
	case k.IsECC():
		ec, err := ecdsa.GenerateKey(curveOf(k), rand.Reader)
		if err != nil {
			return nil, err
		}
		return &material{ec: ec}, nil
	case k.IsRSA():
		r, err := rsa.GenerateKey(rand.Reader, k.rsaBits())
		if err != nil {
			return nil, err
		}
		return &material{rsa: r}, nil
	case k == Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return &material{ed: priv}, nil
	case k == MlDsa65:
		_, priv, err := mldsa65.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return &material{mldsa: priv}, nil
	case k == MlKem768:
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil, err
		}
		return &material{mlkem: dk}, nil
	case k.Symmetric():
		b := make([]byte, k.symLen())
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		return &material{sym: secret.Adopt(b)}, nil
	}
	return nil, ErrUnsupportedKeyKind
}

// parseMaterial decodes key material in the encoding of the package
// documentation ("Key material encoding"), without the origin byte.
// pkcs8PQ selects PKCS#8 seed form for ML-DSA/ML-KEM (UnwrapKey) instead of
// the bare seed (masked keys).
func parseMaterial(k Kind, b []byte, pkcs8PQ bool) (*material, error) {
	switch {
	case k.IsECC() || k.IsRSA() || k == Ed25519:
		priv, err := x509.ParsePKCS8PrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#8: %w", err)
		}
		switch p := priv.(type) {
		case *ecdsa.PrivateKey:
			if !k.IsECC() || p.Curve != curveOf(k) {
				return nil, errors.New("PKCS#8 key does not match the kind")
			}
			return &material{ec: p}, nil
		case *rsa.PrivateKey:
			if !k.IsRSA() || p.N.BitLen() != k.rsaBits() {
				return nil, errors.New("PKCS#8 key does not match the kind")
			}
			return &material{rsa: p}, nil
		case ed25519.PrivateKey:
			if k != Ed25519 {
				return nil, errors.New("PKCS#8 key does not match the kind")
			}
			return &material{ed: p}, nil
		}
		return nil, errors.New("unsupported PKCS#8 key type")
	case k == MlDsa65:
		seed := b
		if pkcs8PQ {
			var err error
			if seed, err = parsePQSeed(b, oidMLDSA65, mldsa65.SeedSize); err != nil {
				return nil, err
			}
		}
		if len(seed) != mldsa65.SeedSize {
			return nil, errors.New("ML-DSA-65 seed must be 32 bytes")
		}
		var s [mldsa65.SeedSize]byte
		copy(s[:], seed)
		_, priv := mldsa65.NewKeyFromSeed(&s)
		clear(s[:])
		return &material{mldsa: priv}, nil
	case k == MlKem768:
		seed := b
		if pkcs8PQ {
			var err error
			if seed, err = parsePQSeed(b, oidMLKEM768, mlkem.SeedSize); err != nil {
				return nil, err
			}
		}
		dk, err := mlkem.NewDecapsulationKey768(seed)
		if err != nil {
			return nil, err
		}
		return &material{mlkem: dk}, nil
	case k.IsAES() || k.IsSecret():
		if len(b) != k.symLen() {
			return nil, fmt.Errorf("%v key must be %d bytes", k, k.symLen())
		}
		return &material{sym: secret.New(b)}, nil
	case k.IsHMAC():
		// SP 800-107r1 §5.3.4: at least 112 bits; longer than a block is
		// hashed by HMAC itself, so cap at 128 bytes.
		if len(b) < 14 || len(b) > 128 {
			return nil, errors.New("HMAC key must be 14..128 bytes")
		}
		return &material{sym: secret.New(b)}, nil
	}
	return nil, ErrUnsupportedKeyKind
}

type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// parsePQSeed reads a PKCS#8 PrivateKeyInfo whose privateKey OCTET STRING
// holds the seed form "[0] IMPLICIT OCTET STRING" (IETF LAMPS ML-DSA and
// ML-KEM private key formats), or the "both" form SEQUENCE { seed, expanded },
// from which only the seed is used.
func parsePQSeed(b []byte, oid asn1.ObjectIdentifier, size int) ([]byte, error) {
	var p pkcs8
	rest, err := asn1.Unmarshal(b, &p)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("malformed PKCS#8")
	}
	if !p.Algo.Algorithm.Equal(oid) || len(p.Algo.Parameters.FullBytes) != 0 {
		return nil, errors.New("PKCS#8 algorithm does not match the kind")
	}
	var raw asn1.RawValue
	rest, err = asn1.Unmarshal(p.PrivateKey, &raw)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("malformed private key")
	}
	switch {
	case raw.Class == asn1.ClassContextSpecific && raw.Tag == 0 && !raw.IsCompound:
		if len(raw.Bytes) != size {
			return nil, errors.New("wrong seed length")
		}
		return raw.Bytes, nil
	case raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagSequence:
		var both struct {
			Seed     []byte
			Expanded []byte
		}
		if _, err := asn1.Unmarshal(raw.FullBytes, &both); err != nil || len(both.Seed) != size {
			return nil, errors.New("malformed seed/expanded private key")
		}
		return both.Seed, nil
	}
	return nil, errors.New("unsupported private key form (seed form required)")
}

// marshalPQSeed is the inverse of parsePQSeed for the seed form.
func marshalPQSeed(oid asn1.ObjectIdentifier, seed []byte) ([]byte, error) {
	inner, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: seed})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs8{Algo: pkix.AlgorithmIdentifier{Algorithm: oid}, PrivateKey: inner})
}

type spki struct {
	Algo      pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// publicDER returns the DER SubjectPublicKeyInfo of the material (RFC 5280
// §4.1.2.7; ML-DSA and ML-KEM keys carry the raw FIPS 204 / FIPS 203 public
// key in the BIT STRING with absent parameters).
func (m *material) publicDER() ([]byte, error) {
	switch {
	case m.ec != nil:
		return x509.MarshalPKIXPublicKey(&m.ec.PublicKey)
	case m.rsa != nil:
		return x509.MarshalPKIXPublicKey(&m.rsa.PublicKey)
	case m.ed != nil:
		return x509.MarshalPKIXPublicKey(m.ed.Public())
	case m.mldsa != nil:
		pk := m.mldsa.Public().(*mldsa65.PublicKey).Bytes()
		return asn1.Marshal(spki{Algo: pkix.AlgorithmIdentifier{Algorithm: oidMLDSA65}, PublicKey: asn1.BitString{Bytes: pk, BitLength: 8 * len(pk)}})
	case m.mlkem != nil:
		pk := m.mlkem.EncapsulationKey().Bytes()
		return asn1.Marshal(spki{Algo: pkix.AlgorithmIdentifier{Algorithm: oidMLKEM768}, PublicKey: asn1.BitString{Bytes: pk, BitLength: 8 * len(pk)}})
	}
	return nil, nil
}

// encode returns the material in the masked-key encoding (without the origin
// byte).
func (k *key) encode() ([]byte, error) {
	switch {
	case k.ec != nil:
		return x509.MarshalPKCS8PrivateKey(k.ec)
	case k.rsa != nil:
		return x509.MarshalPKCS8PrivateKey(k.rsa)
	case k.ed != nil:
		return x509.MarshalPKCS8PrivateKey(k.ed)
	case k.mldsa != nil:
		return append([]byte(nil), k.mldsa.Seed()...), nil
	case k.mlkem != nil:
		return k.mlkem.Bytes(), nil
	case k.sym != nil:
		return append([]byte(nil), k.sym.Expose()...), nil
	}
	return nil, ErrKeyNotFound
}

var pctMessage = []byte("OpenIHSM pairwise consistency test")

// pct runs the pairwise consistency test for asymmetric material
// (FIPS 140-3 IG 10.3.A, SP 800-56A r3 §5.6.2.1.4).
func (m *material) pct(r *selftest.Registry) error {
	d := sha256.Sum256(pctMessage)
	switch {
	case m.ec != nil:
		if err := r.PCT(selftest.PCTECDSA, func() error {
			sig, err := ecdsa.SignASN1(rand.Reader, m.ec, d[:])
			if err != nil {
				return err
			}
			if !ecdsa.VerifyASN1(&m.ec.PublicKey, d[:], sig) {
				return errors.New("ECDSA signature does not verify")
			}
			return nil
		}); err != nil {
			return err
		}
		return r.PCT(selftest.PCTECDH, func() error {
			dh, err := m.ec.ECDH()
			if err != nil {
				return err
			}
			pub, err := m.ec.PublicKey.Bytes()
			if err != nil {
				return err
			}
			if !bytes.Equal(dh.PublicKey().Bytes(), pub) {
				return errors.New("ECDH public key does not match the private key")
			}
			return nil
		})
	case m.rsa != nil:
		return r.PCT(selftest.PCTRSA, func() error {
			if err := m.rsa.Validate(); err != nil {
				return err
			}
			sig, err := rsa.SignPKCS1v15(nil, m.rsa, crypto.SHA256, d[:])
			if err != nil {
				return err
			}
			return rsa.VerifyPKCS1v15(&m.rsa.PublicKey, crypto.SHA256, d[:], sig)
		})
	case m.ed != nil:
		return r.PCT(selftest.PCTEd25519, func() error {
			if !ed25519.Verify(m.ed.Public().(ed25519.PublicKey), pctMessage, ed25519.Sign(m.ed, pctMessage)) {
				return errors.New("Ed25519 signature does not verify")
			}
			return nil
		})
	case m.mldsa != nil:
		return r.PCT(selftest.PCTMLDSA65, func() error {
			sig := make([]byte, mldsa65.SignatureSize)
			if err := mldsa65.SignTo(m.mldsa, pctMessage, nil, true, sig); err != nil {
				return err
			}
			if !mldsa65.Verify(m.mldsa.Public().(*mldsa65.PublicKey), pctMessage, nil, sig) {
				return errors.New("ML-DSA-65 signature does not verify")
			}
			return nil
		})
	case m.mlkem != nil:
		return r.PCT(selftest.PCTMLKEM, func() error {
			k1, ct := m.mlkem.EncapsulationKey().Encapsulate()
			k2, err := m.mlkem.Decapsulate(ct)
			if err != nil {
				return err
			}
			if !hmac.Equal(k1, k2) {
				return errors.New("ML-KEM-768 shared secrets differ")
			}
			return nil
		})
	}
	return nil
}

// hashFunc returns the constructor of an HMAC kind's hash.
func hmacHash(k Kind) func() hash.Hash {
	switch k {
	case HmacSha256:
		return sha256.New
	case HmacSha384:
		return sha512.New384
	case HmacSha512:
		return sha512.New
	}
	return nil
}

func hashNew(h crypto.Hash) func() hash.Hash {
	switch h {
	case crypto.SHA256:
		return sha256.New
	case crypto.SHA384:
		return sha512.New384
	case crypto.SHA512:
		return sha512.New
	}
	return nil
}

// newKey builds a key from material and prepares its cached state.
func newKey(m *material, kind Kind, a Attributes, origin Origin) (*key, error) {
	pub, err := m.publicDER()
	if err != nil {
		return nil, err
	}
	k := &key{kind: kind, usage: a.Usage, tag: a.Tag, label: a.Label, session: a.Session, origin: origin, pub: pub,
		ec: m.ec, rsa: m.rsa, ed: m.ed, mldsa: m.mldsa, mlkem: m.mlkem, sym: m.sym}
	k.release = k.mu.RUnlock
	if m.mldsa != nil {
		k.mlpub = m.mldsa.Public().(*mldsa65.PublicKey)
	}
	switch {
	case kind.IsAES():
		b, err := aes.NewCipher(m.sym.Expose())
		if err != nil {
			return nil, err
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			return nil, err
		}
		k.block, k.gcm = b, g
	case kind.IsHMAC():
		h, raw := hmacHash(kind), m.sym
		k.macPool = &sync.Pool{New: func() any { return hmac.New(h, raw.Expose()) }}
	}
	return k, nil
}

// destroy drops the key's material after operations in flight finish.
func (k *key) destroy() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.destroyed = true
	clear(k.ed)
	k.sym.Clear()
	k.ec, k.rsa, k.ed, k.mldsa, k.mlkem, k.sym = nil, nil, nil, nil, nil, nil
	k.block, k.gcm, k.macPool = nil, nil, nil
}
