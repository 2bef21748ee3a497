package sfr

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// COSE message tags and header labels (RFC 9052 §2, §3.1).
const (
	tagCOSESign1      = 18
	tagCOSESign       = 98
	headerAlg         = 1
	headerCrit        = 2
	headerContentType = 3
	headerKeyID       = 4
)

// contentTypeCoRIM is the media type of an unsigned CoRIM
// (draft-ietf-rats-corim, "application/rim+cbor").
const contentTypeCoRIM = "application/rim+cbor"

// SignCOSE signs an encoded CoRIM as COSE_Sign1 (tag 18), the signed form
// the CoRIM draft and OcpReportLib.py's sign_corim_report_pem use: alg and
// content type protected, kid unprotected. ES384 for a P-384 key, ES512 for
// P-521, PS384 for RSA. The payload is signed as given, never re-encoded.
func SignCOSE(corim []byte, key crypto.Signer, kid string) ([]byte, error) {
	if _, err := ParseCoRIM(corim); err != nil {
		return nil, err
	}
	alg, err := DefaultAlgorithm(key.Public())
	if err != nil {
		return nil, err
	}
	signer, err := cose.NewSigner(alg.cose(), key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	hdr := cose.Headers{
		Protected: cose.ProtectedHeader{
			cose.HeaderLabelAlgorithm:   alg.cose(),
			cose.HeaderLabelContentType: contentTypeCoRIM,
		},
		Unprotected: cose.UnprotectedHeader{},
	}
	if kid != "" {
		hdr.Unprotected[cose.HeaderLabelKeyID] = []byte(kid)
	}
	out, err := cose.Sign1(rand.Reader, signer, hdr, corim, nil)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return out, nil
}

// coseMessage is a decoded COSE_Sign1 or COSE_Sign: the body's protected
// header bytes as received, the payload, and one entry per signature.
type coseMessage struct {
	form       Form
	protected  []byte
	bodyHeader header
	payload    []byte
	signatures []coseSignature
}

type coseSignature struct {
	protected []byte // COSE_Sign only
	header    header
	signature []byte
}

// header is what this verifier reads of a protected plus unprotected pair.
type header struct {
	alg    Algorithm // "" when no alg is named
	algErr error     // alg named but not allowed
	kid    string
	// kidProtected says the kid is in the protected bucket, covered by the
	// signature; an unprotected kid is believed only when it is the kid the
	// key is pinned under.
	kidProtected bool
	hasKID       bool
	crit         bool
}

// decodeCOSE decodes a tagged COSE_Sign1 or COSE_Sign (RFC 9052 §4.1, §4.2).
func decodeCOSE(data []byte) (*coseMessage, error) {
	if len(data) > MaxReportSize {
		return nil, fmt.Errorf("%w: COSE message larger than %d bytes", ErrMalformed, MaxReportSize)
	}
	var tag cbor.RawTag
	if err := decMode.Unmarshal(data, &tag); err != nil {
		return nil, fmt.Errorf("%w: COSE: %v", ErrMalformed, err)
	}
	var parts []cbor.RawMessage
	if err := decMode.Unmarshal(tag.Content, &parts); err != nil || len(parts) != 4 {
		return nil, fmt.Errorf("%w: COSE message is not a four-element array", ErrMalformed)
	}
	m := &coseMessage{}
	var err error
	if m.protected, m.bodyHeader, err = decodeHeaders(parts[0], parts[1]); err != nil {
		return nil, err
	}
	if err := decMode.Unmarshal(parts[2], &m.payload); err != nil || m.payload == nil {
		// A nil payload is a detached one (RFC 9052 §4.1), which an SFR
		// never is.
		return nil, fmt.Errorf("%w: COSE payload is not an attached byte string", ErrMalformed)
	}
	switch tag.Number {
	case tagCOSESign1:
		m.form = FormCOSESign1
		var sig []byte
		if err := decMode.Unmarshal(parts[3], &sig); err != nil {
			return nil, fmt.Errorf("%w: COSE_Sign1 signature is not a byte string", ErrMalformed)
		}
		m.signatures = []coseSignature{{header: m.bodyHeader, signature: sig}}
	case tagCOSESign:
		m.form = FormCOSESign
		var sigs [][]cbor.RawMessage
		if err := decMode.Unmarshal(parts[3], &sigs); err != nil || len(sigs) == 0 {
			return nil, fmt.Errorf("%w: COSE_Sign signatures are not a non-empty list", ErrMalformed)
		}
		for _, s := range sigs {
			if len(s) != 3 {
				return nil, fmt.Errorf("%w: COSE_Signature is not a three-element array", ErrMalformed)
			}
			var cs coseSignature
			if cs.protected, cs.header, err = decodeHeaders(s[0], s[1]); err != nil {
				return nil, err
			}
			if err := decMode.Unmarshal(s[2], &cs.signature); err != nil {
				return nil, fmt.Errorf("%w: COSE_Signature signature is not a byte string", ErrMalformed)
			}
			m.signatures = append(m.signatures, cs)
		}
	default:
		return nil, fmt.Errorf("%w: CBOR tag %d is neither COSE_Sign1 (18) nor COSE_Sign (98)", ErrMalformed, tag.Number)
	}
	return m, nil
}

// decodeHeaders reads a protected header (a byte string, empty or holding
// a map) and an unprotected map. A label in both buckets is an error (RFC
// 9052 §3). The unprotected bucket is not covered by any signature, so it
// may hold only what this verifier reads and checks, alg (1) and kid (4):
// any other label is refused rather than ignored, and a kid must be a byte
// string (RFC 9052 §3.1) in either bucket, so that no bit of a message can
// change without the verification noticing.
func decodeHeaders(prot, unprot cbor.RawMessage) ([]byte, header, error) {
	var h header
	var pb []byte
	if err := decMode.Unmarshal(prot, &pb); err != nil || pb == nil {
		return nil, h, fmt.Errorf("%w: COSE protected header is not a byte string", ErrMalformed)
	}
	pm := map[any]any{}
	if len(pb) > 0 {
		if err := decMode.Unmarshal(pb, &pm); err != nil {
			return nil, h, fmt.Errorf("%w: COSE protected header: %v", ErrMalformed, err)
		}
	}
	var um map[any]any
	if err := decMode.Unmarshal(unprot, &um); err != nil || um == nil {
		return nil, h, fmt.Errorf("%w: COSE unprotected header is not a map", ErrMalformed)
	}
	for k := range um {
		if _, dup := pm[k]; dup {
			return nil, h, fmt.Errorf("%w: COSE header label %v in both buckets", ErrMalformed, k)
		}
		if k != uint64(headerAlg) && k != uint64(headerKeyID) {
			return nil, h, fmt.Errorf("%w: COSE unprotected header label %v is not one this verifier checks (alg 1, kid 4)", ErrMalformed, k)
		}
	}
	// crit is only meaningful protected; this verifier understands no
	// critical extension, so any crit rejects the message (RFC 9052 §3.1).
	if lookup(pm, headerCrit) != nil {
		h.crit = true
	}
	alg := lookup(pm, headerAlg)
	if alg == nil {
		alg = lookup(um, headerAlg)
	}
	switch a := alg.(type) {
	case nil:
	case int64:
		h.alg, h.algErr = algorithmFromCOSE(a)
	case uint64:
		h.algErr = fmt.Errorf("%w: COSE algorithm %d", ErrAlgorithm, a)
	default:
		h.algErr = fmt.Errorf("%w: COSE algorithm %v", ErrAlgorithm, a)
	}
	kid, inProtected := lookup(pm, headerKeyID), true
	if kid == nil {
		kid, inProtected = lookup(um, headerKeyID), false
	}
	if kid != nil {
		b, ok := kid.([]byte)
		if !ok {
			return nil, h, fmt.Errorf("%w: COSE kid is not a byte string", ErrMalformed)
		}
		h.kid, h.hasKID, h.kidProtected = string(b), true, inProtected
	}
	return pb, h, nil
}

// VerifyOption adjusts Verify and VerifyCOSE.
type VerifyOption func(*verifyConfig)

type verifyConfig struct {
	kid string
}

// WithKeyID names the key id the key is published under. A kid in an
// unprotected COSE header is covered by no signature, so it is accepted
// only when it is exactly this kid; without WithKeyID a signature whose
// kid is unprotected is refused (ErrKeyID). Protected kids (COSE and JWS)
// are authenticated and accepted as they are.
func WithKeyID(kid string) VerifyOption {
	return func(c *verifyConfig) { c.kid = kid }
}

// VerifyCOSE verifies a COSE_Sign1 or COSE_Sign over a CoRIM SFR with pub
// and returns its report. The algorithm comes from the key (P-384 ES384,
// P-521 ES512, RSA PS384/PS512): a header that names another algorithm
// fails, and a header that names none, or names it only in the unprotected
// bucket as the published Microsoft HSM reports do, is verified with the
// key's. A COSE_Sign verifies when any one of its signatures verifies and
// its unprotected kid, if any, is the pinned one (WithKeyID); the other
// signers' unprotected headers can only be checked for form.
func VerifyCOSE(msg []byte, pub crypto.PublicKey, opts ...VerifyOption) (*Verified, error) {
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	if _, err := keyAlgorithms(pub); err != nil {
		return nil, err
	}
	m, err := decodeCOSE(msg)
	if err != nil {
		return nil, err
	}
	if m.bodyHeader.crit {
		return nil, fmt.Errorf("%w: COSE header has crit", ErrMalformed)
	}
	if m.form == FormCOSESign {
		if err := checkKeyID(m.bodyHeader, cfg); err != nil {
			return nil, err
		}
	}
	// With several signers, a signature that was checked and failed says
	// more than a signer whose algorithm does not fit the key.
	var firstErr error
	sigFailed := false
	for _, s := range m.signatures {
		alg, err := verifyCOSESignature(m, s, pub)
		if err == nil {
			if err := checkKeyID(s.header, cfg); err != nil {
				return nil, err
			}
			r, err := ParseCoRIM(m.payload)
			if err != nil {
				return nil, err
			}
			return &Verified{Form: m.form, Algorithm: alg, KeyID: s.header.kid, KeyIDProtected: s.header.kidProtected, Payload: m.payload, Report: r}, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		sigFailed = sigFailed || errors.Is(err, ErrSignature)
	}
	if len(m.signatures) > 1 && sigFailed {
		return nil, fmt.Errorf("%w: none of %d signatures verifies with the key", ErrSignature, len(m.signatures))
	}
	return nil, firstErr
}

// checkKeyID accepts a protected kid, no kid, or an unprotected kid that is
// the pinned one.
func checkKeyID(h header, cfg verifyConfig) error {
	if !h.hasKID || h.kidProtected {
		return nil
	}
	if cfg.kid == "" {
		return fmt.Errorf("%w: unprotected kid %q, and no kid is pinned for the key", ErrKeyID, h.kid)
	}
	if h.kid != cfg.kid {
		return fmt.Errorf("%w: unprotected kid %q is not the pinned kid %q", ErrKeyID, h.kid, cfg.kid)
	}
	return nil
}

func verifyCOSESignature(m *coseMessage, s coseSignature, pub crypto.PublicKey) (Algorithm, error) {
	if s.header.crit {
		return "", fmt.Errorf("%w: COSE signature header has crit", ErrMalformed)
	}
	if s.header.algErr != nil {
		return "", s.header.algErr
	}
	claimed := s.header.alg
	if m.form == FormCOSESign && claimed == "" {
		claimed = m.bodyHeader.alg
	}
	alg, err := pinAlgorithm(pub, claimed)
	if err != nil {
		return "", err
	}
	// RFC 9052 §4.4: Sig_structure.
	var tbs []any
	if m.form == FormCOSESign1 {
		tbs = []any{"Signature1", m.protected, []byte{}, m.payload}
	} else {
		tbs = []any{"Signature", m.protected, s.protected, []byte{}, m.payload}
	}
	content, err := encMode.Marshal(tbs)
	if err != nil {
		return "", err
	}
	v, err := cose.NewVerifier(alg.cose(), pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrKey, err)
	}
	if err := v.Verify(content, s.signature); err != nil {
		return "", ErrSignature
	}
	return alg, nil
}
