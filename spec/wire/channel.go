package wire

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/openihsm/openihsm/spec/rc"
)

// Nonce prefixes of the two directions of a session channel (spec:
// wire.yaml, channel). The rest of the 12-byte AES-GCM nonce is the
// sequence number, so a (key, nonce) pair is never reused: each direction
// has its own key and each sequence number is used once per direction.
const (
	noncePrefixRequest  = 1
	noncePrefixResponse = 2
)

// ChannelKeySize is the size of k_c2d and k_d2c: AES-256 keys.
const ChannelKeySize = 32

// gcmOverhead is the AES-GCM tag a sealed body carries.
const gcmOverhead = 16

// Channel protects the messages of one session (spec: wire.yaml, channel):
// AES-256-GCM under k_c2d for requests and k_d2c for responses, with the
// nonce 0x00000001 || sequence (requests) or 0x00000002 || sequence
// (responses), and the CBOR encoding of the message's header as additional
// data, so a header cannot be moved to another body or altered.
//
// One Channel serves one side: a client seals requests and opens
// responses, a device opens requests and seals responses. It tracks the
// sequence numbers: requests are numbered from 1, the device accepts only
// the next one, and a response carries the sequence of its request. A
// failed open does not advance anything. A Channel is safe for concurrent
// use.
//
// The AEADs are built once, when the channel is: per-message key setup is
// the first thing to keep out of the hot path. Go cannot guarantee that the
// key schedule inside them is erased when the Channel is dropped; Close
// drops the references so it becomes garbage.
type Channel struct {
	mu  sync.Mutex
	c2d cipher.AEAD
	d2c cipher.AEAD
	// sent is the last request sequence sealed (client side).
	sent uint64
	// accepted is the last request sequence opened (device side).
	accepted uint64
	// received is the last response sequence opened (client side).
	received uint64
	// nonce and aad are the working memory of one seal or open, under mu:
	// handed to the cipher.AEAD interface, locals would be allocated on
	// every message.
	nonce [12]byte
	aad   [64]byte
}

// NewChannel returns a channel for the session keys k_c2d and k_d2c (each
// 32 bytes, from [DeriveCredentialKeys]). The keys are not retained.
func NewChannel(kC2D, kD2C []byte) (*Channel, error) {
	c2d, err := newGCM(kC2D)
	if err != nil {
		return nil, err
	}
	d2c, err := newGCM(kD2C)
	if err != nil {
		return nil, err
	}
	return &Channel{c2d: c2d, d2c: d2c}, nil
}

func newGCM(k []byte) (cipher.AEAD, error) {
	if len(k) != ChannelKeySize {
		return nil, fmt.Errorf("wire: channel key of %d bytes, want %d: %w", len(k), ChannelKeySize, rc.InvalidArgument)
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("wire: channel key: %v: %w", err, rc.InternalError)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("wire: channel key: %v: %w", err, rc.InternalError)
	}
	return g, nil
}

// Close forgets the channel's keys; every later call fails with
// rc.SessionNotFound.
func (c *Channel) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c2d, c.d2c = nil, nil
}

// setNonce writes the nonce of a message into c.nonce; c.mu held.
func (c *Channel) setNonce(prefix uint32, seq uint64) []byte {
	binary.BigEndian.PutUint32(c.nonce[:4], prefix)
	binary.BigEndian.PutUint64(c.nonce[4:], seq)
	return c.nonce[:]
}

// SealRequest (client side) takes the next sequence number, sets it in
// h.Sequence and returns the sealed body for the envelope's sealed field.
// h must be complete otherwise (revision, opcode, request id, session id):
// the whole header is authenticated.
func (c *Channel) SealRequest(h *RequestHeader, body []byte) ([]byte, error) {
	return c.AppendSealRequest(make([]byte, 0, len(body)+gcmOverhead), h, body)
}

