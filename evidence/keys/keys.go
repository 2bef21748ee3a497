package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types. EncryptedPEMType is what cosign v2 writes by default
// (cosign pkg/cosign/keys.go, SigstorePrivateKeyPemType).
const (
	EncryptedPEMType       = "ENCRYPTED SIGSTORE PRIVATE KEY"
	LegacyEncryptedPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	PrivatePEMType         = "PRIVATE KEY"
	PublicPEMType          = "PUBLIC KEY"
)

// PasswordEnv is the environment variable cosign reads the key password from.
const PasswordEnv = "COSIGN_PASSWORD"

var (
	// ErrNoPEM is returned when the input holds no PEM block.
	ErrNoPEM = errors.New("keys: no PEM block found")
	// ErrPEMType is returned for a PEM block of a type this package does not read.
	ErrPEMType = errors.New("keys: unsupported PEM block type")
	// ErrDecrypt is returned when an encrypted key cannot be opened: wrong
	// password or altered ciphertext (secretbox authenticates the ciphertext).
	ErrDecrypt = errors.New("keys: cannot decrypt private key (wrong password or corrupted file)")
	// ErrKeyType is returned for keys other than ECDSA on P-256, P-384 or P-521
	// (and Ed25519 public keys, which are parsed but not used for evidence).
	ErrKeyType = errors.New("keys: unsupported key type")
)

// CurveByName maps "P-256", "P-384" and "P-521" (FIPS 186-5 names, case
// insensitive, with or without the dash) to their curves. The empty name
// selects the default, P-384.
func CurveByName(name string) (elliptic.Curve, error) {
	switch strings.ReplaceAll(strings.ToUpper(name), "-", "") {
	case "", "P384":
		return elliptic.P384(), nil
	case "P256":
		return elliptic.P256(), nil
	case "P521":
		return elliptic.P521(), nil
	}
	return nil, fmt.Errorf("%w: curve %q", ErrKeyType, name)
}

// Generate creates an ECDSA key on curve; a nil curve means P-384.
func Generate(curve elliptic.Curve) (*ecdsa.PrivateKey, error) {
	if curve == nil {
		curve = elliptic.P384()
	}
	if err := checkCurve(curve); err != nil {
		return nil, err
	}
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keys: generate: %w", err)
	}
	return priv, nil
}

func checkCurve(c elliptic.Curve) error {
	switch c {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
		return nil
	}
	return fmt.Errorf("%w: curve %v", ErrKeyType, c.Params().Name)
}

// PasswordFromEnv returns the value of COSIGN_PASSWORD and whether it was set.
func PasswordFromEnv() ([]byte, bool) {
	v, ok := os.LookupEnv(PasswordEnv)
	return []byte(v), ok
}

// MarshalEncrypted writes priv in cosign's encrypted key format. An empty
// password is allowed, as in cosign, but the key is then only obfuscated.
func MarshalEncrypted(priv crypto.PrivateKey, password []byte) ([]byte, error) {
	if err := checkPrivate(priv); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys: PKCS #8: %w", err)
	}
	defer clear(der)
	body, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("keys: encrypt: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: EncryptedPEMType, Bytes: body}), nil
}

// MarshalPKCS8PEM writes priv unencrypted as a PKCS #8 "PRIVATE KEY" block.
func MarshalPKCS8PEM(priv crypto.PrivateKey) ([]byte, error) {
	if err := checkPrivate(priv); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys: PKCS #8: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PrivatePEMType, Bytes: der}), nil
}

func checkPrivate(priv crypto.PrivateKey) error {
	k, ok := priv.(*ecdsa.PrivateKey)
	if !ok || k == nil {
		return fmt.Errorf("%w: %T", ErrKeyType, priv)
	}
	return checkCurve(k.Curve)
}

// ParsePrivateKey reads the first PEM block of pemBytes: cosign's encrypted
// format (either type name) opened with password, or an unencrypted PKCS #8
// "PRIVATE KEY" (password ignored). Only ECDSA P-256/P-384/P-521 keys are
// returned.
func ParsePrivateKey(pemBytes, password []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, ErrNoPEM
	}
	var der []byte
	switch block.Type {
	case EncryptedPEMType, LegacyEncryptedPEMType:
		d, err := encrypted.Decrypt(block.Bytes, password)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
		der = d
		defer clear(d)
	case PrivatePEMType:
		der = block.Bytes
	default:
		return nil, fmt.Errorf("%w: %q", ErrPEMType, block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: PKCS #8: %w", err)
	}
	if err := checkPrivate(k); err != nil {
		return nil, err
	}
	return k.(*ecdsa.PrivateKey), nil
}

// MarshalPublicKeyPEM writes pub as a "PUBLIC KEY" SubjectPublicKeyInfo block.
func MarshalPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys: SubjectPublicKeyInfo: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PublicPEMType, Bytes: der}), nil
}

func checkPublic(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil {
			return fmt.Errorf("%w: nil", ErrKeyType)
		}
		return checkCurve(k.Curve)
	case ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("%w: %T", ErrKeyType, pub)
}

// ParsePublicKeyPEM reads the first "PUBLIC KEY" block of pemBytes. It
// returns *ecdsa.PublicKey (P-256/P-384/P-521) or ed25519.PublicKey.
func ParsePublicKeyPEM(pemBytes []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, ErrNoPEM
	}
	if block.Type != PublicPEMType {
		return nil, fmt.Errorf("%w: %q", ErrPEMType, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keys: SubjectPublicKeyInfo: %w", err)
	}
	if err := checkPublic(pub); err != nil {
		return nil, err
	}
	return pub, nil
}
