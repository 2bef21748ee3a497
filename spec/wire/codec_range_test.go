package wire

import (
	"errors"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
)

// TestOutOfRangeIsInvalidArgument: an integer too large for its field's
// type is outside the field's limits, InvalidArgument like a value below
// its range (spec: wire.yaml common_errors); a body that is also malformed
// is DecodeFailed, whatever comes first.
func TestOutOfRangeIsInvalidArgument(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		msg  Message
		want rc.Code
	}{
		{"u16 tag of 70000", []byte{0xa1, 0x01, 0x1a, 0x00, 0x01, 0x11, 0x70}, &OpenKeyRequest{}, rc.InvalidArgument},
		{"u16 tag of 0 (below its range)", []byte{0xa1, 0x01, 0x00}, &OpenKeyRequest{}, rc.InvalidArgument},
		{"u16 tag of 70000, then an unknown key", []byte{0xa2, 0x01, 0x1a, 0x00, 0x01, 0x11, 0x70, 0x09, 0x00}, &OpenKeyRequest{}, rc.DecodeFailed},
		{"u16 tag of 70000, then a trailing byte", []byte{0xa1, 0x01, 0x1a, 0x00, 0x01, 0x11, 0x70, 0x00}, &OpenKeyRequest{}, rc.DecodeFailed},
		{"u32 handle of 2^32", []byte{0xa1, 0x01, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0}, &DeleteKeyRequest{}, rc.InvalidArgument},
		{"u32 list item of 2^32", []byte{0xa1, 0x03, 0x81, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0}, &ListKeysResponse{}, rc.InvalidArgument},
		{"enum of 2^32", []byte{0xa2, 0x01, 0x1b, 0, 0, 0, 1, 0, 0, 0, 0, 0x02, 0x01}, &GenerateKeyRequest{}, rc.InvalidArgument},
		{"u16 tag as text", []byte{0xa1, 0x01, 0x61, 0x61}, &OpenKeyRequest{}, rc.DecodeFailed},
	} {
		err := Unmarshal(tc.body, tc.msg)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
