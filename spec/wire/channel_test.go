package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"sync"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
)

func testChannels(t *testing.T) (client, device *Channel) {
	t.Helper()
	c2d, d2c := pattern(0x40, 32), pattern(0x60, 32)
	client, err := NewChannel(c2d, d2c)
	if err != nil {
		t.Fatal(err)
	}
	device, err = NewChannel(c2d, d2c)
	if err != nil {
		t.Fatal(err)
	}
	return client, device
}

// TestChannelKnownAnswer seals three requests and their responses under
// fixed keys and compares the bytes with testdata/channel.json.
func TestChannelKnownAnswer(t *testing.T) {
	client, device := testChannels(t)
	type exchange struct {
		RequestHeader  string `json:"request_header_hex"`
		SealedRequest  string `json:"sealed_request_hex"`
		ResponseHeader string `json:"response_header_hex"`
		SealedResponse string `json:"sealed_response_hex"`
	}
	var got []exchange
	for i := range 3 {
		body := pattern(byte(0xa0+i), 5+i)
		body[0] = 0xa0 // the bytes are opaque to the channel
		h := RequestHeader{Revision: Revision, Opcode: 0x0501, RequestID: uint32(100 + i), SessionID: 7}
		sealed, err := client.SealRequest(&h, body)
		if err != nil {
			t.Fatal(err)
		}
		if h.Sequence != uint64(i+1) {
			t.Fatalf("sequence %d, want %d", h.Sequence, i+1)
		}
		opened, err := device.OpenRequest(h, sealed)
		if err != nil || !bytes.Equal(opened, body) {
			t.Fatalf("OpenRequest = %x, %v", opened, err)
		}
		rh := ResponseHeader{Revision: Revision, Opcode: h.Opcode, RequestID: h.RequestID, SessionID: 7, Sequence: h.Sequence, FIPSApproved: true}
		sealedResp, err := device.SealResponse(&rh, body[1:])
		if err != nil {
			t.Fatal(err)
		}
		openedResp, err := client.OpenResponse(rh, sealedResp)
		if err != nil || !bytes.Equal(openedResp, body[1:]) {
			t.Fatalf("OpenResponse = %x, %v", openedResp, err)
		}
		got = append(got, exchange{
			hex.EncodeToString(h.AppendCBOR(nil)), hex.EncodeToString(sealed),
			hex.EncodeToString(rh.AppendCBOR(nil)), hex.EncodeToString(sealedResp),
		})
	}
	golden(t, "channel.json", got)
}

func TestChannelRefuses(t *testing.T) {
	client, device := testChannels(t)
	h := RequestHeader{Revision: Revision, Opcode: 0x0501, RequestID: 1, SessionID: 7}
	sealed, err := client.SealRequest(&h, []byte{0xa0})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		h      RequestHeader
		sealed []byte
		want   rc.Code
	}{
		{"plaintext", RequestHeader{Revision: Revision, Opcode: 0x0501, SessionID: 7}, nil, rc.ChannelRequired},
		{"no sequence", func() RequestHeader { x := h; x.Sequence = 0; return x }(), sealed, rc.ChannelRequired},
		{"skipped sequence", func() RequestHeader { x := h; x.Sequence = 2; return x }(), sealed, rc.ChannelSequenceError},
		{"header altered", func() RequestHeader { x := h; x.RequestID = 2; return x }(), sealed, rc.ChannelAuthFailed},
		{"body altered", h, append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1), rc.ChannelAuthFailed},
		{"truncated", h, sealed[:10], rc.ChannelAuthFailed},
	} {
		if _, err := device.OpenRequest(tc.h, tc.sealed); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// None of the failures advanced the sequence: the genuine request
	// still opens, and then its replay does not.
	if _, err := device.OpenRequest(h, sealed); err != nil {
		t.Fatalf("genuine request after failures: %v", err)
	}
	if _, err := device.OpenRequest(h, sealed); !errors.Is(err, rc.ChannelSequenceError) {
		t.Fatalf("replay: %v, want ChannelSequenceError", err)
	}
	// A response may not be sealed for a request never accepted, nor
	// opened for a request never sent, nor opened twice.
	rh := ResponseHeader{Revision: Revision, Opcode: 0x0501, RequestID: 1, SessionID: 7, Sequence: 2}
	if _, err := device.SealResponse(&rh, []byte{0xa0}); !errors.Is(err, rc.ChannelSequenceError) {
		t.Errorf("seal unaccepted sequence: %v", err)
	}
	rh.Sequence = 1
	sr, err := device.SealResponse(&rh, []byte{0xa0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.OpenResponse(rh, sr); err != nil {
		t.Fatal(err)
	}
	if _, err := client.OpenResponse(rh, sr); !errors.Is(err, rc.ChannelSequenceError) {
		t.Errorf("response replay: %v", err)
	}
	// Requests and responses use different keys and nonces: a sealed
	// request is no response.
	if _, err := device.OpenRequest(RequestHeader{Revision: Revision, Opcode: 0x0501, RequestID: 1, SessionID: 7, Sequence: 2}, sr); !errors.Is(err, rc.ChannelAuthFailed) {
		t.Errorf("response as request: %v", err)
	}
	device.Close()
	if _, err := device.OpenRequest(h, sealed); !errors.Is(err, rc.SessionNotFound) {
		t.Errorf("closed channel: %v", err)
	}
	if _, err := NewChannel(make([]byte, 16), make([]byte, 32)); !errors.Is(err, rc.InvalidArgument) {
		t.Errorf("short key: %v", err)
	}
}

// A Channel serialises its callers: many goroutines sealing get distinct,
// gap-free sequences.
func TestChannelConcurrent(t *testing.T) {
	client, device := testChannels(t)
	const n = 64
	seqs := make([]uint64, n)
	sealed := make([][]byte, n)
	hdrs := make([]RequestHeader, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			hdrs[i] = RequestHeader{Revision: Revision, Opcode: 0x0501, RequestID: uint32(i), SessionID: 7}
			s, err := client.SealRequest(&hdrs[i], []byte{0xa0})
			if err != nil {
				t.Error(err)
			}
			seqs[i], sealed[i] = hdrs[i].Sequence, s
		})
	}
	wg.Wait()
	order := make([]int, n+1)
	for i, s := range seqs {
		order[s] = i
	}
	for s := 1; s <= n; s++ {
		i := order[s]
		if _, err := device.OpenRequest(hdrs[i], sealed[i]); err != nil {
			t.Fatalf("sequence %d: %v", s, err)
		}
	}
}
