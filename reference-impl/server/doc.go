// Package server serves a reference HSM device (package device) locally.
//
// Each partition is its own endpoint, like an SR-IOV virtual function:
// DIR/partition-N.sock (Unix stream sockets, mode 0600 in a 0700
// directory), and optionally TCP on loopback (partition N on the base port
// plus N; a non-loopback address needs an explicit option, since commands
// outside sessions travel in the clear). The socket directory must be
// private to its owner: an existing one owned by another user, or open to
// group or others, is refused. The control channel (package control), only
// when asked for (Config.Control), has its own socket, DIR/control.sock: it
// is for tests and conformance runs, since whoever reaches it can move the
// device clock past any PIN lockout, reset, tamper with and zeroize the
// device. [InProcess] is the same endpoint as a spec/transport.Transport
// without a socket, for embedding.
//
// A connection carries frames (4-byte big-endian length, at most
// max_frame bytes). Requests are pipelined: each runs on a worker goroutine
// of the connection (workers are kept for the next request rather than
// started per request) and its response, which carries its request_id, is
// written when ready, so responses may come back out of order; responses
// that are ready while another is being written go out in one write.
// Requests that name a session are queued per session and run one at a
// time in arrival order, because the session channel accepts only the next
// sequence number. At most
// MaxInFlight requests of a connection run at once (then the server stops
// reading), at most MaxConnections connections per endpoint are served (an
// extra one takes the place of the connection idle longest, or, if none
// is idle, gets one Busy answer with request_id 0 and is closed, so idle
// connections cannot lock clients out; IdleTimeout closes idle connections
// also below the limit), and a length prefix above max_frame is answered
// FrameTooLarge and ends the connection, since its payload is never read.
//
// Serve shuts down gracefully when its context ends: it stops accepting and
// reading, lets the requests in progress finish and answer, then closes
// every connection and removes the sockets.
package server
