package device

import (
	"errors"
	"fmt"
)

// Fault is a named, deliberate defect the device can be started with. Faults
// exist for mutation testing of the conformance suite: `make mutants` starts
// the reference HSM once per fault and expects the suite to fail, which
// proves the suite would catch that defect in a vendor's device.
//
// Fault injection is compiled only into a build with the ihsmfaults build
// tag (`go build -tags ihsmfaults`), which `make mutants` uses. In every
// other build, the production `ihsm` binary included, [FaultInjection] is
// false, every fault check is the constant false the compiler removes, the
// faults have no names, and [New] refuses a Config that names one with
// [ErrNoFaultInjection]. A device with faults is not the reference HSM; it
// says so in GetDeviceInfo and in its firmware version (see
// [Config.Faults]).
//
// Every fault but FaultUnboundMaskedKeys is implemented in the device core,
// outside the security boundary, and changes what a client observes on the
// wire in exactly one respect.
type Fault uint8

// The faults. Each comment names the requirement area a conforming suite
// must test to catch it.
const (
	// FaultSkipUsageCheck widens every new key's usage to all the usage its
	// kind permits, ignoring the usage the caller asked for, so a key made
	// for Verify also signs (KEY: usage policy).
	FaultSkipUsageCheck Fault = iota + 1
	// FaultIgnorePinLockout makes PIN backoff expire at once: after
	// max_pin_attempts failures the PIN is still checked, so PinLockedOut
	// is never answered and a correct PIN still opens a session (PRV).
	FaultIgnorePinLockout
	// FaultWrongStatusCode answers KeyNotFound as InvalidArgument (status
	// codes of the error tables).
	FaultWrongStatusCode
	// FaultKeepKeysAfterZeroize answers Zeroize with Success but zeroizes
	// nothing: the partition stays provisioned with its keys and sessions
	// (TMP).
	FaultKeepKeysAfterZeroize
	// FaultAcceptReplayedChannelMessage accepts any request sequence number
	// whose seal authenticates, so a replayed sealed request is executed
	// again instead of being answered ChannelSequenceError (CHN).
	FaultAcceptReplayedChannelMessage
	// FaultAcceptPlaintextInSession executes an in-session command sent
	// with a plaintext body instead of answering ChannelRequired (CHN).
	FaultAcceptPlaintextInSession
	// FaultPartitionsNotIsolated serves partition 0 on every endpoint, so
	// credentials, sessions, keys and masked blobs cross partitions (PAR,
	// MSK).
	FaultPartitionsNotIsolated
	// FaultNoSessionLimit lets a partition open more than max_sessions
	// sessions (LIM, SES).
	FaultNoSessionLimit
	// FaultIgnoreMigration leaves sessions usable after a migration instead
	// of requiring ReopenSession (SES, migration profile).
	FaultIgnoreMigration
	// FaultSelfTestFailureIgnored keeps answering every command after a
	// self-test failure instead of entering the Error state (SLF).
	FaultSelfTestFailureIgnored
	// FaultAlwaysApproved sets the FIPS-approved indicator on every
	// response, also for non-approved services and errors (service
	// indicator, FIPS 140-3 IG 2.4.C).
	FaultAlwaysApproved
	// FaultIgnoreTamper ignores the tamper signal: nothing is zeroized and
	// the device stays Operational (TMP).
	FaultIgnoreTamper
	// FaultUnboundMaskedKeys lets a masked key move between partitions:
	// UnmaskKey ignores the blob's partition binding and opens a
	// partition-scope blob of any partition of the device with that
	// partition's masking key, instead of answering MaskedKeyWrongPartition
	// (MSK, PAR). It is the one fault inside the boundary, since only the
	// boundary holds the masking keys (boundary.Options.UnboundMaskedKeys).
	FaultUnboundMaskedKeys

	faultEnd // one past the last fault
)

// ErrNoFaultInjection is returned by [New] for a Config with faults in a
// build without the ihsmfaults tag.
var ErrNoFaultInjection = errors.New("device: this build has no fault injection (it exists only in a build with -tags ihsmfaults)")

// faultSet is the set of faults a device runs with; the zero value has none.
type faultSet uint32

func newFaultSet(fs []Fault) (faultSet, error) {
	if len(fs) == 0 {
		return 0, nil
	}
	if !FaultInjection {
		return 0, ErrNoFaultInjection
	}
	var s faultSet
	for _, f := range fs {
		if f == 0 || f >= faultEnd {
			return 0, fmt.Errorf("device: unknown fault %d", uint8(f))
		}
		s |= 1 << f
	}
	return s, nil
}

// has reports whether f is in the set. Without the ihsmfaults tag it is the
// constant false, so no fault path survives compilation.
func (s faultSet) has(f Fault) bool {
	return FaultInjection && s&(1<<f) != 0
}

func (s faultSet) list() []Fault {
	var out []Fault
	for f := Fault(1); f < faultEnd; f++ {
		if s.has(f) {
			out = append(out, f)
		}
	}
	return out
}
