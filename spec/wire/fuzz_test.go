package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/vectors"
)

// FuzzRoundTrip feeds payloads to every decoder of the package, seeded with
// the frames of spec/vectors. Whatever decodes must encode back to the same
// bytes; whatever fails must fail with a status code and a zero value;
// the generated body codec must agree with the reference codec; and nothing
// may panic.
func FuzzRoundTrip(f *testing.F) {
	all, err := vectors.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range all {
		frame, err := v.Frame()
		if err != nil {
			f.Fatal(err)
		}
		if len(frame) > lengthPrefix {
			f.Add(frame[lengthPrefix:])
		}
	}
	ref := newRefCodec(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkFrame(t, payload)
		if h, e, err := DecodeRequest(payload); err != nil {
			mustZero(t, "DecodeRequest", err, h, e)
		} else {
			again, err := EncodeRequest(h, e)
			if err != nil || !bytes.Equal(again, payload) {
				t.Fatalf("request %x re-encodes to %x, %v", payload, again, err)
			}
			if info, ok := CommandByOpcode(h.Opcode); ok && e.Body != nil {
				checkBody(t, ref, info.NewRequest(), e.Body)
			}
		}
		if h, e, err := DecodeResponse(payload); err != nil {
			mustZero(t, "DecodeResponse", err, h, e)
		} else {
			again, err := EncodeResponse(h, e)
			if err != nil || !bytes.Equal(again, payload) {
				t.Fatalf("response %x re-encodes to %x, %v", payload, again, err)
			}
			if info, ok := CommandByOpcode(h.Opcode); ok && e.Body != nil {
				checkBody(t, ref, info.NewResponse(), e.Body)
			}
		}
		// Bodies of every type, straight from the fuzzer.
		for _, info := range Commands() {
			checkBody(t, ref, info.NewRequest(), payload)
			checkBody(t, ref, info.NewResponse(), payload)
		}
	})
}

func checkFrame(t *testing.T, payload []byte) {
	p, err := ReadFrame(bytes.NewReader(AppendFrame(nil, payload)), MaxFrame)
	if len(payload) > MaxFrame {
		if !errors.Is(err, rc.FrameTooLarge) || p != nil {
			t.Fatalf("oversized frame: %v", err)
		}
		return
	}
	if err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("frame round trip: %v", err)
	}
}

func mustZero(t *testing.T, what string, err error, h any, e Envelope) {
	t.Helper()
	var c rc.Code
	if !errors.As(err, &c) {
		t.Fatalf("%s: error %v carries no status code", what, err)
	}
	if !reflect.ValueOf(h).IsZero() || e.Body != nil || e.Sealed != nil {
		t.Fatalf("%s failed (%v) but returned %+v, %+v", what, err, h, e)
	}
}

// checkBody unmarshals body as m: an error must carry a status and leave m
// zero, a success must re-encode to body; and the generated decoder must
// agree with the reference codec.
func checkBody(t *testing.T, ref refCodec, m Message, body []byte) {
	t.Helper()
	compareCodecs(t, ref, m, body)
	if err := Unmarshal(body, m); err != nil {
		var c rc.Code
		if !errors.As(err, &c) {
			t.Fatalf("%s: error %v carries no status code", m.MessageName(), err)
		}
		if !reflect.ValueOf(m).Elem().IsZero() {
			t.Fatalf("%s: Unmarshal failed (%v) but left %+v", m.MessageName(), err, m)
		}
		return
	}
	again, err := Marshal(m)
	if err != nil || !bytes.Equal(again, body) {
		t.Fatalf("%s: %x re-encodes to %x, %v", m.MessageName(), body, again, err)
	}
	if _, err := ToJSON(m); err != nil {
		t.Fatalf("%s: a valid message has no JSON form: %v", m.MessageName(), err)
	}
}
