package sfr

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/veraison/go-cose"

	"github.com/openihsm/openihsm/evidence/keys"
)

// Algorithm is a signature algorithm allowed for short-form reports, named
// as in JWA (RFC 7518 §3.1). The OCP SAFE shortform_report README allows only
// these four, and only RSA keys of 3072 or 4096 bits.
type Algorithm string

// The algorithms OCP SAFE allows for signing a short-form report.
const (
	ES384 Algorithm = "ES384" // ECDSA P-384 with SHA-384
	ES512 Algorithm = "ES512" // ECDSA P-521 with SHA-512
	PS384 Algorithm = "PS384" // RSASSA-PSS with SHA-384, MGF1 SHA-384, salt 48
	PS512 Algorithm = "PS512" // RSASSA-PSS with SHA-512, MGF1 SHA-512, salt 64
)

// hash returns the message digest of the algorithm.
func (a Algorithm) hash() crypto.Hash {
	switch a {
	case ES384, PS384:
		return crypto.SHA384
	default:
		return crypto.SHA512
	}
}

// cose returns the COSE algorithm identifier (IANA COSE Algorithms registry:
// ES384 -35, ES512 -36 per RFC 9053 §2.1; PS384 -38, PS512 -39 per RFC 8230 §2).
func (a Algorithm) cose() cose.Algorithm {
	switch a {
	case ES384:
		return cose.AlgorithmES384
	case ES512:
		return cose.AlgorithmES512
	case PS384:
		return cose.AlgorithmPS384
	default:
		return cose.AlgorithmPS512
	}
}

// algorithmFromCOSE maps a COSE algorithm identifier to an allowed
// algorithm; every other identifier is refused.
func algorithmFromCOSE(id int64) (Algorithm, error) {
	switch cose.Algorithm(id) {
	case cose.AlgorithmES384:
		return ES384, nil
	case cose.AlgorithmES512:
		return ES512, nil
	case cose.AlgorithmPS384:
		return PS384, nil
	case cose.AlgorithmPS512:
		return PS512, nil
	}
	return "", fmt.Errorf("%w: COSE algorithm %d", ErrAlgorithm, id)
}

// keyAlgorithms returns the algorithms a public key may be used with. The
// key decides, not the message: an ECDSA key is bound to the one algorithm of
// its curve, an RSA key to the two PSS algorithms.
func keyAlgorithms(pub crypto.PublicKey) ([]Algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return []Algorithm{ES384}, nil
		case elliptic.P521():
			return []Algorithm{ES512}, nil
		}
		return nil, fmt.Errorf("%w: ECDSA curve %s (want P-384 or P-521)", ErrKey, k.Curve.Params().Name)
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n != 3072 && n != 4096 {
			return nil, fmt.Errorf("%w: RSA key of %d bits (want 3072 or 4096)", ErrKey, n)
		}
		return []Algorithm{PS384, PS512}, nil
	}
	return nil, fmt.Errorf("%w: key type %T", ErrKey, pub)
}

// pinAlgorithm chooses the verification algorithm from the key. claimed is
// the algorithm a header names ("" when it names none): it must be one the
// key allows, and it only chooses between the two PSS hashes of an RSA key.
func pinAlgorithm(pub crypto.PublicKey, claimed Algorithm) (Algorithm, error) {
	algs, err := keyAlgorithms(pub)
	if err != nil {
		return "", err
	}
	if claimed == "" {
		if len(algs) == 1 {
			return algs[0], nil
		}
		return "", fmt.Errorf("%w: an RSA key needs the algorithm named in the header", ErrAlgorithm)
	}
	for _, a := range algs {
		if a == claimed {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: header names %s, the key allows %v", ErrAlgorithm, claimed, algs)
}

// DefaultAlgorithm returns the algorithm used to sign with key: the curve's
// algorithm for ECDSA, PS384 for RSA.
func DefaultAlgorithm(pub crypto.PublicKey) (Algorithm, error) {
	algs, err := keyAlgorithms(pub)
	if err != nil {
		return "", err
	}
	return algs[0], nil
}

// ParsePublicKeyPEM parses a PEM "PUBLIC KEY" (PKIX, as published under
// SRP_certificates/ in the OCP SAFE repository) or a "CERTIFICATE" and
// returns its key once it is checked to be usable for a short-form report.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKey)
	}
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		pub = k
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		pub = c.PublicKey
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a public key", ErrKey, block.Type)
	}
	if _, err := keyAlgorithms(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// ParsePrivateKey parses a signing key file: a key in cosign's encrypted
// format, as `ihsm evidence keygen` and `cosign generate-key-pair` write
// it, opened with password, or any unencrypted form ParsePrivateKeyPEM
// reads. The key must be usable for a short-form report.
func ParsePrivateKey(data, password []byte) (crypto.Signer, error) {
	if !keys.IsEncrypted(data) {
		return ParsePrivateKeyPEM(data)
	}
	s, err := keys.ParseSigner(data, password)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if _, err := keyAlgorithms(s.Public()); err != nil {
		return nil, err
	}
	return s, nil
}

// ParsePrivateKeyPEM parses an unencrypted PEM private key: "PRIVATE KEY"
// (PKCS#8), "EC PRIVATE KEY" (SEC 1) or "RSA PRIVATE KEY" (PKCS#1).
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKey)
	}
	var (
		k   any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key this tool reads", ErrKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: key type %T", ErrKey, k)
	}
	if _, err := keyAlgorithms(s.Public()); err != nil {
		return nil, err
	}
	return s, nil
}

// Errors returned by this package; match them with errors.Is.
var (
	// ErrKey reports a key that cannot sign or verify a short-form report.
	ErrKey = errors.New("sfr: unusable key")
	// ErrAlgorithm reports a signature algorithm that is not allowed or that
	// does not match the key.
	ErrAlgorithm = errors.New("sfr: algorithm not allowed")
	// ErrSignature reports a signature that does not verify.
	ErrSignature = errors.New("sfr: signature does not verify")
	// ErrKeyID reports a COSE kid outside the signature that is not the
	// kid the key is pinned under.
	ErrKeyID = errors.New("sfr: unauthenticated kid is not the pinned kid")
	// ErrMalformed reports input that is not a well-formed report, JWS,
	// COSE message or CoRIM.
	ErrMalformed = errors.New("sfr: malformed")
	// ErrDigestMismatch reports firmware whose digest differs from the report.
	ErrDigestMismatch = errors.New("sfr: firmware digest mismatch")
	// ErrNoDigest reports a report without any firmware digest to compare.
	ErrNoDigest = errors.New("sfr: report has no firmware digest")
)
