// Package selftest is the reference HSM's self-test registry, modelled on
// Go's crypto/internal/fips140 CAST/PCT mechanism (FIPS 140-3 §7.10, ISO/IEC
// 19790 §7.10.2 and §7.10.3).
//
// # Known-answer tests
//
// Every algorithm the boundary offers has one named known-answer test
// (KAT). [Names] lists them in a fixed order; the list is the contract with
// the spec's architecture/self-tests.yaml, and a test in this package keeps
// the two in step. Deterministic algorithms are checked against fixed
// expected outputs taken from published vectors (RFC 4231, RFC 5649, RFC
// 5869 via Wycheproof, RFC 6979, RFC 8032, FIPS 180-4, Wycheproof); for a
// randomized algorithm (RSA-PSS, RSA-OAEP encryption) the KAT verifies or
// decrypts a fixed known-good value and also runs a sign-then-verify (or
// encrypt-then-decrypt) round trip.
//
// # Pairwise consistency tests
//
// Every generated or imported key pair is checked by [Registry.PCT] before
// the key store accepts it; [PCTNames] lists the PCT names.
//
// # Failure
//
// A failure never panics: [Registry.Run] and [Registry.PCT] return an error
// that matches [ErrSelfTestFailed] and carries the test's name in a
// [FailureError]. The device puts itself into its Error state on any
// self-test failure. [Options.ForceFail] forces one named test to fail; it
// exists so that the device's own tests can prove that each failure reaches
// the Error state, and must not be set in production.
//
// A registry is built by [New]; there is no package-level registry, so
// devices and tests run side by side.
package selftest
