package device

import (
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// A device held in its power-on self-tests is in the SelfTest state:
// only GetApiRevision, GetDeviceInfo and GetSelfTestStatus answer, every
// other command is DeviceNotOperational, open sessions are gone, and the
// next power cycle runs the self-tests and keeps the persistent state
// (IHSM-SLF-008).
func TestHoldSelfTest(t *testing.T) {
	h := newHarness(t, Config{Partitions: 1})
	s := h.session()
	h.d.HoldSelfTest()
	if h.d.State() != boundary.StateSelfTest {
		t.Fatalf("state %v while held, want SelfTest", h.d.State())
	}
	var info wire.GetDeviceInfoResponse
	expect(t, "GetDeviceInfo", h.plain(&wire.GetDeviceInfoRequest{}, &info), rc.Success)
	if info.DeviceState != wire.DeviceStateSelfTest {
		t.Errorf("GetDeviceInfo says %v, want SelfTest", info.DeviceState)
	}
	var st wire.GetSelfTestStatusResponse
	expect(t, "GetSelfTestStatus", h.plain(&wire.GetSelfTestStatusRequest{}, &st), rc.Success)
	if st.State != wire.SelfTestStateRunning || st.DeviceState != wire.DeviceStateSelfTest {
		t.Errorf("GetSelfTestStatus says %v / %v, want Running / SelfTest", st.State, st.DeviceState)
	}
	expect(t, "GetApiRevision", h.plain(&wire.GetApiRevisionRequest{}, &wire.GetApiRevisionResponse{}), rc.Success)
	for name, req := range map[string]wire.Message{
		"GetCapabilities":     &wire.GetCapabilitiesRequest{},
		"GetCertificateChain": &wire.GetCertificateChainRequest{},
		"GetCredentialKey":    &wire.GetCredentialKeyRequest{},
		"RunSelfTest":         &wire.RunSelfTestRequest{},
		"Zeroize":             &wire.ZeroizeRequest{},
	} {
		expect(t, name, h.plain(req, nil), rc.DeviceNotOperational)
	}
	if code := h.in(s, &wire.ListKeysRequest{}, nil); code != rc.DeviceNotOperational {
		t.Errorf("ListKeys in the held session: %v, want DeviceNotOperational", code)
	}
	if err := h.d.PowerCycle(); err != nil {
		t.Fatal(err)
	}
	if h.d.State() != boundary.StateOperational {
		t.Fatalf("state %v after the power cycle, want Operational", h.d.State())
	}
	expect(t, "GetDeviceInfo after", h.plain(&wire.GetDeviceInfoRequest{}, &info), rc.Success)
	if info.PartitionState != wire.PartitionStateProvisioned {
		t.Errorf("partition %v after the power cycle, want Provisioned", info.PartitionState)
	}
	if code := h.in(s, &wire.ListKeysRequest{}, nil); code != rc.SessionNotFound {
		t.Errorf("ListKeys in a session of before the hold: %v, want SessionNotFound", code)
	}
}
