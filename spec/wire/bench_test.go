package wire

import (
	"testing"

	"github.com/openihsm/openihsm/spec/vectors"
)

// signMessages returns the Sign request and response of spec/vectors.
func signMessages(b *testing.B) (req, resp Message) {
	all, err := vectors.All()
	if err != nil {
		b.Fatal(err)
	}
	info, ok := CommandByName("Sign")
	if !ok {
		b.Fatal("no Sign command")
	}
	_, device := testChannelsB(b)
	for _, v := range all {
		if v.Name != "Sign/request" && v.Name != "Sign/response" {
			continue
		}
		frame, err := v.Frame()
		if err != nil {
			b.Fatal(err)
		}
		if v.Direction == "request" {
			h, e, err := DecodeRequest(frame[lengthPrefix:])
			if err != nil {
				b.Fatal(err)
			}
			body, err := device.OpenRequest(h, e.Sealed)
			if err != nil {
				b.Fatal(err)
			}
			req = info.NewRequest()
			if err := Unmarshal(body, req); err != nil {
				b.Fatal(err)
			}
		} else {
			h, e, err := DecodeResponse(frame[lengthPrefix:])
			if err != nil {
				b.Fatal(err)
			}
			device.sent = h.Sequence
			body, err := device.OpenResponse(h, e.Sealed)
			if err != nil {
				b.Fatal(err)
			}
			resp = info.NewResponse()
			if err := Unmarshal(body, resp); err != nil {
				b.Fatal(err)
			}
		}
	}
	if req == nil || resp == nil {
		b.Fatal("no Sign vectors")
	}
	return req, resp
}

func testChannelsB(b *testing.B) (client, device *Channel) {
	c2d, d2c := pattern(0x40, 32), pattern(0x60, 32)
	client, err := NewChannel(c2d, d2c)
	if err != nil {
		b.Fatal(err)
	}
	device, err = NewChannel(c2d, d2c)
	if err != nil {
		b.Fatal(err)
	}
	return client, device
}

// BenchmarkSignRequestRoundTrip is the codec cost of one Sign exchange
// without the channel: the client encodes the request, the device decodes
// it and encodes the response, the client decodes that.
func BenchmarkSignRequestRoundTrip(b *testing.B) {
	req, resp := signMessages(b)
	info, _ := CommandByName("Sign")
	gotReq, gotResp := info.NewRequest(), info.NewResponse()
	b.ReportAllocs()
	for b.Loop() {
		body, err := Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		p, err := EncodeRequest(RequestHeader{Revision: Revision, Opcode: OpSign, RequestID: 1, SessionID: 7}, Envelope{Body: body})
		if err != nil {
			b.Fatal(err)
		}
		_, e, err := DecodeRequest(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := Unmarshal(e.Body, gotReq); err != nil {
			b.Fatal(err)
		}
		body, err = Marshal(resp)
		if err != nil {
			b.Fatal(err)
		}
		p, err = EncodeResponse(ResponseHeader{Revision: Revision, Opcode: OpSign, RequestID: 1, SessionID: 7, FIPSApproved: true}, Envelope{Body: body})
		if err != nil {
			b.Fatal(err)
		}
		_, e, err = DecodeResponse(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := Unmarshal(e.Body, gotResp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignSealedRoundTrip adds the channel: both bodies sealed and
// opened with AES-256-GCM, as an in-session Sign travels.
func BenchmarkSignSealedRoundTrip(b *testing.B) {
	req, resp := signMessages(b)
	info, _ := CommandByName("Sign")
	gotReq, gotResp := info.NewRequest(), info.NewResponse()
	client, device := testChannelsB(b)
	b.ReportAllocs()
	for b.Loop() {
		body, err := Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		h := RequestHeader{Revision: Revision, Opcode: OpSign, RequestID: 1, SessionID: 7}
		sealed, err := client.SealRequest(&h, body)
		if err != nil {
			b.Fatal(err)
		}
		p, err := EncodeRequest(h, Envelope{Sealed: sealed})
		if err != nil {
			b.Fatal(err)
		}
		h, e, err := DecodeRequest(p)
		if err != nil {
			b.Fatal(err)
		}
		if body, err = device.OpenRequest(h, e.Sealed); err != nil {
			b.Fatal(err)
		}
		if err := Unmarshal(body, gotReq); err != nil {
			b.Fatal(err)
		}
		if body, err = Marshal(resp); err != nil {
			b.Fatal(err)
		}
		rh := ResponseHeader{Revision: Revision, Opcode: OpSign, RequestID: 1, SessionID: 7, Sequence: h.Sequence, FIPSApproved: true}
		if sealed, err = device.SealResponse(&rh, body); err != nil {
			b.Fatal(err)
		}
		if p, err = EncodeResponse(rh, Envelope{Sealed: sealed}); err != nil {
			b.Fatal(err)
		}
		rh, e, err = DecodeResponse(p)
		if err != nil {
			b.Fatal(err)
		}
		if body, err = client.OpenResponse(rh, e.Sealed); err != nil {
			b.Fatal(err)
		}
		if err := Unmarshal(body, gotResp); err != nil {
			b.Fatal(err)
		}
	}
}
