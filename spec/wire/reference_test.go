package wire

import (
	"bytes"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/vectors"
)

// refCodec is a second, independent CBOR codec (fxamacker/cbor, reflecting
// over the struct tags) configured to the protocol's rules: core
// deterministic encoding, and strict decoding that refuses duplicate and
// unknown keys, indefinite lengths, tags and floats. The generated codec
// must agree with it on every message.
type refCodec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

func newRefCodec(tb testing.TB) refCodec {
	tb.Helper()
	eo := cbor.CoreDetEncOptions()
	eo.NilContainers = cbor.NilContainerAsEmpty
	enc, err := eo.EncMode()
	if err != nil {
		tb.Fatal(err)
	}
	dec, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxNestedLevels:   maxNesting,
		MaxArrayElements:  maxArray,
		MaxMapPairs:       32,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		UTF8:              cbor.UTF8RejectInvalid,
		NaN:               cbor.NaNDecodeForbidden,
		Inf:               cbor.InfDecodeForbidden,
	}.DecMode()
	if err != nil {
		tb.Fatal(err)
	}
	return refCodec{enc: enc, dec: dec}
}

// accepts reports whether the reference codec takes data as the canonical
// encoding of m's type: it decodes, and re-encodes to the same bytes.
func (r refCodec) accepts(tb testing.TB, m Message, data []byte) bool {
	tb.Helper()
	m.reset()
	defer m.reset()
	if err := r.dec.Unmarshal(data, m); err != nil {
		return false
	}
	again, err := r.enc.Marshal(m)
	return err == nil && bytes.Equal(again, data)
}

// TestAgainstReferenceCodec checks the generated encoder against the
// reference on every vector body, and the decoders against each other on
// the same bodies and on corruptions of them.
func TestAgainstReferenceCodec(t *testing.T) {
	ref := newRefCodec(t)
	for _, body := range vectorBodies(t) {
		for _, info := range Commands() {
			for _, m := range []Message{info.NewRequest(), info.NewResponse()} {
				compareCodecs(t, ref, m, body)
				for i := range body {
					mut := append([]byte(nil), body...)
					mut[i] ^= 0x01
					compareCodecs(t, ref, m, mut)
					compareCodecs(t, ref, m, body[:i])
				}
			}
		}
	}
}

// compareCodecs checks that the generated decoder takes body for m's type
// exactly when the reference does (before validation), and that both
// encoders then give body back.
func compareCodecs(t testing.TB, ref refCodec, m Message, body []byte) {
	d := decoder{b: body}
	m.reset()
	err := m.decodeCBOR(&d)
	// An integer too large for its field decodes on (so the body's
	// DecodeFailed faults still win) and is reported after: not accepted.
	ours := err == nil && d.off == len(body) && d.outOfRange == nil
	var again []byte
	if ours {
		again = m.appendCBOR(nil)
		refBytes, rerr := ref.enc.Marshal(m)
		if rerr != nil || !bytes.Equal(refBytes, again) {
			t.Fatalf("%s: encoders disagree on %x: %x vs %x", m.MessageName(), body, again, refBytes)
		}
	}
	m.reset()
	theirs := ref.accepts(t, m, body)
	if ours && !bytes.Equal(again, body) {
		t.Fatalf("%s: %x decodes but re-encodes to %x", m.MessageName(), body, again)
	}
	// The reference fills absent required fields with zero and then
	// re-encodes them, so it never accepts a body missing one; neither
	// does ours (it reports them as missing).
	if ours != theirs {
		t.Fatalf("%s: on %x the generated decoder says %v (%v), the reference %v", m.MessageName(), body, ours, err, theirs)
	}
}

// vectorBodies returns the plaintext body of every well-formed vector of
// spec/vectors, opening sealed ones with the vector's keys.
func vectorBodies(t testing.TB) [][]byte {
	t.Helper()
	all, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, v := range all {
		frame, err := v.Frame()
		if err != nil || len(frame) < lengthPrefix {
			continue
		}
		var e Envelope
		var seq uint64
		if v.Direction == "request" {
			var h RequestHeader
			h, e, err = DecodeRequest(frame[lengthPrefix:])
			seq = h.Sequence
			if err == nil && e.Sealed != nil {
				c2d, d2c, _ := v.Channel.Keys()
				ch, _ := NewChannel(c2d, d2c)
				e.Body, err = ch.OpenRequest(h, e.Sealed)
			}
		} else {
			var h ResponseHeader
			h, e, err = DecodeResponse(frame[lengthPrefix:])
			seq = h.Sequence
			if err == nil && e.Sealed != nil {
				c2d, d2c, _ := v.Channel.Keys()
				ch, _ := NewChannel(c2d, d2c)
				ch.sent = seq
				e.Body, err = ch.OpenResponse(h, e.Sealed)
			}
		}
		if err == nil && e.Body != nil {
			out = append(out, e.Body)
		}
	}
	if len(out) == 0 {
		t.Fatal("no vector bodies")
	}
	return out
}
