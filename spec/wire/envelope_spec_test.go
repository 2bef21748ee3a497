package wire

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/vectors"
)

// CBOR major types (RFC 8949 §3.1) a field of each spec type is encoded
// with.
var specMajor = map[string]byte{
	model.TypeU8: majorUint, model.TypeU16: majorUint, model.TypeU32: majorUint, model.TypeU64: majorUint,
	model.TypeBytes: majorBytes, model.TypeText: majorText, model.TypeEnum: majorUint, model.TypeFlags: majorUint,
	model.TypeList: majorArray, model.TypeMap: majorMap,
}

// describedMap checks that raw is one CBOR map whose keys, value types and
// byte-string sizes are those fields describes, and returns its entries.
func describedMap(raw []byte, fields []model.Field) (map[uint64]cbor.RawMessage, error) {
	dm, err := cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
	if err != nil {
		return nil, err
	}
	var m map[uint64]cbor.RawMessage
	if err := dm.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not a CBOR map with unsigned keys: %w", err)
	}
	for k, v := range m {
		f := findKey(fields, int(k))
		if f == nil {
			return nil, fmt.Errorf("key %d is not described", k)
		}
		major := v[0] >> 5
		if f.Type == model.TypeBool {
			if v[0] != 0xf4 && v[0] != 0xf5 {
				return nil, fmt.Errorf("%s: not a bool", f.Name)
			}
			continue
		}
		if want := specMajor[f.Type]; major != want {
			return nil, fmt.Errorf("%s: CBOR major type %d, the spec describes a %s (major type %d)", f.Name, major, f.Type, want)
		}
		if f.Type == model.TypeBytes && f.Size != nil {
			var b []byte
			if err := dm.Unmarshal(v, &b); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			if uint64(len(b)) < f.Size.Min || uint64(len(b)) > f.Size.Max {
				return nil, fmt.Errorf("%s: %d bytes, the spec allows %d to %d", f.Name, len(b), f.Size.Min, f.Size.Max)
			}
		}
	}
	for _, f := range fields {
		if _, ok := m[uint64(f.Key)]; !f.Optional && !ok {
			return nil, fmt.Errorf("required %s (key %d) missing", f.Name, f.Key)
		}
	}
	return m, nil
}

func findKey(fields []model.Field, key int) *model.Field {
	for i := range fields {
		if fields[i].Key == key {
			return &fields[i]
		}
	}
	return nil
}

// checkEnvelope checks one payload against wire.yaml's envelope: the
// header map against the header of its direction, a plaintext body map
// against the command's message (c nil: not checked), and exactly one of
// body and sealed.
func checkEnvelope(s *model.Spec, payload []byte, response bool, c *model.Command, errorResponse bool) error {
	env, err := describedMap(payload, s.Wire.Envelope)
	if err != nil {
		return fmt.Errorf("envelope: %w", err)
	}
	present := 0
	for _, f := range s.Wire.Envelope {
		raw, ok := env[uint64(f.Key)]
		if !ok {
			continue
		}
		if f.Optional {
			present++
		}
		if f.Type != model.TypeMap {
			continue
		}
		var fields []model.Field
		switch {
		case f.Map == model.MapHeader && response:
			fields = s.Wire.ResponseHeader
		case f.Map == model.MapHeader:
			fields = s.Wire.RequestHeader
		case f.Map == model.MapBody && errorResponse:
			fields = nil // the empty map
		case f.Map == model.MapBody && c != nil && response:
			fields = c.Response
		case f.Map == model.MapBody && c != nil:
			fields = c.Request
		default:
			continue
		}
		if _, err := describedMap(raw, fields); err != nil {
			return fmt.Errorf("envelope %s: %w", f.Name, err)
		}
	}
	if present != 1 {
		return fmt.Errorf("envelope: %d of body and sealed present, want exactly one", present)
	}
	return nil
}

