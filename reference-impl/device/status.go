package device

import (
	"errors"

	"github.com/openihsm/openihsm/reference-impl/internal/boundary"
	"github.com/openihsm/openihsm/spec/rc"
)

// statusTable maps each error of the boundary to the status of the same
// name (spec: status.yaml). The boundary documents that every error it
// returns matches exactly one of these.
var statusTable = [...]struct {
	err  error
	code rc.Code
}{
	{boundary.ErrSessionNotFound, rc.SessionNotFound},
	{boundary.ErrChannelAuthFailed, rc.ChannelAuthFailed},
	{boundary.ErrPartitionNotProvisioned, rc.PartitionNotProvisioned},
	{boundary.ErrPartitionAlreadyProvisioned, rc.PartitionAlreadyProvisioned},
	{boundary.ErrPinIncorrect, rc.PinIncorrect},
	{boundary.ErrPinLockedOut, rc.PinLockedOut},
	{boundary.ErrPinPolicyViolation, rc.PinPolicyViolation},
	{boundary.ErrNonceInvalid, rc.NonceInvalid},
	{boundary.ErrCredentialDecryptFailed, rc.CredentialDecryptFailed},
	{boundary.ErrDeviceNotOperational, rc.DeviceNotOperational},
	{boundary.ErrDeviceTampered, rc.DeviceTampered},
	{boundary.ErrDeviceZeroized, rc.DeviceZeroized},
	{boundary.ErrSelfTestFailed, rc.SelfTestFailed},
	{boundary.ErrKeyNotFound, rc.KeyNotFound},
	{boundary.ErrKeyLimitReached, rc.KeyLimitReached},
	{boundary.ErrKeyTagExists, rc.KeyTagExists},
	{boundary.ErrKeyTagNotFound, rc.KeyTagNotFound},
	{boundary.ErrUnsupportedKeyKind, rc.UnsupportedKeyKind},
	{boundary.ErrUsageNotPermitted, rc.UsageNotPermitted},
	{boundary.ErrAlgorithmMismatch, rc.AlgorithmMismatch},
	{boundary.ErrInvalidPublicKey, rc.InvalidPublicKey},
	{boundary.ErrUnwrapFailed, rc.UnwrapFailed},
	{boundary.ErrUnsupportedAlgorithm, rc.UnsupportedAlgorithm},
	{boundary.ErrSignatureInvalid, rc.SignatureInvalid},
	{boundary.ErrDecryptFailed, rc.DecryptFailed},
	{boundary.ErrInvalidLength, rc.InvalidLength},
	{boundary.ErrDigestMismatch, rc.DigestMismatch},
	{boundary.ErrInvalidArgument, rc.InvalidArgument},
	{boundary.ErrMaskedKeyMalformed, rc.MaskedKeyMalformed},
	{boundary.ErrMaskedKeyVersionUnsupported, rc.MaskedKeyVersionUnsupported},
	{boundary.ErrMaskedKeyWrongPartition, rc.MaskedKeyWrongPartition},
	{boundary.ErrMaskedKeyTampered, rc.MaskedKeyTampered},
}

// statusOf returns the status a device answers for err: the status of the
// boundary error it matches, the rc.Code it carries, or InternalError for
// anything else (an error the spec has no name for never reaches the wire
// as text).
func statusOf(err error) rc.Code {
	if err == nil {
		return rc.Success
	}
	for _, e := range statusTable {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return rc.FromError(err)
}
