package dsse

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/openihsm/openihsm/evidence/keys"
)

// PayloadTypeInToto is the DSSE payloadType of in-toto Statements
// (in-toto attestation spec v1, envelope.md).
const PayloadTypeInToto = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope (JSON fields payloadType, payload, signatures).
type Envelope = ssldsse.Envelope

// Signature is one signature of an envelope.
type Signature = ssldsse.Signature

// Errors returned by Parse and Verify.
var (
	ErrMalformed = errors.New("dsse: malformed envelope")
	ErrThreshold = errors.New("dsse: not enough valid signatures from pinned keys")
)

// PAE is the DSSE v1 pre-authentication encoding, the bytes actually
// signed: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
func PAE(payloadType string, payload []byte) []byte {
	return ssldsse.PAE(payloadType, payload)
}

// SignHash is the hash signers apply to the PAE, whatever the curve.
// cosign verify-blob-attestation --key loads an ECDSA public key with
// SHA-256 unless --signature-digest-algorithm says otherwise, so SHA-256
// is what it accepts without extra flags; it keeps the ECDSA key's full
// strength against forgery and limits collision resistance to 128 bits,
// the strength cosign's own P-256 keys have.
const SignHash = crypto.SHA256

// signer adapts a crypto.Signer holding an ECDSA key to ssldsse.Signer.
type signer struct {
	s     crypto.Signer
	keyID string
}

var _ ssldsse.Signer = (*signer)(nil)

func newSigner(s crypto.Signer) (*signer, error) {
	if _, err := keys.HashFor(s.Public()); err != nil {
		return nil, err
	}
	id, err := keys.KeyID(s.Public())
	if err != nil {
		return nil, err
	}
	return &signer{s: s, keyID: id}, nil
}

func (s *signer) Sign(_ context.Context, data []byte) ([]byte, error) {
	h := SignHash.New()
	h.Write(data)
	return s.s.Sign(rand.Reader, h.Sum(nil), SignHash)
}

func (s *signer) KeyID() (string, error) { return s.keyID, nil }

// verifier adapts a pinned ECDSA public key to ssldsse.Verifier. It
// accepts a signature over the SHA-256 of the PAE (SignHash) or over the
// hash matching the curve (keys.HashFor), which is what cosign signs with
// for P-384 and P-521 keys and verifies with under
// --signature-digest-algorithm sha384 or sha512. Accepting both does not
// weaken the key: a forgery would need a SHA-256 digest equal to a SHA-384
// digest read as an integer, a 2^-128 event.
type verifier struct {
	pub    *ecdsa.PublicKey
	hashes []crypto.Hash
	keyID  string
}

var _ ssldsse.Verifier = (*verifier)(nil)

func (v *verifier) Verify(_ context.Context, data, sig []byte) error {
	for _, hash := range v.hashes {
		h := hash.New()
		h.Write(data)
		if ecdsa.VerifyASN1(v.pub, h.Sum(nil), sig) {
			return nil
		}
	}
	return errors.New("dsse: ECDSA signature does not verify")
}

func (v *verifier) KeyID() (string, error)   { return v.keyID, nil }
func (v *verifier) Public() crypto.PublicKey { return v.pub }

// Sign signs payload once with every signer and returns the envelope.
func Sign(ctx context.Context, payloadType string, payload []byte, signers ...crypto.Signer) (*Envelope, error) {
	if payloadType == "" {
		return nil, fmt.Errorf("%w: empty payloadType", ErrMalformed)
	}
	adapted := make([]ssldsse.Signer, 0, len(signers))
	for _, s := range signers {
		a, err := newSigner(s)
		if err != nil {
			return nil, err
		}
		adapted = append(adapted, a)
	}
	es, err := ssldsse.NewEnvelopeSigner(adapted...)
	if err != nil {
		return nil, fmt.Errorf("dsse: %w", err)
	}
	env, err := es.SignPayload(ctx, payloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("dsse: sign: %w", err)
	}
	return env, nil
}

