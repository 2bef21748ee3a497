package device

import (
	"context"
	"fmt"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Endpoint is the endpoint of one partition (like an SR-IOV virtual
// function): requests arriving on it act on that partition only, which is
// never named inside a request.
type Endpoint struct {
	d     *Device
	index int
}

// Partition returns the endpoint of partition i (0-based).
func (d *Device) Partition(i int) (Endpoint, error) {
	if i < 0 || i >= d.cfg.Partitions {
		return Endpoint{}, fmt.Errorf("device: no partition %d (the device has %d)", i, d.cfg.Partitions)
	}
	return Endpoint{d: d, index: i}, nil
}

// Index returns the partition the endpoint serves.
func (e Endpoint) Index() int { return e.index }

// Handle answers one request payload (a frame without its length prefix)
// with one response payload. It never fails and never panics: every
// problem is a status in the response header. A request whose header
// cannot be decoded is answered with request_id 0 and opcode 0.
//
// Handle may be called concurrently. Requests of one session must be
// handed to it in sequence order, since the channel accepts only the next
// sequence number; package server does this for pipelined connections.
// Handle neither keeps nor changes frame, and the response is a new slice
// that belongs to the caller.
func (e Endpoint) Handle(ctx context.Context, frame []byte) (out []byte) {
	c := call{ctx: ctx, d: e.d}
	c.rh.Revision = wire.Revision
	defer func() {
		if r := recover(); r != nil {
			// A panic is a bug of the device; the client learns only that
			// the device failed (tests prove this path is not needed).
			out = c.plainError(rc.InternalError)
		}
		c.release()
	}()
	if e.d == nil {
		return c.plainError(rc.InternalError)
	}
	return c.dispatch(e.index, frame)
}

// call is one request in flight through the dispatcher.
type call struct {
	ctx context.Context
	d   *Device
	pw  *power
	p   *partition
	bp  *boundary.Partition
	s   *session

	h  wire.RequestHeader
	ci wire.CommandInfo
	rh wire.ResponseHeader

	// ch is set once the request has been authenticated by a session
	// channel: the response, also an error, is then sealed under it.
	ch *boundary.ChannelKeys
	// scr is the working memory of a sealed request, from the partition's
	// pool.
	scr *scratch

	// approved is the FIPS-approved service indicator (FIPS 140-3 IG
	// 2.4.C): true unless the handler used a non-approved algorithm.
	approved bool
}

// dispatch runs the dispatcher checks in the order documented in the
// package comment; the first that fails decides the status.
func (c *call) dispatch(index int, frame []byte) []byte {
	// 1. Decode the envelope and header.
	h, env, err := wire.DecodeRequest(frame)
	if err != nil {
		return c.plainError(rc.DecodeFailed)
	}
	c.h = h
	c.rh.Opcode, c.rh.RequestID, c.rh.SessionID = h.Opcode, h.RequestID, h.SessionID
	// 2. Revision: the major version must be one the device implements;
	// GetApiRevision answers whatever the request carries, so a client can
	// discover what to speak (CMD-DEVICE-API-REVISION).
	if h.Revision>>8 != wire.Revision>>8 && h.Opcode != wire.OpGetApiRevision {
		return c.plainError(rc.UnsupportedRevision)
	}
	// 3. Opcode.
	ci, ok := wire.CommandByOpcode(h.Opcode)
	if !ok {
		return c.plainError(rc.UnknownOpcode)
	}
	c.ci = ci
	// 4. Device state (SM-DEVICE).
	c.pw = c.d.cur.Load()
	if c.fault(FaultPartitionsNotIsolated) {
		index = 0
	}
	c.p = c.pw.parts[index]
	c.bp = c.p.bp
	if code := stateRule(c.pw.state(), ci.Name); code != rc.Success {
		return c.plainError(code)
	}
	// 4b. Partition state (SM-PARTITION).
	if c.bp != nil {
		if code := partitionRule(c.bp.State(), ci.Name); code != rc.Success {
			return c.plainError(code)
		}
	}
	// 5. Session rule.
	if code := c.sessionRule(); code != rc.Success {
		return c.plainError(code)
	}
	// 6. Channel.
	body := env.Body
	if ci.Sealed() {
		switch {
		case env.Sealed != nil:
			c.scr = c.p.getScratch()
			b, ch, code := c.s.open(&c.h, env.Sealed, c.fault(FaultAcceptReplayedChannelMessage), c.scr)
			if code != rc.Success {
				return c.plainError(code)
			}
			body, c.ch = b, ch
		case !c.fault(FaultAcceptPlaintextInSession):
			return c.plainError(rc.ChannelRequired)
		}
	} else if env.Sealed != nil || h.Sequence != 0 {
		// Only in-session bodies are sealed; a sealed body or a sequence
		// number outside a session has no channel to open it.
		return c.plainError(rc.SessionNotExpected)
	}
	// 7. Body: decode and validate against the spec. There is no role
	// check: the endpoint binds the anonymous and officer roles, and steps
	// 5 and 6 establish the user role (package documentation).
	if c.ch != nil && h.Opcode == wire.OpChangePin {
		// The decrypted body holds two PINs: clear it once answered. The
		// handler hands the decoded PINs to the boundary, which clears
		// them.
		defer clear(body)
	}
	req := ci.NewRequest()
	if err := wire.Unmarshal(body, req); err != nil {
		return c.error(rc.FromError(err))
	}
	// 8. Handler.
	c.approved = true
	resp, err := c.handle(req)
	if err != nil {
		return c.error(c.status(err))
	}
	return c.reply(resp)
}

// sessionRule checks the header's session_id against the command's
// session rule (spec: commands/*.yaml session; wire.yaml request_header).
func (c *call) sessionRule() rc.Code {
	sid := c.h.SessionID
	switch c.ci.Session {
	case wire.SessionNone:
		if sid != 0 {
			return rc.SessionNotExpected
		}
	case wire.SessionOpens:
		// ReopenSession names its session in the body, not the header.
		if sid != 0 {
			return rc.SessionNotExpected
		}
	default: // in-session, closes
		if sid == 0 {
			return rc.SessionExpected
		}
		s, code := c.p.lookup(sid)
		if code != rc.Success {
			return code
		}
		if code := s.usable(); code != rc.Success {
			return code
		}
		c.s = s
	}
	return rc.Success
}

// status maps a handler error to its status. The key-derivation and MAC
// commands have no algorithm field, so a key of the wrong kind is
// UnsupportedKeyKind in their error tables where the boundary's operations
// say AlgorithmMismatch. FaultWrongStatusCode applies last.
func (c *call) status(err error) rc.Code {
	code := statusOf(err)
	if code == rc.AlgorithmMismatch {
		switch c.ci.Name {
		case "Hmac", "Encapsulate", "Decapsulate", "EcdhDerive", "HkdfDerive", "KbkdfDerive":
			code = rc.UnsupportedKeyKind
		}
	}
	if code == rc.KeyNotFound && c.fault(FaultWrongStatusCode) {
		return rc.InvalidArgument
	}
	return code
}

// plainError answers with status code and an empty plaintext body.
func (c *call) plainError(code rc.Code) []byte {
	c.ch = nil
	return c.error(code)
}

// error answers with status code and an empty body, sealed if the request
// was authenticated in a session (spec: wire.yaml, error responses).
func (c *call) error(code rc.Code) []byte {
	c.rh.Status = code
	c.rh.FIPSApproved = c.fault(FaultAlwaysApproved)
	return c.finish(wire.EmptyBody())
}

// reply answers a successful command with its response body.
func (c *call) reply(resp wire.Message) []byte {
	var body []byte
	var err error
	if c.ch != nil {
		c.scr.resp, err = wire.AppendMarshal(c.scr.resp[:0], resp)
		body = c.scr.resp
	} else {
		body, err = wire.Marshal(resp)
	}
	if err != nil {
		return c.error(rc.InternalError)
	}
	c.rh.Status = rc.Success
	c.rh.FIPSApproved = c.approved || c.fault(FaultAlwaysApproved)
	return c.finish(body)
}

// finish encodes the response frame, sealing body under the session's
// k_d2c with the response header as additional data when the request was
// sealed. The frame is the one allocation of a response: the caller owns
// it, and nothing else refers to it.
func (c *call) finish(body []byte) []byte {
	env := wire.Envelope{Body: body}
	if c.ch != nil {
		c.rh.SessionID, c.rh.Sequence = c.s.id, c.h.Sequence
		c.scr.aad = c.rh.AppendCBOR(c.scr.aad[:0])
		c.scr.sealed = c.ch.SealResponse(c.scr.sealed[:0], c.h.Sequence, c.scr.aad, body)
		env = wire.Envelope{Sealed: c.scr.sealed}
	} else {
		c.rh.Sequence = 0
	}
	out, err := wire.AppendResponse(make([]byte, 0, len(env.Body)+len(env.Sealed)+maxEnvelope), c.rh, env)
	if err != nil {
		// Only a body that is not a CBOR map gets here, which the codec
		// never produces; answer InternalError rather than nothing.
		c.rh.Status, c.rh.FIPSApproved, c.rh.Sequence = rc.InternalError, false, 0
		out, _ = wire.EncodeResponse(c.rh, wire.Envelope{Body: wire.EmptyBody()})
	}
	return out
}

// maxEnvelope bounds what a response frame holds besides its body: the
// envelope map and keys (3 bytes), the longest response header (39 bytes)
// and a byte string head (at most 5 bytes for a body within max_frame).
const maxEnvelope = 48

// release gives the request's scratch back to the partition's pool.
func (c *call) release() {
	if c.scr != nil {
		c.p.putScratch(c.scr)
		c.scr = nil
	}
}

// fault reports whether the device runs with fault f.
func (c *call) fault(f Fault) bool { return c.d != nil && c.d.faults.has(f) }
