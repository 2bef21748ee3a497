package steps

import (
	"github.com/openihsm/openihsm/conformance/transcript"
	"github.com/openihsm/openihsm/spec/transport"
)

// rawConn is a raw connection whose frames go into the transcript.
type rawConn struct {
	c    *transport.RawConn
	rec  *transcript.Recorder
	name string
}
