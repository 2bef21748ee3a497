package wire

import (
	"encoding/binary"
	"errors"
)

// This file holds the few CBOR primitives the envelope and headers need
// (RFC 8949 §3). They are written out rather than reflected so the envelope,
// which every frame crosses, costs no allocation; the message bodies go
// through the Codec.

// CBOR major types (RFC 8949 §3.1).
const (
	majorUint  = 0
	majorBytes = 2
	majorArray = 4
	majorMap   = 5
	majorTag   = 6
	majorOther = 7
)

var errMalformed = errors.New("malformed or non-canonical CBOR")

// appendHead appends the shortest head for a major type and argument
// (RFC 8949 §4.2.1: preferred serialisation of integers and lengths).
func appendHead(b []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(b, m|byte(v))
	case v <= 0xff:
		return append(b, m|24, byte(v))
	case v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), v)
}

// readHead reads the head at the start of b. It accepts only the shortest
// form of the argument and no indefinite length, which is all the
// deterministic encoding allows.
func readHead(b []byte) (major byte, v uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, errMalformed
	}
	major, ai := b[0]>>5, b[0]&0x1f
	switch {
	case ai < 24:
		return major, uint64(ai), 1, nil
	case ai == 24 && len(b) >= 2:
		v, n = uint64(b[1]), 2
		if v < 24 && major != majorOther {
			return 0, 0, 0, errMalformed
		}
	case ai == 25 && len(b) >= 3:
		v, n = uint64(binary.BigEndian.Uint16(b[1:])), 3
		if v <= 0xff {
			return 0, 0, 0, errMalformed
		}
	case ai == 26 && len(b) >= 5:
		v, n = uint64(binary.BigEndian.Uint32(b[1:])), 5
		if v <= 0xffff {
			return 0, 0, 0, errMalformed
		}
	case ai == 27 && len(b) >= 9:
		v, n = binary.BigEndian.Uint64(b[1:]), 9
		if v <= 0xffffffff {
			return 0, 0, 0, errMalformed
		}
	default:
		return 0, 0, 0, errMalformed
	}
	if major == majorOther {
		// Floats (ai 25..27) and one-byte simple values are not part of
		// the protocol (spec: wire.yaml, encoding).
		return 0, 0, 0, errMalformed
	}
	return major, v, n, nil
}

// itemLen returns the length of the single well-formed data item at the
// start of b. Tags, floats, indefinite lengths, non-shortest heads and
// simple values other than false, true and null are rejected, as is nesting
// deeper than depth.
func itemLen(b []byte, depth int) (int, error) {
	if depth <= 0 {
		return 0, errMalformed
	}
	major, v, n, err := readHead(b)
	if err != nil {
		return 0, err
	}
	rest := uint64(len(b) - n)
	switch major {
	case 0, 1:
		return n, nil
	case majorBytes, 3:
		if v > rest {
			return 0, errMalformed
		}
		return n + int(v), nil
	case majorArray, majorMap:
		items := v
		if major == majorMap {
			items *= 2
		}
		if v > rest || items > rest {
			return 0, errMalformed
		}
		off := n
		for i := uint64(0); i < items; i++ {
			l, err := itemLen(b[off:], depth-1)
			if err != nil {
				return 0, err
			}
			off += l
		}
		return off, nil
	case majorOther:
		if v >= 20 && v <= 22 {
			return n, nil
		}
	}
	return 0, errMalformed
}
