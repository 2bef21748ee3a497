package wire

import (
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
)

// RequestHeader is the header map of a request (spec: wire.yaml,
// request_header). Its CBOR encoding is also the additional data of a
// sealed request (spec: wire.yaml, channel).
//
// SessionID and Sequence are optional: zero means absent, and so neither
// encodes. A session id is never 0 and a sequence starts at 1, so nothing
// the protocol needs is lost.
type RequestHeader struct {
	// Revision is the API revision, major<<8 | minor ([Revision]).
	Revision uint16 `cbor:"1,keyasint" json:"revision"`
	// Opcode is the command ([OpGetApiRevision] ...).
	Opcode uint16 `cbor:"2,keyasint" json:"opcode"`
	// RequestID is chosen by the client and echoed in the response, so a
	// client can pipeline requests on one connection.
	RequestID uint32 `cbor:"3,keyasint" json:"request_id"`
	// SessionID is present iff the command runs in, closes or reopens a
	// session.
	SessionID uint32 `cbor:"4,keyasint,omitempty" json:"session_id,omitempty"`
	// Sequence is present iff the body is sealed: the channel sequence
	// number of the request.
	Sequence uint64 `cbor:"5,keyasint,omitempty" json:"sequence,omitempty"`
}

// ResponseHeader is the header map of a response (spec: wire.yaml,
// response_header).
type ResponseHeader struct {
	Revision  uint16 `cbor:"1,keyasint" json:"revision"`
	Opcode    uint16 `cbor:"2,keyasint" json:"opcode"`
	RequestID uint32 `cbor:"3,keyasint" json:"request_id"`
	SessionID uint32 `cbor:"4,keyasint,omitempty" json:"session_id,omitempty"`
	// Sequence is present iff the body is sealed; it repeats the sequence
	// of the request it answers.
	Sequence uint64 `cbor:"5,keyasint,omitempty" json:"sequence,omitempty"`
	// Status is the outcome; an error status comes with an empty body.
	Status rc.Code `cbor:"6,keyasint" json:"status"`
	// FIPSApproved tells whether the operation was an approved service
	// (FIPS 140-3 §7.4.3, the approved-service indicator).
	FIPSApproved bool `cbor:"7,keyasint" json:"fips_approved"`
}

// Header keys (spec: wire.yaml, request_header and response_header).
const (
	hdrRevision     = 1
	hdrOpcode       = 2
	hdrRequestID    = 3
	hdrSessionID    = 4
	hdrSequence     = 5
	hdrStatus       = 6
	hdrFIPSApproved = 7
)

// AppendCBOR appends the deterministic CBOR encoding of h to b.
func (h *RequestHeader) AppendCBOR(b []byte) []byte {
	n := uint64(3)
	if h.SessionID != 0 {
		n++
	}
	if h.Sequence != 0 {
		n++
	}
	b = appendHead(b, majorMap, n)
	b = appendUintField(b, hdrRevision, uint64(h.Revision))
	b = appendUintField(b, hdrOpcode, uint64(h.Opcode))
	b = appendUintField(b, hdrRequestID, uint64(h.RequestID))
	if h.SessionID != 0 {
		b = appendUintField(b, hdrSessionID, uint64(h.SessionID))
	}
	if h.Sequence != 0 {
		b = appendUintField(b, hdrSequence, h.Sequence)
	}
	return b
}

// AppendCBOR appends the deterministic CBOR encoding of h to b.
func (h *ResponseHeader) AppendCBOR(b []byte) []byte {
	n := uint64(5)
	if h.SessionID != 0 {
		n++
	}
	if h.Sequence != 0 {
		n++
	}
	b = appendHead(b, majorMap, n)
	b = appendUintField(b, hdrRevision, uint64(h.Revision))
	b = appendUintField(b, hdrOpcode, uint64(h.Opcode))
	b = appendUintField(b, hdrRequestID, uint64(h.RequestID))
	if h.SessionID != 0 {
		b = appendUintField(b, hdrSessionID, uint64(h.SessionID))
	}
	if h.Sequence != 0 {
		b = appendUintField(b, hdrSequence, h.Sequence)
	}
	b = appendUintField(b, hdrStatus, uint64(h.Status))
	b = appendHead(b, majorUint, hdrFIPSApproved)
	if h.FIPSApproved {
		return append(b, 0xf5)
	}
	return append(b, 0xf4)
}

