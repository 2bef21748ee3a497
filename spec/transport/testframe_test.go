package transport

import "github.com/fxamacker/cbor/v2"

func testFrame(id uint32, body []byte) []byte {
	b, _ := cbor.Marshal(map[uint64]any{1: map[uint64]any{1: 0x100, 2: 0x101, 3: id}, 2: map[uint64]any{1: body}})
	return b
}
