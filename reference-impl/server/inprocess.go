package server

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/openihsm/openihsm/reference-impl/device"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/transport"
	"github.com/openihsm/openihsm/spec/wire"
)

// InProcess is a transport to a device endpoint in the same process: each
// RoundTrip is a call of the endpoint's Handle, with no copy and no
// syscall. It lets applications embed the reference HSM and use the same
// client as over a socket.
//
// Requests of one session must be sent one at a time (as spec/client does)
// since the device accepts only the next sequence number; requests of
// different sessions, or outside sessions, may run concurrently.
type InProcess struct {
	ep     device.Endpoint
	closed atomic.Bool
}

var _ transport.Transport = (*InProcess)(nil)

// NewInProcess returns a transport to ep.
func NewInProcess(ep device.Endpoint) *InProcess { return &InProcess{ep: ep} }

// RoundTrip hands frame (a payload without length prefix) to the endpoint
// and returns its response. A payload larger than max_frame is answered
// FrameTooLarge, as a socket server would.
func (t *InProcess) RoundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	if t.closed.Load() {
		return nil, transport.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(frame) > wire.MaxFrame {
		return refusal(rc.FrameTooLarge), nil
	}
	return t.ep.Handle(ctx, frame), nil
}

// Close makes later RoundTrips fail with transport.ErrClosed.
func (t *InProcess) Close() error {
	t.closed.Store(true)
	return nil
}

// ServeConn serves one stream connection to ep until the peer closes it or
// ctx ends, with the framing, pipelining and limits of a socket
// connection. It lets an embedder hand the server a connection it made
// itself, such as one end of a net.Pipe.
func ServeConn(ctx context.Context, ep device.Endpoint, c net.Conn) {
	newConn(ep, c, wire.MaxFrame, DefaultMaxInFlight).serve(ctx)
}
