package client

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Session is an open session with the partition: every request it sends
// is sealed under k_c2d and every response opened under k_d2c (spec:
// wire.yaml, channel).
//
// A Session is safe for concurrent use. Its requests are serialised: the
// sequence number is taken, the request sent and its response opened under
// one lock, because the device accepts only the next sequence number and
// the response must carry the sequence of its request. Goroutines that
// need parallelism open more sessions (up to max_sessions per partition).
type Session struct {
	c  *Client
	id uint32

	mu     sync.Mutex
	ch     *wire.Channel
	closed bool
	// body and frame are the working memory of a request, under mu, so
	// that a call allocates no buffer of its own: the encoded body, then
	// the sealed body and the frame around it.
	body, sealed, frame []byte
}

// maxKeptBuffer is the largest request buffer a session keeps for the next
// call; a larger one, from a rare big request, goes back to the allocator.
const maxKeptBuffer = 16 << 10

// ID returns the session_id the device assigned.
func (s *Session) ID() uint32 { return s.id }

// Client returns the client the session was opened with.
func (s *Session) Client() *Client { return s.c }

// ErrSessionClosed is returned by every method of a Session after Close.
var ErrSessionClosed = errors.New("client: session closed")

// call runs an in-session command: the body is sealed with the next
// sequence number and the response must carry the same request_id,
// opcode, session_id and sequence and open under k_d2c.
func (s *Session) call(ctx context.Context, req, resp wire.Message) error {
	op := req.Opcode()
	name := commandName(op)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%s: %w", name, ErrSessionClosed)
	}
	h, rh, env, err := s.send(ctx, req)
	if err != nil {
		return err
	}
	if env.Sealed == nil {
		// A device that could not authenticate the request (unknown
		// session, bad tag, wrong sequence, renegotiation needed) has no
		// channel to answer on and replies in plaintext. Such a reply is
		// unauthenticated, so only an error status is believed.
		if rh.Status == rc.Success {
			return fmt.Errorf("%s: %w: plaintext success for a sealed request", name, ErrProtocol)
		}
		return fmt.Errorf("%s: %w", name, rh.Status)
	}
	if rh.SessionID != s.id || rh.Sequence != h.Sequence {
		return fmt.Errorf("%s: %w: response for session %d sequence %d, sent session %d sequence %d",
			name, ErrProtocol, rh.SessionID, rh.Sequence, s.id, h.Sequence)
	}
	// The response frame is ours (transport.Transport), so the body is
	// opened in place; Unmarshal copies what it keeps.
	plain, err := s.ch.AppendOpenResponse(env.Sealed[:0], rh, env.Sealed)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if rh.Status != rc.Success {
		return fmt.Errorf("%s: %w", name, rh.Status)
	}
	if err := wire.Unmarshal(plain, resp); err != nil {
		return fmt.Errorf("%s: %w: response body: %w", name, ErrProtocol, err)
	}
	return nil
}

// send seals req with the next sequence number, sends it and returns its
// header and the response's header and envelope; s.mu held. The plaintext
// body is cleared once sealed.
func (s *Session) send(ctx context.Context, req wire.Message) (h wire.RequestHeader, rh wire.ResponseHeader, env wire.Envelope, err error) {
	op := req.Opcode()
	name := commandName(op)
	defer s.trim()
	s.body, err = wire.AppendMarshal(s.body[:0], req)
	if err != nil {
		return h, rh, env, fmt.Errorf("%s: %w", name, err)
	}
	h = wire.RequestHeader{Revision: wire.Revision, Opcode: op, RequestID: s.c.nextID.Add(1), SessionID: s.id}
	s.sealed, err = s.ch.AppendSealRequest(s.sealed[:0], &h, s.body)
	clear(s.body)
	if err != nil {
		return h, rh, env, fmt.Errorf("%s: %w", name, err)
	}
	s.frame, err = wire.AppendRequest(s.frame[:0], h, wire.Envelope{Sealed: s.sealed})
	if err != nil {
		return h, rh, env, fmt.Errorf("%s: %w", name, err)
	}
	// A transport does not keep the frame past RoundTrip, so the buffer
	// serves the next call.
	rh, env, err = s.c.roundTrip(ctx, h, s.frame)
	return h, rh, env, err
}

// trim drops request buffers grown beyond maxKeptBuffer; s.mu held.
func (s *Session) trim() {
	if cap(s.body) > maxKeptBuffer {
		s.body = nil
	}
	if cap(s.sealed) > maxKeptBuffer {
		s.sealed = nil
	}
	if cap(s.frame) > maxKeptBuffer {
		s.frame = nil
	}
}

// credential runs the client side of a credential exchange (spec:
// wire.yaml, channel): fetch and verify the device's credential key and
// nonce, make an ephemeral P-384 key, derive k_pin, k_c2d and k_d2c with
// HKDF-SHA384 under label, and seal pin for opcode. send carries the
// client public key, the nonce and the sealed PIN to the device. Because a device keeps
// one outstanding nonce per endpoint, another client's GetCredentialKey can
// replace ours; such a race surfaces as NonceInvalid and the exchange is
// retried a few times.
func (c *Client) credential(ctx context.Context, label string, opcode uint16, pin []byte,
	send func(clientPub, nonce, sealedPIN []byte) error) (kC2D, kD2C []byte, err error) {
	if len(pin) < wire.MinPINLen || len(pin) > wire.MaxPINLen {
		return nil, nil, fmt.Errorf("%s: PIN of %d bytes: %w", commandName(opcode), len(pin), rc.PinPolicyViolation)
	}
	c.credMu.Lock()
	defer c.credMu.Unlock()
	const attempts = 3
	for i := 0; ; i++ {
		kC2D, kD2C, err = c.credentialOnce(ctx, label, opcode, pin, send)
		if err == nil || i == attempts-1 || !errors.Is(err, rc.NonceInvalid) {
			return kC2D, kD2C, err
		}
		if ctx.Err() != nil {
			return nil, nil, err
		}
	}
}

func (c *Client) credentialOnce(ctx context.Context, label string, opcode uint16, pin []byte,
	send func(clientPub, nonce, sealedPIN []byte) error) (kC2D, kD2C []byte, err error) {
	ck, err := c.GetCredentialKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	devPub, err := ecdh.P384().NewPublicKey(ck.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: device credential key: %w", commandName(opcode), rc.InvalidPublicKey)
	}
	e, err := ecdh.P384().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	z, err := e.ECDH(devPub)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: ECDH: %w", commandName(opcode), err)
	}
	clientPub := e.PublicKey().Bytes()
	kPin, kC2D, kD2C, err := wire.DeriveCredentialKeys(z, ck.Nonce, clientPub, ck.PublicKey, label)
	clear(z)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := wire.SealPIN(kPin, opcode, pin)
	clear(kPin)
	if err != nil {
		return nil, nil, err
	}
	if err := send(clientPub, ck.Nonce, sealed); err != nil {
		clear(kC2D)
		clear(kD2C)
		return nil, nil, err
	}
	return kC2D, kD2C, nil
}

// newChannel builds the session channel and drops the raw keys; Go cannot
// guarantee the copies inside the AEADs are erased, only that these are.
func newChannel(kC2D, kD2C []byte) (*wire.Channel, error) {
	defer clear(kC2D)
	defer clear(kD2C)
	return wire.NewChannel(kC2D, kD2C)
}
