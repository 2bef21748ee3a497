package steps

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/veraison/go-cose"

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

// verifyReport checks the COSE_Sign1 (ES384) report of the last response
// (AttestKey or GetDeviceAttestation) under the attestation key.
func (s *Scenario) verifyReport(ctx context.Context) error {
	x := s.last
	if x == nil || x.status != rc.Success || x.cmd == nil {
		return errors.New("the last request did not succeed")
	}
	var rep []byte
	for _, f := range x.cmd.Response {
		if f.Type == model.TypeBytes && (f.Name == "report" || f.Name == "attestation") {
			rep, _ = s.fieldBytes(x, f.Name)
		}
	}
	if rep == nil {
		return fmt.Errorf("%s has no report field", x.cmd.Name)
	}
	ak, err := s.chain(ctx)
	if err != nil {
		return err
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(rep); err != nil {
		return fmt.Errorf("report is not a COSE_Sign1: %w", err)
	}
	v, err := cose.NewVerifier(cose.AlgorithmES384, ak)
	if err != nil {
		return err
	}
	if err := msg.Verify(nil, v); err != nil {
		return fmt.Errorf("report signature: %w", err)
	}
	return nil
}

// verifySignature checks the last Sign response offline with the public
// key saved as @name_pub (SPKI DER), for the algorithms the standard
// library verifies.
func (s *Scenario) verifySignature(name string) error {
	x := s.last
	if x == nil || x.cmd == nil || x.cmd.Name != "Sign" || x.status != rc.Success {
		return errors.New("the last request was not a successful Sign")
	}
	spki, ok := s.saved[name+"_pub"].([]byte)
	if !ok {
		return fmt.Errorf("no public key saved for @%s", name)
	}
	pk, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return fmt.Errorf("public key of @%s: %w", name, err)
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
	hashes := map[string]crypto.Hash{"Sha256": crypto.SHA256, "Sha384": crypto.SHA384, "Sha512": crypto.SHA512}
	var h crypto.Hash
	for suffix, hh := range hashes {
		if len(algName) > len(suffix) && algName[len(algName)-len(suffix):] == suffix {
			h = hh
		}
	}
	good := false
	switch k := pk.(type) {
	case *ecdsa.PublicKey:
		good = ecdsa.VerifyASN1(k, data, sig)
	case ed25519.PublicKey:
		good = ed25519.Verify(k, data, sig)
	case *rsa.PublicKey:
		switch {
		case h == 0:
			return fmt.Errorf("algorithm %s: no hash", algName)
		case len(algName) > 6 && algName[:6] == "RsaPss":
			good = rsa.VerifyPSS(k, h, data, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		default:
			good = rsa.VerifyPKCS1v15(k, h, data, sig) == nil
		}
	default:
		return fmt.Errorf("public key type %T is not verified offline", pk)
	}
	if !good {
		return fmt.Errorf("the %s signature does not verify with the public key of @%s", algName, name)
	}
	return nil
}