// Marshal encodes an envelope as compact JSON.
func Marshal(env *Envelope) ([]byte, error) {
	if env == nil {
		return nil, fmt.Errorf("%w: nil envelope", ErrMalformed)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, fmt.Errorf("dsse: %w", err)
	}
	return buf.Bytes(), nil
}

// Parse decodes an envelope strictly: one JSON object, no unknown or
// duplicate members, a payloadType, standard base64 (DSSE envelope.md
// also allows URL-safe base64, which is accepted) and at least one
// signature.
func Parse(data []byte) (*Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var env Envelope
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the envelope", ErrMalformed)
	}
	if err := noDuplicateMembers(data); err != nil {
		return nil, err
	}
	if env.PayloadType == "" {
		return nil, fmt.Errorf("%w: no payloadType", ErrMalformed)
	}
	if _, err := env.DecodeB64Payload(); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no signatures", ErrMalformed)
	}
	for i, s := range env.Signatures {
		if _, err := decodeB64(s.Sig); err != nil || s.Sig == "" {
			return nil, fmt.Errorf("%w: signatures[%d].sig is not base64", ErrMalformed, i)
		}
	}
	return &env, nil
}

// Verified is what Verify returns: the signed bytes and who signed them.
type Verified struct {
	PayloadType string
	Payload     []byte   // exactly the bytes that were signed
	KeyIDs      []string // key ids (keys.KeyID) of the pinned keys that signed
}

// Verify checks that at least threshold distinct pinned keys signed the
// envelope. Signatures by other keys and invalid signatures are ignored
// (DSSE protocol.md: a verifier accepts when enough of its trusted keys
// verify). A signature carrying a keyid is only tried against the pinned
// key with that id.
func Verify(ctx context.Context, env *Envelope, threshold int, pinned ...crypto.PublicKey) (*Verified, error) {
	if env == nil {
		return nil, fmt.Errorf("%w: nil envelope", ErrMalformed)
	}
	var vs []ssldsse.Verifier
	seen := map[string]bool{}
	for _, p := range pinned {
		ec, ok := p.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %T", keys.ErrUnsupportedKey, p)
		}
		h, err := keys.HashFor(ec)
		if err != nil {
			return nil, err
		}
		id, err := keys.KeyID(ec)
		if err != nil {
			return nil, err
		}
		if seen[id] {
			continue // the same key pinned twice counts once
		}
		seen[id] = true
		hashes := []crypto.Hash{SignHash}
		if h != SignHash {
			hashes = append(hashes, h)
		}
		vs = append(vs, &verifier{pub: ec, hashes: hashes, keyID: id})
	}
	if threshold < 1 || threshold > len(vs) {
		return nil, fmt.Errorf("dsse: threshold %d with %d distinct pinned keys", threshold, len(vs))
	}
	ev, err := ssldsse.NewMultiEnvelopeVerifier(threshold, vs...)
	if err != nil {
		return nil, fmt.Errorf("dsse: %w", err)
	}
	accepted, payload, err := ev.VerifyAndDecode(ctx, env)
	if err != nil {
		if errors.Is(err, ssldsse.ErrNoSignature) {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrThreshold, err)
	}
	out := &Verified{PayloadType: env.PayloadType, Payload: payload}
	for _, a := range accepted {
		out.KeyIDs = append(out.KeyIDs, a.KeyID)
	}
	return out, nil
}

// decodeB64 accepts standard or URL-safe padded base64, as DSSE
// envelope.md permits and go-securesystemslib decodes.
func decodeB64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// noDuplicateMembers rejects repeated JSON member names (RFC 8259 §4 leaves
// them undefined; two readers could see different envelopes).
func noDuplicateMembers(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		if d == '{' {
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if seen[key] {
					return fmt.Errorf("%w: duplicate member %q", ErrMalformed, key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
		} else {
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token()
		return err
	}
	if err := walk(); err != nil {
		if errors.Is(err, ErrMalformed) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
