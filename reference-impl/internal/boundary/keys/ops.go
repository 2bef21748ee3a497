package keys

import (
	"crypto"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"hash"
	"slices"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/kdf"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keywrap"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

// use looks up the key and read-locks it for one operation, after checking
// that alg is implemented, fits the kind, and that the key has usage bit u.
// The returned function releases the key.
func (s *Store) use(session, handle uint32, alg Algorithm, u Usage) (*key, func(), error) {
	k, err := s.get(session, handle)
	if err != nil {
		return nil, nil, err
	}
	if alg != 0 {
		if !slices.Contains(Algorithms(), alg) {
			return nil, nil, ErrUnsupportedAlgorithm
		}
		if !fits(k.kind, alg) {
			return nil, nil, ErrAlgorithmMismatch
		}
	}
	if k.usage&u == 0 {
		return nil, nil, ErrUsageNotPermitted
	}
	k.mu.RLock()
	if k.destroyed {
		k.mu.RUnlock()
		return nil, nil, ErrKeyNotFound
	}
	return k, k.release, nil
}

// fits reports whether algorithm a may be used with a key of kind k.
func fits(k Kind, a Algorithm) bool {
	switch a {
	case EcdsaSha256, EcdsaSha384, EcdsaSha512:
		return k.IsECC()
	case RsaPssSha256, RsaPssSha384, RsaPssSha512, RsaPkcs1Sha256, RsaPkcs1Sha384, RsaPkcs1Sha512, RsaOaepSha256, RsaOaepSha384:
		return k.IsRSA()
	case AlgEd25519:
		return k == Ed25519
	case AlgMlDsa65:
		return k == MlDsa65
	case AesGcm, AesCbc, AesKwp:
		return k.IsAES()
	case HmacAlgSha256:
		return k == HmacSha256
	case HmacAlgSha384:
		return k == HmacSha384
	case HmacAlgSha512:
		return k == HmacSha512
	}
	return false
}

func isSignature(a Algorithm) bool {
	return a >= EcdsaSha256 && a <= AlgMlDsa65
}

// checkSignInput enforces digest and message lengths.
func checkSignInput(a Algorithm, data []byte) error {
	if h := a.hash(); h != 0 {
		if len(data) != h.Size() {
			return ErrDigestMismatch
		}
		return nil
	}
	if len(data) > MaxMessage {
		return ErrInvalidLength
	}
	return nil
}

// Sign signs data (a digest for ECDSA and RSA, the message for Ed25519 and
// ML-DSA-65) with the key under handle.
func (s *Store) Sign(session, handle uint32, alg Algorithm, data []byte) ([]byte, error) {
	if slices.Contains(Algorithms(), alg) && !isSignature(alg) {
		return nil, ErrAlgorithmMismatch
	}
	k, done, err := s.use(session, handle, alg, UsageSign)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := checkSignInput(alg, data); err != nil {
		return nil, err
	}
	switch {
	case k.ec != nil:
		return ecdsa.SignASN1(rand.Reader, k.ec, data)
	case k.rsa != nil:
		if alg >= RsaPssSha256 && alg <= RsaPssSha512 {
			return rsa.SignPSS(rand.Reader, k.rsa, alg.hash(), data, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(nil, k.rsa, alg.hash(), data)
	case k.ed != nil:
		return ed25519.Sign(k.ed, data), nil
	case k.mldsa != nil:
		sig := make([]byte, mldsa65.SignatureSize)
		if err := mldsa65.SignTo(k.mldsa, data, nil, true, sig); err != nil {
			return nil, err
		}
		return sig, nil
	}
	return nil, ErrAlgorithmMismatch
}

// Verify checks signature over data with the key under handle; a signature
// that does not verify is ErrSignatureInvalid.
func (s *Store) Verify(session, handle uint32, alg Algorithm, data, signature []byte) error {
	if slices.Contains(Algorithms(), alg) && !isSignature(alg) {
		return ErrAlgorithmMismatch
	}
	k, done, err := s.use(session, handle, alg, UsageVerify)
	if err != nil {
		return err
	}
	defer done()
	if err := checkSignInput(alg, data); err != nil {
		return err
	}
	ok := false
	switch {
	case k.ec != nil:
		ok = verifyECDSA(&k.ec.PublicKey, data, signature)
	case k.rsa != nil:
		if alg >= RsaPssSha256 && alg <= RsaPssSha512 {
			ok = rsa.VerifyPSS(&k.rsa.PublicKey, alg.hash(), data, signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(&k.rsa.PublicKey, alg.hash(), data, signature) == nil
		}
	case k.ed != nil:
		ok = ed25519.Verify(k.ed.Public().(ed25519.PublicKey), data, signature)
	case k.mldsa != nil:
		ok = mldsa65.Verify(k.mlpub, data, nil, signature)
	}
	if !ok {
		return ErrSignatureInvalid
	}
	return nil
}

const (
	gcmIVSize  = 12
	cbcIVSize  = 16
	blockSize  = 16
	gcmTagSize = 16
)

// Encrypt encrypts plaintext. For AES-GCM and AES-CBC a nil iv asks the
// device to generate one; the IV used is returned. AES-GCM takes aad;
// RSA-OAEP takes aad as its label; AES-KWP takes neither IV nor AAD.
func (s *Store) Encrypt(session, handle uint32, alg Algorithm, plaintext, iv, aad []byte) (ciphertext, ivOut []byte, err error) {
	need := UsageEncrypt
	if alg == AesKwp {
		need = UsageWrap
	}
	if slices.Contains(Algorithms(), alg) && !isCipher(alg) {
		return nil, nil, ErrAlgorithmMismatch
	}
	k, done, err := s.use(session, handle, alg, need)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	if len(plaintext) > MaxMessage {
		return nil, nil, ErrInvalidLength
	}
	switch alg {
	case AesGcm:
		if iv == nil {
			iv = make([]byte, gcmIVSize)
			if _, err := rand.Read(iv); err != nil {
				return nil, nil, err
			}
		} else if len(iv) != gcmIVSize {
			return nil, nil, ErrInvalidLength
		}
		return k.gcm.Seal(make([]byte, 0, len(plaintext)+gcmTagSize), iv, plaintext, aad), iv, nil
	case AesCbc:
		if aad != nil {
			return nil, nil, ErrInvalidArgument
		}
		if iv == nil {
			iv = make([]byte, cbcIVSize)
			if _, err := rand.Read(iv); err != nil {
				return nil, nil, err
			}
		} else if len(iv) != cbcIVSize {
			return nil, nil, ErrInvalidLength
		}
		// SP 800-38A Appendix A padding, in the PKCS#7 (RFC 5652 §6.3) form.
		pad := blockSize - len(plaintext)%blockSize
		out := make([]byte, len(plaintext)+pad)
		copy(out, plaintext)
		for i := len(plaintext); i < len(out); i++ {
			out[i] = byte(pad)
		}
		cipher.NewCBCEncrypter(k.block, iv).CryptBlocks(out, out)
		return out, iv, nil
	case AesKwp:
		if iv != nil || aad != nil {
			return nil, nil, ErrInvalidArgument
		}
		c, err := keywrap.Wrap(k.block, plaintext)
		if err != nil {
			return nil, nil, ErrInvalidLength
		}
		return c, nil, nil
	case RsaOaepSha256, RsaOaepSha384:
		if iv != nil {
			return nil, nil, ErrInvalidArgument
		}
		c, err := rsa.EncryptOAEP(hashNew(alg.hash())(), rand.Reader, &k.rsa.PublicKey, plaintext, aad)
		if err != nil {
			return nil, nil, ErrInvalidLength
		}
		return c, nil, nil
	}
	return nil, nil, ErrAlgorithmMismatch
}

func isCipher(a Algorithm) bool {
	return a == AesGcm || a == AesCbc || a == AesKwp || a == RsaOaepSha256 || a == RsaOaepSha384
}

// Decrypt reverses Encrypt; an authentication, padding or unwrap failure is
// ErrDecryptFailed.
func (s *Store) Decrypt(session, handle uint32, alg Algorithm, ciphertext, iv, aad []byte) ([]byte, error) {
	need := UsageDecrypt
	if alg == AesKwp {
		need = UsageUnwrap
	}
	if slices.Contains(Algorithms(), alg) && !isCipher(alg) {
		return nil, ErrAlgorithmMismatch
	}
	k, done, err := s.use(session, handle, alg, need)
	if err != nil {
		return nil, err
	}
	defer done()
	if len(ciphertext) > MaxMessage+blockSize+gcmTagSize+8 {
		return nil, ErrInvalidLength
	}
	switch alg {
	case AesGcm:
		if len(iv) != gcmIVSize || len(ciphertext) < gcmTagSize {
			return nil, ErrInvalidLength
		}
		pt, err := k.gcm.Open(nil, iv, ciphertext, aad)
		if err != nil {
			return nil, ErrDecryptFailed
		}
		return pt, nil
	case AesCbc:
		if aad != nil {
			return nil, ErrInvalidArgument
		}
		if len(iv) != cbcIVSize || len(ciphertext) == 0 || len(ciphertext)%blockSize != 0 {
			return nil, ErrInvalidLength
		}
		out := make([]byte, len(ciphertext))
		cipher.NewCBCDecrypter(k.block, iv).CryptBlocks(out, ciphertext)
		n, ok := unpad(out)
		if !ok {
			clear(out)
			return nil, ErrDecryptFailed
		}
		return out[:n], nil
	case AesKwp:
		if iv != nil || aad != nil {
			return nil, ErrInvalidArgument
		}
		pt, err := keywrap.Unwrap(k.block, ciphertext)
		if err != nil {
			return nil, ErrDecryptFailed
		}
		return pt, nil
	case RsaOaepSha256, RsaOaepSha384:
		if iv != nil {
			return nil, ErrInvalidArgument
		}
		pt, err := rsa.DecryptOAEP(hashNew(alg.hash())(), nil, k.rsa, ciphertext, aad)
		if err != nil {
			return nil, ErrDecryptFailed
		}
		return pt, nil
	}
	return nil, ErrAlgorithmMismatch
}

// unpad checks PKCS#7 padding in constant time with respect to the padding
// value and returns the plaintext length.
func unpad(b []byte) (int, bool) {
	p := int(b[len(b)-1])
	good := subtle.ConstantTimeLessOrEq(1, p) & subtle.ConstantTimeLessOrEq(p, blockSize)
	for i := 1; i <= blockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, p)
		match := subtle.ConstantTimeByteEq(b[len(b)-i], byte(p))
		good &= subtle.ConstantTimeSelect(inPad, match, 1)
	}
	if good != 1 {
		return 0, false
	}
	return len(b) - p, true
}

// HMAC returns the HMAC (FIPS 198-1) of message under an HMAC key.
func (s *Store) HMAC(session, handle uint32, message []byte) ([]byte, error) {
	k, err := s.get(session, handle)
	if err != nil {
		return nil, err
	}
	if !k.kind.IsHMAC() {
		return nil, ErrAlgorithmMismatch
	}
	k, done, err := s.use(session, handle, 0, UsageSign)
	if err != nil {
		return nil, err
	}
	defer done()
	if len(message) > MaxMessage {
		return nil, ErrInvalidLength
	}
	m := k.macPool.Get().(hash.Hash)
	m.Reset()
	m.Write(message)
	out := m.Sum(nil)
	k.macPool.Put(m)
	return out, nil
}

// derivedAttributes validates the attributes of a key a derivation will
// create before any secret is computed.
func (s *Store) derivedAttributes(kind Kind, a Attributes) error {
	if err := a.check(kind); err != nil {
		return err
	}
	return s.precheck(a.Tag)
}

// storeSecret stores derived bytes as a new key of kind (origin generated).
func (s *Store) storeSecret(kind Kind, a Attributes, b []byte) (Info, error) {
	return s.add(&material{sym: secret.Adopt(b)}, kind, a, OriginGenerated)
}

// Encapsulate runs ML-KEM-768 encapsulation (FIPS 203 §7.2) against the
// key under handle and stores the shared secret as a Secret256 key; the
// secret itself never leaves the store.
func (s *Store) Encapsulate(session, handle uint32, a Attributes) (ciphertext []byte, info Info, err error) {
	k, done, err := s.kem(session, handle)
	if err != nil {
		return nil, Info{}, err
	}
	ek := k.mlkem.EncapsulationKey()
	done()
	if err := s.derivedAttributes(Secret256, a); err != nil {
		return nil, Info{}, err
	}
	ss, ct := ek.Encapsulate()
	info, err = s.storeSecret(Secret256, a, ss)
	if err != nil {
		return nil, Info{}, err
	}
	return ct, info, nil
}

// Decapsulate runs ML-KEM-768 decapsulation (FIPS 203 §7.3) and stores the
// shared secret as a Secret256 key.
func (s *Store) Decapsulate(session, handle uint32, ciphertext []byte, a Attributes) (Info, error) {
	k, done, err := s.kem(session, handle)
	if err != nil {
		return Info{}, err
	}
	defer done()
	if len(ciphertext) != mlkem.CiphertextSize768 {
		return Info{}, ErrInvalidLength
	}
	if err := s.derivedAttributes(Secret256, a); err != nil {
		return Info{}, err
	}
	ss, err := k.mlkem.Decapsulate(ciphertext)
	if err != nil {
		return Info{}, ErrDecryptFailed
	}
	return s.storeSecret(Secret256, a, ss)
}

func (s *Store) kem(session, handle uint32) (*key, func(), error) {
	k, err := s.get(session, handle)
	if err != nil {
		return nil, nil, err
	}
	if k.kind != MlKem768 {
		return nil, nil, ErrAlgorithmMismatch
	}
	return s.use(session, handle, 0, UsageDerive)
}

// ECDHDerive computes the ECDH shared secret (SP 800-56A r3 §5.7.1.2, the
// x-coordinate) between the key under handle and peer, a SEC 1 uncompressed
// point on the same curve, and stores it as Secret256/384/521.
func (s *Store) ECDHDerive(session, handle uint32, peer []byte, a Attributes) (Info, error) {
	k, err := s.get(session, handle)
	if err != nil {
		return Info{}, err
	}
	if !k.kind.IsECC() {
		return Info{}, ErrAlgorithmMismatch
	}
	k, done, err := s.use(session, handle, 0, UsageDerive)
	if err != nil {
		return Info{}, err
	}
	defer done()
	target := Secret256 + (k.kind - EccP256)
	if err := s.derivedAttributes(target, a); err != nil {
		return Info{}, err
	}
	priv, err := k.ec.ECDH()
	if err != nil {
		return Info{}, err
	}
	pub, err := priv.Curve().NewPublicKey(peer)
	if err != nil || len(peer) == 0 || peer[0] != 4 {
		return Info{}, ErrInvalidPublicKey
	}
	z, err := priv.ECDH(pub)
	if err != nil {
		return Info{}, ErrInvalidPublicKey
	}
	return s.storeSecret(target, a, z)
}

// derivable reports whether a derivation may produce kind.
func derivable(k Kind) bool { return k.IsAES() || k.IsHMAC() || k.IsSecret() }

// kdfBase returns the read-locked key-derivation key under handle.
func (s *Store) kdfBase(session, handle uint32, h Hash, target Kind, a Attributes) (*key, func(), crypto.Hash, error) {
	k, err := s.get(session, handle)
	if err != nil {
		return nil, nil, 0, err
	}
	if h.crypto() == 0 {
		return nil, nil, 0, ErrUnsupportedAlgorithm
	}
	if !k.kind.IsSecret() && !k.kind.IsHMAC() {
		return nil, nil, 0, ErrAlgorithmMismatch
	}
	if !target.Valid() || !derivable(target) {
		return nil, nil, 0, ErrUnsupportedKeyKind
	}
	k, done, err := s.use(session, handle, 0, UsageDerive)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := s.derivedAttributes(target, a); err != nil {
		done()
		return nil, nil, 0, err
	}
	return k, done, h.crypto(), nil
}

// HKDFDerive derives a key of kind target with HKDF (RFC 5869, SP 800-56C
// r2 §5) from the secret or HMAC key under handle.
func (s *Store) HKDFDerive(session, handle uint32, h Hash, salt, info []byte, target Kind, a Attributes) (Info, error) {
	k, done, hf, err := s.kdfBase(session, handle, h, target, a)
	if err != nil {
		return Info{}, err
	}
	defer done()
	out, err := hkdf.Key(hashNew(hf), k.sym.Expose(), salt, string(info), target.symLen())
	if err != nil {
		return Info{}, ErrInvalidLength
	}
	return s.storeSecret(target, a, out)
}

// KBKDFDerive derives a key of kind target with the SP 800-108r1 §4.1
// counter-mode KDF (HMAC PRF) from the secret or HMAC key under handle.
func (s *Store) KBKDFDerive(session, handle uint32, h Hash, label, context []byte, target Kind, a Attributes) (Info, error) {
	k, done, hf, err := s.kdfBase(session, handle, h, target, a)
	if err != nil {
		return Info{}, err
	}
	defer done()
	out, err := kdf.CounterHMAC(hashNew(hf), k.sym.Expose(), label, context, target.symLen())
	if err != nil {
		return Info{}, ErrInvalidLength
	}
	return s.storeSecret(target, a, out)
}

// verifyECDSA checks a DER Ecdsa-Sig-Value (SEC 1 §C.5) over digest. The
// Wycheproof ECDSA vectors run through this function in the package tests:
// BER variants, trailing data and out-of-range r or s must all be refused.
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	return ecdsa.VerifyASN1(pub, digest, sig)
}
