package dsse

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	_ "crypto/sha256" // SHA-256 for crypto.Hash.New
	_ "crypto/sha512" // SHA-384 and SHA-512 for crypto.Hash.New
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	sslibdsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// PayloadTypeInToto is the DSSE payload type of an in-toto Statement
// (in-toto attestation spec v1, envelope.md).
const PayloadTypeInToto = "application/vnd.in-toto+json"

// Envelope is a DSSE v1 envelope. Its JSON form is the one cosign writes.
type Envelope = sslibdsse.Envelope

// Signature is one signature of an Envelope.
type Signature = sslibdsse.Signature

var (
	// ErrMalformed is returned for an envelope that is not well-formed DSSE.
	ErrMalformed = errors.New("dsse: malformed envelope")
	// ErrVerify is returned when fewer than threshold distinct trusted keys
	// produced a valid signature.
	ErrVerify = errors.New("dsse: signature verification failed")
	// ErrKey is returned for a key this package cannot use.
	ErrKey = errors.New("dsse: unsupported key")
)

// curveHash is the hash conventionally paired with each curve (FIPS 186-5
// §6.4, sigstore GetDefaultPublicKeyDetails).
func curveHash(c elliptic.Curve) (crypto.Hash, error) {
	switch c {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	case elliptic.P521():
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("%w: curve %s", ErrKey, c.Params().Name)
}

// signer adapts a crypto.Signer with an ECDSA public key to sslib's Signer.
type signer struct {
	s    crypto.Signer
	hash crypto.Hash
}

func (s signer) Sign(_ context.Context, data []byte) ([]byte, error) {
	h := s.hash.New()
	h.Write(data)
	// crypto/ecdsa and crypto.Signer ECDSA implementations return ASN.1 DER.
	return s.s.Sign(rand.Reader, h.Sum(nil), s.hash)
}

// KeyID is empty, as in cosign's key-based envelopes.
func (s signer) KeyID() (string, error) { return "", nil }

// verifier adapts an ECDSA public key to sslib's Verifier, accepting SHA-256
// and the curve's conventional hash (see the package comment).
type verifier struct {
	pub    *ecdsa.PublicKey
	hashes []crypto.Hash
}

func (v verifier) Verify(_ context.Context, data, sig []byte) error {
	for _, hf := range v.hashes {
		h := hf.New()
		h.Write(data)
		if ecdsa.VerifyASN1(v.pub, h.Sum(nil), sig) {
			return nil
		}
	}
	return ErrVerify
}

// KeyID is empty so that sslib derives a distinct id per key
// (SHA256KeyID) when counting the threshold.
func (v verifier) KeyID() (string, error) { return "", nil }

func (v verifier) Public() crypto.PublicKey { return v.pub }

var (
	_ sslibdsse.Signer   = signer{}
	_ sslibdsse.Verifier = verifier{}
)

// Sign returns an envelope over payload with one signature per signer, each
// hashing the PAE with SHA-256 (see the package comment). Signers must have
// ECDSA P-256, P-384 or P-521 public keys; *ecdsa.PrivateKey and device keys
// exposed as crypto.Signer both work.
func Sign(payloadType string, payload []byte, signers ...crypto.Signer) (*Envelope, error) {
	return SignWithHash(payloadType, payload, crypto.SHA256, signers...)
}

// SignWithHash is Sign with an explicit hash: crypto.SHA256, or the hash of
// the signer's curve (SHA-384 for P-384, SHA-512 for P-521). A zero hash
// selects the curve's hash.
func SignWithHash(payloadType string, payload []byte, hash crypto.Hash, signers ...crypto.Signer) (*Envelope, error) {
	if payloadType == "" {
		return nil, fmt.Errorf("%w: empty payload type", ErrMalformed)
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("%w: no signer", ErrKey)
	}
	providers := make([]sslibdsse.Signer, 0, len(signers))
	for _, s := range signers {
		if s == nil {
			return nil, fmt.Errorf("%w: nil signer", ErrKey)
		}
		pub, ok := s.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %T", ErrKey, s.Public())
		}
		ch, err := curveHash(pub.Curve)
		if err != nil {
			return nil, err
		}
		h := hash
		if h == 0 {
			h = ch
		}
		if h != crypto.SHA256 && h != ch {
			return nil, fmt.Errorf("%w: hash %v with curve %s", ErrKey, h, pub.Curve.Params().Name)
		}
		providers = append(providers, signer{s: s, hash: h})
	}
	es, err := sslibdsse.NewEnvelopeSigner(providers...)
	if err != nil {
		return nil, fmt.Errorf("dsse: %w", err)
	}
	env, err := es.SignPayload(context.Background(), payloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("dsse: sign: %w", err)
	}
	return env, nil
}

