package sfr

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// b64 is the base64url alphabet without padding that JWS uses (RFC 7515
// §2); Strict refuses non-zero trailing bits so every encoded bit counts.
var b64 = base64.RawURLEncoding.Strict()

// jwsHeader is the JOSE header of a short-form report. OcpReportLib.py
// writes alg, kid and (through pyjwt) typ.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid,omitempty"`
	Typ  string          `json:"typ,omitempty"`
	Crit json.RawMessage `json:"crit,omitempty"`
}

// SignJWS signs the compact JSON encoding of r as a JWS in compact
// serialisation (RFC 7515 §7.1) with the key's algorithm (ES384 for P-384,
// ES512 for P-521, PS384 for RSA) and kid in the header.
func SignJWS(r *Report, key crypto.Signer, kid string) ([]byte, error) {
	payload, err := EncodeJSON(r)
	if err != nil {
		return nil, err
	}
	return SignJWSPayload(payload, key, kid)
}

// SignJWSPayload signs payload bytes as they are, for a report encoded
// elsewhere. It refuses a payload that is not a JSON report.
func SignJWSPayload(payload []byte, key crypto.Signer, kid string) ([]byte, error) {
	if _, err := ParseJSON(payload); err != nil {
		return nil, err
	}
	alg, err := DefaultAlgorithm(key.Public())
	if err != nil {
		return nil, err
	}
	hdr, err := json.Marshal(jwsHeader{Alg: string(alg), Kid: kid})
	if err != nil {
		return nil, err
	}
	input := b64.EncodeToString(hdr) + "." + b64.EncodeToString(payload)
	sig, err := signJOSE(key, alg, []byte(input))
	if err != nil {
		return nil, err
	}
	return []byte(input + "." + b64.EncodeToString(sig)), nil
}

// signJOSE signs with the JWA encoding of the algorithm: ECDSA as the fixed
// length concatenation R||S (RFC 7518 §3.4), RSASSA-PSS with a salt as long
// as the hash (RFC 7518 §3.5).
func signJOSE(key crypto.Signer, alg Algorithm, input []byte) ([]byte, error) {
	h := alg.hash().New()
	h.Write(input)
	digest := h.Sum(nil)
	switch alg {
	case ES384, ES512:
		der, err := key.Sign(rand.Reader, digest, alg.hash())
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		var rs struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("sign: signer returned a malformed ECDSA signature")
		}
		n := (key.Public().(*ecdsa.PublicKey).Curve.Params().N.BitLen() + 7) / 8
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out, nil
	default:
		sig, err := key.Sign(rand.Reader, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: alg.hash()})
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		return sig, nil
	}
}

// VerifyJWS verifies a compact JWS short-form report with pub and returns
// its report. Only ES384, ES512, PS384 and PS512 are accepted, and the
// header's alg must be the one the key allows: "none", HMAC and any
// algorithm of another key type are refused before any cryptography runs.
func VerifyJWS(token []byte, pub crypto.PublicKey) (*Verified, error) {
	if len(token) > MaxReportSize {
		return nil, fmt.Errorf("%w: JWS larger than %d bytes", ErrMalformed, MaxReportSize)
	}
	token = bytes.TrimSpace(token)
	parts := bytes.Split(token, []byte("."))
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: JWS compact serialisation has %d parts, want 3", ErrMalformed, len(parts))
	}
	hdrBytes, err := b64.DecodeString(string(parts[0]))
	if err != nil {
		return nil, fmt.Errorf("%w: JWS header: %v", ErrMalformed, err)
	}
	var hdr jwsHeader
	if err := json.Unmarshal(hdrBytes, &hdr); err != nil {
		return nil, fmt.Errorf("%w: JWS header: %v", ErrMalformed, err)
	}
	// RFC 7515 §4.1.11: a recipient must reject a JWS whose crit names
	// extensions it does not understand; this verifier understands none.
	if len(hdr.Crit) != 0 {
		return nil, fmt.Errorf("%w: JWS header has crit", ErrMalformed)
	}
	switch Algorithm(hdr.Alg) {
	case ES384, ES512, PS384, PS512:
	default:
		return nil, fmt.Errorf("%w: JWS alg %q", ErrAlgorithm, hdr.Alg)
	}
	alg, err := pinAlgorithm(pub, Algorithm(hdr.Alg))
	if err != nil {
		return nil, err
	}
	payload, err := b64.DecodeString(string(parts[1]))
	if err != nil {
		return nil, fmt.Errorf("%w: JWS payload: %v", ErrMalformed, err)
	}
	sig, err := b64.DecodeString(string(parts[2]))
	if err != nil {
		return nil, fmt.Errorf("%w: JWS signature: %v", ErrMalformed, err)
	}
	input := token[:len(parts[0])+1+len(parts[1])]
	if err := verifyJOSE(pub, alg, input, sig); err != nil {
		return nil, err
	}
	r, err := ParseJSON(payload)
	if err != nil {
		return nil, err
	}
	return &Verified{Form: FormJWS, Algorithm: alg, KeyID: hdr.Kid, KeyIDProtected: hdr.Kid != "", Payload: payload, Report: r}, nil
}

func verifyJOSE(pub crypto.PublicKey, alg Algorithm, input, sig []byte) error {
	h := alg.hash().New()
	h.Write(input)
	digest := h.Sum(nil)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().N.BitLen() + 7) / 8
		if len(sig) != 2*n {
			return fmt.Errorf("%w: ECDSA signature of %d bytes, want %d", ErrSignature, len(sig), 2*n)
		}
		r := new(big.Int).SetBytes(sig[:n])
		s := new(big.Int).SetBytes(sig[n:])
		if !ecdsa.Verify(k, digest, r, s) {
			return ErrSignature
		}
		return nil
	case *rsa.PublicKey:
		if err := rsa.VerifyPSS(k, alg.hash(), digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: key type %T", ErrKey, pub)
}
