package wire_test

import (
	"bytes"
	"fmt"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// A client frames a GetApiRevision request; the device reads the frame,
// decodes the envelope, looks the opcode up and unmarshals the body.
func Example() {
	body, err := wire.Marshal(&wire.GetApiRevisionRequest{})
	if err != nil {
		panic(err)
	}
	payload, err := wire.EncodeRequest(wire.RequestHeader{Revision: wire.Revision, Opcode: wire.OpGetApiRevision, RequestID: 1}, wire.Envelope{Body: body})
	if err != nil {
		panic(err)
	}
	var conn bytes.Buffer
	if err := wire.WriteFrame(&conn, payload); err != nil {
		panic(err)
	}
	fmt.Printf("frame %x\n", conn.Bytes())

	p, err := wire.ReadFrame(&conn, wire.MaxFrame)
	if err != nil {
		panic(err)
	}
	h, env, err := wire.DecodeRequest(p)
	if err != nil {
		panic(err)
	}
	cmd, ok := wire.CommandByOpcode(h.Opcode)
	if !ok {
		panic(rc.UnknownOpcode)
	}
	req := cmd.NewRequest()
	fmt.Println(cmd.Name, cmd.Session, wire.Unmarshal(env.Body, req))
	// Output:
	// frame 0000000fa201a30119010002190101030102a0
	// GetApiRevision none <nil>
}

// Statuses cross the wire as numbers and come back as errors.
func ExampleUnmarshal() {
	err := wire.Unmarshal([]byte{0xa1, 0x01, 0x01}, &wire.GetApiRevisionRequest{})
	fmt.Println(rc.FromError(err).Name())
	// Output: DecodeFailed
}
