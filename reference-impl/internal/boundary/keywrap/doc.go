// Package keywrap implements AES Key Wrap with Padding (KWP), as specified in
// RFC 5649 and NIST SP 800-38F §6.3 (algorithms KWP-AE and KWP-AD).
//
// The standard library and golang.org/x/crypto do not provide KWP, and the
// reference HSM needs it for two things: the AesKwp algorithm of the Encrypt
// and Decrypt commands, and the second half of the CKM_RSA_AES_KEY_WRAP blob
// accepted by UnwrapKey. The construction is small: the 64-bit alternative
// initial value 0xA65959A6 followed by the 32-bit message length indicator,
// zero padding to a multiple of 8 bytes, then either one AES block
// encryption (when the padded plaintext is 8 bytes) or the RFC 3394 wrapping
// function W with 6·n rounds.
//
// Unwrap checks the integrity value, the length indicator and the padding
// bytes and reports every failure as the single error [ErrUnwrap], so a
// caller learns nothing about which check failed.
package keywrap
