package intoto

import (
	"context"
	"crypto"

	"github.com/openihsm/openihsm/evidence/dsse"
)

// Sign marshals the Statement once and signs exactly those bytes in a DSSE
// envelope with payload type application/vnd.in-toto+json.
func Sign(ctx context.Context, s *Statement, signers ...crypto.Signer) (*dsse.Envelope, error) {
	payload, err := Marshal(s)
	if err != nil {
		return nil, err
	}
	return dsse.Sign(ctx, dsse.PayloadTypeInToto, payload, signers...)
}

// Verified is a Statement read from an envelope that verified.
type Verified struct {
	Statement *Statement
	Payload   []byte   // the signed bytes the Statement was parsed from
	KeyIDs    []string // pinned keys that signed
}

// Verify checks the envelope against pinned keys and a threshold, requires
// the in-toto payload type (in-toto attestation spec v1 envelope.md), and
// parses the signed bytes.
func Verify(ctx context.Context, env *dsse.Envelope, threshold int, pinned ...crypto.PublicKey) (*Verified, error) {
	v, err := dsse.Verify(ctx, env, threshold, pinned...)
	if err != nil {
		return nil, err
	}
	if v.PayloadType != dsse.PayloadTypeInToto {
		return nil, dsseTypeError(v.PayloadType)
	}
	s, err := Parse(v.Payload)
	if err != nil {
		return nil, err
	}
	return &Verified{Statement: s, Payload: v.Payload, KeyIDs: v.KeyIDs}, nil
}

// HasSubjectDigest reports whether a subject of s carries value under alg.
func HasSubjectDigest(s *Statement, alg, value string) bool {
	for _, sub := range s.GetSubject() {
		if v, ok := sub.GetDigest()[alg]; ok && value != "" && v == value {
			return true
		}
	}
	return false
}
