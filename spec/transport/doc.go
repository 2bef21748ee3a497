// Package transport carries OpenIHSM frames between a client and a device
// endpoint (one endpoint per partition).
//
// A [Transport] has one job: RoundTrip a request frame (the CBOR envelope,
// without the 4-byte length prefix of the framing in spec/wire.yaml) and
// return the response frame. Device statuses travel inside the response
// and are decoded by spec/client; a transport error means the frame did not
// make the trip.
//
// [Dial] understands three targets: unix:///path for the reference HSM's
// per-partition Unix sockets, tcp://host:port, and exec:program args for a
// vendor adapter that speaks frames on its stdin and stdout. Every
// connection is pipelined: concurrent RoundTrips are written whole, the
// frames of those that send while a write is in progress together in the
// next write, and one reader goroutine routes each response to its waiter
// by the request_id echoed in the response header, as the wire spec allows.
// So the sessions of one client share a connection without queueing for
// system calls.
//
// [RawConn] skips all of that and writes arbitrary bytes, including frames
// that do not decode and length prefixes above max_frame, so the
// conformance suite can test how a device treats malformed input.
package transport
