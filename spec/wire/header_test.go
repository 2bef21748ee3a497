package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
)

// The hand-written header codec must agree with the generic deterministic
// encoder on every header: the struct tags are the reference.
func TestHeaderMatchesCodec(t *testing.T) {
	reqs := []RequestHeader{
		{},
		{Revision: Revision, Opcode: 0x0101, RequestID: 1},
		{Revision: Revision, Opcode: 0x0501, RequestID: 0xFFFFFFFF, SessionID: 7, Sequence: 1},
		{Revision: 0xFFFF, Opcode: 0xFFFF, RequestID: 24, SessionID: 0x10000, Sequence: 1 << 40},
	}
	for _, h := range reqs {
		want, err := newRefCodec(t).enc.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.AppendCBOR(nil); !bytes.Equal(got, want) {
			t.Errorf("%+v: AppendCBOR %x, codec %x", h, got, want)
		}
		back, n, err := decodeRequestHeader(want)
		if err != nil || n != len(want) || back != h {
			t.Errorf("%x: decoded %+v, %d, %v", want, back, n, err)
		}
	}
	resps := []ResponseHeader{
		{},
		{Revision: Revision, Opcode: 0x0101, RequestID: 1, Status: rc.KeyNotFound},
		{Revision: Revision, Opcode: 0x0501, RequestID: 300, SessionID: 7, Sequence: 2, FIPSApproved: true},
	}
	for _, h := range resps {
		want, err := newRefCodec(t).enc.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.AppendCBOR(nil); !bytes.Equal(got, want) {
			t.Errorf("%+v: AppendCBOR %x, codec %x", h, got, want)
		}
		back, n, err := decodeResponseHeader(want)
		if err != nil || n != len(want) || back != h {
			t.Errorf("%x: decoded %+v, %d, %v", want, back, n, err)
		}
	}
}

func TestHeaderRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  []byte
	}{
		{"keys out of order", []byte{0xa3, 0x02, 0x01, 0x01, 0x01, 0x03, 0x01}},
		{"duplicate key", []byte{0xa4, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x03, 0x01}},
		{"unknown key", []byte{0xa4, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x06, 0x00}},
		{"non-shortest value", []byte{0xa3, 0x01, 0x18, 0x01, 0x02, 0x01, 0x03, 0x01}},
		{"missing request_id", []byte{0xa2, 0x01, 0x01, 0x02, 0x01}},
		{"zero session id", []byte{0xa4, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00}},
		{"revision over u16", []byte{0xa3, 0x01, 0x1a, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x03, 0x01}},
		{"negative value", []byte{0xa3, 0x01, 0x20, 0x02, 0x01, 0x03, 0x01}},
		{"not a map", []byte{0x83, 0x01, 0x01, 0x01}},
		{"truncated", []byte{0xa3, 0x01, 0x01, 0x02}},
	} {
		payload := append(append([]byte{0xa2, 0x01}, tc.hdr...), 0x02, 0xa0)
		h, e, err := DecodeRequest(payload)
		if !errors.Is(err, rc.DecodeFailed) || h != (RequestHeader{}) || e.Body != nil || e.Sealed != nil {
			t.Errorf("%s: DecodeRequest = %+v, %+v, %v; want zero values and DecodeFailed", tc.name, h, e, err)
		}
	}
}

func TestEnvelope(t *testing.T) {
	h := RequestHeader{Revision: Revision, Opcode: 0x0101, RequestID: 9}
	if _, err := EncodeRequest(h, Envelope{}); !errors.Is(err, rc.InvalidArgument) {
		t.Errorf("empty envelope: %v", err)
	}
	if _, err := EncodeRequest(h, Envelope{Body: EmptyBody(), Sealed: []byte{1}}); !errors.Is(err, rc.InvalidArgument) {
		t.Errorf("body and sealed: %v", err)
	}
	if _, err := EncodeRequest(h, Envelope{Body: []byte{0x01}}); !errors.Is(err, rc.InvalidArgument) {
		t.Errorf("body not a map: %v", err)
	}
	for _, e := range []Envelope{{Body: EmptyBody()}, {Sealed: bytes.Repeat([]byte{5}, 40)}} {
		p, err := EncodeRequest(h, e)
		if err != nil {
			t.Fatal(err)
		}
		h2, e2, err := DecodeRequest(p)
		if err != nil || h2 != h || !bytes.Equal(e2.Body, e.Body) || !bytes.Equal(e2.Sealed, e.Sealed) {
			t.Errorf("round trip of %+v: %+v %+v %v", e, h2, e2, err)
		}
		// Every strict prefix of a payload is refused.
		for i := range p {
			if _, _, err := DecodeRequest(p[:i]); !errors.Is(err, rc.DecodeFailed) {
				t.Errorf("prefix %x accepted", p[:i])
			}
		}
	}
}
