package device

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// TestTamperInErrorState provisions a device kept in a state directory,
// forces a power-on self-test failure (Error state: the boundary loaded
// nothing), then signals tamper or zeroize-all: the device must enter the
// final state, keep it across power cycles and restarts, and have destroyed
// the persistent state (spec: states.yaml SM-DEVICE Error -> Tampered;
// IHSM-TMP).
func TestTamperInErrorState(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(*Device) error
		want DeviceState
	}{
		{"tamper", (*Device).Tamper, StateTampered},
		{"zeroize-all", (*Device).ZeroizeAll, StateZeroized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			store, err := OpenStateDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			h := newHarness(t, Config{Store: store, Partitions: 2})
			s := h.session()
			k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageSign)
			fuse, _ := os.ReadFile(filepath.Join(dir, "fuse"))

			if err := h.d.FailSelfTest("KAT-SHA2"); err != nil {
				t.Fatal(err)
			}
			if st := h.d.State(); st != StateError {
				t.Fatalf("after a forced KAT failure: state %v", st)
			}
			var errInfo wire.GetDeviceInfoResponse
			if code := h.plain(&wire.GetDeviceInfoRequest{}, &errInfo); code != rc.Success ||
				errInfo.DeviceState != wire.DeviceStateError || errInfo.Serial != "unavailable" {
				t.Fatalf("GetDeviceInfo in the Error state: %v, %+v", code, errInfo)
			}
			if err := tc.do(h.d); err != nil {
				t.Fatal(err)
			}
			if st := h.d.State(); st != tc.want {
				t.Fatalf("state %v, want %v", st, tc.want)
			}
			for range 2 {
				if err := h.d.PowerCycle(); err != nil {
					t.Fatal(err)
				}
				if st := h.d.State(); st != tc.want {
					t.Fatalf("after a power cycle: state %v, want %v", st, tc.want)
				}
			}
			var info wire.GetDeviceInfoResponse
			if code := h.plain(&wire.GetDeviceInfoRequest{}, &info); code != rc.Success || info.DeviceState != wire.DeviceState(tc.want) {
				t.Fatalf("GetDeviceInfo: %v, state %v", code, info.DeviceState)
			}
			expect(t, "GetCredentialKey", h.plain(&wire.GetCredentialKeyRequest{}, nil), map[DeviceState]rc.Code{
				StateTampered: rc.DeviceTampered, StateZeroized: rc.DeviceZeroized}[tc.want])
			if b, _ := os.ReadFile(filepath.Join(dir, "fuse")); len(b) == len(fuse) {
				t.Fatal("the fuse secret survived")
			}
			h.d.Close()

			// A new process over the same directory: still destroyed, and
			// the old masked key has nothing to open under.
			d2, err := New(Config{Store: store, Partitions: 2, SelfTestInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer d2.Close()
			if st := d2.State(); st != tc.want {
				t.Fatalf("restart: state %v, want %v", st, tc.want)
			}
			if err := d2.Reset(); err != ErrStateFinal {
				t.Fatalf("Reset of a destroyed state directory: %v", err)
			}
			_ = k
		})
	}
}

// TestChangePinClearsPINs: the decoded PINs of a ChangePin request do not
// outlive the call.
func TestChangePinClearsPINs(t *testing.T) {
	h := newHarness(t, Config{})
	rs := h.session()
	pw := h.d.cur.Load()
	p := pw.parts[0]
	s, code := p.lookup(rs.id)
	if code != rc.Success {
		t.Fatal(code)
	}
	c := call{d: h.d, pw: pw, p: p, bp: p.bp, s: s}
	r := &wire.ChangePinRequest{CurrentPIN: append([]byte(nil), testPIN...), NewPIN: []byte("new-pin-0001")}
	if _, err := c.handle(r); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{r.CurrentPIN, r.NewPIN} {
		for _, x := range b {
			if x != 0 {
				t.Fatalf("PIN bytes left after ChangePin: %q", b)
			}
		}
	}
	if _, code := h.open([]byte("new-pin-0001")); code != rc.Success {
		t.Fatalf("the new PIN: %v", code)
	}
}
