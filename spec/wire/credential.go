package wire

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha512"
	"encoding/binary"
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
)

// PIN length bounds (spec: architecture limits, pin length 8..64).
const (
	MinPINLen = 8
	MaxPINLen = 64
)

// credentialOKMSize is k_pin || k_c2d || k_d2c.
const credentialOKMSize = 3 * ChannelKeySize

// DeriveCredentialKeys derives the keys of a credential exchange (spec:
// wire.yaml, channel; CMD-PARTITION-ESTABLISH, CMD-SESSION-OPEN):
//
//	OKM = HKDF-SHA384(IKM = z, salt = nonce, info = label || clientPub || devicePub), 96 bytes
//	k_pin = OKM[0:32], k_c2d = OKM[32:64], k_d2c = OKM[64:96]
//
// z is the P-384 ECDH shared secret, nonce the 32-byte nonce of
// GetCredentialKey, clientPub and devicePub the SEC1 uncompressed public
// keys, and label [LabelEstablish] or [LabelSession] (RFC 5869; SP 800-56C
// rev. 2 §5, two-step key derivation).
func DeriveCredentialKeys(z, nonce, clientPub, devicePub []byte, label string) (kPin, kC2D, kD2C []byte, err error) {
	if len(z) == 0 || len(nonce) == 0 || len(clientPub) == 0 || len(devicePub) == 0 {
		return nil, nil, nil, fmt.Errorf("wire: derive credential keys: empty input: %w", rc.InvalidArgument)
	}
	info := make([]byte, 0, len(label)+len(clientPub)+len(devicePub))
	info = append(append(append(info, label...), clientPub...), devicePub...)
	okm, err := hkdf.Key(sha512.New384, z, nonce, string(info), credentialOKMSize)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("wire: derive credential keys: %v: %w", err, rc.InternalError)
	}
	return okm[0:32:32], okm[32:64:64], okm[64:96:96], nil
}

// pinAAD is the additional data of a sealed PIN: the opcode of the command
// that carries it, so a PIN sealed for EstablishCredential cannot be
// replayed into OpenSession.
func pinAAD(opcode uint16) []byte { return binary.BigEndian.AppendUint16(nil, opcode) }

// SealPIN seals pin for the command opcode under k_pin (spec: wire.yaml,
// channel): AES-256-GCM with a nonce of 12 zero bytes, which is safe because
// k_pin comes from a fresh ECDH exchange and seals exactly one message. A
// PIN outside 8..64 bytes is rc.PinPolicyViolation.
func SealPIN(kPin []byte, opcode uint16, pin []byte) ([]byte, error) {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return nil, fmt.Errorf("wire: seal pin: %d bytes, want %d..%d: %w", len(pin), MinPINLen, MaxPINLen, rc.PinPolicyViolation)
	}
	g, err := pinGCM(kPin)
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	return g.Seal(nil, nonce[:], pin, pinAAD(opcode)), nil
}

// OpenPIN opens a sealed PIN for the command opcode. A sealed PIN that does
// not authenticate is rc.CredentialDecryptFailed. The PIN policy is the
// device's to apply to the result.
func OpenPIN(kPin []byte, opcode uint16, sealed []byte) ([]byte, error) {
	g, err := pinGCM(kPin)
	if err != nil {
		return nil, err
	}
	var nonce [12]byte
	pin, err := g.Open(nil, nonce[:], sealed, pinAAD(opcode))
	if err != nil {
		return nil, fmt.Errorf("wire: open pin: %w", rc.CredentialDecryptFailed)
	}
	return pin, nil
}

func pinGCM(kPin []byte) (cipher.AEAD, error) {
	if len(kPin) != ChannelKeySize {
		return nil, fmt.Errorf("wire: k_pin of %d bytes, want %d: %w", len(kPin), ChannelKeySize, rc.InvalidArgument)
	}
	b, err := aes.NewCipher(kPin)
	if err != nil {
		return nil, fmt.Errorf("wire: k_pin: %v: %w", err, rc.InternalError)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("wire: k_pin: %v: %w", err, rc.InternalError)
	}
	return g, nil
}

// CredentialKeyMessage returns the message the device attestation key signs
// in GetCredentialKey (ECDSA P-384 with SHA-384, FIPS 186-5): the label
// [LabelCredentialKey], then the credential public key, then the nonce. The
// client verifies the signature over it before sealing a PIN to pub.
func CredentialKeyMessage(pub, nonce []byte) []byte {
	m := make([]byte, 0, len(LabelCredentialKey)+len(pub)+len(nonce))
	return append(append(append(m, LabelCredentialKey...), pub...), nonce...)
}
