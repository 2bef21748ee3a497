package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types.
const (
	// EncryptedPEMType is the PEM type cosign writes (cosign pkg/cosign
	// SigstorePrivateKeyPemType).
	EncryptedPEMType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// LegacyEncryptedPEMType is the PEM type older cosign releases wrote.
	LegacyEncryptedPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	// PKCS8PEMType is unencrypted PKCS#8 (RFC 7468 §10).
	PKCS8PEMType = "PRIVATE KEY"
	// PublicPEMType is SubjectPublicKeyInfo (RFC 7468 §13).
	PublicPEMType = "PUBLIC KEY"
	// PasswordEnv names the environment variable holding the key password.
	PasswordEnv = "COSIGN_PASSWORD"
)

// ErrUnsupportedKey is returned for keys other than ECDSA P-256/P-384/P-521.
var ErrUnsupportedKey = errors.New("keys: unsupported key (want ECDSA P-256, P-384 or P-521)")

// ErrDecrypt is returned when an encrypted key does not open with the
// password given.
var ErrDecrypt = errors.New("keys: cannot decrypt private key (wrong password or corrupted file)")

// Curve returns the curve for a name: "P-256", "P-384" or "P-521".
func Curve(name string) (elliptic.Curve, error) {
	switch name {
	case "P-256", "p256", "P256":
		return elliptic.P256(), nil
	case "P-384", "p384", "P384", "":
		return elliptic.P384(), nil
	case "P-521", "p521", "P521":
		return elliptic.P521(), nil
	}
	return nil, fmt.Errorf("%w: curve %q", ErrUnsupportedKey, name)
}

// Generate returns a new ECDSA key on the curve (P-384 when nil).
func Generate(c elliptic.Curve) (*ecdsa.PrivateKey, error) {
	if c == nil {
		c = elliptic.P384()
	}
	if _, err := HashFor(&ecdsa.PublicKey{Curve: c}); err != nil {
		return nil, err
	}
	return ecdsa.GenerateKey(c, rand.Reader)
}

// HashFor returns the hash a key signs with: SHA-256 for P-256, SHA-384 for
// P-384, SHA-512 for P-521 (FIPS 186-5 §6.4 pairs each curve with a hash of
// at least its security strength; sigstore makes the same choice).
func HashFor(pub crypto.PublicKey) (crypto.Hash, error) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve == nil {
		return 0, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	switch k.Curve {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	case elliptic.P521():
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("%w: curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
}

// MarshalEncrypted encodes a private key as PKCS#8, encrypts it under the
// password exactly as cosign does, and returns the PEM file.
func MarshalEncrypted(priv *ecdsa.PrivateKey, password []byte) ([]byte, error) {
	if _, err := HashFor(priv.Public()); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer clear(der)
	if password == nil {
		password = []byte{}
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("keys: encrypt: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: EncryptedPEMType, Bytes: enc}), nil
}

// MarshalPKCS8 returns the unencrypted PKCS#8 PEM of a private key.
func MarshalPKCS8(priv *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PKCS8PEMType, Bytes: der}), nil
}

// MarshalPublic returns the PEM SubjectPublicKeyInfo of a public key.
func MarshalPublic(pub crypto.PublicKey) ([]byte, error) {
	if _, err := HashFor(pub); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PublicPEMType, Bytes: der}), nil
}

// ParsePrivate decodes a private key file: cosign's encrypted PEM (opened
// with password) or plain PKCS#8 PEM (password ignored). The key must be
// ECDSA P-256, P-384 or P-521, the keys the evidence tools sign with.
func ParsePrivate(data, password []byte) (*ecdsa.PrivateKey, error) {
	s, err := ParseSigner(data, password)
	if err != nil {
		return nil, err
	}
	ec, ok := s.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, s)
	}
	if _, err := HashFor(ec.Public()); err != nil {
		return nil, err
	}
	return ec, nil
}

// IsEncrypted reports whether data starts with the PEM block of a key in
// cosign's encrypted format (current or legacy type).
func IsEncrypted(data []byte) bool {
	block, _ := pem.Decode(data)
	return block != nil && (block.Type == EncryptedPEMType || block.Type == LegacyEncryptedPEMType)
}

// ParseSigner decodes cosign's encrypted PEM (opened with password) or
// plain PKCS#8 PEM and returns the key whatever its type, for callers with
// their own key rules (short-form report signing takes RSA and P-521
// keys; cosign import-key-pair encrypts RSA keys in the same format).
func ParseSigner(data, password []byte) (crypto.Signer, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("keys: no PEM block in private key file")
	}
	if len(bytesTrimSpace(rest)) != 0 {
		return nil, errors.New("keys: trailing data after the private key PEM block")
	}
	var der []byte
	switch block.Type {
	case EncryptedPEMType, LegacyEncryptedPEMType:
		if password == nil {
			password = []byte{}
		}
		d, err := encrypted.Decrypt(block.Bytes, password)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDecrypt, err)
		}
		der = d
		defer clear(der)
	case PKCS8PEMType:
		der = block.Bytes
	default:
		return nil, fmt.Errorf("keys: unsupported PEM type %q", block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: parse PKCS#8: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, k)
	}
	return s, nil
}

// ParsePublic decodes a PEM SubjectPublicKeyInfo.
func ParsePublic(data []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("keys: no PEM block in public key")
	}
	if block.Type != PublicPEMType {
		return nil, fmt.Errorf("keys: PEM type %q, want %q", block.Type, PublicPEMType)
	}
	if len(bytesTrimSpace(rest)) != 0 {
		return nil, errors.New("keys: trailing data after the public key PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keys: parse public key: %w", err)
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, k)
	}
	if _, err := HashFor(ec); err != nil {
		return nil, err
	}
	return ec, nil
}

// LoadPrivate reads and decodes a private key file.
func LoadPrivate(path string, password []byte) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	k, err := ParsePrivate(data, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadPublic reads and decodes a public key file.
func LoadPublic(path string) (*ecdsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	k, err := ParsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// PasswordFromEnv returns COSIGN_PASSWORD (empty when unset).
func PasswordFromEnv() []byte {
	return []byte(os.Getenv(PasswordEnv))
}

// KeyID is the identifier the evidence tools put in DSSE signatures: the
// lower-case hex SHA-256 of the key's DER SubjectPublicKeyInfo. The DSSE
// specification leaves keyid opaque and unauthenticated; cosign ignores it.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// WriteKeyPair generates a key on the curve and writes PREFIX.key (encrypted,
// mode 0600) and PREFIX.pub. Existing files are not overwritten.
func WriteKeyPair(prefix string, c elliptic.Curve, password []byte) (*ecdsa.PrivateKey, error) {
	priv, err := Generate(c)
	if err != nil {
		return nil, err
	}
	privPEM, err := MarshalEncrypted(priv, password)
	if err != nil {
		return nil, err
	}
	pubPEM, err := MarshalPublic(priv.Public())
	if err != nil {
		return nil, err
	}
	if err := writeNew(prefix+".key", privPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(prefix+".pub", pubPEM, 0o644); err != nil {
		os.Remove(prefix + ".key")
		return nil, err
	}
	return priv, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("keys: %w", err)
	}
	return f.Close()
}

func bytesTrimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
