package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/veraison/go-cose"
)

// loadedSpec is the embedded spec, loaded once for the tests that read it.
var loadedSpec = sync.OnceValues(func() (*model.Spec, error) { return model.Load(spec.FS) })

func specModel(t *testing.T) *model.Spec {
	t.Helper()
	s, err := loadedSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVectors decodes every vector of spec/vectors, re-encodes it to the
// same bytes (re-sealing sealed bodies under the vector's keys), checks its
// JSON form against the vector's decoded meaning and against the
// generated JSON Schemas, and checks that malformed vectors fail with the
// status they expect.
func TestVectors(t *testing.T) {
	all, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no vectors")
	}
	schemas := compileSchemas(t)
	for _, v := range all {
		t.Run(v.Name, func(t *testing.T) {
			want, ok := rc.ByName(v.Expect)
			if !ok {
				t.Fatalf("expect %q is not a status of the spec", v.Expect)
			}
			frame, err := v.Frame()
			if err != nil {
				t.Fatal(err)
			}
			got, err := checkVector(t, v, frame, schemas)
			if want == rc.Success || v.Direction == "response" && v.Decoded != nil {
				if err != nil {
					t.Fatalf("vector did not round-trip: %v", err)
				}
				if v.Direction == "response" && got != want {
					t.Fatalf("status %v, want %v", got, want)
				}
				return
			}
			if !errors.Is(err, want) {
				t.Fatalf("error %v, want %v", err, want)
			}
		})
	}
}