func appendUintField(b []byte, key, v uint64) []byte {
	return appendHead(appendHead(b, majorUint, key), majorUint, v)
}

// headerFields walks the header map at the start of b, calling set for each
// key with its unsigned value (bools as 0/1). It enforces what the
// deterministic encoding and the spec require: a definite map, keys in
// strictly increasing order (so sorted and unique), shortest forms, and
// known keys only. It returns the length of the map.
func headerFields(b []byte, maxKey uint64, set func(key, v uint64) error) (int, error) {
	major, n, off, err := readHead(b)
	if err != nil || major != majorMap || n > maxKey {
		return 0, errMalformed
	}
	var last uint64
	for i := uint64(0); i < n; i++ {
		major, key, l, err := readHead(b[off:])
		if err != nil || major != majorUint || key <= last || key > maxKey {
			return 0, errMalformed
		}
		off += l
		last = key
		var v uint64
		if key == hdrFIPSApproved {
			if off >= len(b) || (b[off] != 0xf4 && b[off] != 0xf5) {
				return 0, errMalformed
			}
			v, l = uint64(b[off]&1), 1
		} else {
			major, v, l, err = readHead(b[off:])
			if err != nil || major != majorUint {
				return 0, errMalformed
			}
		}
		off += l
		if err := set(key, v); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// decodeRequestHeader decodes the request header at the start of b and
// returns it and its length.
func decodeRequestHeader(b []byte) (RequestHeader, int, error) {
	var h RequestHeader
	var seen uint64
	n, err := headerFields(b, hdrSequence, func(key, v uint64) error {
		seen |= 1 << key
		switch key {
		case hdrRevision, hdrOpcode:
			if v > 0xffff {
				return errMalformed
			}
			if key == hdrRevision {
				h.Revision = uint16(v)
			} else {
				h.Opcode = uint16(v)
			}
		case hdrRequestID, hdrSessionID:
			if v > 0xffffffff || (key == hdrSessionID && v == 0) {
				return errMalformed
			}
			if key == hdrRequestID {
				h.RequestID = uint32(v)
			} else {
				h.SessionID = uint32(v)
			}
		case hdrSequence:
			if v == 0 {
				return errMalformed
			}
			h.Sequence = v
		}
		return nil
	})
	if err != nil {
		return RequestHeader{}, 0, fmt.Errorf("wire: request header: %w", rc.DecodeFailed)
	}
	const required = 1<<hdrRevision | 1<<hdrOpcode | 1<<hdrRequestID
	if seen&required != required {
		return RequestHeader{}, 0, fmt.Errorf("wire: request header: required field missing: %w", rc.DecodeFailed)
	}
	return h, n, nil
}

// decodeResponseHeader decodes the response header at the start of b and
// returns it and its length.
func decodeResponseHeader(b []byte) (ResponseHeader, int, error) {
	var h ResponseHeader
	var seen uint64
	n, err := headerFields(b, hdrFIPSApproved, func(key, v uint64) error {
		seen |= 1 << key
		switch key {
		case hdrRevision, hdrOpcode:
			if v > 0xffff {
				return errMalformed
			}
			if key == hdrRevision {
				h.Revision = uint16(v)
			} else {
				h.Opcode = uint16(v)
			}
		case hdrRequestID, hdrSessionID, hdrStatus:
			if v > 0xffffffff || (key == hdrSessionID && v == 0) {
				return errMalformed
			}
			switch key {
			case hdrRequestID:
				h.RequestID = uint32(v)
			case hdrSessionID:
				h.SessionID = uint32(v)
			default:
				h.Status = rc.Code(v)
			}
		case hdrSequence:
			if v == 0 {
				return errMalformed
			}
			h.Sequence = v
		case hdrFIPSApproved:
			h.FIPSApproved = v == 1
		}
		return nil
	})
	if err != nil {
		return ResponseHeader{}, 0, fmt.Errorf("wire: response header: %w", rc.DecodeFailed)
	}
	const required = 1<<hdrRevision | 1<<hdrOpcode | 1<<hdrRequestID | 1<<hdrStatus | 1<<hdrFIPSApproved
	if seen&required != required {
		return ResponseHeader{}, 0, fmt.Errorf("wire: response header: required field missing: %w", rc.DecodeFailed)
	}
	return h, n, nil
}
