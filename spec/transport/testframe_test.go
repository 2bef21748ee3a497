package transport

import "github.com/openihsm/openihsm/spec/wire"

// testFrame is a request frame with request_id id whose body holds body;
// the echo device answers with a response frame of the same id whose body
// holds the whole request.
func testFrame(id uint32, body []byte) []byte {
	b := bstrBody(body)
	f, err := wire.EncodeRequest(wire.RequestHeader{Revision: wire.Revision, Opcode: 0x0101, RequestID: id}, wire.Envelope{Body: b})
	if err != nil {
		panic(err)
	}
	return f
}

func testResponse(id uint32, req []byte) []byte {
	b := bstrBody(req)
	f, err := wire.EncodeResponse(wire.ResponseHeader{Revision: wire.Revision, Opcode: 0x0101, RequestID: id}, wire.Envelope{Body: b})
	if err != nil {
		panic(err)
	}
	return f
}

// bstrBody is the canonical CBOR map {1: p}, p shorter than 256 bytes.
func bstrBody(p []byte) []byte {
	switch {
	case len(p) < 24:
		return append([]byte{0xa1, 0x01, 0x40 | byte(len(p))}, p...)
	case len(p) < 256:
		return append([]byte{0xa1, 0x01, 0x58, byte(len(p))}, p...)
	}
	panic("bstrBody: too long")
}