// checkVector runs one vector and returns the response status it carries,
// or the first error.
func checkVector(t *testing.T, v vectors.Vector, frame []byte, schemas map[string]*jsonschema.Schema) (rc.Code, error) {
	t.Helper()
	payload, err := ReadFrame(bytes.NewReader(frame), MaxFrame)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(AppendFrame(nil, payload), frame) {
		t.Fatal("frame does not re-frame to the same bytes")
	}
	var ch *Channel
	if v.Channel != nil {
		c2d, d2c, err := v.Channel.Keys()
		if err != nil {
			t.Fatal(err)
		}
		if ch, err = NewChannel(c2d, d2c); err != nil {
			t.Fatal(err)
		}
	}
	info, ok := CommandByOpcode(v.Opcode)
	if !ok && !(v.Opcode == 0 && v.Direction == "response" && v.Expect != "Success") {
		t.Fatalf("opcode 0x%04X not in the command table", v.Opcode)
	}
	var (
		hdrJSON []byte
		msg     Message
		env     Envelope
		status  rc.Code
		again   []byte
	)
	if v.Direction == "request" {
		h, e, err := DecodeRequest(payload)
		if err != nil {
			return 0, err
		}
		env, msg = e, info.NewRequest()
		body := e.Body
		if e.Sealed != nil {
			if ch == nil {
				t.Fatal("sealed vector without keys")
			}
			// The receiving channel has accepted the sequences before.
			ch.accepted = v.Channel.Accepted
			if body, err = ch.OpenRequest(h, e.Sealed); err != nil {
				return 0, err
			}
		}
		if err := Unmarshal(body, msg); err != nil {
			return 0, err
		}
		b, err := Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, body) {
			t.Fatalf("body re-encodes to %x, want %x", b, body)
		}
		out := Envelope{Body: b}
		if e.Sealed != nil {
			// A fresh client channel seals sequence 1 again: the same
			// key, nonce, header and body give the same bytes.
			client, _ := NewChannel(mustKeys(t, v))
			h2 := h
			h2.Sequence = 0
			if out.Sealed, err = client.SealRequest(&h2, b); err != nil {
				t.Fatal(err)
			}
			out.Body = nil
			h = h2
		}
		if again, err = EncodeRequest(h, out); err != nil {
			t.Fatal(err)
		}
		hdrJSON, err = ToJSON(h)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		h, e, err := DecodeResponse(payload)
		if err != nil {
			return 0, err
		}
		env, status = e, h.Status
		if ok {
			msg = info.NewResponse()
		}
		body := e.Body
		if e.Sealed != nil {
			if ch == nil {
				t.Fatal("sealed vector without keys")
			}
			ch.sent = h.Sequence // the client sent the request it answers
			if body, err = ch.OpenResponse(h, e.Sealed); err != nil {
				return 0, err
			}
		}
		var b []byte
		if h.Status == rc.Success {
			if err := Unmarshal(body, msg); err != nil {
				return 0, err
			}
			if b, err = Marshal(msg); err != nil {
				t.Fatal(err)
			}
		} else {
			// An error response carries the empty map.
			msg, b = nil, EmptyBody()
		}
		if !bytes.Equal(b, body) {
			t.Fatalf("body re-encodes to %x, want %x", b, body)
		}
		out := Envelope{Body: b}
		if e.Sealed != nil {
			device, _ := NewChannel(mustKeys(t, v))
			device.accepted = h.Sequence
			if out.Sealed, err = device.SealResponse(&h, b); err != nil {
				t.Fatal(err)
			}
			out.Body = nil
		}
		if again, err = EncodeResponse(h, out); err != nil {
			t.Fatal(err)
		}
		if hdrJSON, err = ToJSON(h); err != nil {
			t.Fatal(err)
		}
	}
	_ = env
	if msg != nil {
		checkPayloads(t, v, msg, schemas)
	} else if len(v.Payloads) > 0 {
		t.Fatal("payloads on a vector without a message")
	}
	if !bytes.Equal(again, payload) {
		t.Fatalf("payload re-encodes to\n%x, want\n%x", again, payload)
	}
	bodyJSON := []byte("{}")
	if msg != nil {
		var err error
		if bodyJSON, err = ToJSON(msg); err != nil {
			t.Fatal(err)
		}
		validate(t, schemas, msg.MessageName(), bodyJSON)
	}
	hdrName := "RequestHeader"
	if v.Direction == "response" {
		hdrName = "ResponseHeader"
	}
	validate(t, schemas, hdrName, hdrJSON)
	var want, got any
	if err := json.Unmarshal(v.Decoded, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"header":`+string(hdrJSON)+`,"body":`+string(bodyJSON)+`}`), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("JSON form\n%s\nwant\n%s", mustJSON(got), mustJSON(want))
	}
	return status, nil
}

// coseFields returns the fields of the message's command that carry a
// COSE_Sign1, and the map of types.yaml each one's payload is.
func coseFields(t *testing.T, msg Message) map[string]string {
	t.Helper()
	s := specModel(t)
	info, _ := CommandByOpcode(msg.Opcode())
	c := s.Command(info.Name)
	fields := c.Request
	if msg.IsResponse() {
		fields = c.Response
	}
	out := map[string]string{}
	for _, f := range fields {
		if f.CoseSign1 != "" {
			out[f.Name] = f.CoseSign1
		}
	}
	return out
}

// checkPayloads verifies each COSE_Sign1 field of a vector's message with
// an independent COSE library and the vector's key, decodes its payload
// into the map's generated type (canonical, valid), re-encodes it to the
// same bytes and compares its JSON form with the vector's and its schema.
func checkPayloads(t *testing.T, v vectors.Vector, msg Message, schemas map[string]*jsonschema.Schema) {
	t.Helper()
	fields := coseFields(t, msg)
	if len(fields) == 0 && len(v.Payloads) == 0 {
		return
	}
	if len(fields) != len(v.Payloads) {
		t.Fatalf("vector has payloads %v; the message's COSE_Sign1 fields are %v", keys(v.Payloads), fields)
	}
	js, err := ToJSON(msg)
	if err != nil {
		t.Fatal(err)
	}
	var form map[string]any
	if err := json.Unmarshal(js, &form); err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(v.COSEKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P384(), key)
	if err != nil {
		t.Fatalf("cose_key_hex: %v", err)
	}
	verifier, err := cose.NewVerifier(cose.AlgorithmES384, pub)
	if err != nil {
		t.Fatal(err)
	}
	for field, mapName := range fields {
		report, err := base64.StdEncoding.DecodeString(form[field].(string))
		if err != nil {
			t.Fatal(err)
		}
		var m cose.Sign1Message
		if err := m.UnmarshalCBOR(report); err != nil {
			t.Fatalf("%s is not a tagged COSE_Sign1: %v", field, err)
		}
		if err := m.Verify(nil, verifier); err != nil {
			t.Fatalf("%s does not verify: %v", field, err)
		}
		if ct := m.Headers.Protected[cose.HeaderLabelContentType]; ct != "application/cbor" {
			t.Errorf("%s: content type %v", field, ct)
		}
		p, ok := PayloadByName(mapName)
		if !ok {
			t.Fatalf("no payload type %s", mapName)
		}
		if err := UnmarshalPayload(m.Payload, p); err != nil {
			t.Fatalf("%s payload: %v", field, err)
		}
		again, err := MarshalPayload(p)
		if err != nil || !bytes.Equal(again, m.Payload) {
			t.Fatalf("%s payload re-encodes to %x, want %x (%v)", field, again, m.Payload, err)
		}
		pj, err := ToJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, schemas, mapName, pj)
		var got, want any
		json.Unmarshal(pj, &got)
		if err := json.Unmarshal(v.Payloads[field], &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s payload JSON form\n%s\nwant\n%s", field, mustJSON(got), mustJSON(want))
		}
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustKeys(t *testing.T, v vectors.Vector) ([]byte, []byte) {
	t.Helper()
	a, b, err := v.Channel.Keys()
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertContent = true
	entries, err := SchemaFS.ReadDir("schema")
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://openihsm.org/spec/wire/schema/"
	for _, e := range entries {
		b, err := SchemaFS.ReadFile("schema/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(base+e.Name(), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, e := range entries {
		s, err := c.Compile(base + e.Name())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = s
	}
	return out
}

func validate(t *testing.T, schemas map[string]*jsonschema.Schema, name string, doc []byte) {
	t.Helper()
	s, ok := schemas[name]
	if !ok {
		t.Fatalf("no schema %s", name)
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%s: JSON form does not parse: %v", name, err)
	}
	if err := s.Validate(v); err != nil {
		t.Fatalf("%s: JSON form %s does not match its schema: %v", name, doc, err)
	}
}
