package wire

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
	"github.com/openihsm/openihsm/spec/rc"
)

// Codec is the pair of CBOR modes every message of the protocol goes
// through (spec: wire.yaml, encoding).
//
// Encoding is RFC 8949 §4.2.1 core deterministic: shortest integer forms,
// definite lengths, map keys sorted bytewise. A nil byte string or list
// encodes as an empty one, so a required field is always present.
//
// Decoding is strict: duplicate map keys, keys the message does not define,
// indefinite lengths, tags and floats are errors, and nesting and container
// sizes are bounded far below what a 64 KiB frame could claim. What passes
// the decoder is then re-encoded and must give the same bytes (the canonical
// check), so exactly one byte string encodes each message.
type Codec struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

// Decoding bounds. A frame is at most 64 KiB, and no message of the spec
// nests deeper than envelope → body → list.
const (
	maxNesting  = 8
	maxArray    = 4096
	maxMapPairs = 32
)

// NewCodec builds the protocol's CBOR modes. Building them is not free
// (the library validates and caches the options), so a process builds one
// Codec and shares it: a Codec is safe for concurrent use.
func NewCodec() (*Codec, error) {
	eo := cbor.CoreDetEncOptions()
	eo.NilContainers = cbor.NilContainerAsEmpty
	enc, err := eo.EncMode()
	if err != nil {
		return nil, fmt.Errorf("wire: encoding mode: %w", err)
	}
	dec, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxNestedLevels:   maxNesting,
		MaxArrayElements:  maxArray,
		MaxMapPairs:       maxMapPairs,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		UTF8:              cbor.UTF8RejectInvalid,
		NaN:               cbor.NaNDecodeForbidden,
		Inf:               cbor.InfDecodeForbidden,
	}.DecMode()
	if err != nil {
		return nil, fmt.Errorf("wire: decoding mode: %w", err)
	}
	return &Codec{enc: enc, dec: dec}, nil
}

// defaultCodec serves the package-level helpers. It is built once, never
// changed, and holds no per-call state.
var defaultCodec = func() *Codec {
	c, err := NewCodec()
	if err != nil {
		// The options above are constants; the library rejects them only
		// if it is a version this package was never built against.
		panic(err)
	}
	return c
}()

// Marshal encodes a message body (a generated request or response struct)
// with the default [Codec]. It does not validate: a client may send an
// invalid request on purpose, and the device must answer it.
func Marshal(m Message) ([]byte, error) { return defaultCodec.Marshal(m) }

// Unmarshal decodes, canonical-checks and validates a message body with the
// default [Codec]. See [Codec.Unmarshal].
func Unmarshal(data []byte, m Message) error { return defaultCodec.Unmarshal(data, m) }

// Marshal encodes m as a deterministic CBOR map.
func (c *Codec) Marshal(m Message) ([]byte, error) {
	if m == nil || reflect.ValueOf(m).IsNil() {
		return nil, fmt.Errorf("wire: marshal nil message: %w", rc.InvalidArgument)
	}
	b, err := c.enc.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal %T: %v: %w", m, err, rc.InternalError)
	}
	return b, nil
}

// Unmarshal decodes data into m, checks that data is the canonical
// encoding of the result and validates it against the spec (sizes, ranges,
// enum members, flag bits).
//
// Errors wrap a status code: rc.DecodeFailed for bytes that are not the
// canonical encoding of a message of this type, rc.InvalidArgument for a
// message that is canonical but breaks a rule of the spec, including a
// required field that is missing. On any error m is left zero: a caller
// never sees a partly decoded message.
func (c *Codec) Unmarshal(data []byte, m Message) error {
	if m == nil || reflect.ValueOf(m).IsNil() {
		return fmt.Errorf("wire: unmarshal into nil message: %w", rc.InvalidArgument)
	}
	err := c.unmarshal(data, m)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		m.reset()
	}
	return err
}

func (c *Codec) unmarshal(data []byte, m Message) error {
	if len(data) == 0 || data[0]>>5 != 5 {
		return fmt.Errorf("wire: %s: not a CBOR map: %w", messageName(m), rc.DecodeFailed)
	}
	if err := c.dec.Unmarshal(data, m); err != nil {
		return fmt.Errorf("wire: %s: %v: %w", messageName(m), err, rc.DecodeFailed)
	}
	return c.canonical(data, m, messageName(m))
}

// canonical re-encodes v and compares the result with data. A decoded map
// with fewer entries than its re-encoding lacked a required field, which
// the spec treats as an invalid argument rather than malformed CBOR.
func (c *Codec) canonical(data []byte, v any, what string) error {
	again, err := c.enc.Marshal(v)
	if err != nil {
		return fmt.Errorf("wire: %s: re-encode: %v: %w", what, err, rc.DecodeFailed)
	}
	if bytes.Equal(again, data) {
		return nil
	}
	if n, m := mapLen(data), mapLen(again); n >= 0 && m > n {
		return fmt.Errorf("wire: %s: %d required fields missing: %w", what, m-n, rc.InvalidArgument)
	}
	return fmt.Errorf("wire: %s: not the canonical encoding: %w", what, rc.DecodeFailed)
}

// mapLen returns the entry count in the head of the CBOR map at the start
// of b, or -1 if b does not start with a definite-length map head.
func mapLen(b []byte) int {
	if len(b) == 0 || b[0]>>5 != 5 {
		return -1
	}
	switch ai := b[0] & 0x1f; {
	case ai < 24:
		return int(ai)
	case ai == 24 && len(b) > 1:
		return int(b[1])
	case ai == 25 && len(b) > 2:
		return int(b[1])<<8 | int(b[2])
	}
	return -1
}

func messageName(m Message) string {
	if n := m.MessageName(); n != "" {
		return n
	}
	return fmt.Sprintf("%T", m)
}

