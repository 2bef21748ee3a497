package client

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"github.com/openihsm/openihsm/spec/wire"
)

// Key is a device key seen through the standard library's interfaces:
// crypto.Signer for ECDSA, RSA and Ed25519 keys, crypto.Decrypter for RSA
// keys (RSA-OAEP). The private key never leaves the device; Sign and
// Decrypt are round trips in the session the Key was made from, so the Key
// is usable until that session closes.
type Key struct {
	s      *Session
	handle uint32
	kind   wire.KeyKind
	pub    crypto.PublicKey
}

var (
	_ crypto.Signer    = (*Key)(nil)
	_ crypto.Decrypter = (*Key)(nil)
)

// Signer returns the key behind handle as a crypto.Signer, so that
// x509.CreateCertificate, crypto/tls and other standard code can use it.
// The key must be ECDSA (P-256, P-384, P-521), RSA or Ed25519.
func (s *Session) Signer(handle uint32) (crypto.Signer, error) {
	k, err := s.key(handle)
	if err != nil {
		return nil, err
	}
	switch k.pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return k, nil
	}
	return nil, fmt.Errorf("signer: key kind %v has no crypto.Signer", k.kind)
}

// Decrypter returns the RSA key behind handle as a crypto.Decrypter
// (RSA-OAEP with SHA-256 or SHA-384, no label).
func (s *Session) Decrypter(handle uint32) (crypto.Decrypter, error) {
	k, err := s.key(handle)
	if err != nil {
		return nil, err
	}
	if _, ok := k.pub.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("decrypter: key kind %v is not RSA", k.kind)
	}
	return k, nil
}

func (s *Session) key(handle uint32) (*Key, error) {
	r, err := s.GetPublicKey(context.Background(), &wire.GetPublicKeyRequest{KeyHandle: handle})
	if err != nil {
		return nil, err
	}
	if len(r.PublicKey) == 0 {
		return nil, fmt.Errorf("key %d (%v) is symmetric: no public key", handle, r.Kind)
	}
	pub, err := x509.ParsePKIXPublicKey(r.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("key %d: public key: %w", handle, err)
	}
	return &Key{s: s, handle: handle, kind: r.Kind, pub: pub}, nil
}

// Handle is the key's handle in the partition.
func (k *Key) Handle() uint32 { return k.handle }

// Public returns the key's public key (*ecdsa.PublicKey, *rsa.PublicKey or
// ed25519.PublicKey).
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest (a hash of the message for ECDSA and RSA, the message
// itself for Ed25519, whose opts must name no hash), choosing the
// algorithm from the key and opts: ECDSA with the hash of opts; RSA-PSS
// when opts is *rsa.PSSOptions (salt length equal to the hash, as the
// device uses; rsa.PSSSaltLengthAuto is accepted since a verifier in auto
// mode reads the salt length from the signature), PKCS #1 v1.5 otherwise.
// rand is ignored: the device uses its own DRBG.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	alg, err := k.signAlgorithm(opts)
	if err != nil {
		return nil, err
	}
	if h := opts.HashFunc(); h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("sign: digest of %d bytes for %v", len(digest), h)
	}
	r, err := k.s.Sign(context.Background(), &wire.SignRequest{KeyHandle: k.handle, Algorithm: alg, Data: digest})
	if err != nil {
		return nil, err
	}
	return r.Signature, nil
}

func (k *Key) signAlgorithm(opts crypto.SignerOpts) (wire.Algorithm, error) {
	h := opts.HashFunc()
	switch k.pub.(type) {
	case *ecdsa.PublicKey:
		switch h {
		case crypto.SHA256:
			return wire.AlgorithmEcdsaSha256, nil
		case crypto.SHA384:
			return wire.AlgorithmEcdsaSha384, nil
		case crypto.SHA512:
			return wire.AlgorithmEcdsaSha512, nil
		}
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			if pss.SaltLength != rsa.PSSSaltLengthEqualsHash && pss.SaltLength != rsa.PSSSaltLengthAuto && pss.SaltLength != h.Size() {
				return 0, fmt.Errorf("sign: RSA-PSS salt length %d: the device uses the hash length", pss.SaltLength)
			}
			switch h {
			case crypto.SHA256:
				return wire.AlgorithmRsaPssSha256, nil
			case crypto.SHA384:
				return wire.AlgorithmRsaPssSha384, nil
			case crypto.SHA512:
				return wire.AlgorithmRsaPssSha512, nil
			}
		} else {
			switch h {
			case crypto.SHA256:
				return wire.AlgorithmRsaPkcs1Sha256, nil
			case crypto.SHA384:
				return wire.AlgorithmRsaPkcs1Sha384, nil
			case crypto.SHA512:
				return wire.AlgorithmRsaPkcs1Sha512, nil
			}
		}
	case ed25519.PublicKey:
		// Pure Ed25519 (RFC 8032 §5.1); Ed25519ph and contexts are not in
		// the spec.
		if h == 0 {
			if o, ok := opts.(*ed25519.Options); ok && o.Context != "" {
				return 0, errors.New("sign: Ed25519 contexts are not supported")
			}
			return wire.AlgorithmEd25519, nil
		}
	}
	return 0, fmt.Errorf("sign: no algorithm for %v with hash %v", k.kind, h)
}

// Decrypt decrypts an RSA-OAEP ciphertext (opts: *rsa.OAEPOptions with
// SHA-256 or SHA-384, MGF1 with the same hash, no label; nil means
// SHA-256).
func (k *Key) Decrypt(_ io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	if _, ok := k.pub.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("decrypt: key kind %v is not RSA", k.kind)
	}
	alg := wire.AlgorithmRsaOaepSha256
	if opts != nil {
		o, ok := opts.(*rsa.OAEPOptions)
		if !ok {
			return nil, errors.New("decrypt: only RSA-OAEP is supported")
		}
		if len(o.Label) != 0 || (o.MGFHash != 0 && o.MGFHash != o.Hash) {
			return nil, errors.New("decrypt: OAEP labels and a distinct MGF1 hash are not supported")
		}
		switch o.Hash {
		case crypto.SHA256:
		case crypto.SHA384:
			alg = wire.AlgorithmRsaOaepSha384
		default:
			return nil, fmt.Errorf("decrypt: OAEP hash %v not supported", o.Hash)
		}
	}
	r, err := k.s.Decrypt(context.Background(), &wire.DecryptRequest{KeyHandle: k.handle, Algorithm: alg, Ciphertext: ciphertext})
	if err != nil {
		return nil, err
	}
	return r.Plaintext, nil
}