// Verify checks that at least threshold distinct keys of pubs signed env and
// returns the decoded payload. Signatures by keys not in pubs, or that do not
// verify, are ignored (DSSE protocol.md: verification succeeds when enough
// trusted signatures verify). Keys must be *ecdsa.PublicKey on P-256, P-384
// or P-521; duplicates count once.
func Verify(env *Envelope, pubs []crypto.PublicKey, threshold int) ([]byte, error) {
	if err := check(env); err != nil {
		return nil, err
	}
	var vs []sslibdsse.Verifier
	for _, p := range pubs {
		pub, ok := p.(*ecdsa.PublicKey)
		if !ok || pub == nil {
			return nil, fmt.Errorf("%w: %T", ErrKey, p)
		}
		ch, err := curveHash(pub.Curve)
		if err != nil {
			return nil, err
		}
		dup := false
		for _, v := range vs {
			if v.Public().(*ecdsa.PublicKey).Equal(pub) {
				dup = true
			}
		}
		if dup {
			continue
		}
		hashes := []crypto.Hash{crypto.SHA256}
		if ch != crypto.SHA256 {
			hashes = append(hashes, ch)
		}
		vs = append(vs, verifier{pub: pub, hashes: hashes})
	}
	if threshold < 1 || threshold > len(vs) {
		return nil, fmt.Errorf("%w: threshold %d with %d distinct keys", ErrKey, threshold, len(vs))
	}
	ev, err := sslibdsse.NewMultiEnvelopeVerifier(threshold, vs...)
	if err != nil {
		return nil, fmt.Errorf("dsse: %w", err)
	}
	_, payload, err := ev.VerifyAndDecode(context.Background(), env)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVerify, err)
	}
	return payload, nil
}

// check enforces the envelope shape before any signature work: a payload
// type, standard base64 (RFC 4648 §4) payload and signatures, and at least
// one signature.
func check(env *Envelope) error {
	if env == nil {
		return fmt.Errorf("%w: nil", ErrMalformed)
	}
	if env.PayloadType == "" {
		return fmt.Errorf("%w: empty payloadType", ErrMalformed)
	}
	if _, err := base64.StdEncoding.DecodeString(env.Payload); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if len(env.Signatures) == 0 {
		return fmt.Errorf("%w: no signatures", ErrMalformed)
	}
	for i, s := range env.Signatures {
		if _, err := base64.StdEncoding.DecodeString(s.Sig); err != nil || s.Sig == "" {
			return fmt.Errorf("%w: signature %d: not base64", ErrMalformed, i)
		}
	}
	return nil
}

// Payload returns the decoded payload without verifying anything. Use it
// only to inspect envelopes; trust only what Verify returns.
func Payload(env *Envelope) ([]byte, error) {
	if env == nil {
		return nil, fmt.Errorf("%w: nil", ErrMalformed)
	}
	p, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	return p, nil
}

// Marshal writes env as compact JSON, the form cosign reads with
// --signature (one envelope per file).
func Marshal(env *Envelope) ([]byte, error) {
	if err := check(env); err != nil {
		return nil, err
	}
	return json.Marshal(env)
}

// Parse reads one JSON envelope. Unknown fields are rejected, and so is
// trailing data, so that a file holds exactly the envelope that was signed.
func Parse(data []byte) (*Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var env Envelope
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	if err := check(&env); err != nil {
		return nil, err
	}
	return &env, nil
}
