package steps

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// chain fetches GetCertificateChain and checks it (root first: root CA,
// device identity, attestation key; spec: CMD-DEVICE-CERT-CHAIN): every
// certificate is signed by the one before it and the root by itself. It
// returns the attestation key.
func (s *Scenario) chain(ctx context.Context) (*ecdsa.PublicKey, error) {
	saved := s.last
	defer func() { s.last, s.checked = saved, true }()
	if err := s.must(ctx, "GetCertificateChain", nil, sendMode{}, rc.Success); err != nil {
		return nil, err
	}
	cmd := s.last.cmd
	var certs []any
	for _, f := range cmd.Response {
		if f.Type == model.TypeList && f.Items == model.TypeBytes {
			v, err := s.responseValue(s.last, f.Name)
			if err != nil {
				return nil, err
			}
			certs, _ = v.([]any)
			break
		}
	}
	if len(certs) < 2 {
		return nil, fmt.Errorf("certificate chain of %d certificates", len(certs))
	}
	var prev *x509.Certificate
	for i, c := range certs {
		der, _ := c.([]byte)
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		parent := prev
		if parent == nil {
			parent = cert
		}
		if err := cert.CheckSignatureFrom(parent); err != nil {
			return nil, fmt.Errorf("certificate %d (%s) is not signed by %s: %w", i, cert.Subject, parent.Subject, err)
		}
		now := time.Now()
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			return nil, fmt.Errorf("certificate %d (%s) is not valid now", i, cert.Subject)
		}
		prev = cert
	}
	pub, ok := prev.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve.Params().Name != "P-384" {
		return nil, errors.New("the attestation key is not an ECDSA P-384 key")
	}
	return pub, nil
}

// verifyCredentialKey checks the last GetCredentialKey response: the
// signature is ECDSA P-384/SHA-384 by the attestation key over
// "OpenIHSM-v1 credential-key" || public_key || nonce (spec: wire.yaml,
// channel).
func (s *Scenario) verifyCredentialKey(ctx context.Context) error {
	x := s.last
	if x == nil || x.cmd == nil || x.cmd.Name != "GetCredentialKey" || x.status != rc.Success {
		return errors.New("the last request was not a successful GetCredentialKey")
	}
	pub, err1 := s.fieldBytes(x, "public_key")
	nonce, err2 := s.fieldBytes(x, "nonce")
	sig, err3 := s.fieldBytes(x, "signature")
	if err := errors.Join(err1, err2, err3); err != nil {
		return err
	}
	ak, err := s.chain(ctx)
	if err != nil {
		return err
	}
	d := sha512.Sum384(wire.CredentialKeyMessage(pub, nonce))
	if !ecdsa.VerifyASN1(ak, d[:], sig) {
		return errors.New("the credential key signature does not verify under the attestation key")
	}
	return nil
}

// verifySignature checks the last Sign response offline with the public
// key saved as @name_pub (SPKI DER): Go's standard library for ECDSA, RSA
// and Ed25519, circl for ML-DSA-65.
func (s *Scenario) verifySignature(name string) error {
	x := s.last
	if x == nil || x.cmd == nil || x.cmd.Name != "Sign" || x.status != rc.Success {
		return errors.New("the last request was not a successful Sign")
	}
	spki, ok := s.saved[name+"_pub"].([]byte)
	if !ok {
		return fmt.Errorf("no public key saved for @%s", name)
	}
	sig, err := s.fieldBytes(x, "signature")
	if err != nil {
		return err
	}
	data, _ := x.request["data"].([]byte)
	alg, _ := x.request["algorithm"].(uint64)
	algName := ""
	if e := s.env.Spec.Enum("Algorithm"); e != nil {
		for _, v := range e.Values {
			if uint64(v.Value) == alg {
				algName = v.Name
			}
		}
	}
	if err := verifyOffline(spki, algName, data, sig); err != nil {
		return fmt.Errorf("@%s: %w", name, err)
	}
	return nil
}
