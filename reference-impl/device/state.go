package device

import (
	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/reference-impl/internal/statedir"
)

// Store is the record store a device keeps its state in (see
// [OpenStateDir] and [MemoryStore]).
type Store = boundary.Store

// StateDir is a state directory opened by [OpenStateDir]: a Store that
// this process alone writes until Close.
type StateDir = statedir.Dir

// OpenStateDir returns the state directory at path as a Store, creating
// the directory (0700) if needed. Every record is written atomically and
// durably, so a crash at any moment loses nothing the device acknowledged.
// The directory is locked for this process until Close (a second process
// gets an error matching ErrStateInUse), and the temporary files of writes
// a crash interrupted are removed.
//
// The directory holds only the current state, and the device cannot tell
// an old copy put back from the current one: protecting the directory from
// rollback is the host's job (see package statedir's "Limits").
func OpenStateDir(path string) (*StateDir, error) { return statedir.OpenLocked(path) }

// ErrStateInUse is the error of OpenStateDir for a directory another
// process holds.
var ErrStateInUse = statedir.ErrInUse

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
