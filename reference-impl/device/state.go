package device

import (
	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/statedir"
)

// Store is the record store a device keeps its state in (see
// [OpenStateDir] and [MemoryStore]).
type Store = boundary.Store

// OpenStateDir returns the state directory at path as a Store, creating
// the directory (0700) if needed. Every record is written atomically and
// durably, so a crash at any moment loses nothing the device acknowledged.
func OpenStateDir(path string) (Store, error) { return statedir.Open(path) }

// Refusals of a state the device will not start from.
var (
	// ErrStateCorrupt: the state does not decrypt, authenticate or parse.
	ErrStateCorrupt = boundary.ErrStateCorrupt
	// ErrStateForeign: the state belongs to another device.
	ErrStateForeign = boundary.ErrStateForeign
)

// DeviceState is the device state (spec: types.yaml DeviceState, states.yaml
// SM-DEVICE).
type DeviceState = boundary.DeviceState

// Device states.
const (
	StateSelfTest    = boundary.StateSelfTest
	StateOperational = boundary.StateOperational
	StateError       = boundary.StateError
	StateTampered    = boundary.StateTampered
	StateZeroized    = boundary.StateZeroized
)
