//go:build ihsmfaults

package device

import (
	"fmt"
	"strings"
)

// FaultInjection reports whether this build can inject faults: true, since
// it was built with the ihsmfaults tag.
const FaultInjection = true

// faultNames are the faults' names, indexed by Fault. They exist only in a
// build with the ihsmfaults tag.
func faultNames() [faultEnd]string {
	return [faultEnd]string{
		FaultSkipUsageCheck:               "skip-usage-check",
		FaultIgnorePinLockout:             "ignore-pin-lockout",
		FaultWrongStatusCode:              "wrong-status-code",
		FaultKeepKeysAfterZeroize:         "keep-keys-after-zeroize",
		FaultAcceptReplayedChannelMessage: "accept-replayed-channel-message",
		FaultAcceptPlaintextInSession:     "accept-plaintext-in-session",
		FaultPartitionsNotIsolated:        "partitions-not-isolated",
		FaultNoSessionLimit:               "no-session-limit",
		FaultIgnoreMigration:              "ignore-migration",
		FaultSelfTestFailureIgnored:       "self-test-failure-ignored",
		FaultAlwaysApproved:               "always-approved",
		FaultIgnoreTamper:                 "ignore-tamper",
		FaultUnboundMaskedKeys:            "unbound-masked-keys",
	}
}

// String returns the fault's name.
func (f Fault) String() string {
	if f > 0 && f < faultEnd {
		return faultNames()[f]
	}
	return fmt.Sprintf("fault-%d", uint8(f))
}

// MarshalText encodes the fault as its name (mutation reports).
func (f Fault) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Faults returns every fault the device implements, in a fixed order.
func Faults() []Fault {
	out := make([]Fault, 0, faultEnd-1)
	for f := Fault(1); f < faultEnd; f++ {
		out = append(out, f)
	}
	return out
}

// ParseFault returns the fault named name.
func ParseFault(name string) (Fault, error) {
	names := faultNames()
	for f := Fault(1); f < faultEnd; f++ {
		if names[f] == name {
			return f, nil
		}
	}
	return 0, fmt.Errorf("device: unknown fault %q (known: %s)", name, strings.Join(names[1:], ", "))
}
