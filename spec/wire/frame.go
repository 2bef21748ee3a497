package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/openihsm/openihsm/spec/rc"
)

// lengthPrefix is the size of the big-endian length that opens every frame
// (spec: wire.yaml, framing.length_prefix).
const lengthPrefix = 4

// ReadFrame reads one frame from r and returns its payload.
//
// A length prefix above max (normally [MaxFrame]) is rejected with
// rc.FrameTooLarge before a byte of the payload is read or allocated, so a
// peer cannot make the reader buffer more than max bytes. A stream that
// ends inside a frame gives io.ErrUnexpectedEOF; one that ends between
// frames gives io.EOF.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var p [lengthPrefix]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(p[:])
	if max < 0 || uint64(n) > uint64(max) {
		return nil, fmt.Errorf("wire: frame of %d bytes exceeds %d: %w", n, max, rc.FrameTooLarge)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return payload, nil
}

// WriteFrame writes payload to w as one frame: its length as 4 bytes
// big-endian, then the payload, in a single Write so that concurrent
// writers that serialise their calls never interleave frames. A payload
// over [MaxFrame] is refused with rc.FrameTooLarge.
func WriteFrame(w io.Writer, payload []byte) error {
	if len(payload) > MaxFrame {
		return fmt.Errorf("wire: payload of %d bytes exceeds %d: %w", len(payload), MaxFrame, rc.FrameTooLarge)
	}
	_, err := w.Write(AppendFrame(make([]byte, 0, lengthPrefix+len(payload)), payload))
	return err
}

// AppendFrame appends payload to dst as one frame (no size check).
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}
