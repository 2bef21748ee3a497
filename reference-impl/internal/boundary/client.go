package boundary

import (
	"crypto/ecdh"
	"crypto/rand"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/kdf"
)

// ClientCredential is the client's side of the credential key schedule: it
// makes an ephemeral P-384 key, derives k_pin, k_c2d and k_d2c against the
// device's credential public key and nonce, and seals pin for opcode. It
// holds no device secret; it is here so that the device's in-process tests
// and embedders can act as a client with the exact same derivation. A
// network client implements the same steps itself (spec/client).
func ClientCredential(devicePublic, nonce []byte, label string, opcode uint16, pin []byte) (clientPublic, sealedPIN []byte, channel *ChannelKeys, err error) {
	e, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	dp, err := ecdh.P384().NewPublicKey(devicePublic)
	if err != nil {
		return nil, nil, nil, ErrInvalidPublicKey
	}
	z, err := e.ECDH(dp)
	if err != nil {
		return nil, nil, nil, ErrInvalidPublicKey
	}
	cp := e.PublicKey().Bytes()
	ck, err := kdf.Credential(z, nonce, label, cp, devicePublic)
	clear(z)
	if err != nil {
		return nil, nil, nil, err
	}
	defer ck.Clear()
	a, err := gcm(ck.PIN())
	if err != nil {
		return nil, nil, nil, err
	}
	var zero [12]byte
	sealed := a.Seal(nil, zero[:], pin, []byte{byte(opcode >> 8), byte(opcode)})
	ch, err := newChannelKeys(ck.Channel())
	if err != nil {
		return nil, nil, nil, err
	}
	return cp, sealed, ch, nil
}