// AppendSealRequest is [Channel.SealRequest] appending the sealed body to
// dst.
func (c *Channel) AppendSealRequest(dst []byte, h *RequestHeader, body []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c2d == nil {
		return nil, fmt.Errorf("wire: seal request: channel closed: %w", rc.SessionNotFound)
	}
	if c.sent == math.MaxUint64 {
		return nil, fmt.Errorf("wire: seal request: sequence numbers exhausted: %w", rc.ChannelSequenceError)
	}
	c.sent++
	h.Sequence = c.sent
	aad := h.AppendCBOR(c.aad[:0])
	return c.c2d.Seal(dst, c.setNonce(noncePrefixRequest, h.Sequence), body, aad), nil
}

// OpenRequest (device side) checks that h carries the next sequence number,
// opens sealed and returns the body. A missing sequence or sealed body is
// rc.ChannelRequired, a sequence other than the last accepted plus one is
// rc.ChannelSequenceError (replay or reordering), and a failed
// authentication is rc.ChannelAuthFailed; none of them advances the
// sequence.
func (c *Channel) OpenRequest(h RequestHeader, sealed []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c2d == nil {
		return nil, fmt.Errorf("wire: open request: channel closed: %w", rc.SessionNotFound)
	}
	if h.Sequence == 0 || sealed == nil {
		return nil, fmt.Errorf("wire: open request: not sealed: %w", rc.ChannelRequired)
	}
	if c.accepted == math.MaxUint64 || h.Sequence != c.accepted+1 {
		return nil, fmt.Errorf("wire: open request: sequence %d, want %d: %w", h.Sequence, c.accepted+1, rc.ChannelSequenceError)
	}
	aad := h.AppendCBOR(c.aad[:0])
	body, err := c.c2d.Open(nil, c.setNonce(noncePrefixRequest, h.Sequence), sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("wire: open request: %w", rc.ChannelAuthFailed)
	}
	c.accepted = h.Sequence
	return body, nil
}

// SealResponse (device side) seals the body of the response to the request
// with sequence h.Sequence, which the caller copies from the request
// header. Only a sequence the device has accepted can be answered sealed.
func (c *Channel) SealResponse(h *ResponseHeader, body []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c2d == nil {
		return nil, fmt.Errorf("wire: seal response: channel closed: %w", rc.SessionNotFound)
	}
	if h.Sequence == 0 || h.Sequence > c.accepted {
		return nil, fmt.Errorf("wire: seal response: sequence %d was not accepted: %w", h.Sequence, rc.ChannelSequenceError)
	}
	aad := h.AppendCBOR(c.aad[:0])
	return c.d2c.Seal(make([]byte, 0, len(body)+gcmOverhead), c.setNonce(noncePrefixResponse, h.Sequence), body, aad), nil
}

// OpenResponse (client side) opens the sealed body of a response. Its
// sequence must be one the client sent and later than any response opened
// before (a request refused in plaintext leaves a gap); otherwise the
// result is rc.ChannelSequenceError, and a failed authentication is
// rc.ChannelAuthFailed.
func (c *Channel) OpenResponse(h ResponseHeader, sealed []byte) ([]byte, error) {
	return c.AppendOpenResponse(nil, h, sealed)
}

// AppendOpenResponse is [Channel.OpenResponse] appending the body to dst.
// As with cipher.AEAD, sealed[:0] opens the body in place.
func (c *Channel) AppendOpenResponse(dst []byte, h ResponseHeader, sealed []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c2d == nil {
		return nil, fmt.Errorf("wire: open response: channel closed: %w", rc.SessionNotFound)
	}
	if h.Sequence == 0 || sealed == nil {
		return nil, fmt.Errorf("wire: open response: not sealed: %w", rc.ChannelRequired)
	}
	if h.Sequence <= c.received || h.Sequence > c.sent {
		return nil, fmt.Errorf("wire: open response: sequence %d outside (%d, %d]: %w", h.Sequence, c.received, c.sent, rc.ChannelSequenceError)
	}
	aad := h.AppendCBOR(c.aad[:0])
	body, err := c.d2c.Open(dst, c.setNonce(noncePrefixResponse, h.Sequence), sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("wire: open response: %w", rc.ChannelAuthFailed)
	}
	c.received = h.Sequence
	return body, nil
}
