package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// ErrProtocol is returned when a device's response breaks the wire protocol
// itself: it answers another request or command, is sealed when it must
// be plain (or the reverse), or carries a body that does not decode. The
// device status codes are returned as rc.Code values instead.
var ErrProtocol = errors.New("client: protocol violation")

// Client speaks the OpenIHSM protocol to one device endpoint (one
// partition). It is safe for concurrent use.
type Client struct {
	t      transport.Transport
	nextID atomic.Uint32
	pinned *x509.Certificate

	// credMu serialises this client's credential exchanges: a device
	// keeps one outstanding nonce per endpoint.
	credMu sync.Mutex

	mu    sync.Mutex
	chain *Chain // last verified chain
	first *x509.Certificate
}

// Option configures a Client.
type Option func(*Client)

// WithRootCertificate pins the root certificate of the device's
// certificate chain: GetCredentialKey, and hence every PIN exchange, is
// refused unless the chain ends in exactly this certificate.
//
// Without it the client trusts on first use: the root of the first chain
// it fetches is remembered for the life of the Client, and a later chain
// with another root is refused. Callers that need trust across processes
// persist [Client.Chain]'s root and pin it next time (the ihsm CLI does this
// with --root).
func WithRootCertificate(root *x509.Certificate) Option {
	return func(c *Client) { c.pinned = root }
}

// New returns a Client that sends its requests over t. The caller keeps
// ownership of t and closes it after the Client is no longer used.
func New(t transport.Transport, opts ...Option) *Client {
	c := &Client{t: t}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Transport returns the transport the client sends on.
func (c *Client) Transport() transport.Transport { return c.t }

// commandName names a command in errors ("sign: KeyNotFound (0x03000001)").
func commandName(op uint16) string {
	if ci, ok := wire.CommandByOpcode(op); ok {
		return ci.Name
	}
	return fmt.Sprintf("opcode 0x%04X", op)
}

// call runs a command outside any session: a plaintext request and a
// plaintext response (spec: wire.yaml, envelope). Its header carries no
// session_id: commands that open a session name none (ReopenSession names
// its session in the body), or the device answers SessionNotExpected.
func (c *Client) call(ctx context.Context, req, resp wire.Message) (wire.ResponseHeader, error) {
	op := req.Opcode()
	body, err := wire.Marshal(req)
	if err != nil {
		return wire.ResponseHeader{}, fmt.Errorf("%s: %w", commandName(op), err)
	}
	h := wire.RequestHeader{Revision: wire.Revision, Opcode: op, RequestID: c.nextID.Add(1)}
	frame, err := wire.EncodeRequest(h, wire.Envelope{Body: body})
	if err != nil {
		return wire.ResponseHeader{}, fmt.Errorf("%s: %w", commandName(op), err)
	}
	rh, env, err := c.roundTrip(ctx, h, frame)
	if err != nil {
		return rh, err
	}
	if env.Sealed != nil {
		return rh, fmt.Errorf("%s: %w: sealed response to a plaintext request", commandName(op), ErrProtocol)
	}
	if rh.Status != rc.Success {
		return rh, fmt.Errorf("%s: %w", commandName(op), rh.Status)
	}
	if err := wire.Unmarshal(env.Body, resp); err != nil {
		return rh, fmt.Errorf("%s: %w: response body: %w", commandName(op), ErrProtocol, err)
	}
	return rh, nil
}

// roundTrip sends frame and decodes the response header, checking that it
// answers this request (request_id and opcode echoed).
func (c *Client) roundTrip(ctx context.Context, h wire.RequestHeader, frame []byte) (wire.ResponseHeader, wire.Envelope, error) {
	name := commandName(h.Opcode)
	out, err := c.t.RoundTrip(ctx, frame)
	if err != nil {
		return wire.ResponseHeader{}, wire.Envelope{}, fmt.Errorf("%s: %w", name, err)
	}
	rh, env, err := wire.DecodeResponse(out)
	if err != nil {
		return wire.ResponseHeader{}, wire.Envelope{}, fmt.Errorf("%s: %w: %w", name, ErrProtocol, err)
	}
	if rh.RequestID != h.RequestID || rh.Opcode != h.Opcode {
		return rh, wire.Envelope{}, fmt.Errorf("%s: %w: response for request %d opcode 0x%04X", name, ErrProtocol, rh.RequestID, rh.Opcode)
	}
	if rh.Revision != wire.Revision && rh.Status == rc.Success {
		return rh, wire.Envelope{}, fmt.Errorf("%s: %w: response revision 0x%04X", name, ErrProtocol, rh.Revision)
	}
	return rh, env, nil
}
