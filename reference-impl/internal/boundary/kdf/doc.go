// Package kdf implements the key-derivation constructions of the reference
// HSM that the standard library does not provide directly:
//
//   - [CounterHMAC], the SP 800-108r1 §4.1 key-based KDF in counter mode
//     with HMAC as the PRF, used by the KbkdfDerive command;
//   - [Credential], the partition-credential and session key schedule of
//     the OpenIHSM protocol (ECDH P-384 shared secret → HKDF-SHA384 →
//     k_pin, k_c2d, k_d2c), used by EstablishCredential, OpenSession and
//     ReopenSession.
//
// HKDF itself (RFC 5869) comes from crypto/hkdf.
package kdf
