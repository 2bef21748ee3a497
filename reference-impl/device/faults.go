package device

import (
	"fmt"
	"slices"
	"strings"
)

// Fault is a named, deliberate defect the device can be started with. Faults
// exist for mutation testing of the conformance suite: `make mutants` starts
// the reference HSM once per fault and expects the suite to fail, which
// proves the suite would catch that defect in a vendor's device. A device
// with any fault is not the reference HSM; it says so in GetDeviceInfo and in
// its firmware version (see [Config.Faults]).
//
// Each fault is implemented in the device core, outside the security
// boundary, and changes what a client observes on the wire in exactly one
// respect.
type Fault string

// The faults. Each comment names the requirement area a conforming suite
// must test to catch it.
const (
	// FaultSkipUsageCheck widens every new key's usage to all the usage its
	// kind permits, ignoring the usage the caller asked for, so a key made
	// for Verify also signs (KEY: usage policy).
	FaultSkipUsageCheck Fault = "skip-usage-check"
	// FaultIgnorePinLockout makes PIN backoff expire at once: after
	// max_pin_attempts failures the PIN is still checked, so PinLockedOut
	// is never answered and a correct PIN still opens a session (PRV).
	FaultIgnorePinLockout Fault = "ignore-pin-lockout"
	// FaultWrongStatusCode answers KeyNotFound as InvalidArgument (status
	// codes of the error tables).
	FaultWrongStatusCode Fault = "wrong-status-code"
	// FaultKeepKeysAfterZeroize answers Zeroize with Success but zeroizes
	// nothing: the partition stays provisioned with its keys and sessions
	// (TMP).
	FaultKeepKeysAfterZeroize Fault = "keep-keys-after-zeroize"
	// FaultAcceptReplayedChannelMessage accepts any request sequence number
	// whose seal authenticates, so a replayed sealed request is executed
	// again instead of being answered ChannelSequenceError (CHN).
	FaultAcceptReplayedChannelMessage Fault = "accept-replayed-channel-message"
	// FaultAcceptPlaintextInSession executes an in-session command sent
	// with a plaintext body instead of answering ChannelRequired (CHN).
	FaultAcceptPlaintextInSession Fault = "accept-plaintext-in-session"
	// FaultPartitionsNotIsolated serves partition 0 on every endpoint, so
	// credentials, sessions, keys and masked blobs cross partitions (PAR,
	// MSK).
	FaultPartitionsNotIsolated Fault = "partitions-not-isolated"
	// FaultNoSessionLimit lets a partition open more than max_sessions
	// sessions (LIM, SES).
	FaultNoSessionLimit Fault = "no-session-limit"
	// FaultIgnoreMigration leaves sessions usable after a migration instead
	// of requiring ReopenSession (SES, migration profile).
	FaultIgnoreMigration Fault = "ignore-migration"
	// FaultSelfTestFailureIgnored keeps answering every command after a
	// self-test failure instead of entering the Error state (SLF).
	FaultSelfTestFailureIgnored Fault = "self-test-failure-ignored"
	// FaultAlwaysApproved sets the FIPS-approved indicator on every
	// response, also for non-approved services and errors (service
	// indicator, FIPS 140-3 IG 2.4.C).
	FaultAlwaysApproved Fault = "always-approved"
	// FaultIgnoreTamper ignores the tamper signal: nothing is zeroized and
	// the device stays Operational (TMP).
	FaultIgnoreTamper Fault = "ignore-tamper"
)

// Faults returns every fault the device implements, in a fixed order.
func Faults() []Fault {
	return []Fault{
		FaultSkipUsageCheck, FaultIgnorePinLockout, FaultWrongStatusCode, FaultKeepKeysAfterZeroize,
		FaultAcceptReplayedChannelMessage, FaultAcceptPlaintextInSession, FaultPartitionsNotIsolated,
		FaultNoSessionLimit, FaultIgnoreMigration, FaultSelfTestFailureIgnored, FaultAlwaysApproved,
		FaultIgnoreTamper,
	}
}

// ParseFault returns the fault named name.
func ParseFault(name string) (Fault, error) {
	f := Fault(name)
	if !slices.Contains(Faults(), f) {
		names := make([]string, 0, len(Faults()))
		for _, f := range Faults() {
			names = append(names, string(f))
		}
		return "", fmt.Errorf("device: unknown fault %q (known: %s)", name, strings.Join(names, ", "))
	}
	return f, nil
}

// faultSet is the set of faults a device runs with; the zero value has none.
type faultSet uint32

func newFaultSet(fs []Fault) (faultSet, error) {
	var s faultSet
	for _, f := range fs {
		i := slices.Index(Faults(), f)
		if i < 0 {
			_, err := ParseFault(string(f))
			return 0, err
		}
		s |= 1 << i
	}
	return s, nil
}

func (s faultSet) has(f Fault) bool {
	if s == 0 {
		return false
	}
	return s&(1<<slices.Index(Faults(), f)) != 0
}

func (s faultSet) list() []Fault {
	var out []Fault
	for i, f := range Faults() {
		if s&(1<<i) != 0 {
			out = append(out, f)
		}
	}
	return out
}
