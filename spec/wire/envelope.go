package wire

import (
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
)

// Envelope is what travels beside the header in a frame (spec: wire.yaml,
// envelope): exactly one of Body, the plaintext CBOR body map (key 2), and
// Sealed, the AEAD-sealed body of an in-session message (key 3).
//
// A decoded Envelope aliases the payload it was decoded from.
type Envelope struct {
	Body   []byte
	Sealed []byte
}

// Envelope keys (spec: wire.yaml, envelope).
const (
	envHeader = 1
	envBody   = 2
	envSealed = 3
)

// EmptyBody returns the encoding of the empty map, the body of an error
// response (spec: wire.yaml).
func EmptyBody() []byte { return []byte{0xa0} }

// EncodeRequest returns the payload of a request frame: the envelope map
// {1: header, 2: body} or {1: header, 3: sealed}. Body must be a CBOR map
// (from [Marshal], or [Channel.SealRequest] for Sealed).
func EncodeRequest(h RequestHeader, e Envelope) ([]byte, error) {
	return AppendRequest(nil, h, e)
}

// AppendRequest is [EncodeRequest] appending to dst.
func AppendRequest(dst []byte, h RequestHeader, e Envelope) ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	dst = appendHead(dst, majorMap, 2)
	dst = h.AppendCBOR(appendHead(dst, majorUint, envHeader))
	return e.append(dst), nil
}

// EncodeResponse returns the payload of a response frame.
func EncodeResponse(h ResponseHeader, e Envelope) ([]byte, error) {
	return AppendResponse(nil, h, e)
}

// AppendResponse is [EncodeResponse] appending to dst.
func AppendResponse(dst []byte, h ResponseHeader, e Envelope) ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	dst = appendHead(dst, majorMap, 2)
	dst = h.AppendCBOR(appendHead(dst, majorUint, envHeader))
	return e.append(dst), nil
}

func (e Envelope) check() error {
	switch {
	case (e.Body == nil) == (e.Sealed == nil):
		return fmt.Errorf("wire: envelope needs exactly one of body and sealed: %w", rc.InvalidArgument)
	case e.Body != nil && mapLen(e.Body) < 0:
		return fmt.Errorf("wire: envelope body is not a CBOR map: %w", rc.InvalidArgument)
	}
	return nil
}

func (e Envelope) append(dst []byte) []byte {
	if e.Sealed != nil {
		dst = appendHead(dst, majorUint, envSealed)
		dst = appendHead(dst, majorBytes, uint64(len(e.Sealed)))
		return append(dst, e.Sealed...)
	}
	return append(appendHead(dst, majorUint, envBody), e.Body...)
}

// DecodeRequest decodes the payload of a request frame. The header must be
// canonical and hold only the keys of the spec; the body must be one
// well-formed CBOR map (its fields are checked when it is unmarshalled into
// its message type with [Unmarshal], or opened with [Channel.OpenRequest]).
// Errors wrap rc.DecodeFailed and come with zero values.
func DecodeRequest(payload []byte) (RequestHeader, Envelope, error) {
	off, err := envelopeStart(payload)
	if err != nil {
		return RequestHeader{}, Envelope{}, err
	}
	h, n, err := decodeRequestHeader(payload[off:])
	if err != nil {
		return RequestHeader{}, Envelope{}, err
	}
	e, err := envelopeRest(payload[off+n:])
	if err != nil {
		return RequestHeader{}, Envelope{}, err
	}
	return h, e, nil
}

// DecodeResponse decodes the payload of a response frame, as
// [DecodeRequest] does a request.
func DecodeResponse(payload []byte) (ResponseHeader, Envelope, error) {
	off, err := envelopeStart(payload)
	if err != nil {
		return ResponseHeader{}, Envelope{}, err
	}
	h, n, err := decodeResponseHeader(payload[off:])
	if err != nil {
		return ResponseHeader{}, Envelope{}, err
	}
	e, err := envelopeRest(payload[off+n:])
	if err != nil {
		return ResponseHeader{}, Envelope{}, err
	}
	return h, e, nil
}

// envelopeStart checks the envelope's head and header key: a canonical
// envelope always starts 0xA2 0x01.
func envelopeStart(p []byte) (int, error) {
	if len(p) < 2 || p[0] != 0xa2 || p[1] != envHeader {
		return 0, fmt.Errorf("wire: envelope: not a map of header and body: %w", rc.DecodeFailed)
	}
	return 2, nil
}

// envelopeRest decodes what follows the header: key 2 and one map, or key
// 3 and one byte string, ending the payload.
func envelopeRest(p []byte) (Envelope, error) {
	if len(p) < 2 {
		return Envelope{}, fmt.Errorf("wire: envelope: no body: %w", rc.DecodeFailed)
	}
	switch p[0] {
	case envBody:
		n, err := itemLen(p[1:], maxNesting)
		if err != nil || 1+n != len(p) || p[1]>>5 != majorMap {
			return Envelope{}, fmt.Errorf("wire: envelope: body is not one CBOR map: %w", rc.DecodeFailed)
		}
		return Envelope{Body: p[1:]}, nil
	case envSealed:
		major, v, n, err := readHead(p[1:])
		if err != nil || major != majorBytes || uint64(len(p)-1-n) != v {
			return Envelope{}, fmt.Errorf("wire: envelope: sealed is not one byte string: %w", rc.DecodeFailed)
		}
		return Envelope{Sealed: p[1+n:]}, nil
	}
	return Envelope{}, fmt.Errorf("wire: envelope: unknown key: %w", rc.DecodeFailed)
}
