package boundary

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// Channel nonce prefixes (OpenIHSM protocol, "Channel protection").
const (
	directionRequest  = 1
	directionResponse = 2
)

// ChannelKeys are one session's channel keys, usable only through their
// methods. Sequence tracking (last+1) is the caller's: these methods are
// pure AEAD with the protocol's nonce layout.
type ChannelKeys struct {
	_   [0]func()
	c2d cipher.AEAD
	d2c cipher.AEAD
}

// String, GoString and Format print "[REDACTED]".
func (ChannelKeys) String() string             { return "[REDACTED]" }
func (ChannelKeys) GoString() string           { return "[REDACTED]" }
func (ChannelKeys) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[REDACTED]")) }

func newChannelKeys(c2d, d2c *[32]byte) (*ChannelKeys, error) {
	a, err := gcm(c2d[:])
	if err != nil {
		return nil, err
	}
	b, err := gcm(d2c[:])
	if err != nil {
		return nil, err
	}
	return &ChannelKeys{c2d: a, d2c: b}, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func channelNonce(direction uint32, seq uint64) [12]byte {
	var n [12]byte
	binary.BigEndian.PutUint32(n[:4], direction)
	binary.BigEndian.PutUint64(n[4:], seq)
	return n
}

// OpenRequest authenticates and decrypts a sealed request body (k_c2d,
// nonce 0x00000001 || seq); aad is the encoded request header. Failure is
// ErrChannelAuthFailed.
func (c *ChannelKeys) OpenRequest(seq uint64, aad, sealed []byte) ([]byte, error) {
	n := channelNonce(directionRequest, seq)
	pt, err := c.c2d.Open(nil, n[:], sealed, aad)
	if err != nil {
		return nil, ErrChannelAuthFailed
	}
	return pt, nil
}

// SealResponse seals a response body (k_d2c, nonce 0x00000002 || seq).
func (c *ChannelKeys) SealResponse(seq uint64, aad, body []byte) []byte {
	n := channelNonce(directionResponse, seq)
	return c.d2c.Seal(make([]byte, 0, len(body)+16), n[:], body, aad)
}

// SealRequest and OpenResponse are the client's side of the channel. The
// device never calls them; they let in-process tests and embedders act as
// a client of a session whose keys they were given.
func (c *ChannelKeys) SealRequest(seq uint64, aad, body []byte) []byte {
	n := channelNonce(directionRequest, seq)
	return c.c2d.Seal(make([]byte, 0, len(body)+16), n[:], body, aad)
}

// OpenResponse authenticates and decrypts a sealed response body.
func (c *ChannelKeys) OpenResponse(seq uint64, aad, sealed []byte) ([]byte, error) {
	n := channelNonce(directionResponse, seq)
	pt, err := c.d2c.Open(nil, n[:], sealed, aad)
	if err != nil {
		return nil, ErrChannelAuthFailed
	}
	return pt, nil
}
