package device

import (
	"slices"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
)

// stateRow is one state of the device state machine (spec: states.yaml
// SM-DEVICE): the commands it accepts and the status of all others.
type stateRow struct {
	state  boundary.DeviceState
	allow  []string // command names; nil with reject Success means all
	reject rc.Code
}

// deviceStates is SM-DEVICE. A test checks it against states.yaml.
func deviceStates() []stateRow {
	status := []string{"GetApiRevision", "GetDeviceInfo", "GetSelfTestStatus"}
	return []stateRow{
		{boundary.StateSelfTest, status, rc.DeviceNotOperational},
		{boundary.StateOperational, nil, rc.Success},
		{boundary.StateError, []string{"GetApiRevision", "GetDeviceInfo", "GetSelfTestStatus", "Zeroize"}, rc.DeviceNotOperational},
		{boundary.StateTampered, status, rc.DeviceTampered},
		{boundary.StateZeroized, status, rc.DeviceZeroized},
	}
}

// stateRule returns Success if the device state accepts the command, and
// the state's rejection status otherwise.
func stateRule(s boundary.DeviceState, name string) rc.Code {
	for _, row := range deviceStates() {
		if row.state != s {
			continue
		}
		if row.reject == rc.Success || slices.Contains(row.allow, name) {
			return rc.Success
		}
		return row.reject
	}
	return rc.DeviceNotOperational
}

// partitionRows is SM-PARTITION: an unprovisioned partition accepts only
// the commands that need no credential. A test checks it against
// states.yaml.
func partitionRows() []struct {
	state  boundary.PartitionState
	allow  []string
	reject rc.Code
} {
	return []struct {
		state  boundary.PartitionState
		allow  []string
		reject rc.Code
	}{
		{boundary.PartitionUnprovisioned, []string{"GetApiRevision", "GetDeviceInfo", "GetCapabilities",
			"GetCertificateChain", "GetDeviceAttestation", "GetSelfTestStatus", "RunSelfTest", "Zeroize",
			"GetCredentialKey", "EstablishCredential"}, rc.PartitionNotProvisioned},
		{boundary.PartitionProvisioned, nil, rc.Success},
		{boundary.PartitionLockedOut, nil, rc.Success},
	}
}

// partitionRule returns Success if the partition state accepts the
// command, and PartitionNotProvisioned otherwise.
func partitionRule(s boundary.PartitionState, name string) rc.Code {
	for _, row := range partitionRows() {
		if row.state == s && (row.reject == rc.Success || slices.Contains(row.allow, name)) {
			return rc.Success
		}
		if row.state == s {
			return row.reject
		}
	}
	return rc.PartitionNotProvisioned
}
