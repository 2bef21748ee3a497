package boundary

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"sync"
)

// Channel nonce prefixes (OpenIHSM protocol, "Channel protection").
const (
	directionRequest  = 1
	directionResponse = 2
)

// ChannelKeys are one session's channel keys, usable only through their
// methods. Sequence tracking (last+1) is the caller's: these methods are
// pure AEAD with the protocol's nonce layout. They are safe for concurrent
// use.
type ChannelKeys struct {
	_   [0]func()
	c2d *direction
	d2c *direction
}

// direction is the AEAD of one direction with room for its nonce: a nonce
// handed to the cipher.AEAD interface would otherwise be allocated on
// every message, and the channel carries every in-session message.
type direction struct {
	aead  cipher.AEAD
	mu    sync.Mutex
	nonce [12]byte
}

func (d *direction) seal(dst []byte, prefix uint32, seq uint64, aad, body []byte) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	putNonce(&d.nonce, prefix, seq)
	return d.aead.Seal(dst, d.nonce[:], body, aad)
}

func (d *direction) open(dst []byte, prefix uint32, seq uint64, aad, sealed []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	putNonce(&d.nonce, prefix, seq)
	pt, err := d.aead.Open(dst, d.nonce[:], sealed, aad)
	if err != nil {
		return nil, ErrChannelAuthFailed
	}
	return pt, nil
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
	return &ChannelKeys{c2d: &direction{aead: a}, d2c: &direction{aead: b}}, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func putNonce(n *[12]byte, prefix uint32, seq uint64) {
	binary.BigEndian.PutUint32(n[:4], prefix)
	binary.BigEndian.PutUint64(n[4:], seq)
}

// OpenRequest authenticates and decrypts a sealed request body (k_c2d,
// nonce 0x00000001 || seq) and appends the plaintext to dst; aad is the
// encoded request header. Failure is ErrChannelAuthFailed.
func (c *ChannelKeys) OpenRequest(dst []byte, seq uint64, aad, sealed []byte) ([]byte, error) {
	return c.c2d.open(dst, directionRequest, seq, aad, sealed)
}

// SealResponse seals a response body (k_d2c, nonce 0x00000002 || seq) and
// appends the result to dst.
func (c *ChannelKeys) SealResponse(dst []byte, seq uint64, aad, body []byte) []byte {
	return c.d2c.seal(dst, directionResponse, seq, aad, body)
}

// SealRequest and OpenResponse are the client's side of the channel. The
// device never calls them; they let in-process tests and embedders act as
// a client of a session whose keys they were given.
func (c *ChannelKeys) SealRequest(seq uint64, aad, body []byte) []byte {
	return c.c2d.seal(nil, directionRequest, seq, aad, body)
}

// OpenResponse authenticates and decrypts a sealed response body.
func (c *ChannelKeys) OpenResponse(seq uint64, aad, sealed []byte) ([]byte, error) {
	return c.d2c.open(nil, directionResponse, seq, aad, sealed)
}
