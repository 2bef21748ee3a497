package keys

import "errors"

// Sentinel errors, one per status of the spec (status.yaml) that the key
// store can cause; the device core maps each to the status of the same name.
var (
	ErrKeyNotFound          = errors.New("keys: key not found")
	ErrKeyLimitReached      = errors.New("keys: key limit reached")
	ErrKeyTagExists         = errors.New("keys: key tag exists")
	ErrKeyTagNotFound       = errors.New("keys: key tag not found")
	ErrUnsupportedKeyKind   = errors.New("keys: unsupported key kind")
	ErrUsageNotPermitted    = errors.New("keys: usage not permitted")
	ErrAlgorithmMismatch    = errors.New("keys: algorithm does not fit the key kind")
	ErrInvalidPublicKey     = errors.New("keys: invalid public key")
	ErrUnwrapFailed         = errors.New("keys: unwrap failed")
	ErrUnsupportedAlgorithm = errors.New("keys: unsupported algorithm")
	ErrSignatureInvalid     = errors.New("keys: signature invalid")
	ErrDecryptFailed        = errors.New("keys: decrypt failed")
	ErrInvalidLength        = errors.New("keys: invalid length")
	ErrDigestMismatch       = errors.New("keys: digest length does not match the algorithm")
	ErrInvalidArgument      = errors.New("keys: invalid argument")
)
