package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
)

// maxPayload is max_frame of the wire framing: a 4-byte big-endian length
// then at most 65536 bytes of payload.
const maxPayload = 65536

// ErrFrameTooLarge is returned when a peer's length prefix claims more than
// max_frame bytes; the payload is not read.
var ErrFrameTooLarge = errors.New("transport: frame larger than max_frame")

func readFrame(r io.Reader) ([]byte, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(b[:])
	if n > maxPayload {
		return nil, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return p, nil
}

func writeFrame(w io.Writer, p []byte) error {
	if len(p) > maxPayload {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(p))
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(len(p)))
	if _, err := w.Write(b[:]); err != nil {
		return err
	}
	_, err := w.Write(p)
	return err
}

// headerID reads request_id (header key 3) from the header (envelope key
// 1) of a frame. It looks at nothing else: checking the envelope is the
// codec's job on the receiving side.
func headerID(frame []byte) (uint32, error) {
	var env struct {
		Header struct {
			RequestID *uint32 `cbor:"3,keyasint"`
		} `cbor:"1,keyasint"`
	}
	if err := cbor.Unmarshal(frame, &env); err != nil {
		return 0, fmt.Errorf("envelope: %v", err)
	}
	if env.Header.RequestID == nil {
		return 0, errors.New("envelope: header has no request_id")
	}
	return *env.Header.RequestID, nil
}

func requestID(f []byte) (uint32, error)  { return headerID(f) }
func responseID(f []byte) (uint32, error) { return headerID(f) }
