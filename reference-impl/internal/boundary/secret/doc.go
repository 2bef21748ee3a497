// Package secret holds the reference HSM's secret byte container.
//
// Every secret value inside the security boundary (symmetric key bytes,
// derived keys, PIN material, masking roots) is held in a [Bytes]. The type
// is built so that a secret cannot leave by accident:
//
//   - its field is unexported, so no encoder (encoding/json, CBOR, gob)
//     can see it;
//   - it carries an incomparable marker, so `==` does not compile and
//     comparison goes through [Bytes.Equal], which runs in constant time
//     (crypto/subtle);
//   - it formats as "[REDACTED]" under every fmt verb, and its String and
//     GoString methods return the same constant, so a stray log line or %#v
//     cannot print key bytes;
//   - [Bytes.Clear] overwrites the bytes when the secret is no longer needed.
//
// Go cannot guarantee zeroization: the garbage collector may have copied
// the backing array, the compiler may have spilled values to the stack, and
// the standard library keeps its own expanded key schedules. Clear removes
// the copy this package owns; it is a mitigation, not a proof, and the
// reference HSM documents it as such (FIPS 140-3 AS09.28 asks for
// zeroization of SSPs; a hardware module achieves it, a Go process only
// approximates it).
package secret