// TestEnvelopeMatchesSpec checks wire.yaml's description of the envelope
// against the bytes, so the two cannot drift apart: every frame of
// spec/vectors (built from the spec without this package) and every frame
// this package encodes is a map of exactly the described keys, the header
// and plaintext body embedded as CBOR maps and the sealed body a byte
// string; and this package refuses a header or body wrapped in a byte
// string.
func TestEnvelopeMatchesSpec(t *testing.T) {
	s := specModel(t)
	for _, f := range s.Wire.Envelope {
		if f.Name == "header" && (f.Type != model.TypeMap || f.Map != model.MapHeader) {
			t.Fatalf("wire.yaml describes the envelope header as %s %s; the codec embeds the header map", f.Type, f.Map)
		}
	}
	all, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range all {
		if strings.HasPrefix(v.Name, "malformed/") {
			continue
		}
		frame, err := v.Frame()
		if err != nil {
			t.Fatal(err)
		}
		var c *model.Command
		if v.Command != "" {
			c = s.Command(v.Command)
		}
		resp := v.Direction == "response"
		if err := checkEnvelope(s, frame[4:], resp, c, resp && v.Expect != "Success"); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no vectors checked")
	}

	h := RequestHeader{Revision: Revision, Opcode: OpSign, RequestID: 70000, SessionID: 3, Sequence: 9}
	body, err := Marshal(&SignRequest{KeyHandle: 1, Algorithm: AlgorithmEcdsaSha256, Data: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	sign := s.Command("Sign")
	for name, enc := range map[string]func() ([]byte, error){
		"request body":   func() ([]byte, error) { return EncodeRequest(h, Envelope{Body: body}) },
		"request sealed": func() ([]byte, error) { return EncodeRequest(h, Envelope{Sealed: make([]byte, 40)}) },
	} {
		p, err := enc()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkEnvelope(s, p, false, sign, false); err != nil {
			t.Errorf("EncodeRequest, %s: %v", name, err)
		}
	}
	rh := ResponseHeader{Revision: Revision, Opcode: OpSign, RequestID: 70000, Status: rc.KeyNotFound}
	p, err := EncodeResponse(rh, Envelope{Body: EmptyBody()})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEnvelope(s, p, true, sign, true); err != nil {
		t.Errorf("EncodeResponse: %v", err)
	}

	// The largest sealed body the spec allows fills a frame exactly in the
	// smallest envelope an in-session request has.
	sealed := model.Lookup(s.Wire.Envelope, "sealed")
	small := RequestHeader{Revision: Revision, Opcode: s.Commands[0].Opcode, SessionID: 1, Sequence: 1}
	for _, c := range s.Commands {
		small.Opcode = min(small.Opcode, c.Opcode)
	}
	if p, err := EncodeRequest(small, Envelope{Sealed: make([]byte, sealed.Size.Max)}); err != nil || len(p) != MaxFrame {
		t.Errorf("a sealed body of %d bytes (its size max) makes a payload of %d bytes, max_frame is %d (%v)", sealed.Size.Max, len(p), MaxFrame, err)
	}

	// A header or body wrapped in a byte string is not the envelope.
	hdr := h
	hdr.SessionID, hdr.Sequence = 0, 0
	hb := hdr.AppendCBOR(nil)
	wrapped := func(b []byte) []byte { return append(appendHead(nil, majorBytes, uint64(len(b))), b...) }
	for name, p := range map[string][]byte{
		"header in a byte string": slices.Concat([]byte{0xa2, 0x01}, wrapped(hb), []byte{0x02}, body),
		"body in a byte string":   slices.Concat([]byte{0xa2, 0x01}, hb, []byte{0x02}, wrapped(body)),
	} {
		if _, _, err := DecodeRequest(p); !errors.Is(err, rc.DecodeFailed) {
			t.Errorf("%s: %v, want DecodeFailed", name, err)
		}
		if err := checkEnvelope(s, p, false, sign, false); err == nil {
			t.Errorf("%s: matches the spec's envelope, which describes an embedded map", name)
		}
	}
}
