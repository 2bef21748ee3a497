package keys

import (
	"crypto/aes"
	"crypto/rsa"
	"crypto/sha256"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keywrap"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/secret"
)

// UnwrapMaterial opens a CKM_RSA_AES_KEY_WRAP blob (PKCS#11 v3.1 §6.3.4)
// addressed to the partition unwrapping key priv:
//
//	blob = RSA-OAEP-SHA256(AES-256 KEK)  ||  AES-KWP(KEK, key material)
//
// The first part is exactly one RSA block (OAEP with SHA-256 and MGF1-SHA-256,
// empty label); the second is RFC 5649 KWP. The result is the key material in
// the UnwrapKey encoding, for Store.Import. Every failure is ErrUnwrapFailed.
func UnwrapMaterial(priv *rsa.PrivateKey, blob []byte) (*secret.Bytes, error) {
	n := priv.Size()
	if len(blob) <= n {
		return nil, ErrUnwrapFailed
	}
	kek, err := rsa.DecryptOAEP(sha256.New(), nil, priv, blob[:n], nil)
	if err != nil || len(kek) != 32 {
		clear(kek)
		return nil, ErrUnwrapFailed
	}
	b, err := aes.NewCipher(kek)
	clear(kek)
	if err != nil {
		return nil, ErrUnwrapFailed
	}
	mat, err := keywrap.Unwrap(b, blob[n:])
	if err != nil {
		return nil, ErrUnwrapFailed
	}
	return secret.Adopt(mat), nil
}
