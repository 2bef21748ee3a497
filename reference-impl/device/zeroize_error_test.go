package device

import (
	"testing"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// Zeroize answers in the Error state left by a failed power-on self-test,
// before any partition was loaded: the partition's persistent state is
// erased, and it comes back Unprovisioned at the next power-on
// (IHSM-TMP-005).
func TestZeroizeAfterPowerOnSelfTestFailure(t *testing.T) {
	h := newHarness(t, Config{Partitions: 2})
	expect(t, "establish p0", h.establish(testPIN), rc.Success)
	h1 := h.on(1)
	expect(t, "establish p1", h1.establish(testPIN), rc.Success)
	if err := h.d.FailSelfTest("KAT-SHA2"); err != nil {
		t.Fatal(err)
	}
	if h.d.State() != boundary.StateError {
		t.Fatalf("state %v after a failed power-on KAT", h.d.State())
	}
	expect(t, "GetCredentialKey in Error", h.plain(&wire.GetCredentialKeyRequest{}, nil), rc.DeviceNotOperational)
	expect(t, "Zeroize in Error", h.plain(&wire.ZeroizeRequest{}, nil), rc.Success)
	if err := h.d.PowerCycle(); err != nil {
		t.Fatal(err)
	}
	if h.d.State() != boundary.StateOperational {
		t.Fatalf("state %v after a healthy power cycle", h.d.State())
	}
	var info wire.GetDeviceInfoResponse
	expect(t, "info p0", h.plain(&wire.GetDeviceInfoRequest{}, &info), rc.Success)
	if info.PartitionState != wire.PartitionStateUnprovisioned {
		t.Errorf("partition 0 is %v after Zeroize, want Unprovisioned", info.PartitionState)
	}
	expect(t, "info p1", h1.plain(&wire.GetDeviceInfoRequest{}, &info), rc.Success)
	if info.PartitionState != wire.PartitionStateProvisioned {
		t.Errorf("partition 1 is %v, want it untouched (Provisioned)", info.PartitionState)
	}
	expect(t, "establish p0 again", h.establish(testPIN), rc.Success)
}
