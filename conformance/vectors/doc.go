// Package vectors runs known-answer and negative test vectors through a
// device's wire API as part of the conformance suite.
//
// The vectors come from two places: the Wycheproof test vectors
// (github.com/c2sp/wycheproof, pinned in go.mod) and the spec's own wire
// vectors (spec/vectors, the malformed requests a device must refuse with a
// named status). Every vector travels over the protocol exactly as a
// vendor's device would see it: keys enter the device only through
// UnwrapKey (RSA-OAEP + AES-KWP under the partition unwrapping key, spec:
// CMD-KEYS-UNWRAP), and results are compared without any secret leaving the
// device — a derived secret is checked by deriving an HMAC key from it on
// the device (HkdfDerive) and comparing an Hmac with the value computed
// locally from the expected secret.
//
// The rule of issue 4 is applied to every file: no invalid signature may
// verify, no invalid ciphertext may decrypt, no valid vector may be
// refused, and a refusal must carry the status the spec names. The RSA
// signature files carry only public keys, but Wycheproof uses the same
// keys in its OAEP and PKCS #1 files, which carry the private keys: the
// suite imports those, so the device's Verify meets every PKCS #1 v1.5 and
// RSASSA-PSS vector of the spec's sizes and hashes. A vector the device
// does not claim (GetCapabilities) or the API cannot express (an ECDSA
// verify vector: its public key has no published private key, Verify
// names a partition key, and the protocol imports no public-only key) is
// counted as skipped with the reason, never as passed. For ECDSA the suite
// derives the classic cases of those files instead (derived/ in the
// report): from a signature made here under a key it imports, scalars out
// of range, zero, negative or swapped, and encodings that are not DER.
//
// Run returns one report.VectorTally per vector file; the runner puts them
// into conformance-report.json, where any failure fails the run.
package vectors
