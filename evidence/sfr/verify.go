package sfr

import (
	"bytes"
	"crypto"
	"fmt"
	"path/filepath"
	"strings"
)

// Form names the signed form a report was verified in.
type Form int

// The signed forms of a short-form report.
const (
	FormJWS       Form = iota + 1 // compact JWS over the legacy JSON
	FormCOSESign1                 // COSE_Sign1, CBOR tag 18, over a CoRIM
	FormCOSESign                  // COSE_Sign, CBOR tag 98, over a CoRIM
)

func (f Form) String() string {
	switch f {
	case FormJWS:
		return "jws"
	case FormCOSESign1:
		return "cose-sign1"
	case FormCOSESign:
		return "cose-sign"
	}
	return "unknown"
}

// Verified is a report whose signature verified.
type Verified struct {
	Form Form
	// Algorithm is the algorithm the signature verified with, chosen by
	// the key.
	Algorithm Algorithm
	// KeyID is the kid of the header that verified (JWS) or of the
	// signature that verified (COSE). It is either protected
	// (KeyIDProtected: the signer wrote it) or an unprotected COSE kid that
	// equals the kid pinned with WithKeyID.
	KeyID          string
	KeyIDProtected bool
	// Payload holds the signed bytes: the JSON report or the CoRIM.
	Payload []byte
	Report  *Report
}

// DefaultKeyID is the kid a key file stands for: its name without the
// extension, as the OCP SAFE repository names reviewer keys
// (SRP_certificates/Active/tetrel-ocp-sfr-signing-key.pub carries the kid
// tetrel-ocp-sfr-signing-key), and as `ihsm sfr sign` names the kid.
func DefaultKeyID(keyFile string) string {
	base := filepath.Base(keyFile)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// Verify verifies a signed short-form report in any published form,
// telling a compact JWS from a COSE message by its first byte: CBOR tags
// 18 and 98 start with 0xD2 and 0xD8, a JWS with base64url text.
func Verify(signed []byte, pub crypto.PublicKey, opts ...VerifyOption) (*Verified, error) {
	if isCBOR(signed) {
		return VerifyCOSE(signed, pub, opts...)
	}
	return VerifyJWS(signed, pub)
}

// isCBOR reports whether data starts like a CBOR tag or array, which no
// JSON text or JWS does.
func isCBOR(data []byte) bool {
	return len(data) > 0 && data[0]&0xE0 >= 0x80 && data[0] != 0xFF
}

// Parse decodes an unsigned or signed report without verifying anything:
// JSON, CoRIM, compact JWS or COSE. It is for linting and inspection;
// trust only what Verify returns.
func Parse(data []byte) (*Report, error) {
	if len(data) > MaxReportSize {
		return nil, fmt.Errorf("%w: input larger than %d bytes", ErrMalformed, MaxReportSize)
	}
	t := bytes.TrimSpace(data)
	switch {
	case len(t) > 0 && t[0] == '{':
		return ParseJSON(t)
	case isCBOR(data):
		msg, err := decodeCOSE(data)
		if err == nil {
			return ParseCoRIM(msg.payload)
		}
		return ParseCoRIM(data)
	default:
		parts := bytes.Split(t, []byte("."))
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: neither JSON, CBOR nor a compact JWS", ErrMalformed)
		}
		payload, err := b64.DecodeString(string(parts[1]))
		if err != nil {
			return nil, fmt.Errorf("%w: JWS payload: %v", ErrMalformed, err)
		}
		return ParseJSON(payload)
	}
}
