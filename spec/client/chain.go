package client

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// ErrUntrustedChain is returned when a device certificate chain does not
// verify, or does not end in the pinned root.
var ErrUntrustedChain = errors.New("client: device certificate chain not trusted")

// Chain is a parsed device certificate chain, in the order of
// GetCertificateChain: root CA, device identity, attestation key.
type Chain struct {
	Root           *x509.Certificate
	DeviceIdentity *x509.Certificate
	AttestationKey *x509.Certificate

	// FirmwareVersion and FirmwareMeasurement (SHA-384) come from the
	// attestation key certificate's TCG DICE TcbInfo extension.
	FirmwareVersion     string
	FirmwareMeasurement []byte
}

// AttestationPublicKey is the P-384 key that signs credential keys and
// attestation reports (ES384).
func (c *Chain) AttestationPublicKey() (*ecdsa.PublicKey, error) {
	pub, ok := c.AttestationKey.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P384() {
		return nil, fmt.Errorf("%w: attestation key is not ECDSA P-384", ErrUntrustedChain)
	}
	return pub, nil
}

// VerifyChain parses the DER certificates of a GetCertificateChain response
// (root first) and checks that each is signed by the one before it. If root
// is not nil the chain's root must be exactly that certificate; if root is
// nil the chain's own root is accepted (trust on first use: the caller
// should then compare Chain.Root with what it saw before).
func VerifyChain(der [][]byte, root *x509.Certificate) (*Chain, error) {
	if len(der) != 3 {
		return nil, fmt.Errorf("%w: %d certificates, want root, device identity, attestation key", ErrUntrustedChain, len(der))
	}
	certs := make([]*x509.Certificate, len(der))
	for i, d := range der {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %v", ErrUntrustedChain, i, err)
		}
		certs[i] = c
	}
	if root != nil && !bytes.Equal(root.Raw, certs[0].Raw) {
		return nil, fmt.Errorf("%w: root is not the pinned root", ErrUntrustedChain)
	}
	roots := x509.NewCertPool()
	roots.AddCert(certs[0])
	inter := x509.NewCertPool()
	inter.AddCert(certs[1])
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		// The attestation key certificate is not a TLS certificate; its
		// extended key usage, if any, is the device's business.
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		CurrentTime: time.Now(),
	}
	chains, err := certs[2].Verify(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrustedChain, err)
	}
	// Verify may find a path that skips the identity certificate (if the
	// root signed the attestation key directly); the chain must be exactly
	// root -> identity -> attestation key.
	ok := false
	for _, ch := range chains {
		if len(ch) == 3 && ch[1].Equal(certs[1]) && ch[2].Equal(certs[0]) {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: attestation key certificate is not issued by the device identity", ErrUntrustedChain)
	}
	out := &Chain{Root: certs[0], DeviceIdentity: certs[1], AttestationKey: certs[2]}
	if _, err := out.AttestationPublicKey(); err != nil {
		return nil, err
	}
	if out.FirmwareVersion, out.FirmwareMeasurement, err = firmwareFromCert(certs[2]); err != nil {
		return nil, err
	}
	return out, nil
}
