package server

import (
	"context"
	"fmt"
	"time"

	"github.com/openihsm/openihsm/reference-impl/control"
	"github.com/openihsm/openihsm/reference-impl/device"
)

// controlHandler carries out control requests on a device.
type controlHandler struct{ d *device.Device }

var _ control.Handler = (*controlHandler)(nil)

// NewControlHandler returns the control.Handler of d, for embedders that
// serve the control channel themselves.
func NewControlHandler(d *device.Device) control.Handler { return &controlHandler{d: d} }

func (h *controlHandler) Control(_ context.Context, req control.Request) control.Response {
	err := h.do(req)
	resp := control.Response{OK: err == nil, DeviceState: uint32(h.d.State()), Time: h.d.Now().UnixNano()}
	if err != nil {
		resp.Error = err.Error()
	}
	return resp
}

func (h *controlHandler) do(req control.Request) error {
	d := h.d
	switch req.Op {
	case control.OpStatus:
		return nil
	case control.OpReset:
		return d.Reset()
	case control.OpPowerCycle:
		return d.PowerCycle()
	case control.OpTamper:
		return d.Tamper()
	case control.OpMigrate:
		d.Migrate()
		return nil
	case control.OpZeroizeAll:
		return d.ZeroizeAll()
	case control.OpSetClock:
		d.SetClock(time.Unix(0, req.Time))
		return nil
	case control.OpAdvanceClock:
		d.AdvanceClock(time.Duration(req.Delta))
		return nil
	case control.OpFailSelfTest:
		return d.FailSelfTest(req.Name)
	case control.OpHoldSelfTest:
		d.HoldSelfTest()
		return nil
	}
	return fmt.Errorf("unknown control operation %q", req.Op)
}
