package transport

import (
	"io"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// readFrame reads one frame with the wire codec, refusing a length prefix
// above max_frame (rc.FrameTooLarge) without reading the payload.
func readFrame(r io.Reader) ([]byte, error) { return wire.ReadFrame(r, wire.MaxFrame) }

func writeFrame(w io.Writer, p []byte) error { return wire.WriteFrame(w, p) }

// requestID and responseID read the request_id a frame's header carries.
// The header is decoded by the wire codec, strictly; the body is only
// delimited, never interpreted: that is the client's job.
func requestID(frame []byte) (uint32, error) {
	h, _, err := wire.DecodeRequest(frame)
	return h.RequestID, err
}

func responseID(frame []byte) (uint32, error) {
	h, _, err := wire.DecodeResponse(frame)
	return h.RequestID, err
}

// responseIDStatus reads a response header's request_id and status.
func responseIDStatus(frame []byte) (uint32, rc.Code, error) {
	h, _, err := wire.DecodeResponse(frame)
	return h.RequestID, h.Status, err
}
