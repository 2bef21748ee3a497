package wire

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/openihsm/openihsm/spec/rc"
)

// The generated message types encode and decode themselves with the
// primitives below: code written out per field from the spec, not
// reflection over struct tags, so a Sign request costs a few hundred
// nanoseconds rather than microseconds.
//
// The decoder accepts only the deterministic encoding (RFC 8949 §4.2.1)
// of a message: shortest heads, definite lengths, keys in strictly
// increasing order (so sorted and never repeated), keys the message
// defines, values of the field's type, and no optional byte string, text
// or list that is empty (the encoder omits those). Because it accepts
// nothing else, what it decodes re-encodes to the same bytes; FuzzRoundTrip
// and TestAgainstReferenceCodec check exactly that.

var (
	errUnknownKey = errors.New("key not defined for this message")
	errType       = errors.New("value of the wrong type")
	errEmpty      = errors.New("empty optional field must be absent")
	errTrailing   = errors.New("bytes after the message")
	errUTF8       = errors.New("text is not UTF-8")
)

// Text strings have major type 3 (RFC 8949 §3.1).
const majorText = 3

// decoder reads one message body.
type decoder struct {
	b   []byte
	off int
	// last is the previous map key, for the order check.
	last int
	// outOfRange is the first integer above its type's width: a field
	// outside its limits, InvalidArgument (spec: wire.yaml common_errors),
	// answered only when the rest of the body is well formed, so that a
	// malformed body is always DecodeFailed.
	outOfRange error
}

func (d *decoder) head(want byte) (uint64, error) {
	major, v, n, err := readHead(d.b[d.off:])
	if err != nil {
		return 0, err
	}
	if major != want {
		return 0, errType
	}
	d.off += n
	return v, nil
}

// mapHead reads the head of the message map.
func (d *decoder) mapHead() (int, error) {
	n, err := d.head(majorMap)
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.b)-d.off) {
		return 0, errMalformed
	}
	d.last = -1
	return int(n), nil
}

// key reads the next map key, which must exceed the one before.
func (d *decoder) key() (int, error) {
	k, err := d.head(majorUint)
	if err != nil {
		return 0, err
	}
	if k > 23 || int(k) <= d.last {
		return 0, errMalformed
	}
	d.last = int(k)
	return int(k), nil
}

// uint reads an unsigned integer of a field whose type holds at most max.
// A larger value is well-formed CBOR of the right type but outside the
// field's limits: it is recorded (InvalidArgument) and decoding goes on.
func (d *decoder) uint(max uint64) (uint64, error) {
	v, err := d.head(majorUint)
	if err != nil {
		return 0, err
	}
	if v > max {
		if d.outOfRange == nil {
			d.outOfRange = fmt.Errorf("wire: field with key %d: %d does not fit its type (at most %d): %w", d.last, v, max, rc.InvalidArgument)
		}
		return max, nil
	}
	return v, nil
}

func (d *decoder) bool() (bool, error) {
	if d.off >= len(d.b) {
		return false, errMalformed
	}
	switch d.b[d.off] {
	case 0xf4:
		d.off++
		return false, nil
	case 0xf5:
		d.off++
		return true, nil
	}
	return false, errType
}

func (d *decoder) raw(major byte) ([]byte, error) {
	n, err := d.head(major)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.b)-d.off) {
		return nil, errMalformed
	}
	s := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

// bytes reads a byte string into a new slice: a message never aliases the
// buffer it was decoded from.
func (d *decoder) bytes(optional bool) ([]byte, error) {
	s, err := d.raw(majorBytes)
	if err != nil {
		return nil, err
	}
	if len(s) == 0 {
		if optional {
			return nil, errEmpty
		}
		return []byte{}, nil
	}
	return append([]byte(nil), s...), nil
}

func (d *decoder) text(optional bool) (string, error) {
	s, err := d.raw(majorText)
	if err != nil {
		return "", err
	}
	if len(s) == 0 && optional {
		return "", errEmpty
	}
	if !utf8.Valid(s) {
		return "", errUTF8
	}
	return string(s), nil
}

// array reads the head of a list of at least one byte per item.
func (d *decoder) array(optional bool) (int, error) {
	n, err := d.head(majorArray)
	if err != nil {
		return 0, err
	}
	if n > uint64(len(d.b)-d.off) || n > maxArray {
		return 0, errMalformed
	}
	if n == 0 && optional {
		return 0, errEmpty
	}
	return int(n), nil
}

// missing reports required fields absent: the spec calls that an invalid
// argument, not malformed CBOR.
func missing(msg string, seen, required uint32) error {
	if seen&required == required {
		return nil
	}
	return fmt.Errorf("wire: %s: required field with key %d missing: %w", msg, firstBit(required&^seen), rc.InvalidArgument)
}

func firstBit(v uint32) int {
	for i := 0; i < 32; i++ {
		if v&(1<<i) != 0 {
			return i
		}
	}
	return -1
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xf5)
	}
	return append(b, 0xf4)
}

func appendBytes(b []byte, v []byte) []byte {
	return append(appendHead(b, majorBytes, uint64(len(v))), v...)
}

func appendText(b []byte, v string) []byte {
	return append(appendHead(b, majorText, uint64(len(v))), v...)
}
