package device

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/openihsm/openihsm/spec"
	"github.com/openihsm/openihsm/spec/model"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/vectors"
	"github.com/openihsm/openihsm/spec/wire"
)

// specModel is the embedded spec, loaded once for every check of a
// response against the error tables.
var specModel = sync.OnceValues(func() (*model.Spec, error) { return model.Load(spec.FS) })

// tableProblem returns why the status of a response is not one its
// request could get, or "" when it is. A response that names its command
// carries Success or a status of the command's effective error table (its
// own rows, the common rows that apply to it and the rows of the states
// that refuse it), never one of the rows answered to no particular
// request. A response with opcode 0 and request_id 0 answers a request
// the device never read: an unaddressed row (DecodeFailed of the
// envelope, FrameTooLarge, Busy), or InternalError, which may answer
// anything. A response to an opcode outside the registry carries one of
// the statuses decided before the opcode is looked up (IHSM-WIRE-013).
func tableProblem(s *model.Spec, rh wire.ResponseHeader) string {
	name := rh.Status.Name()
	if name == "" {
		return fmt.Sprintf("status 0x%08X is not in the registry", uint32(rh.Status))
	}
	if rh.Status == rc.InternalError {
		return ""
	}
	if rh.Opcode == 0 && rh.RequestID == 0 {
		for _, r := range s.Unaddressed() {
			if r.Status == name {
				return ""
			}
		}
		return fmt.Sprintf("%s answers no particular request (request_id 0, opcode 0), but is no unaddressed row of wire.yaml", name)
	}
	c := s.CommandByOpcode(rh.Opcode)
	if c == nil {
		if rh.Status == rc.UnknownOpcode || rh.Status == rc.UnsupportedRevision {
			return ""
		}
		return fmt.Sprintf("%s for opcode 0x%04X, which is not in the registry", name, rh.Opcode)
	}
	if rh.Status == rc.Success {
		return ""
	}
	for _, r := range s.EffectiveErrors(c) {
		if r.Status == name && !r.Unaddressed {
			return ""
		}
	}
	return fmt.Sprintf("%s is not in the effective error table of %s", name, c.Name)
}

// checkTable fails t when the status of rh is not one the spec's tables
// allow. harness.raw calls it for every response of every test of this
// package, so the handler, error-row and end-to-end tests all check it.
func checkTable(t testing.TB, rh wire.ResponseHeader) {
	t.Helper()
	s, err := specModel()
	if err != nil {
		t.Fatal(err)
	}
	if p := tableProblem(s, rh); p != "" {
		t.Errorf("response %+v: %s", rh, p)
	}
}

// TestTableProblem shows the check refuses what the tables forbid: a test
// that accepted everything would prove nothing.
func TestTableProblem(t *testing.T) {
	s, err := specModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		rh   wire.ResponseHeader
		ok   bool
	}{
		{"own row", wire.ResponseHeader{Opcode: wire.OpSign, RequestID: 3, Status: rc.DigestMismatch}, true},
		{"common row", wire.ResponseHeader{Opcode: wire.OpSign, RequestID: 3, Status: rc.ChannelAuthFailed}, true},
		{"state row", wire.ResponseHeader{Opcode: wire.OpSign, RequestID: 3, Status: rc.DeviceTampered}, true},
		{"another command's row", wire.ResponseHeader{Opcode: wire.OpSign, RequestID: 3, Status: rc.MaskedKeyTampered}, false},
		{"session row on a command without a session", wire.ResponseHeader{Opcode: wire.OpGetDeviceInfo, RequestID: 3, Status: rc.ChannelAuthFailed}, false},
		{"state row of a command every state allows", wire.ResponseHeader{Opcode: wire.OpGetApiRevision, RequestID: 3, Status: rc.DeviceTampered}, false},
		{"revision on GetApiRevision", wire.ResponseHeader{Opcode: wire.OpGetApiRevision, RequestID: 3, Status: rc.UnsupportedRevision}, false},
		{"unknown opcode on a command of no feature", wire.ResponseHeader{Opcode: wire.OpGetDeviceInfo, RequestID: 3, Status: rc.UnknownOpcode}, false},
		{"unknown opcode on a command of a feature", wire.ResponseHeader{Opcode: wire.OpEncapsulate, RequestID: 3, Status: rc.UnknownOpcode}, true},
		{"invalid argument on an empty request", wire.ResponseHeader{Opcode: wire.OpGetApiRevision, RequestID: 3, Status: rc.InvalidArgument}, false},
		{"frame too large naming a request", wire.ResponseHeader{Opcode: wire.OpSign, RequestID: 3, Status: rc.FrameTooLarge}, false},
		{"frame too large unaddressed", wire.ResponseHeader{Status: rc.FrameTooLarge}, true},
		{"key error unaddressed", wire.ResponseHeader{Status: rc.KeyNotFound}, false},
		{"unregistered opcode", wire.ResponseHeader{Opcode: 0x0999, RequestID: 3, Status: rc.UnknownOpcode}, true},
		{"undefined code", wire.ResponseHeader{Opcode: wire.OpSign, RequestID: 3, Status: 0x7F000000}, false},
	} {
		if got := tableProblem(s, tc.rh) == ""; got != tc.ok {
			t.Errorf("%s: allowed = %v, want %v (%s)", tc.name, got, tc.ok, tableProblem(s, tc.rh))
		}
	}
}

// TestVectorRequestsAnswerFromTable hands every request of spec/vectors
// to a device, in the order of the files, and checks each answer against
// the tables; a malformed request must get exactly the status its vector
// names.
func TestVectorRequestsAnswerFromTable(t *testing.T) {
	all, err := vectors.All()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{})
	h.session()
	n := 0
	for _, v := range all {
		if v.Direction != "request" {
			continue
		}
		frame, err := v.Frame()
		if err != nil {
			t.Fatal(err)
		}
		payload, err := wire.ReadFrame(bytes.NewReader(frame), wire.MaxFrame)
		if err != nil {
			continue // framing is the transport's (package server)
		}
		rh, _ := h.raw(payload)
		n++
		if strings.HasPrefix(v.Name, "malformed/") {
			if want, _ := rc.ByName(v.Expect); rh.Status != want {
				t.Errorf("%s: %v, want %v", v.Name, rh.Status, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("no request vectors")
	}
}
