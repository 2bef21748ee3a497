//go:build ihsmfaults

package device

import (
	"testing"

	"github.com/openihsm/openihsm/spec/rc"
	"github.com/openihsm/openihsm/spec/wire"
)

// faultChecks returns, per fault, a check a conforming device passes and a
// device with that fault fails: the proof that each fault is observable on
// the wire, which is what mutation testing of the suite relies on.
func faultChecks() map[Fault]func(h *harness) bool {
	return map[Fault]func(h *harness) bool{
		FaultSkipUsageCheck: func(h *harness) bool {
			s := h.session()
			k := h.generate(s, wire.KeyKindEccP256, wire.KeyUsageVerify).KeyHandle
			return h.in(s, &wire.SignRequest{KeyHandle: k, Algorithm: wire.AlgorithmEcdsaSha256, Data: make([]byte, 32)}, nil) == rc.UsageNotPermitted
		},
		FaultIgnorePinLockout: func(h *harness) bool {
			h.session()
			for range 5 {
				h.open([]byte("wrong-pin-123"))
			}
			_, code := h.open(testPIN)
			return code == rc.PinLockedOut
		},
		FaultWrongStatusCode: func(h *harness) bool {
			s := h.session()
			return h.in(s, &wire.DeleteKeyRequest{KeyHandle: 99}, nil) == rc.KeyNotFound
		},
		FaultKeepKeysAfterZeroize: func(h *harness) bool {
			h.session()
			h.plain(&wire.ZeroizeRequest{}, nil)
			var info wire.GetDeviceInfoResponse
			h.plain(&wire.GetDeviceInfoRequest{}, &info)
			return info.PartitionState == wire.PartitionStateUnprovisioned
		},
		FaultAcceptReplayedChannelMessage: func(h *harness) bool {
			s := h.session()
			p := h.payload(s, &wire.ListKeysRequest{})
			h.raw(p)
			rh, _ := h.raw(p)
			return rh.Status == rc.ChannelSequenceError
		},
		FaultAcceptPlaintextInSession: func(h *harness) bool {
			s := h.session()
			rh, _ := h.send(h.header(wire.OpListKeys, s.id), wire.Envelope{Body: wire.EmptyBody()})
			return rh.Status == rc.ChannelRequired
		},
		FaultPartitionsNotIsolated: func(h *harness) bool {
			h.session()
			var info wire.GetDeviceInfoResponse
			h.on(1).plain(&wire.GetDeviceInfoRequest{}, &info)
			return info.PartitionState == wire.PartitionStateUnprovisioned && info.PartitionIndex == 1
		},
		FaultNoSessionLimit: func(h *harness) bool {
			h.session()
			for range DefaultMaxSessions - 1 {
				h.open(testPIN)
			}
			_, code := h.open(testPIN)
			return code == rc.SessionLimitReached
		},
		FaultIgnoreMigration: func(h *harness) bool {
			s := h.session()
			h.d.Migrate()
			return h.in(s, &wire.ListKeysRequest{}, nil) == rc.SessionNeedsRenegotiation
		},
		FaultSelfTestFailureIgnored: func(h *harness) bool {
			h.d.FailSelfTest("KAT-HKDF")
			return h.d.State() == StateError
		},
		FaultAlwaysApproved: func(h *harness) bool {
			rh, _ := h.send(h.header(0x0999, 0), wire.Envelope{Body: wire.EmptyBody()})
			return !rh.FIPSApproved
		},
		FaultIgnoreTamper: func(h *harness) bool {
			h.d.Tamper()
			return h.d.State() == StateTampered
		},
		FaultUnboundMaskedKeys: func(h *harness) bool {
			other := h.on(1)
			k := other.generate(other.session(), wire.KeyKindEccP256, wire.KeyUsageSign)
			return h.in(h.session(), &wire.UnmaskKeyRequest{MaskedKey: k.MaskedKey}, nil) == rc.MaskedKeyWrongPartition
		},
	}
}

func TestFaultsAreObservable(t *testing.T) {
	checks := faultChecks()
	for _, f := range Faults() {
		check := checks[f]
		if check == nil {
			t.Errorf("fault %s has no check", f)
			continue
		}
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			if !check(newHarness(t, Config{Partitions: 2})) {
				t.Fatal("a conforming device fails the check")
			}
			h := newHarness(t, Config{Partitions: 2, Faults: []Fault{f}})
			if check(h) {
				t.Fatal("the faulty device passes the check")
			}
			var info wire.GetDeviceInfoResponse
			h.plain(&wire.GetDeviceInfoRequest{}, &info)
			if info.Product != "OpenIHSM FAULT-INJECTED" {
				t.Errorf("product %q", info.Product)
			}
		})
	}
	if _, err := ParseFault("no-such-fault"); err == nil {
		t.Error("unknown fault parsed")
	}
	for _, f := range Faults() {
		if g, err := ParseFault(f.String()); err != nil || g != f {
			t.Errorf("fault %s parses as %v, %v", f, g, err)
		}
	}
}
