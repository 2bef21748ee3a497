package client

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
)

// WrapKey builds the wrapped input of UnwrapKey, the CKM_RSA_AES_KEY_WRAP
// construction of PKCS #11 v2.40 §2.1.21:
//
//	RSA-OAEP(SHA-256, MGF1-SHA-256, no label)(k) || AES-KWP(k, keyMaterial)
//
// where k is a fresh AES-256 key and AES-KWP is the key wrap with padding
// of SP 800-38F §6.3 (RFC 5649). unwrappingKey is the partition's
// unwrapping key from GetUnwrappingKey; keyMaterial is a PKCS #8 private
// key (x509.MarshalPKCS8PrivateKey) or the raw bytes of a secret or
// symmetric key. k is erased from memory before WrapKey returns (as far as
// Go allows).
func WrapKey(unwrappingKey *rsa.PublicKey, keyMaterial []byte) ([]byte, error) {
	if unwrappingKey == nil {
		return nil, errors.New("wrap key: no unwrapping key")
	}
	if len(keyMaterial) == 0 {
		return nil, errors.New("wrap key: empty key material")
	}
	k := make([]byte, 32)
	defer clear(k)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	head, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, unwrappingKey, k, nil)
	if err != nil {
		return nil, fmt.Errorf("wrap key: RSA-OAEP: %w", err)
	}
	tail, err := kwpWrap(k, keyMaterial)
	if err != nil {
		return nil, fmt.Errorf("wrap key: %w", err)
	}
	return append(head, tail...), nil
}
