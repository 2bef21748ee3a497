package boundary

import (
	"errors"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary/keys"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/masking"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/selftest"
	"github.com/openihsm/openihsm/reference-impl/internal/boundary/vault"
)

// Errors of the boundary, one per status of the spec (status.yaml) the
// boundary can cause; each bears the status's name. Errors returned by the
// boundary match exactly one of them with errors.Is.
var (
	// Session/auth statuses.
	ErrSessionNotFound             = errors.New("boundary: session not found")
	ErrChannelAuthFailed           = errors.New("boundary: channel authentication failed")
	ErrPartitionNotProvisioned     = errors.New("boundary: partition not provisioned")
	ErrPartitionAlreadyProvisioned = errors.New("boundary: partition already provisioned")
	ErrPinIncorrect                = errors.New("boundary: PIN incorrect")
	ErrPinLockedOut                = errors.New("boundary: PIN locked out")
	ErrPinPolicyViolation          = errors.New("boundary: PIN violates policy")
	ErrNonceInvalid                = errors.New("boundary: no valid credential nonce")
	ErrCredentialDecryptFailed     = errors.New("boundary: sealed PIN does not decrypt")

	// Device statuses.
	ErrDeviceNotOperational = errors.New("boundary: device not operational")
	ErrDeviceTampered       = errors.New("boundary: device tampered")
	ErrDeviceZeroized       = errors.New("boundary: device zeroized")
	ErrSelfTestFailed       = selftest.ErrSelfTestFailed

	// Key and crypto statuses (package keys).
	ErrKeyNotFound          = keys.ErrKeyNotFound
	ErrKeyLimitReached      = keys.ErrKeyLimitReached
	ErrKeyTagExists         = keys.ErrKeyTagExists
	ErrKeyTagNotFound       = keys.ErrKeyTagNotFound
	ErrUnsupportedKeyKind   = keys.ErrUnsupportedKeyKind
	ErrUsageNotPermitted    = keys.ErrUsageNotPermitted
	ErrAlgorithmMismatch    = keys.ErrAlgorithmMismatch
	ErrInvalidPublicKey     = keys.ErrInvalidPublicKey
	ErrUnwrapFailed         = keys.ErrUnwrapFailed
	ErrUnsupportedAlgorithm = keys.ErrUnsupportedAlgorithm
	ErrSignatureInvalid     = keys.ErrSignatureInvalid
	ErrDecryptFailed        = keys.ErrDecryptFailed
	ErrInvalidLength        = keys.ErrInvalidLength
	ErrDigestMismatch       = keys.ErrDigestMismatch
	ErrInvalidArgument      = keys.ErrInvalidArgument

	// Masking statuses (package masking).
	ErrMaskedKeyMalformed          = masking.ErrMalformed
	ErrMaskedKeyVersionUnsupported = masking.ErrVersionUnsupported
	ErrMaskedKeyWrongPartition     = masking.ErrWrongPartition
	ErrMaskedKeyTampered           = masking.ErrTampered

	// State directory refusals at Open (no status: the device does not start).
	ErrStateCorrupt = vault.ErrStateCorrupt
	ErrStateForeign = vault.ErrStateForeign
)
