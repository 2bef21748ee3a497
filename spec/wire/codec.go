package wire

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/openihsm/openihsm/spec/rc"
)

// Decoding bounds. A frame is at most 64 KiB, and no message of the spec
// nests deeper than envelope → body → list.
const (
	maxNesting = 8
	maxArray   = 4096
)

// Marshal encodes a message body (a generated request or response) as its
// deterministic CBOR map (RFC 8949 §4.2.1): fields in key order, shortest
// integer forms, definite lengths, optional fields that are absent (nil
// pointers, empty byte strings, texts and lists) left out. It does not
// validate: a client may send an invalid request on purpose, and the
// device must answer it.
func Marshal(m Message) ([]byte, error) { return AppendMarshal(make([]byte, 0, 64), m) }

// AppendMarshal is [Marshal] appending to dst.
func AppendMarshal(dst []byte, m Message) ([]byte, error) {
	if isNil(m) {
		return nil, fmt.Errorf("wire: marshal nil message: %w", rc.InvalidArgument)
	}
	return m.appendCBOR(dst), nil
}

// Unmarshal decodes data into m and validates the result against the spec
// (sizes, ranges, enum members, flag bits).
//
// Only the canonical encoding of a message is accepted, so what decodes
// encodes back to data byte for byte. Errors wrap a status code:
// rc.DecodeFailed for bytes that are not the canonical encoding of a
// message of this type (malformed, non-canonical, unknown keys, wrong
// types), rc.InvalidArgument for a message that breaks a rule of the spec,
// including a required field that is missing and an integer too large for
// its field's type. On any error m is left zero:
// a caller never sees a partly decoded message.
func Unmarshal(data []byte, m Message) error {
	if isNil(m) {
		return fmt.Errorf("wire: unmarshal into nil message: %w", rc.InvalidArgument)
	}
	return unmarshal(data, m, m.MessageName())
}

// body is what messages and payloads share: a map that decodes and
// validates itself.
type body interface {
	reset()
	decodeCBOR(d *decoder) error
	Validate() error
}

func unmarshal(data []byte, m body, name string) error {
	m.reset()
	d := decoder{b: data}
	err := m.decodeCBOR(&d)
	if err == nil && d.off != len(data) {
		err = errTrailing
	}
	switch {
	case err != nil:
		var c rc.Code
		if !errors.As(err, &c) {
			err = fmt.Errorf("wire: %s: %v at byte %d: %w", name, err, d.off, rc.DecodeFailed)
		}
	case d.outOfRange != nil:
		err = d.outOfRange
	default:
		err = m.Validate()
	}
	if err != nil {
		m.reset()
	}
	return err
}

// Payload is a map of the spec that travels inside a byte string rather
// than as a message body (spec: types.yaml, maps): the generated
// KeyAttestationPayload and DeviceAttestationPayload, the payloads of the
// COSE_Sign1 reports of AttestKey and GetDeviceAttestation. Like Message,
// the interface is closed.
type Payload interface {
	// MapName is the spec name of the map, e.g. "KeyAttestationPayload".
	MapName() string
	// Validate checks the payload against the spec, as Message.Validate.
	Validate() error

	reset()
	appendCBOR(b []byte) []byte
	decodeCBOR(d *decoder) error
	appendJSON(j *jsonWriter) error
}

// MarshalPayload encodes a payload as its deterministic CBOR map, as
// [Marshal] encodes a message; it does not validate.
func MarshalPayload(p Payload) ([]byte, error) {
	if p == nil || isNilPayload(p) {
		return nil, fmt.Errorf("wire: marshal nil payload: %w", rc.InvalidArgument)
	}
	return p.appendCBOR(make([]byte, 0, 128)), nil
}

// UnmarshalPayload decodes and validates a payload, accepting only its
// canonical encoding, with the errors and guarantees of [Unmarshal].
func UnmarshalPayload(data []byte, p Payload) error {
	if p == nil || isNilPayload(p) {
		return fmt.Errorf("wire: unmarshal into nil payload: %w", rc.InvalidArgument)
	}
	return unmarshal(data, p, p.MapName())
}

func isNilPayload(p Payload) bool {
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func isNil(m Message) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// mapLen returns the entry count in the head of the CBOR map at the start
// of b, or -1 if b does not start with a map head.
func mapLen(b []byte) int {
	major, v, _, err := readHead(b)
	if err != nil || major != majorMap || v > maxArray {
		return -1
	}
	return int(v)
}
